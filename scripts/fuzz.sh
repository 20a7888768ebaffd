#!/usr/bin/env bash
# Stateful fuzzing of Sluice: runs N random sequences (default 20) of the harness in
# tests/tests/fuzz.rs on the embedded bank and prints, last,
#   fuzz: S sequences, T transactions, V violations
# after each violation (with its seed and step, to replay) and the per-instruction counts.
# SLUICE_FUZZ_SEED sets the first seed (default 1000). Exits non-zero on any violation.
set -euo pipefail
cd "$(dirname "$0")/.."

n="${1:-20}"
case "$n" in
    '' | *[!0-9]*)
        echo "usage: scripts/fuzz.sh [N]" >&2
        exit 2
        ;;
esac

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
SLUICE_FUZZ_SEQUENCES="$n" RUST_LOG=error RUST_BACKTRACE=0 \
    cargo test -p sluice-tests --test fuzz -- --ignored --nocapture long_run >"$log" 2>&1 || status=$?

# The natively run program logs to stdout too; keep only the harness's own lines.
if ! grep -q '^fuzz: ' "$log"; then
    tail -n 40 "$log" >&2 # the build or the harness itself failed
    exit $((status == 0 ? 1 : status))
fi
grep '^violation: ' "$log" || true
awk '/^fuzz summary/ { on = 1 } on { print } /^fuzz: / { on = 0 }' "$log"
exit "$status"
