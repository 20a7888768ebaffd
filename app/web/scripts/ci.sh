#!/usr/bin/env bash
# CI for the web app, from a clean clone: install exactly what package-lock.json pins (and
# the TypeScript client's packages, whose sources the app compiles), typecheck, build, make
# sure Debian's chromium is there (installed with apt-get when missing: Playwright's own
# browser download is not reachable from CI machines), and run the browser tests against a
# localnet they start. SLUICE_BIN names a built `sluice`; without it cargo builds one.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_LOG="${RUST_LOG:-error}"
# Playwright must never try to download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

echo "== npm ci (app/web)"
npm ci --no-audit --no-fund
if [[ ! -d ../../clients/js/node_modules ]]; then
  echo "== npm ci (clients/js, whose sources the app compiles)"
  (cd ../../clients/js && npm ci --no-audit --no-fund)
fi

echo "== formatting, typecheck, unit tests"
npm run --silent format:check
npm run --silent typecheck
npm run --silent test:unit

echo "== vite build"
npm run --silent build

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "== installing Debian's chromium (apt-get)"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
"$chromium" --version

if [[ -z "${SLUICE_BIN:-}" ]]; then
  echo "== cargo build -p sluice-cli"
  (cd ../.. && env -u RUSTUP_TOOLCHAIN cargo build -q -p sluice-cli)
  export SLUICE_BIN="$PWD/../../target/debug/sluice"
fi

echo "== browser tests (Playwright, headless chromium)"
mkdir -p screenshots
npx playwright test
echo "screenshots: $(ls screenshots | tr '\n' ' ')"
