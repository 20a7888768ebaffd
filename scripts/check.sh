#!/usr/bin/env bash
# Sluice's full check: formatting, lints (warnings are errors), every test, and the IDL
# freshness check. This is the README's test command and exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# The embedded bank logs every instruction at debug level unless told otherwise.
export RUST_LOG="${RUST_LOG:-error}"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== clippy (warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"

echo "== IDL freshness"
cargo run -q -p sluice-idl -- --check

# One closing line for the whole run: the sums over every test binary above.
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo 'passed; [0-9]+ failed' "$log" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
echo "checks: $passed passed, $failed failed"
