#!/usr/bin/env bash
# test-deploy-check.sh: runs scripts/deploy-check.sh in sandboxes and checks what it says.
#
# Each case copies the script and infra/samconfig.toml into a temporary tree, gives it a PATH of
# only the basic tools it uses (bash, grep, sed, awk, head, tail, dirname) plus the fakes the case
# wants (.venv/bin/sam, cargo-lambda, python with ziglang; rustup with or without the target; an
# `aws` that answers `sts get-caller-identity` or fails as an expired session does), an empty HOME
# and no AWS variables but those the case sets. Nothing is downloaded, no real AWS is called.
# Exits 1 naming every failed expectation.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp=$(mktemp -d)
trap '[ -n "${KEEP_SANDBOX:-}" ] || rm -rf "$tmp"' EXIT
failed=0
fail() { echo "test-deploy-check: FAIL: $*" >&2; failed=$((failed + 1)); }

# sandbox NAME FAKE...: a tree with the script and the fakes named (sam, cargo-lambda, zig,
# rustup-with-target, rustup-without-target, aws-ok, aws-expired).
sandbox() {
  local dir="$tmp/$1"
  shift
  mkdir -p "$dir/scripts" "$dir/infra" "$dir/.venv/bin" "$dir/bin" "$dir/home"
  cp "$ROOT/scripts/deploy-check.sh" "$dir/scripts/"
  cp "$ROOT/infra/samconfig.toml" "$dir/infra/"
  for tool in bash grep sed awk head tail dirname cat; do
    ln -s "$(command -v "$tool")" "$dir/bin/$tool"
  done
  # The venv's python: no boto3 (so `aws` is the STS client of the test), ziglang when asked.
  printf '#!/usr/bin/env bash\n[ "$1 $2" = "-m ziglang" ] && [ -f "%s/.venv/zig" ] && exit 0\nexit 1\n' "$dir" >"$dir/.venv/bin/python"
  for fake in "$@"; do
    case "$fake" in
      sam | cargo-lambda) printf '#!/usr/bin/env bash\nexit 0\n' >"$dir/.venv/bin/$fake" ;;
      zig) touch "$dir/.venv/zig" ;;
      rustup-with-target)
        printf '#!/usr/bin/env bash\n[ "$*" = "target list --installed" ] && printf "x86_64-unknown-linux-gnu\\naarch64-unknown-linux-gnu\\n"\n' >"$dir/bin/rustup" ;;
      rustup-without-target)
        printf '#!/usr/bin/env bash\n[ "$*" = "target list --installed" ] && echo x86_64-unknown-linux-gnu\n' >"$dir/bin/rustup" ;;
      aws-ok)
        printf '#!/usr/bin/env bash\necho "$*" >>"%s/aws.calls"\n[ "$1 $2" = "sts get-caller-identity" ] && echo arn:aws:iam::123456789012:user/tester\n' "$dir" >"$dir/bin/aws" ;;
      aws-expired)
        printf '#!/usr/bin/env bash\necho "$*" >>"%s/aws.calls"\necho "An error occurred (ExpiredToken) when calling the GetCallerIdentity operation: The security token included in the request is expired" >&2\nexit 254\n' "$dir" >"$dir/bin/aws" ;;
      *) echo "unknown fake $fake" >&2; exit 2 ;;
    esac
  done
  chmod +x "$dir/.venv/bin/"* "$dir/bin/"* 2>/dev/null
  echo "$dir"
}

# run DIR VAR=VALUE...: the script in the sandbox with only these variables; sets out and rc.
run() {
  local dir="$1"
  shift
  out=$(env -i HOME="$dir/home" PATH="$dir/bin" "$@" "$dir/bin/bash" "$dir/scripts/deploy-check.sh" 2>&1)
  rc=$?
}

expect() { # CASE TEXT: the output contains TEXT
  [[ "$out" == *"$2"* ]] || fail "$1: expected \`$2\` in:"$'\n'"$out"
}
refuse() { # CASE TEXT: the output does not contain TEXT
  [[ "$out" != *"$2"* ]] || fail "$1: did not expect \`$2\` in:"$'\n'"$out"
}

