#!/usr/bin/env bash
# The scale-out topology under faults (issue 11). stack/cluster/up starts the whole cluster in a fresh
# state folder (2 s scrape and evaluation intervals), then, while 4 clients POST /fruit through haproxy
# on :5000 at a steady rate, it SIGKILLs in turn: the RabbitMQ node leading the quorum task queue
# (restarted after a while), one frontend (restarted), one backend (restarted only once ServiceDown has
# fired for it), and, while that alert fires, one Prometheus replica and one Alertmanager (both
# restarted). Then it checks: every POST answered 200 is a row in PostgreSQL exactly once, every 503 is
# none, and rows == 200s exactly, counting apart the orders whose answer died with the killed frontend
# (stored or not: the test says how many); the webhook received ServiceDown{job="backend"} exactly
# once firing and once resolved; VictoriaMetrics holds every hello_total series with no gap longer
# than two scrape intervals across the Prometheus kill; the seed's exercise-6 queries return data from
# VictoriaMetrics. Prints the figures. About 4-5 minutes.
# Usage: test_cluster_faults.sh FRONTEND BACKEND MQTOOL (exit 77: not built)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
STACK="$(cd "$HERE/.." && pwd)"
FRONTEND="${1:-}" BACKEND="${2:-}" MQTOOL="${3:-}"
for b in "$FRONTEND" "$BACKEND" "$MQTOOL"; do [[ -x $b ]] || { echo "skipped: $b not built"; exit 77; }; done

