#!/usr/bin/env bash
# The console in a real browser (part of scripts/test.sh): Debian's chromium (installed with
# apt-get when /usr/bin/chromium is missing; nothing downloads a browser build), the console's npm
# packages from package-lock.json (npm ci), the console built with esbuild, then
# console/test/browser.mjs drives `care serve` with playwright-core. Screenshots go to
# target/console-shots/. Bounded: the installs by `timeout`, the browser test by its own 150 s guard.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "console-test: installing Debian's chromium"
  timeout 600 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium >/dev/null
fi
if ! command -v npm >/dev/null; then
  echo "console-test: installing Debian's nodejs and npm"
  timeout 600 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq nodejs npm >/dev/null
fi

cd console
timeout 300 npm ci --no-audit --no-fund --loglevel=error
npm run --silent check
npm run --silent build
cd ..
cargo build --quiet --locked -p socialcare-local
timeout 200 node console/test/browser.mjs target/debug/care
