#!/usr/bin/env bash
# slowloris.sh -- benchmark (not a test): latency of a well-behaved client (a new connection per
# request, services/tests/integration/slowloris.py) for the frontend's /hello and /metrics and
# the backend's /metrics (promc_http), with 0 and then N half-open connections held open (half
# a request header, then nothing), with a client timeout (60 s) longer than the run so they stay
# open.
#
# Usage: bench/services/slowloris.sh <build-dir>   (a RelWithDebInfo or Release build)
# Env: BENCH_IDLE (half-open connections, 8000), BENCH_PROBES (requests per path, 1000).
# Servers come from stack/native/up (wrap the run in `flock /work/servers.lock` on a shared
# machine); the run uses its own queue, schema and Redis database.
set -euo pipefail

build="$(cd "${1:?usage: bench/services/slowloris.sh <build-dir>}" && pwd)"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
idle="${BENCH_IDLE:-8000}" probes="${BENCH_PROBES:-1000}"
fe_bin="$build/services/frontend" be_bin="$build/services/backend"
mqtool="$build/services/tests/mqtool"
loris=(python3 "$repo/services/tests/integration/slowloris.py")
for b in "$fe_bin" "$be_bin" "$mqtool"; do [[ -x $b ]] || { echo "missing $b (build first)"; exit 1; }; done

run_id="bench_loris_$$"
tmp="$(mktemp -d "/tmp/$run_id.XXXX")"
port_fe=18100 port_be=18101
export AMQP_URL="amqp://guest:guest@127.0.0.1:5672" QUEUE="task_queue_$run_id"
export DEAD_LETTER_QUEUE="$QUEUE.dead" REDIS_HOST=127.0.0.1 REDIS_DB=11
pg_url="postgresql://demo:demo@127.0.0.1:5432/demo"
export PG_DSN="$pg_url?options=-c%20search_path%3D$run_id%20-c%20client_min_messages%3Dwarning"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	psql "$pg_url" -qAtc "DROP SCHEMA IF EXISTS $run_id CASCADE" >/dev/null 2>&1 || true
	"$mqtool" "$AMQP_URL" "$QUEUE" delete >/dev/null 2>&1 || true
	"$mqtool" "$AMQP_URL" "$DEAD_LETTER_QUEUE" delete >/dev/null 2>&1 || true
	redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 100); do port_open "$1" && return 0; sleep 0.1; done; echo "port $1 never opened"; exit 1; }

"$repo/stack/native/up" postgres rabbitmq redis >"$tmp/stack.log" 2>&1 || { cat "$tmp/stack.log"; exit 1; }
psql "$pg_url" -qAtc "CREATE SCHEMA $run_id"
redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null

"$be_bin" --metrics-port "$port_be" --generator-ms=off --db-failure-rate=0 --job-ms=1-5 \
	--client-timeout 60 --log-level warn >>"$tmp/backend.log" 2>&1 &
pids+=($!)
"$fe_bin" --port "$port_fe" --simulate-latency=off --client-timeout 60 --log-level warn >>"$tmp/frontend.log" 2>&1 &
pids+=($!)
wait_port "$port_be"
wait_port "$port_fe"

# measure LABEL PORT PATHS MODE [args]: one line per path "label path p50 p99 failed".
measure() {
	local label="$1" port="$2" paths="$3" mode="$4"
	shift 4
	"${loris[@]}" "$mode" 127.0.0.1 "$port" --paths "$paths" --probes "$probes" --pause-ms 1 "$@" \
		>"$tmp/out" 2>&1 || true
	awk -v l="$label" '/ path=/ {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "| %-24s | %-8s | %8s | %8s | %6s |\n", l, v["path"], v["p50_ms"], v["p99_ms"], v["failed"]
	}' "$tmp/out"
	grep -h '^note' "$tmp/out" || true
}

printf '| %-24s | %-8s | %8s | %8s | %6s |\n' "server, idle connections" path "p50 ms" "p99 ms" failed
printf '|%s|%s|%s|%s|%s|\n' "--------------------------" "----------" "----------" "----------" "--------"
measure "frontend, 0" "$port_fe" /hello,/metrics probe
measure "frontend, $idle" "$port_fe" /hello,/metrics flood --conns "$idle"
measure "backend :5001, 0" "$port_be" /metrics probe
measure "backend :5001, $idle" "$port_be" /metrics flood --conns "$idle"
