#!/usr/bin/env bash
# Runs every check and test of the project, installing what they need first. The README's test command
# and CI (.ci/run) both call this script; it must pass on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

# A one-off build keeps no incremental caches: they are most of a cold build's disk and never reused here.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Each step says how long the run has taken so far: the whole run must stay well inside CI's limit.
step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "toolchain"
cargo --version
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

step "python tools: moto server, SAM translator, cfn-lint, checkov, SAM CLI (tests/requirements*.txt)"
# Installed into .venv/ (checkov into .venv/checkov and the SAM CLI with cargo-lambda into .venv/sam: each
# pins a boto3 of its own) and reinstalled only when a requirements file changes: their hash is kept beside them.
python3 --version
requirements=(tests/requirements.txt tests/requirements-checkov.txt tests/requirements-sam.txt)
pins="$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || [ ! -x .venv/checkov/bin/checkov ] || [ ! -x .venv/sam/bin/sam ] \
    || [ "$(cat .venv/.pins 2>/dev/null)" != "$pins" ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
    python3 -m venv .venv/checkov
    .venv/checkov/bin/pip install --quiet --disable-pip-version-check -r tests/requirements-checkov.txt
    python3 -m venv .venv/sam
    .venv/sam/bin/pip install --quiet --disable-pip-version-check -r tests/requirements-sam.txt
    echo "$pins" > .venv/.pins
else
    echo "up to date"
fi

step "infrastructure checks: cfn-lint, checkov, the functions' build wiring and the parameters' docs"
.venv/bin/cfn-lint infra/template.yaml
# Skips are justified inline in the template (Metadata: checkov: skip); --skip-download keeps it offline.
.venv/checkov/bin/checkov --quiet --compact --skip-download --framework cloudformation -f infra/template.yaml
# Every function's CodeUri/Binary wiring as `sam build` needs it, docs/deploy.md's parameter table against the
# template, and the checks' own tests (infra/scripts/check_template.py says what each checks).
.venv/bin/python -m unittest discover -s infra/scripts

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

step "Lambda functions: sam build in infra/, as docs/deploy.md tells a user to"
# The same builder (rust-cargolambda), CodeUri and Binary wiring as a deployment; SAM_BUILD_MODE=debug only
# drops --release, which would add LTO to a build that is thrown away. One arm64 build, in target/.
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
rm -rf infra/.aws-sam
(cd infra && PATH="$PWD/../.venv/sam/bin:$PATH" SAM_CLI_TELEMETRY=0 SAM_BUILD_MODE=debug sam build --beta-features)
# Every function's bootstrap is an arm64 ELF, and the built template is the tested one but for CodeUri.
.venv/bin/python infra/scripts/check_template.py built infra/.aws-sam/build

step "starter-pack policies: inline tests"
cargo run --quiet --locked -p saaswarden-cli -- policies test policies/ | tail -n 1

step "done"
