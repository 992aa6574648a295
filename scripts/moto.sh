#!/usr/bin/env bash
# moto.sh: a local DynamoDB/SQS/SNS emulator (moto in server mode) for the AWS adapter tests.
#
#   scripts/moto.sh start   install moto (pinned) into .venv if needed, start it, wait, print the URL
#   scripts/moto.sh stop    stop the server started by `start` (by PID)
#   scripts/moto.sh url     print the URL
#
# Env: MOTO_PORT (default 5599), MOTO_HOST (default 127.0.0.1), PYTHON (default python3).
# Idempotent: `start` on a running server only prints its URL; `stop` on a stopped one does nothing.
# Needs no stdin and no Docker; the first run needs PyPI (or a pip cache / index it is pointed to).
set -euo pipefail

MOTO_VERSION="5.2.5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PORT="${MOTO_PORT:-5599}"
HOST="${MOTO_HOST:-127.0.0.1}"
URL="http://$HOST:$PORT"
PIDFILE="$VENV/moto.pid"
LOG="$VENV/moto.log"
PYTHON="${PYTHON:-python3}"

log() { echo "moto.sh: $*" >&2; }

ensure_venv() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" 2>/dev/null \
        || [[ ! -x "$VENV/bin/moto_server" ]]; then
        log "installing moto[server]==$MOTO_VERSION"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
            "moto[server]==$MOTO_VERSION" </dev/null
    fi
}

running_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

answers() {
    "$VENV/bin/python" - "$URL" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=1)
except Exception as e:
    if not hasattr(e, "code"):
        sys.exit(1)
PY
}

start() {
    ensure_venv
    if pid="$(running_pid)"; then
        if answers; then
            echo "$URL"
            return 0
        fi
    else
        rm -f "$PIDFILE"
        if answers; then
            log "something else already answers on $URL (not started by this script)"
            exit 1
        fi
        log "starting moto_server on $URL (log: $LOG)"
        # moto_server.py = moto_server with DynamoDB requests serialized (see the file for why).
        nohup "$VENV/bin/python" "$ROOT/scripts/moto_server.py" -H "$HOST" -p "$PORT" >"$LOG" 2>&1 </dev/null &
        echo $! >"$PIDFILE"
    fi
    for _ in $(seq 1 150); do
        if answers; then
            echo "$URL"
            return 0
        fi
        if ! running_pid >/dev/null; then
            log "moto_server exited; last log lines:"
            tail -n 20 "$LOG" >&2 || true
            rm -f "$PIDFILE"
            exit 1
        fi
        sleep 0.2
    done
    log "moto_server did not answer on $URL within 30s"
    exit 1
}

stop() {
    if pid="$(running_pid)"; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        log "stopped (pid $pid)"
    fi
    rm -f "$PIDFILE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) echo "$URL" ;;
    *)
        echo "usage: $0 start|stop|url" >&2
        exit 2
        ;;
esac
