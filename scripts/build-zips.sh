#!/usr/bin/env bash
# build-zips.sh: the seven Lambda zips, built with cargo-lambda (zig as the linker) for x86_64,
# and their sizes.
#
#   bash scripts/build-zips.sh            all seven functions
#   bash scripts/build-zips.sh fn-sla     only the ones named
#
# Installs cargo-lambda and ziglang (pinned in infra/requirements.txt) into .venv if missing.
# Always x86_64 here: an arm64 build would need the aarch64 Rust target (`rustup target add`,
# a download). `sam build` (make deploy) builds arm64 itself from the template's Metadata.
#
# Env: ZIPS_TARGET_DIR (default target/zips; a separate cargo target dir, so a release build
# does not hold the lock of target/ that the tests use). Zips land in $ZIPS_TARGET_DIR/lambda/<bin>/bootstrap.zip.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"
FUNCTIONS=(fn-ingest fn-classify fn-thread fn-route fn-sla fn-agent-api fn-outbound fn-trends)
if [[ $# -gt 0 ]]; then FUNCTIONS=("$@"); fi
TARGET_DIR="${ZIPS_TARGET_DIR:-$ROOT/target/zips}"

log() { echo "build-zips: $*" >&2; }

pinned() { # the pinned version of a package in infra/requirements.txt
    sed -n "s/^$1==\([^ ;#]*\).*/\1/p" "$ROOT/infra/requirements.txt" | head -n1
}

[[ -x "$VENV/bin/python" ]] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
for pkg in cargo-lambda ziglang; do
    want="$(pinned "$pkg")"
    have="$("$VENV/bin/python" -c "import importlib.metadata as m; print(m.version('$pkg'))" 2>/dev/null || true)"
    if [[ "$have" != "$want" ]]; then
        log "installing $pkg==$want"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$pkg==$want" </dev/null
    fi
done
export PATH="$VENV/bin:$PATH" # cargo-lambda, and python3 -m ziglang as the zig it links with

bins=()
for f in "${FUNCTIONS[@]}"; do bins+=(--bin "$f"); done

log "cargo lambda build --release --x86-64 --output-format zip ${bins[*]} (target dir $TARGET_DIR)"
started=$(date +%s)
CARGO_TARGET_DIR="$TARGET_DIR" cargo lambda build --release --x86-64 --output-format zip "${bins[@]}"
log "built in $(( $(date +%s) - started ))s"

printf '%-14s %12s %10s  %s\n' function "zip bytes" "zip KiB" path
total=0
for f in "${FUNCTIONS[@]}"; do
    zip="$TARGET_DIR/lambda/$f/bootstrap.zip"
    if [[ ! -f "$zip" ]]; then
        log "missing $zip"
        exit 1
    fi
    size=$(stat -c %s "$zip")
    total=$((total + size))
    printf '%-14s %12d %10d  %s\n' "$f" "$size" $(( (size + 1023) / 1024 )) "${zip#"$ROOT"/}"
done
printf '%-14s %12d %10d\n' total "$total" $(( (total + 1023) / 1024 ))