WORK="$(mktemp -d /tmp/cluster_faults.XXXX)"
export STACK_CLUSTER_STATE_DIR="$WORK/state"
export STACK_CLUSTER_FRONTEND="$FRONTEND" STACK_CLUSTER_BACKEND="$BACKEND"
export STACK_CLUSTER_SCRAPE_INTERVAL=2s STACK_CLUSTER_VM_LATENCY_OFFSET=1s
# Exercise 10's rules: none at first (the checker must say so), the reference answer once up.
export STACK_CLUSTER_SCALING_RULES="$WORK/rules/scaling*.yml"
SCRAPE=2
RUN_ID="clft_$$"
SCHEMA="$RUN_ID"
PG_URL="postgresql://demo:demo@127.0.0.1:5432/demo"
export PG_DSN="$PG_URL?options=-c%20search_path%3D$SCHEMA%20-c%20client_min_messages%3Dwarning"
export QUEUE="task_queue" DEAD_LETTER_QUEUE="task_queue.dead" REDIS_DB=11
export GENERATOR_PAUSE_MS=off DB_FAILURE_RATE=0 JOB_DURATION_MS=1-5 SIMULATE_LATENCY=off PGCONNECT_TIMEOUT=5
# shellcheck source=stack/cluster/lib.sh
source "$STACK/cluster/lib.sh"
set +e # checks report; they do not stop the run
PASSED=0 FAILED=0 PUMP_PID=""
pass() { PASSED=$((PASSED + 1)); printf 'ok   - %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL - %s\n' "$*"; }
check() {
	local d="$1"
	shift
	if "$@"; then pass "$d"; else fail "$d (command failed: $*)"; fi
}
log() { printf '# %s [%ds]\n' "$*" "$SECONDS"; }
psql_q() { psql "$PG_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
cluster() { "$STACK/cluster/$1" "${@:2}" >>"$WORK/cluster.log" 2>&1; }
cleanup() {
	[[ -n $PUMP_PID ]] && kill "$PUMP_PID" 2>/dev/null
	if ((FAILED > 0)); then
		echo "--- cluster runner log (tail) ---" && tail -n 20 "$WORK/cluster.log"
		for f in backend-1 backend-2 frontend-1 frontend-2; do
			echo "--- $f (tail) ---" && tail -n 8 "$STATE/$f/$f.log" 2>/dev/null
		done
	fi
	"$STACK/cluster/down" >/dev/null 2>&1
	psql_q "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
	redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
wait_until() { # SECONDS COMMAND...
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.5
	done
}

for s in "${CLUSTER_SERVICES[@]}"; do
	port_open "${CPORT[$s]}" && { echo "FAIL - port ${CPORT[$s]} ($s) is taken: is a cluster already running? (stack/cluster/down)"; exit 1; }
done
log "starting the cluster (fresh state in $STATE)"
"$STACK/native/up" postgres redis >>"$WORK/cluster.log" 2>&1 || { tail "$WORK/cluster.log"; exit 1; }
psql_q "CREATE SCHEMA $SCHEMA" >/dev/null
redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null
t_up=$SECONDS
if ! cluster up; then tail -n 30 "$WORK/cluster.log"; exit 1; fi
log "cluster up in $((SECONDS - t_up)) s"
mq() { QUEUE_TYPE=quorum "$MQTOOL" "$AMQP_URLS" "$@"; }
members() { rmqc_ctl 1 -q list_queues name members --no-table-headers 2>/dev/null | awk -v q="$1" '$1 == q' | grep -o 'rabbit-c' | wc -l; }
on_all_3() { [[ $(members "$1") == 3 ]]; } # polled: wait_until runs it again each time
check "task_queue is a quorum queue with a member on each of the 3 nodes" wait_until 30 on_all_3 "$QUEUE"
check "... and so is its dead-letter queue, declared by the backends' start" \
	wait_until 30 on_all_3 "$DEAD_LETTER_QUEUE"
# Workshop exercise 10 on the real cluster: missing before the attendee's rule, done at the end.
check10() { /usr/bin/python3 "$STACK/../workshop/check" 10 --color never >"$WORK/check10.out" 2>&1; }
check10_says() { grep -qF -- "$1" "$WORK/check10.out"; }
check10
check "workshop/check 10 before the attendee's rule: MISSING (exit 1)" test $? = 1
check "... it names the missing rule" check10_says "has no recording rule job:hello_total:rate1m"
mkdir -p "$WORK/rules"
cp "$STACK/../workshop/exercises/10-scaling-answer.yml" "$WORK/rules/scaling.yml"
for p in 9191 9192; do curl -fsS -X POST "http://127.0.0.1:$p/-/reload" >/dev/null; done

PUMP_LOG="$WORK/pump.log"
: >"$PUMP_LOG"
/usr/bin/python3 "$HERE/cluster_pump.py" --port "$HTTP_PORT" --threads 4 --pause 0.05 --out "$PUMP_LOG" --stop "$WORK/stop" &
PUMP_PID=$!
ok_count() { awk '$2 == 200' "$PUMP_LOG" | wc -l; }
grown() { (($(ok_count) >= $1)); }
more() { local n=$(($(ok_count) + $1)); wait_until "$2" grown "$n"; }
check "orders flow through haproxy before any fault" more 50 20

leader="$(rmq_leader "$QUEUE")"
L="${leader#rabbit-c}"
L="${L%@localhost}"
log "SIGKILL rabbitmq-$L, the quorum leader ($leader)"
t0=$SECONDS
cluster kill "rabbitmq-$L"
check "orders are accepted again with the leader dead (Raft elects another, clients fail over)" more 50 30
log "    ... 50 more orders accepted $((SECONDS - t0)) s after the kill; new leader $(rmq_leader "$QUEUE")"
sleep 5
log "restarting rabbitmq-$L"
cluster up "rabbitmq-$L"
check "rabbitmq-$L is back in the cluster and the queue has 3 members again" wait_until 60 on_all_3 "$QUEUE"
check "orders flow with the node back" more 50 20

log "SIGKILL frontend-1 (haproxy routes around it)"
cluster kill frontend-1
check "orders still accepted with one frontend" more 50 20
sleep 2
cluster up frontend-1
check "frontend-1 restarted" cluster_probe frontend-1

WEBHOOK="http://127.0.0.1:$CLUSTER_WEBHOOK_PORT/alerts"
# notified STATUS: how many notifications carried ServiceDown{job="backend"} with that status.
notified() {
	curl -s "$WEBHOOK" | /usr/bin/python3 -c '
import json, sys
want = sys.argv[1]
n = sum(1 for note in json.load(sys.stdin)
        if any(a["labels"].get("alertname") == "ServiceDown" and a["labels"].get("job") == "backend"
               and a["status"] == want for a in note.get("alerts", [])))
print(n)' "$1"
}
notified_once() { [[ "$(notified "$1")" -ge 1 ]]; }
log "SIGKILL backend-1 (its unacked messages go to backend-2); waiting for ServiceDown to fire (for: 1m)"
t_be=$SECONDS
cluster kill backend-1
check "orders still stored by backend-2 (accepted meanwhile)" more 50 20
check "the webhook got ServiceDown{job=backend} firing" wait_until 150 notified_once firing
log "    ... $((SECONDS - t_be)) s after the kill"
log "SIGKILL prometheus-1 and alertmanager-1 while ServiceDown fires"
t_prom_kill=$(date +%s)
cluster kill prometheus-1 alertmanager-1
sleep 10
cluster up prometheus-1 alertmanager-1
t_prom_back=$(date +%s)
log "restarting backend-1"
t_res=$SECONDS
cluster up backend-1
check "the webhook got ServiceDown{job=backend} resolved" wait_until 150 notified_once resolved
log "    ... $((SECONDS - t_res)) s after the restart"
sleep 20 # any duplicate would come within a group interval plus the peers' wait
touch "$WORK/stop"
wait "$PUMP_PID"
PUMP_PID=""
log "pump stopped; waiting for the queue to drain"
queue_empty() { [[ "$(mq "$QUEUE" count)" == 0 ]]; }
check "the quorum queue drains" wait_until 60 queue_empty
sleep 3

echo "# orders: every answer against the rows (quantity = request number)"
psql_q "SELECT quantity, count(*) FROM $SCHEMA.fruits GROUP BY quantity" | tr '|' ' ' >"$WORK/rows"
read -r posts ok unavail other stored_ok dup stored_503 stored_other rows <<<"$(/usr/bin/python3 - "$PUMP_LOG" "$WORK/rows" <<-'PY'
import sys
answers = dict(l.split()[:2] for l in open(sys.argv[1]) if l.strip())
rows = dict(map(int, l.split()) for l in open(sys.argv[2]) if l.strip())
ok = [q for q, s in answers.items() if s == "200"]
un = [q for q, s in answers.items() if s == "503"]
ot = [q for q, s in answers.items() if s not in ("200", "503")]
n = lambda q: rows.get(int(q), 0)
print(len(answers), len(ok), len(un), len(ot), sum(n(q) == 1 for q in ok), sum(n(q) > 1 for q in answers),
      sum(n(q) > 0 for q in un), sum(n(q) > 0 for q in ot), sum(rows.values()))
PY
)"
lat="$(awk '$2 == 200 { print $3 }' "$PUMP_LOG" | sort -n | awk '{ a[NR] = $1 } END { printf "p50 %.1f ms, p99 %.1f ms, max %.1f ms", a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000, a[NR]*1000 }')"
echo "    POSTs $posts: 200 $ok, 503 $unavail, no answer or 5xx from haproxy $other; rows $rows; latency of the 200s: $lat"
check "every POST answered 200 is stored exactly once ($stored_ok of $ok)" test "$stored_ok" = "$ok"
check "no order is stored twice ($dup)" test "$dup" = 0
check "no order answered 503 is stored ($stored_503 of $unavail)" test "$stored_503" = 0
check "rows ($rows) == POSTs answered 200 ($ok) + orders whose answer died with the killed frontend and were stored ($stored_other of $other)" \
	test "$rows" = "$((ok + stored_other))"
if [[ $stored_other == 0 ]]; then pass "rows == POSTs answered 200, exactly ($rows)"; else
	echo "    note: $stored_other orders were confirmed by the broker but their 200 was lost with the killed frontend"
fi

echo "# alerts"
f="$(notified firing)" r="$(notified resolved)"
check "ServiceDown{job=backend} notified firing exactly once ($f) across the Prometheus and Alertmanager kills" test "$f" = 1
check "... and resolved exactly once ($r)" test "$r" = 1

echo "# VictoriaMetrics"
VM=http://127.0.0.1:8491
gaps="$(curl -s "$VM/api/v1/export" --data-urlencode 'match[]=hello_total' \
	--data-urlencode "start=$((t_prom_kill - 20))" --data-urlencode "end=$((t_prom_back + 20))" |
	/usr/bin/python3 -c '
import json, sys
worst, n = 0.0, 0
for line in sys.stdin:
    s = json.loads(line)
    ts = s["timestamps"]
    n += 1
    worst = max([worst] + [(b - a) / 1000 for a, b in zip(ts, ts[1:])])
    if "replica" in s["metric"]: print("replica label kept", file=sys.stderr)
print(n, worst)')"
read -r nseries worst <<<"$gaps"
echo "    hello_total: $nseries series from $((t_prom_kill - 20)) to $((t_prom_back + 20)), longest gap ${worst} s (scrape interval ${SCRAPE} s)"
check "VictoriaMetrics holds hello_total of both frontends across the Prometheus kill" test "$nseries" = 2
check "no gap longer than two scrape intervals ($worst s)" /usr/bin/python3 -c "import sys; sys.exit(0 if $worst <= 2 * $SCRAPE else 1)"
dups="$(curl -s "$VM/api/v1/query" --data-urlencode 'query=count(up{job="frontend"})' | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')"
check "the two replicas' copies are one series in VictoriaMetrics (count(up{job=frontend}) = $dups)" test "$dups" = 2
ex6=('hello_total' 'rate(hello_total[1m])' 'recent_fruits' 'count(recent_fruits)' 'sum(recent_fruits)'
	'sum(http_latency_count)' 'histogram_quantile(0.5, sum(rate(http_latency_bucket[5m])) by (le))'
	'histogram_quantile(0.95, sum(rate(http_latency_bucket[5m])) by (le))' 'count by(job) ({__name__=~".+"})'
	'{job="frontend"}' '{job="backend"}')
args=(--url "$VM" --deadline 30)
for q in "${ex6[@]}"; do args+=(--query "$q"); done
check "the seed's ${#ex6[@]} exercise-6 queries return data from VictoriaMetrics" /usr/bin/python3 "$HERE/promql_check.py" "${args[@]}"
echo "# workshop exercise 10, with the reference rule loaded since the start"
check "workshop/check 10 with the reference answer: DONE" check10
sed 's/^/    /' "$WORK/check10.out"
printf '\n%d passed, %d failed (%d s)\n' "$PASSED" "$FAILED" "$SECONDS"
((FAILED == 0))
