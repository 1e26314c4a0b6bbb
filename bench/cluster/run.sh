#!/usr/bin/env bash
# run.sh -- the cluster topology against the single-node one, in the same run (issue 11; not a test).
# Single node: the native RabbitMQ (classic task queue), one frontend, one backend. Cluster:
# stack/cluster/up in a fresh state folder (3 RabbitMQ nodes, quorum queue, 2 frontends behind
# haproxy on :5000, 2 backends, and the monitoring: 2 Prometheus, VictoriaMetrics, 3 Alertmanagers).
# For each: wrk POSTs orders for BENCH_DURATION seconds (req/s, p50, p99, non-2xx), then the
# backend's orders/s (rows stored over the time from the first POST until the queue is drained),
# and the CPU seconds each process used in that window: the largest one is the bottleneck on a
# machine with 2 cores shared by everything.
# Usage: bench/cluster/run.sh <build-dir>   Env: BENCH_DURATION (20), BENCH_CONNECTIONS (32)
set -euo pipefail
build="$(cd "${1:?usage: bench/cluster/run.sh <build-dir>}" && pwd)"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dur="${BENCH_DURATION:-20}" conns="${BENCH_CONNECTIONS:-32}"
fe_bin="$build/services/frontend" be_bin="$build/services/backend" mqtool="$build/services/tests/mqtool"
for b in "$fe_bin" "$be_bin" "$mqtool"; do [[ -x $b ]] || { echo "missing $b (build first)"; exit 1; }; done
command -v wrk >/dev/null || "$repo/scripts/install-deps.sh" bench
run_id="bcl_$$"
tmp="$(mktemp -d "/tmp/$run_id.XXXX")"
pg_url="postgresql://demo:demo@127.0.0.1:5432/demo"
export STACK_CLUSTER_STATE_DIR="$tmp/cluster" STACK_CLUSTER_FRONTEND="$fe_bin" STACK_CLUSTER_BACKEND="$be_bin"
export GENERATOR_PAUSE_MS=off DB_FAILURE_RATE=0 JOB_DURATION_MS=1-5 SIMULATE_LATENCY=off
export REDIS_HOST=127.0.0.1 REDIS_DB=12 LOG_LEVEL=warn
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	"$repo/stack/cluster/down" >/dev/null 2>&1 || true
	for s in single cluster; do psql "$pg_url" -qAtc "DROP SCHEMA IF EXISTS ${run_id}_$s CASCADE" >/dev/null 2>&1 || true; done
	"$mqtool" amqp://guest:guest@127.0.0.1:5672/ "task_queue_$run_id" delete >/dev/null 2>&1 || true
	redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 100); do port_open "$1" && return 0; sleep 0.1; done; echo "port $1 never opened"; exit 1; }
dsn() { echo "$pg_url?options=-c%20search_path%3D${run_id}_$1%20-c%20client_min_messages%3Dwarning"; }
rows() { psql "$pg_url" -qAtc "SELECT count(*) FROM ${run_id}_$1.fruits" 2>/dev/null || echo 0; }
"$repo/stack/native/up" postgres rabbitmq redis >"$tmp/stack.log" 2>&1 || { cat "$tmp/stack.log"; exit 1; }
for s in single cluster; do psql "$pg_url" -qAtc "CREATE SCHEMA ${run_id}_$s"; done
cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"fruit": "apples", "quantity": 3}'
wrk.headers["Content-Type"] = "application/json"
LUA

# CPU seconds (user + system) of a process and its threads so far.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# procs: "name pid" lines of everything that takes part (PostgreSQL: every backend process).
procs_single() {
	echo "frontend $FE_PID"
	echo "backend $BE_PID"
	echo "rabbitmq $(cat "$STACK_STATE_DIR/rabbitmq/pid" 2>/dev/null || pgrep -f 'rabbitmq/home' | head -1)"
}
procs_cluster() {
	local s
	for s in frontend-1 frontend-2 backend-1 backend-2 haproxy rabbitmq-1 rabbitmq-2 rabbitmq-3 prometheus-1 \
		prometheus-2 victoriametrics alertmanager-1 alertmanager-2 alertmanager-3; do
		echo "$s $(head -n1 "$STACK_CLUSTER_STATE_DIR/$s/pid" | tr -dc 0-9)"
	done
}
procs_common() {
	local p
	for p in $(pgrep -x postgres); do echo "postgres $p"; done
}
snapshot() { # file: "name cpu_s" for every process
	{ "procs_$1"; procs_common; } | while read -r n p; do [[ -n $p ]] && echo "$n:$p $(cpu_s "$p")"; done >"$2"
}

