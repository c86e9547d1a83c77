#!/usr/bin/env bash
# Runs every check and test of the project, installing what they need first. The README's test command
# and CI (.ci/run) both call this script; it must pass on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

# A one-off build keeps no incremental caches: they are most of a cold build's disk and never reused here.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
cargo --version
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

step "python tools: moto server, SAM translator, cfn-lint, checkov (tests/requirements*.txt)"
# Installed into .venv/ (checkov into .venv/checkov: it pins an older boto3) and reinstalled only when a
# requirements file changes: the hash of both is kept beside them.
python3 --version
pins="$(cat tests/requirements.txt tests/requirements-checkov.txt | sha256sum | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || [ ! -x .venv/checkov/bin/checkov ] || [ "$(cat .venv/.pins 2>/dev/null)" != "$pins" ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
    python3 -m venv .venv/checkov
    .venv/checkov/bin/pip install --quiet --disable-pip-version-check -r tests/requirements-checkov.txt
    echo "$pins" > .venv/.pins
else
    echo "up to date"
fi

step "infrastructure checks: cfn-lint and checkov on infra/template.yaml"
.venv/bin/cfn-lint infra/template.yaml
# Skips are justified inline in the template (Metadata: checkov: skip); --skip-download keeps it offline.
.venv/checkov/bin/checkov --quiet --compact --skip-download --framework cloudformation -f infra/template.yaml

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "browser for the console test: Debian's chromium and chromium-driver (cli/tests/console.rs)"
if [ ! -x /usr/bin/chromedriver ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver >/dev/null
fi
/usr/bin/chromedriver --version

step "tests"
cargo test --workspace --locked

step "Lambda functions: cargo lambda build --arm64 (quick profile; deployments use --release)"
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
functions=(collector detector directory-sync governance notifier)
packages=()
for f in "${functions[@]}"; do packages+=(-p "$f"); done
PATH="$PWD/.venv/bin:$PATH" cargo lambda build --arm64 --profile lambda-check --locked "${packages[@]}"
lambda_dir="${CARGO_TARGET_DIR:-target}/lambda"
for f in "${functions[@]}"; do
    # An ELF executable for aarch64 (e_machine 0xB7 at offset 18), as Lambda's provided.al2023 arm64 runs it.
    machine="$(od -An -tx1 -j18 -N1 "$lambda_dir/$f/bootstrap" | tr -d ' ')"
    [ "$machine" = "b7" ] || { echo "$lambda_dir/$f/bootstrap is not an arm64 executable" >&2; exit 1; }
    echo "$lambda_dir/$f/bootstrap: arm64, $(du -h "$lambda_dir/$f/bootstrap" | cut -f1)"
done

step "starter-pack policies: inline tests"
cargo run --quiet --locked -p saaswarden-cli -- policies test policies/ | tail -n 1
