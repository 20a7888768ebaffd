#!/usr/bin/env bash
# CI for the TypeScript client, from a clean clone: install exactly what package-lock.json
# pins, check src/generated/ against idl/sluice.json, typecheck, build the `sluice` binary
# whose localnet the tests start (skipped when SLUICE_BIN names one), and run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# The embedded bank logs every instruction at debug level unless told otherwise.
export RUST_LOG="${RUST_LOG:-error}"
# The localnet serves PubSub on --port + 1: the event-subscription test must run, not skip.
export SLUICE_REQUIRE_PUBSUB="${SLUICE_REQUIRE_PUBSUB:-1}"

echo "== npm ci (clients/js)"
npm ci --no-audit --no-fund

echo "== generated client matches the IDL"
npm run --silent check:generated

echo "== typecheck"
npm run --silent typecheck

if [[ -z "${SLUICE_BIN:-}" ]]; then
  echo "== cargo build -p sluice-cli"
  (cd ../.. && env -u RUSTUP_TOOLCHAIN cargo build -q -p sluice-cli)
  export SLUICE_BIN="$PWD/../../target/debug/sluice"
fi

echo "== tests (node --test)"
npm test --silent
