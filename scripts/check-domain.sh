#!/usr/bin/env bash
# Proves the dependency rule: the domain crate depends on nothing of AWS, Lambda, HTTP or
# tokio's runtime (DESIGN.md). Fails naming the offending crate.
set -euo pipefail
cd "$(dirname "$0")/.."
deps=$(cargo tree -p socialcare-domain -e normal --prefix none --offline 2>/dev/null || cargo tree -p socialcare-domain -e normal --prefix none)
bad=$(printf '%s\n' "$deps" | grep -E '^(aws-|aws_|lambda_|lambda-|tokio |hyper|axum|reqwest|socialcare-(aws|memory|kit|channels|classify))' | sort -u || true)
if [ -n "$bad" ]; then
  echo "socialcare-domain must stay pure, but depends on:"
  echo "$bad"
  exit 1
fi
echo "socialcare-domain is pure ($(printf '%s\n' "$deps" | sort -u | wc -l) crates, none of AWS, Lambda, HTTP or tokio)"
