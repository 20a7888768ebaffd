#!/usr/bin/env bash
# Sluice's full check: formatting, lints (warnings are errors), every test, the IDL
# freshness check, the TypeScript client's checks and tests, and the web app's build and
# browser tests. This is the README's test command and exactly what CI runs.
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

# One closing line for the whole run: the sums over every test run above. `sum PATTERN
# FIELD LOG` adds up field FIELD of the lines of LOG matching PATTERN (0 when none match:
# a run with no failures prints no "N failed" line at all).
sum() { { grep -Eo "$1" "$3" || true; } | awk -v f="$2" '{s+=$f} END {print s+0}'; }
# cargo: "test result: ok. N passed; M failed; …" per test binary.
passed=$(sum 'test result: [a-zA-Z]+\. [0-9]+ passed' 4 "$log")
failed=$(sum 'passed; [0-9]+ failed' 2 "$log")
# node's test runner (the client's and the web app's unit tests): "ℹ pass N", "ℹ fail N"
# ("#" with the TAP reporter).
passed=$((passed + $(sum '^(#|ℹ) pass [0-9]+' 3 "$js_log") + $(sum '^(#|ℹ) pass [0-9]+' 3 "$web_log")))
failed=$((failed + $(sum '^(#|ℹ) fail [0-9]+' 3 "$js_log") + $(sum '^(#|ℹ) fail [0-9]+' 3 "$web_log")))
# Playwright's list reporter: "  N passed (…)" and, only when some fail, "  N failed".
passed=$((passed + $(sum '^ +[0-9]+ passed' 1 "$web_log")))
failed=$((failed + $(sum '^ +[0-9]+ failed' 1 "$web_log")))
echo "checks: $passed passed, $failed failed"
