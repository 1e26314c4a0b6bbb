#!/usr/bin/env bash
# End-to-end alerting: with the native stack and the real frontend/backend running, stopping the
# backend makes the ServiceDown alert fire (test Prometheus with 2 s evaluation, the real rules and
# `for`), Alertmanager routes it by severity to the "critical" receiver, and it reaches the loopback
# webhook. Usage: e2e_alert.sh FRONTEND BACKEND TRAFFIC (exit 77: binaries not built)
# shellcheck source=stack/tests/e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"
require_binaries "$FRONTEND" "$BACKEND"
start_stack
start_test_prometheus
start_services
HOOK="http://127.0.0.1:${STACK_WEBHOOK_PORT:-9099}/alerts"

wait_value 'up{job="backend"}' 1 30
[[ -z "$(prom_value 'ALERTS{alertname="ServiceDown", job="backend"}')" ]] || fail "ServiceDown fires while the backend is up"

stopped_at="$(date -u +%s)"
log "stopping the backend (pid ${PID[backend]})"
kill -TERM "${PID[backend]}"
wait "${PID[backend]}" 2>/dev/null || true

wait_value 'up{job="backend"}' 0 30
wait_value 'ALERTS{alertname="ServiceDown", job="backend", alertstate="pending"}' 1 30
log "ServiceDown pending; waiting for it to fire (for: 1m) and reach the webhook"
t0=$SECONDS
while :; do
	found="$(curl -fsS --max-time 5 "$HOOK" | /usr/bin/python3 -c '
import datetime, json, sys
since, run = float(sys.argv[1]) - 5, sys.argv[2]
for n in json.load(sys.stdin):
    for a in n.get("alerts", []):
        l = a.get("labels", {})
        if (l.get("alertname"), l.get("job"), l.get("test"), a.get("status")) != ("ServiceDown", "backend", run, "firing"):
            continue
        t = datetime.datetime.fromisoformat(a["startsAt"][:19]).replace(tzinfo=datetime.timezone.utc).timestamp()
        if t >= since:
            print(n.get("receiver"), l.get("severity"), a["startsAt"])
            sys.exit(0)
' "$stopped_at" "$RUN_ID" || true)"
	[[ -n $found ]] && break
	((SECONDS - t0 < 150)) || fail "no firing ServiceDown{job=backend} reached $HOOK within 150 s"
	sleep 2
done
read -r receiver severity starts <<<"$found"
log "webhook got this run's ServiceDown{job=backend, test=$RUN_ID} $((SECONDS - t0))s after it went pending: receiver=$receiver severity=$severity startsAt=$starts"
[[ $receiver == critical && $severity == critical ]] || fail "routed to $receiver (severity $severity), expected the critical receiver"
log "PASS: backend stopped -> ServiceDown fired -> Alertmanager -> critical webhook"
