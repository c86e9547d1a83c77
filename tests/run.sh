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

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
cargo test --workspace --locked

step "starter-pack policies: inline tests"
cargo run --quiet --locked -p saaswarden-cli -- policies test policies/ | tail -n 1
