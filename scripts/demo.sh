#!/usr/bin/env bash
# The main job on one machine: start `care serve`, replay every webhook payload under events/, then show the cases
# assigned to agents by language and, once the (seconds-long) first-response target passes,
# the SLA alert. Everything runs locally; nothing leaves 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${CARE_PORT:-8080}
export CARE_JWT_SECRET=${CARE_JWT_SECRET:-local-demo-jwt-secret-not-for-production-use}
export CARE_SECRET_FORUM=${CARE_SECRET_FORUM:-whsec_ZGVtby1mb3J1bS1zaWduaW5nLWtleQ==}
export CARE_SECRET_APPSTORE=${CARE_SECRET_APPSTORE:-whsec_ZGVtby1hcHBzdG9yZS1zaWduaW5nLWtleQ==}
export CARE_X_CONSUMER_SECRET=${CARE_X_CONSUMER_SECRET:-demo-x-consumer-secret}
export CARE_META_APP_SECRET=${CARE_META_APP_SECRET:-demo-meta-app-secret}
export CARE_META_VERIFY_TOKEN=${CARE_META_VERIFY_TOKEN:-demo-meta-verify-token}
export RUST_LOG=${RUST_LOG:-info}

cargo build --quiet -p socialcare-local
# The web console (console/, TypeScript bundled by esbuild from npm); the demo runs without it.
if [ ! -f console/dist/index.html ]; then
  if command -v npm >/dev/null; then
    make --no-print-directory console >/dev/null || echo "(the console did not build: see make console)"
  else
    echo "(npm is missing: the console at /console is not built; the API works without it)"
  fi
fi
care=target/debug/care
log=$(mktemp -t care-serve.XXXX.log)
# --dev-sign-in: the console's sign-in page lets you pick an agent (this machine only, 127.0.0.1).
"$care" serve --config care.toml --port "$port" --dev-sign-in >"$log" 2>&1 &
pid=$!
if [ "${KEEP:-0}" = 1 ]; then
  trap 'echo "== care serve keeps running (pid $pid) on http://127.0.0.1:$port: its log $log; stop it with: kill $pid"' EXIT
else
  trap 'kill $pid 2>/dev/null || true; echo "(care serve stopped; its log: $log; \`make run KEEP=1\` leaves it running)"' EXIT
fi
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

echo "== replaying events/ (generic, X, Facebook, Instagram, Messenger) to http://127.0.0.1:$port"
"$care" replay events --retime --to "http://127.0.0.1:$port" --config care.toml

token=$("$care" token --agent sam --supervisor)
show_cases() {
  curl -fsS -H "authorization: Bearer $token" "http://127.0.0.1:$port/v1/cases" | python3 scripts/show.py cases
}
sleep 1
echo "== cases (as supervisor sam): channel, language, assignee or WAITING, the customer's handle and words, the nearest SLA deadline"
show_cases
for id in $(curl -fsS -H "authorization: Bearer $token" "http://127.0.0.1:$port/v1/cases" | python3 scripts/show.py waiting); do
  curl -fsS -H "authorization: Bearer $token" "http://127.0.0.1:$port/v1/cases/$id/routing" | python3 scripts/show.py why
done

echo "== waiting for the first SLA alert (targets are seconds long in care.toml)"
for _ in $(seq 1 120); do
  alerts=$(curl -fsS -H "authorization: Bearer $token" "http://127.0.0.1:$port/v1/alerts")
  if [ "$(printf '%s' "$alerts" | python3 scripts/show.py count)" -gt 0 ]; then
    printf '%s' "$alerts" | python3 scripts/show.py alerts
    echo "== what care serve logged"
    # Without the per-message span prefix (`message{source=… message_id=…}:`) and colours.
    grep -E "post received|case opened|post joined|case assigned|case waits|SLA alert|parked|withdrawn|reply" "$log" \
      | sed -E 's/\x1b\[[0-9;]*m//g; s/message\{[^}]*\}: //g; s/^/  /' | tail -30
    if [ "${KEEP:-0}" = 1 ]; then
      echo "== go on exploring: the README's \"Using it locally\" (terminal 2) works against this stack"
    fi
    if [ -f console/dist/index.html ]; then
      echo "== console: http://127.0.0.1:$port/console/ (development sign-in: pick ben, or sam for the board)"
      if [ -t 0 ] && [ "${KEEP:-0}" != 1 ]; then
        echo "   care serve keeps running; Ctrl+C stops it"
        wait "$pid" || true
      fi
    fi
    exit 0
  fi
  sleep 1
done
echo "no alert within 120 s; see $log" >&2
exit 1
