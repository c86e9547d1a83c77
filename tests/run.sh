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
# The three installs run side by side, in the background while formatting and lint run (they wait on the
# network and on one core each; cargo has the rest); the infrastructure checks wait for them.
python3 --version
requirements=(tests/requirements.txt tests/requirements-checkov.txt tests/requirements-sam.txt)
pins="$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)"
install_python_tools() {
    local venv requirement pids=()
    for pair in ".venv:tests/requirements.txt" ".venv/checkov:tests/requirements-checkov.txt" \
        ".venv/sam:tests/requirements-sam.txt"; do
        venv="${pair%%:*}" requirement="${pair#*:}"
        ( python3 -m venv "$venv" \
            && "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirement" ) &
        pids+=("$!")
    done
    for pid in "${pids[@]}"; do wait "$pid" || return 1; done
    echo "$pins" > .venv/.pins
}
python_tools=""
if [ ! -x .venv/bin/python ] || [ ! -x .venv/checkov/bin/checkov ] || [ ! -x .venv/sam/bin/sam ] \
    || [ "$(cat .venv/.pins 2>/dev/null)" != "$pins" ]; then
    # The outer venv first: the other two live inside it.
    python3 -m venv .venv
    install_python_tools > .venv-install.log 2>&1 &
    python_tools="$!"
    echo "installing in the background (log: .venv-install.log)"
else
    echo "up to date"
fi

step "browser for the console test: Debian's chromium and chromium-driver (cli/tests/console.rs)"
# Also in the background: the tests wait for it.
browser=""
if [ ! -x /usr/bin/chromedriver ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    ( $sudo apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver ) \
        > .browser-install.log 2>&1 &
    browser="$!"
    echo "installing in the background (log: .browser-install.log)"
else
    echo "installed"
fi

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

# Waits for a background install started above (if one was): its log is printed if it failed.
await_install() { # what, pid, log
    [ -n "$2" ] || return 0
    step "$1: waiting for the install"
    if ! wait "$2"; then
        cat "$3"
        echo "installing the $1 failed (log above)" >&2
        exit 1
    fi
}
await_install "python tools" "$python_tools" .venv-install.log

step "infrastructure checks: cfn-lint, checkov, the functions' build wiring and the parameters' docs"
.venv/bin/cfn-lint infra/template.yaml
# Skips are justified inline in the template (Metadata: checkov: skip); --skip-download keeps it offline.
.venv/checkov/bin/checkov --quiet --compact --skip-download --framework cloudformation -f infra/template.yaml
# Every function's CodeUri/Binary wiring as `sam build` needs it, docs/deploy.md's parameter table against the
# template, and the checks' own tests (infra/scripts/check_template.py says what each checks).
.venv/bin/python -m unittest discover -s infra/scripts

await_install "browser (chromium, chromium-driver)" "$browser" .browser-install.log
/usr/bin/chromedriver --version

step "tests"
# The hostile-input test (tests/aws/hostile.rs) runs 10,000 Tor activities here, past both limits an unbounded
# alert used to break (its event at ~5,000 ids, its item at ~9,000). Its default is the 50,000 of the
# acceptance, which takes about 11 minutes on moto server (moto's Query reads every item of the table);
# docs/aws-storage.md gives that run's figures and command.
SAASWARDEN_HOSTILE_ACTIVITIES="${SAASWARDEN_HOSTILE_ACTIVITIES:-10000}" cargo test --workspace --locked

step "Lambda functions: sam build in infra/, as docs/deploy.md tells a user to"
# The same builder (rust-cargolambda), CodeUri and Binary wiring as a deployment; SAM_BUILD_MODE=debug only
# drops --release, which would add LTO to a build that is thrown away. One arm64 build, in target/, and
# unoptimised: the dev profile builds dependencies at opt-level 2 (for the tests' speed on x86_64), which made
# this arm64-only build take 9m42s of a 28m36s cold run; the target's own rustflags (last -C wins) bring it
# to 2m57s. They apply to the arm64 target only, so the tests' x86_64 artefacts are untouched.
rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
rm -rf infra/.aws-sam
(cd infra && PATH="$PWD/../.venv/sam/bin:$PATH" SAM_CLI_TELEMETRY=0 SAM_BUILD_MODE=debug \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C opt-level=0 -C debuginfo=0" sam build --beta-features)
# Every function's bootstrap is an arm64 ELF, and the built template is the tested one but for CodeUri.
.venv/bin/python infra/scripts/check_template.py built infra/.aws-sam/build

# The starter pack's `saaswarden policies test policies/` (docs/policies.md) runs in the tests above, through
# the built command (cli/tests/cli.rs, policies_test_runs_every_inline_test_of_the_starter_pack).

step "done"
