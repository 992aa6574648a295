#!/usr/bin/env bash
# check-infra.sh: the infrastructure checks of the test command. Offline, no Docker, no AWS account.
#
#   1. sam validate --lint     (SAM translation + cfn-lint)
#   2. sam validate            (SAM translation only)
#   3. cfn-lint                (on the SAM template)
#   4. checkov                 (--skip-download; skips with reasons in infra/checkov-skips.txt)
#   5. infra consistency test  (infra/tests/test_stack.py: the template against shared/aws, translated
#                               with aws-sam-translator and deployed into moto's CloudFormation;
#                               the stack's outputs go to target/infra-outputs.json), then the
#                               foundation system test on that stack's tables, queues and topic
#   6. Lambda zips             (only with CHECK_INFRA_ZIPS=1: a release build, minutes on 2 cores)
#
# Tools are pinned in infra/requirements.txt (.venv) and infra/requirements-checkov.txt
# (.venv/checkov: checkov's boto3 pin conflicts with aws-sam-cli's) and installed when missing.
# Uses moto at $SOCIALCARE_MOTO_URL (scripts/test.sh starts it); when unset, starts moto itself
# with scripts/moto.sh and stops it at the end. Runs every check, then exits 1 if any failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
CHECKOV_VENV="$VENV/checkov"
PYTHON="${PYTHON:-python3}"
TEMPLATE="${CHECK_INFRA_TEMPLATE:-infra/template.yaml}" # override: to see the checks fail on a broken copy
export SOCIALCARE_INFRA_TEMPLATE="$TEMPLATE"
started=$(date +%s)

log() { echo "check-infra: $*" >&2; }
die() { log "$*"; exit 1; }

# Dummy credentials and region: nothing here talks to AWS.
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0 PYTHONWARNINGS=ignore

# ------------------------------------------------------------------ tools
missing_pins() { # $1 = python of a venv, $2 = requirements file; prints the pins not satisfied
    "$1" - "$2" <<'PY'
import importlib.metadata as m, re, sys
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    name = re.sub(r"\[.*\]", "", name)
    try:
        ok = m.version(name) == version
    except m.PackageNotFoundError:
        ok = False
    if not ok:
        print(line)
PY
}

ensure_tools() { # $1 = venv dir, $2 = requirements file
    local venv="$1" req="$2"
    if [[ ! -x "$venv/bin/python" ]]; then
        log "creating $venv"
        "$PYTHON" -m venv "$venv" || die "cannot create $venv"
    fi
    local missing
    missing="$(missing_pins "$venv/bin/python" "$req")" || die "cannot read $req"
    if [[ -n "$missing" ]]; then
        log "installing into ${venv#"$ROOT"/}: $(echo "$missing" | tr '\n' ' ')"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req" </dev/null \
            || die "pip install -r $req failed"
    fi
}

ensure_tools "$VENV" infra/requirements.txt
ensure_tools "$CHECKOV_VENV" infra/requirements-checkov.txt

# ------------------------------------------------------------------ checks
declare -a results=()
failed=0
run() { # $1 = name, rest = command
    local name="$1"
    shift
    local t0=$(date +%s)
    printf '\n-- %s\n' "$name"
    if "$@"; then
        results+=("ok    $name ($(( $(date +%s) - t0 ))s)")
    else
        results+=("FAIL  $name ($(( $(date +%s) - t0 ))s)")
        failed=1
    fi
}

run "sam validate --lint" "$VENV/bin/sam" validate --lint -t "$TEMPLATE"
run "sam validate" "$VENV/bin/sam" validate -t "$TEMPLATE"
run "cfn-lint" "$VENV/bin/cfn-lint" "$TEMPLATE"

skips="$(grep -Ev '^\s*(#|$)' infra/checkov-skips.txt | awk '{print $1}' | paste -sd, -)"
checkov_run() {
    echo "skipped (infra/checkov-skips.txt):"
    grep -Ev '^\s*(#|$)' infra/checkov-skips.txt | sed 's/^/  /'
    "$CHECKOV_VENV/bin/checkov" -f "$TEMPLATE" --framework cloudformation --skip-download \
        --compact --quiet ${skips:+--skip-check "$skips"}
    local rc=$?
    [[ $rc -eq 0 ]] && echo "checkov: every other check passed"
    return $rc
}
run "checkov" checkov_run

answers() { "$VENV/bin/python" -c "import sys, urllib.request as u; u.urlopen(sys.argv[1] + '/moto-api/', timeout=2)" "$1" 2>/dev/null; }
started_moto=0
if [[ -z "${SOCIALCARE_MOTO_URL:-}" ]]; then
    SOCIALCARE_MOTO_URL="$(bash scripts/moto.sh url)"
    if ! answers "$SOCIALCARE_MOTO_URL"; then # not running: start it here, stop it at the end
        SOCIALCARE_MOTO_URL="$(bash scripts/moto.sh start)" || die "cannot start moto"
        started_moto=1
    fi
    export SOCIALCARE_MOTO_URL
fi
stamp=$(mktemp)
run "infra consistency test (moto at $SOCIALCARE_MOTO_URL)" "$VENV/bin/python" infra/tests/test_stack.py
# The pipeline on what the template created: the foundation system test, its backend being the
# deployed stack's tables, queues and topic (names from the outputs the test above wrote).
pipeline_on_stack() {
    [[ "$ROOT/target/infra-outputs.json" -nt "$stamp" ]] || { log "no fresh stack outputs"; return 1; }
    SOCIALCARE_INFRA_OUTPUTS="$ROOT/target/infra-outputs.json" \
        cargo test --locked -q -p socialcare-system-tests --test pipeline the_same_on_the_deployed_stack
}
run "the pipeline on the deployed stack's tables and queues" pipeline_on_stack
if [[ $started_moto -eq 1 ]]; then
    bash scripts/moto.sh stop
fi

if [[ "${CHECK_INFRA_ZIPS:-0}" == 1 ]]; then
    run "Lambda zips (x86_64)" bash scripts/build-zips.sh
fi

printf '\n== infrastructure checks (%ss)\n' "$(( $(date +%s) - started ))"
printf '  %s\n' "${results[@]}"
if [[ $failed -ne 0 ]]; then
    echo "check-infra: FAILED (see the failing checks above)"
    exit 1
fi
echo "check-infra: all passed"