# measure MODE URL: one wrk run, then wait for the queue to drain into rows.
measure() {
	local mode="$1" url="$2" t0 t1 n0 last same
	n0="$(rows "$mode")"
	snapshot "$mode" "$tmp/cpu0"
	t0=$(date +%s.%N)
	wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$tmp/post.lua" "$url/fruit" >"$tmp/wrk_$mode.out" 2>&1 &
	local wrk_pid=$!
	wait "$wrk_pid"
	# drained: rows unchanged for 2 s
	last=-1 same=0
	while ((same < 4)); do
		local r
		r="$(rows "$mode")"
		if [[ $r == "$last" ]]; then same=$((same + 1)); else same=0; last=$r; t1=$(date +%s.%N); fi
		sleep 0.5
	done
	snapshot "$mode" "$tmp/cpu1"
	awk '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
	/Requests\/sec/ { rps = $2 } $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } /Non-2xx/ { bad = $NF }
	END { printf "%.0f %.1f %.1f %d\n", rps, p50, p99, bad + 0 }' "$tmp/wrk_$mode.out" >"$tmp/res_$mode"
	echo "$(( $(rows "$mode") - n0 )) $(echo "$t1 - $t0" | bc)" >>"$tmp/res_$mode"
	# CPU per process over the window, summed by kind (postgres: all its processes).
	join <(sort "$tmp/cpu0") <(sort "$tmp/cpu1") 2>/dev/null | awk '{ split($1, nm, ":"); d[nm[1]] += $3 - $2 } END { for (k in d) printf "%s %.1f\n", k, d[k] }' >"$tmp/cpud_$mode"
}

echo "# single node: native RabbitMQ (classic queue), one frontend :18200, one backend :18201"
export QUEUE="task_queue_$run_id" DEAD_LETTER_QUEUE="task_queue_$run_id.dead" QUEUE_TYPE=classic
PG_DSN="$(dsn single)" AMQP_URL=amqp://guest:guest@127.0.0.1:5672/ "$be_bin" --metrics-port 18201 >"$tmp/be.log" 2>&1 &
BE_PID=$!
pids+=("$BE_PID")
PG_DSN="$(dsn single)" AMQP_URL=amqp://guest:guest@127.0.0.1:5672/ "$fe_bin" --port 18200 >"$tmp/fe.log" 2>&1 &
FE_PID=$!
pids+=("$FE_PID")
wait_port 18200
wait_port 18201
curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"fruit":"apples","quantity":1}' http://127.0.0.1:18200/fruit
measure single http://127.0.0.1:18200
kill -TERM "$FE_PID" "$BE_PID"
wait "$FE_PID" "$BE_PID" 2>/dev/null || true
pids=()

echo "# cluster: stack/cluster/up (fresh state), POSTs through haproxy :5000"
export QUEUE=task_queue DEAD_LETTER_QUEUE=task_queue.dead
unset QUEUE_TYPE
PG_DSN="$(dsn cluster)" "$repo/stack/cluster/up" >"$tmp/cluster.log" 2>&1 || { tail -20 "$tmp/cluster.log"; exit 1; }
curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"fruit":"apples","quantity":1}' http://127.0.0.1:5000/fruit
measure cluster http://127.0.0.1:5000

echo
printf '%-8s %9s %9s %9s %7s %9s %11s\n' topology "req/s" "p50 ms" "p99 ms" non2xx "orders" "orders/s"
for m in single cluster; do
	read -r rps p50 p99 bad <"$tmp/res_$m"
	read -r n secs < <(sed -n 2p "$tmp/res_$m")
	printf '%-8s %9s %9s %9s %7s %9s %11.0f\n' "$m" "$rps" "$p50" "$p99" "$bad" "$n" "$(echo "$n / $secs" | bc -l)"
done
for m in single cluster; do
	echo
	echo "CPU seconds per process kind, $m (window: first POST to drained):"
	sort -k2 -nr "$tmp/cpud_$m" | head -12 | awk '{ printf "  %-16s %6.1f s\n", $1, $2 }'
done
# The monitoring side of the cluster, for the capacity model.
promq() { curl -s "http://127.0.0.1:9191/api/v1/query" --data-urlencode "query=$1" |
	/usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "nan")'; }
echo
echo "prometheus-1: $(promq 'prometheus_tsdb_head_series{instance="127.0.0.1:9191"}') head series," \
	"RSS $(promq 'process_resident_memory_bytes{instance="127.0.0.1:9191"} / 2^20') MiB," \
	"remote write $(promq 'sum(prometheus_remote_storage_bytes_total{instance="127.0.0.1:9191"}) / sum(prometheus_remote_storage_samples_total{instance="127.0.0.1:9191"})') bytes/sample (compressed)"
echo "victoriametrics: RSS $(promq 'process_resident_memory_bytes{job="victoriametrics"} / 2^20') MiB," \
	"$(promq 'vm_rows_inserted_total{job="victoriametrics", type="promremotewrite"}') rows received by remote write"
if [[ -n ${BENCH_KEEP:-} ]]; then cp "$tmp"/res_* "$tmp"/cpud_* "$BENCH_KEEP"/ 2>/dev/null || true; fi
