#!/usr/bin/env bash
# The console in real browsers (part of scripts/test.sh): Debian's chromium and firefox-esr
# (installed with apt-get when /usr/bin/chromium or /usr/bin/firefox-esr is missing; nothing
# downloads a browser build), the console's npm packages from package-lock.json (npm ci), the
# console built with esbuild, then console/test/browser.mjs drives `care serve` in chromium with
# playwright-core, and console/test/firefox.mjs in firefox-esr with puppeteer-core (WebDriver
# BiDi). Screenshots go to target/console-shots/ (ff-*.png from Firefox). Bounded: the installs
# by `timeout`, the browser tests by `timeout` and their own guards (150 s and 90 s).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "console-test: installing Debian's chromium"
  timeout 600 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x /usr/bin/firefox-esr ]; then
  echo "console-test: installing Debian's firefox-esr"
  timeout 600 apt-get update -qq
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq firefox-esr >/dev/null
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
timeout 120 node console/test/firefox.mjs target/debug/care
