#!/usr/bin/env bash
# Runs every check and test of the project, installing what they need first. The README's test command
# and CI (.ci/run) both call this script; it must pass on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."

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

step "tests"
cargo test --workspace --locked

step "starter-pack policies: inline tests"
cargo run --quiet --locked -p saaswarden-cli -- policies test policies/ | tail -n 1