all=(sam cargo-lambda zig rustup-with-target aws-ok)
creds=(AWS_ACCESS_KEY_ID=AKIATEST AWS_SECRET_ACCESS_KEY=secret)

# 1. Everything there: passes, names the region, target and identity, asks STS in that region.
dir=$(sandbox present "${all[@]}")
run "$dir" AWS_REGION=eu-central-1 "${creds[@]}"
[ "$rc" -eq 0 ] || fail "present: exit $rc, expected 0"
expect present "prerequisites present (region eu-central-1, target aarch64-unknown-linux-gnu, identity arn:aws:iam::123456789012:user/tester)"
refuse present "missing"
grep -qx "sts get-caller-identity --region eu-central-1 --output text --query Arn" "$dir/aws.calls" 2>/dev/null ||
  fail "present: aws was not asked sts get-caller-identity in eu-central-1"

# 2. Nothing there: every prerequisite named with how to get it, exit 1, nothing asked of AWS.
dir=$(sandbox nothing)
run "$dir"
[ "$rc" -ne 0 ] || fail "nothing: exit 0, expected non-zero"
expect nothing "deploy: missing: the AWS SAM CLI (.venv/bin/sam)"
expect nothing "python3 -m venv .venv && .venv/bin/pip install -r infra/requirements.txt"
expect nothing "deploy: missing: cargo-lambda (.venv/bin/cargo-lambda)"
expect nothing "deploy: missing: zig (cargo-lambda cross-compiles with it)"
expect nothing "(PyPI ziglang)"
expect nothing "deploy: missing: rustup (to check the aarch64-unknown-linux-gnu target)"
expect nothing "https://rustup.rs"
expect nothing "deploy: missing: an AWS region"
expect nothing "export AWS_REGION="
expect nothing "deploy: missing: AWS credentials"
expect nothing "aws configure"
expect nothing "deploy: 6 prerequisite(s) missing; nothing was built"
[ ! -e "$dir/aws.calls" ] || fail "nothing: aws was called"

# 3. rustup without the Lambda target: the one missing thing, with the command that adds it.
dir=$(sandbox no-target sam cargo-lambda zig rustup-without-target aws-ok)
run "$dir" AWS_REGION=eu-central-1 "${creds[@]}"
[ "$rc" -ne 0 ] || fail "no-target: exit 0, expected non-zero"
expect no-target "deploy: missing: the Rust target aarch64-unknown-linux-gnu (Lambda arm64)"
expect no-target "rustup target add aarch64-unknown-linux-gnu"
expect no-target "deploy: 1 prerequisite(s) missing"

# 4. Credentials present but refused by STS (an expired session): named, with STS's reason.
dir=$(sandbox expired sam cargo-lambda zig rustup-with-target aws-expired)
run "$dir" AWS_REGION=eu-central-1 AWS_PROFILE=dev
[ "$rc" -ne 0 ] || fail "expired: exit 0, expected non-zero"
expect expired "deploy: missing: working AWS credentials (sts get-caller-identity failed: An error occurred (ExpiredToken)"
expect expired "aws sso login"
expect expired "deploy: 1 prerequisite(s) missing"

# 5. The region from ~/.aws/config's profile, and the x86_64 architecture from samconfig.toml.
dir=$(sandbox profile-x86 "${all[@]}")
mkdir -p "$dir/home/.aws"
printf '[profile dev]\nregion = eu-west-1\n' >"$dir/home/.aws/config"
sed -i 's/^# parameter_overrides = \(.*\)arm64/parameter_overrides = \1x86_64/' "$dir/infra/samconfig.toml"
run "$dir" AWS_PROFILE=dev
[ "$rc" -eq 0 ] || fail "profile-x86: exit $rc, expected 0"
expect profile-x86 "(region eu-west-1, target x86_64-unknown-linux-gnu"

if [ "$failed" -gt 0 ]; then
  echo "test-deploy-check: $failed expectation(s) failed" >&2
  exit 1
fi
echo "test-deploy-check: 5 cases passed"
