#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs the pinned oracle tools into a cache venv,
# then runs formatting, lints and every test (unit, snapshot, oracle, CLI, example).
#
#   scripts/test.sh               # as a developer (a missing oracle is reported and skipped)
#   CI=true scripts/test.sh       # as CI (.ci/run): a missing oracle is a failure
#
# Caches live outside the clone: $IAC_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/iac-rs)
# holds the python venvs and, unless CARGO_TARGET_DIR is set, the cargo target directory.
set -euo pipefail
cd "$(dirname "$0")/.."

export IAC_CACHE_DIR="${IAC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/iac-rs}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$IAC_CACHE_DIR/target}"

step() { printf '\n==> %s\n' "$*"; }

step "oracle tools (pinned, cached in $IAC_CACHE_DIR)"
scripts/install-tools.sh
set -a
# shellcheck disable=SC1091
. "$IAC_CACHE_DIR/tools.env"
set +a

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (workspace lints, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy --package stacks --features aws --all-targets --locked -- -D warnings

step "cargo test (unit, snapshots, oracles, CLI, examples, the SDK engine on a local moto server)"
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
cargo test --package stacks --features aws --locked

step "all tests passed"
