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
# The SDK as RPC-only clients (the keeper, the migration) build it: without the bank.
cargo clippy -p sluice-sdk --no-default-features -- -D warnings

echo "== tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"

echo "== IDL freshness"
cargo run -q -p sluice-idl -- --check

echo "== TypeScript client (clients/js: npm ci, generated code vs the IDL, typecheck, node tests)"
js_log=$(mktemp)
trap 'rm -f "$log" "$js_log"' EXIT
SLUICE_BIN="$PWD/target/debug/sluice" bash clients/js/scripts/ci.sh 2>&1 | tee "$js_log"

echo "== web app (app/web: npm ci, typecheck, vite build, Playwright in Debian's chromium)"
web_log=$(mktemp)
trap 'rm -f "$log" "$js_log" "$web_log"' EXIT
SLUICE_BIN="$PWD/target/debug/sluice" bash app/web/scripts/ci.sh 2>&1 | tee "$web_log"

# One closing line for the whole run: the sums over every test binary above.
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo 'passed; [0-9]+ failed' "$log" | grep -Eo '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
# node's test runner closes with "ℹ pass N" and "ℹ fail N" ("#" with the TAP reporter).
passed=$((passed + $(grep -Eo '^(#|ℹ) pass [0-9]+' "$js_log" | awk '{s+=$3} END {print s+0}')))
failed=$((failed + $(grep -Eo '^(#|ℹ) fail [0-9]+' "$js_log" | awk '{s+=$3} END {print s+0}')))
# The web app: its node unit tests ("ℹ pass N"), then Playwright's list reporter, which
# closes with "  N passed (…)" and, on failures, "  N failed".
passed=$((passed + $(grep -Eo '^(#|ℹ) pass [0-9]+' "$web_log" | awk '{s+=$3} END {print s+0}')))
failed=$((failed + $(grep -Eo '^(#|ℹ) fail [0-9]+' "$web_log" | awk '{s+=$3} END {print s+0}')))
passed=$((passed + $(grep -Eo '^ +[0-9]+ passed' "$web_log" | awk '{s+=$1} END {print s+0}')))
failed=$((failed + $(grep -Eo '^ +[0-9]+ failed' "$web_log" | awk '{s+=$1} END {print s+0}')))
echo "checks: $passed passed, $failed failed"
