#!/usr/bin/env bash
# Checks what `make deploy` needs before anything is compiled, and says what is missing and how
# to get it: AWS credentials (and that they work: `sts get-caller-identity`), a region, the SAM
# CLI, cargo-lambda and zig (PyPI, in .venv), and the Rust target of the Lambda architecture
# (installed once by hand: `sam build` builds the functions in parallel, and several
# cargo-lambda builds must not each try to install it). Read-only: installs nothing, builds
# nothing. Tested by scripts/test-deploy-check.sh (fakes on a stripped PATH).
set -uo pipefail
cd "$(dirname "$0")/.."
venv=.venv/bin
# The template's Architecture parameter (arm64 unless overridden in samconfig.toml).
arch=$(grep -v '^ *#' infra/samconfig.toml | sed -n 's/.*Architecture=\\"\([a-z0-9_]*\)\\".*/\1/p' | head -1)
arch=${arch:-arm64}
case "$arch" in
  arm64) target=aarch64-unknown-linux-gnu ;;
  x86_64) target=x86_64-unknown-linux-gnu ;;
  *) echo "deploy: ARCHITECTURE must be arm64 or x86_64, not $arch" >&2; exit 1 ;;
esac
missing=0
need() { echo "deploy: missing: $1"; echo "         get it: $2"; missing=$((missing + 1)); }

[ -x "$venv/sam" ] || need "the AWS SAM CLI ($venv/sam)" "python3 -m venv .venv && .venv/bin/pip install -r infra/requirements.txt"
[ -x "$venv/cargo-lambda" ] || need "cargo-lambda ($venv/cargo-lambda)" ".venv/bin/pip install -r infra/requirements.txt"
if ! "$venv/python" -m ziglang version >/dev/null 2>&1 && ! command -v zig >/dev/null 2>&1; then
  need "zig (cargo-lambda cross-compiles with it)" ".venv/bin/pip install -r infra/requirements.txt (PyPI ziglang)"
fi
if ! command -v rustup >/dev/null 2>&1; then
  need "rustup (to check the $target target)" "https://rustup.rs"
# Read the whole list before matching: `rustup ... | grep -q` under pipefail fails when grep
# stops at the first match while rustup still writes (SIGPIPE), reporting a target that is there.
elif ! grep -qx "$target" <<<"$(rustup target list --installed 2>/dev/null)"; then
  need "the Rust target $target (Lambda $arch)" "rustup target add $target   (once, before the build)"
fi

region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
if [ -z "$region" ] && grep -qs '^region' infra/samconfig.toml; then
  region=$(sed -n 's/^region *= *"\(.*\)"/\1/p' infra/samconfig.toml | head -1)
fi
if [ -z "$region" ] && [ -n "${AWS_PROFILE:-}" ] && [ -f "${HOME:-}/.aws/config" ]; then
  region=$(awk -v p="[profile $AWS_PROFILE]" '$0==p{f=1;next} /^\[/{f=0} f&&$1=="region"{print $3}' "$HOME/.aws/config")
fi
if [ -z "$region" ] && [ -f "${HOME:-}/.aws/config" ]; then
  region=$(awk '$0=="[default]"{f=1;next} /^\[/{f=0} f&&$1=="region"{print $3}' "$HOME/.aws/config")
fi
[ -n "$region" ] || need "an AWS region" "export AWS_REGION=eu-central-1 (or region in ~/.aws/config, or answer \`sam deploy --guided\`)"

if [ -z "${AWS_ACCESS_KEY_ID:-}" ] && [ -z "${AWS_PROFILE:-}" ] && [ -z "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ] \
   && [ -z "${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}" ] \
   && ! grep -qs '^\[' "${HOME:-}/.aws/credentials" && ! grep -qs 'sso_' "${HOME:-}/.aws/config"; then
  need "AWS credentials" "aws configure (or export AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or aws sso login)"
elif [ -n "$region" ]; then
  # Credentials that are there must also work (expired SSO session, revoked key): one read-only
  # STS call, free, with the AWS CLI when installed, else with the SAM venv's boto3.
  works=yes
  if command -v aws >/dev/null 2>&1; then
    who=$(aws sts get-caller-identity --region "$region" --output text --query Arn 2>&1) || works=no
  elif "$venv/python" -c 'import boto3' >/dev/null 2>&1; then
    who=$("$venv/python" -c 'import boto3, sys; print(boto3.client("sts", region_name=sys.argv[1]).get_caller_identity()["Arn"])' "$region" 2>&1) || works=no
  else
    who="(not checked: neither the AWS CLI nor the SAM venv's boto3 is installed)"
  fi
  if [ "$works" = no ]; then
    need "working AWS credentials (sts get-caller-identity failed: $(printf '%s' "$who" | tail -1))" \
      "aws sso login, or aws configure, or export a valid AWS_PROFILE / AWS_ACCESS_KEY_ID"
  fi
fi

if [ "$missing" -gt 0 ]; then
  echo "deploy: $missing prerequisite(s) missing; nothing was built (infra/README-deploy.md lists them)" >&2
  exit 1
fi
echo "deploy: prerequisites present (region $region, target $target, identity ${who:-?})"
