#!/usr/bin/env bash
# run.sh -- load benchmark of the workshop services (not a test): wrk against the frontend with
# the simulated latency off, next to references measured in the same run:
#   - nginx (nginx-light) answering `return 200` on loopback,
#   - frontend-nometrics: the same frontend with every metric call compiled out,
# for GET /hello, GET /fruit (always a cache hit) and POST /fruit (validated, published with
# publisher confirms); then POST /fruit's publishing against a bare C publisher on the same broker
# (bare_publisher: rabbitmq-c, persistent messages, confirms pipelined with 2000 in flight) and
# against the one-at-a-time path (--publish-inflight 1); then the backend's orders/s from the
# queue into PostgreSQL rows (bench/services/backend.sh: against a bare consumer and --batch 1).
#
# Usage: bench/services/run.sh <build-dir>   (a RelWithDebInfo or Release build of the repo)
# Env: BENCH_DURATION (s per wrk run, 5), BENCH_ROUNDS (7; medians are reported),
#      BENCH_CONNECTIONS (wrk -c, 50), BENCH_THREADS (wrk -t, 2), FRONTEND_THREADS (frontend, 4),
#      BENCH_PUBLISH_ROUNDS (3), BENCH_ONLY=publish (only the publishing comparison).
# Servers come from stack/native/up; the run uses its own queue, schema and Redis database.
set -euo pipefail

build="$(cd "${1:?usage: bench/services/run.sh <build-dir>}" && pwd)"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dur="${BENCH_DURATION:-5}" rounds="${BENCH_ROUNDS:-7}"
conns="${BENCH_CONNECTIONS:-50}" wthreads="${BENCH_THREADS:-2}"
fe_threads="${FRONTEND_THREADS:-4}"
fe_bin="$build/services/frontend" nm_bin="$build/services/frontend-nometrics"
be_bin="$build/services/backend" mqtool="$build/services/tests/mqtool"
bare_bin="$build/bench/services/bare_publisher"
for b in "$fe_bin" "$nm_bin" "$be_bin" "$mqtool" "$bare_bin"; do [[ -x $b ]] || { echo "missing $b (build first)"; exit 1; }; done
needs="wrk psql redis-cli"
[[ ${BENCH_ONLY:-} == publish ]] || needs+=" nginx"
for c in $needs; do command -v "$c" >/dev/null || { echo "missing $c"; exit 1; }; done

# Best effort against a busy machine: raise this session's autogroup priority (root only).
echo -10 >"/proc/$$/autogroup" 2>/dev/null || true

run_id="bench_$$"
tmp="$(mktemp -d "/tmp/$run_id.XXXX")"
port_nginx=18080 port_fe=18000 port_be=18001
export AMQP_URL="amqp://guest:guest@127.0.0.1:5672" QUEUE="task_queue_$run_id"
export DEAD_LETTER_QUEUE="$QUEUE.dead" REDIS_HOST=127.0.0.1 REDIS_DB=10
pg_url="postgresql://demo:demo@127.0.0.1:5432/demo"
export PG_DSN="$pg_url?options=-c%20search_path%3D$run_id%20-c%20client_min_messages%3Dwarning"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	sleep 0.5
	[[ -f $tmp/nginx.pid ]] && kill -QUIT "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
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

# nginx-light: one `return 200` location, its own prefix, no logs, as many workers as CPUs.
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<NGINX
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx; fastcgi_temp_path $tmp/nginx;
    uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
    server { listen 127.0.0.1:$port_nginx; location / { return 200 "Hello, World!"; } }
}
NGINX
if [[ ${BENCH_ONLY:-} != publish ]]; then
	nginx -c "$tmp/nginx.conf" -p "$tmp/nginx"
	wait_port "$port_nginx"
fi

cat >"$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"fruit": "apples", "quantity": 3}'
wrk.headers["Content-Type"] = "application/json"
LUA

start_frontend() { # binary port [flags]
	local bin="$1" port="$2"
	shift 2
	"$bin" --port "$port" --addr 127.0.0.1 --simulate-latency=off --threads "$fe_threads" \
		--cache-ttl 86400 --log-level warn "$@" >>"$tmp/frontend.log" 2>&1 &
	fe_pid=$!
	pids+=("$fe_pid")
	wait_port "$port"
	# warm up every thread's connections and the cache entry used by GET /fruit
	curl -s -o /dev/null "http://127.0.0.1:$port/fruit?name=apples"
	wrk -t1 -c8 -d1s "http://127.0.0.1:$port/fruit?name=apples" >/dev/null
}
stop_frontend() { kill -TERM "$fe_pid"; wait "$fe_pid" 2>/dev/null || true; }

# wrk_run URL [wrk args]: prints "req_per_s p50_ms p90_ms p99_ms non2xx"
wrk_run() {
	local url="$1"
	shift
	wrk -t"$wthreads" -c"$conns" -d"${dur}s" --latency "$@" "$url" >"$tmp/wrk.out" 2>&1
	awk '
	function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
	/Requests\/sec/ { rps = $2 }
	$1 == "50%" { p50 = ms($2) } $1 == "90%" { p90 = ms($2) } $1 == "99%" { p99 = ms($2) }
	/Non-2xx/ { bad = $NF }
	/requests in/ { n = $1 }
	END { printf "%.0f %.3f %.3f %.3f %d %d\n", rps, p50, p90, p99, bad + 0, n }' "$tmp/wrk.out"
}
# CPU time (ns) used so far by the process's HTTP threads (libmicrohttpd's "MHD-worker"): the
# request path, where the metric calls are. Per request it hardly depends on what else the
# machine does, unlike throughput, and it leaves out the hello publisher, whose work depends on
# how fast RabbitMQ takes messages at that moment.
cpu_ns() {
	local t s=0
	for t in /proc/"$1"/task/*; do
		[[ "$(cat "$t/comm" 2>/dev/null)" == MHD-worker ]] || continue
		s=$((s + $(cut -d' ' -f1 "$t/schedstat")))
	done
	echo "$s"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure NAME PID URL [wrk args]: one run, appended to $tmp/res.NAME as
# "req/s p50 p90 p99 non2xx requests cpu_us_per_request" (PID 0: no CPU figure)
measure() {
	local name="$1" pid="$2" c0=0 out
	shift 2
	[[ $pid != 0 ]] && c0="$(cpu_ns "$pid")"
	out="$(wrk_run "$@")"
	if [[ $pid != 0 ]]; then
		awk -v o="$out" -v c="$(($(cpu_ns "$pid") - c0))" \
			'BEGIN { split(o, f, " "); printf "%s %.2f\n", o, (f[6] > 0 ? c / f[6] / 1000 : 0) }' >>"$tmp/res.$name"
	else
		echo "$out 0" >>"$tmp/res.$name"
	fi
	"$mqtool" "$AMQP_URL" "$QUEUE" purge >/dev/null # hello jobs and orders pile up: start empty
}
# POST /fruit's publishing: the bare publisher, the frontend (pipelined confirms, the default)
# and the frontend with --publish-inflight 1, in turn within each round; the queue is purged after
# each (no backend runs: the publishing rate does not depend on it).
publish_comparison() {
	local r out
	for r in $(seq "${BENCH_PUBLISH_ROUNDS:-3}"); do
		echo "publishing round $r/${BENCH_PUBLISH_ROUNDS:-3}"
		out="$("$bare_bin" "$AMQP_URL" "$QUEUE" "$dur" 2000)"
		echo "    $out"
		awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "msg/s,") print $i }' <<<"$out" >>"$tmp/res.bare"
		"$mqtool" "$AMQP_URL" "$QUEUE" purge >/dev/null
		start_frontend "$fe_bin" "$port_fe"
		measure pipelined "$fe_pid" "http://127.0.0.1:$port_fe/fruit" -s "$tmp/post.lua"
		stop_frontend
		start_frontend "$fe_bin" "$port_fe" --publish-inflight 1
		measure one_at_a_time "$fe_pid" "http://127.0.0.1:$port_fe/fruit" -s "$tmp/post.lua"
		stop_frontend
	done
	local bare pipe one
	bare="$(median <"$tmp/res.bare")"
	pipe="$(awk '{ print $1 }' "$tmp/res.pipelined" | median)"
	one="$(awk '{ print $1 }' "$tmp/res.one_at_a_time" | median)"
	{
		echo
		echo "| POST /fruit publishing (wrk -t$wthreads -c$conns -d${dur}s, median of ${BENCH_PUBLISH_ROUNDS:-3}) | req/s | p50 ms | p90 ms | p99 ms | non-2xx |"
		echo "|---|---:|---:|---:|---:|---:|"
		printf '| %-44s | %9s | %7s | %7s | %7s | %6s |\n' "bare C publisher (rabbitmq-c, 2000 in flight)" "$bare" - - - -
		for v in pipelined one_at_a_time; do
			printf '| %-44s | %9s | %7s | %7s | %7s | %6s |\n' \
				"$([[ $v == pipelined ]] && echo "frontend, pipelined confirms (default)" || echo "frontend, --publish-inflight 1")" \
				"$(col "$v" 1)" "$(col "$v" 2)" "$(col "$v" 3)" "$(col "$v" 4)" "$(col "$v" 5)"
		done
		awk -v b="$bare" -v p="$pipe" -v o="$one" 'BEGIN {
			printf "POST /fruit pipelined / bare publisher: %.2fx (target >= 0.5x); pipelined / one at a time: %.2fx (target >= 4x)\n", p / b, p / o }'
	} | tee -a "$tmp/table"
}
col() { awk -v c="$2" '{ print $c }' "$tmp/res.$1" | median; }
: >"$tmp/table"
if [[ ${BENCH_ONLY:-} == publish ]]; then
	publish_comparison
	cp "$tmp/table" "${BENCH_OUT:-$build/services-bench.md}"
	echo "results written to ${BENCH_OUT:-$build/services-bench.md}"
	exit 0
fi

# Both frontends run side by side; each round measures them back to back on the same endpoint
# (alternating which goes first), so slow drifts in the machine's load hit both alike, and the
# cost of instrumentation is the median of the per-round ratios.
port_nm=18002
start_frontend "$fe_bin" "$port_fe"
pid_fe="$fe_pid"
start_frontend "$nm_bin" "$port_nm"
pid_nm="$fe_pid"
declare -A path=([hello]="/hello" [get]="/fruit?name=apples" [post]="/fruit")
echo "services benchmark: wrk -t$wthreads -c$conns -d${dur}s, $rounds rounds (median), frontend --threads $fe_threads, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
	echo "round $r/$rounds"
	measure nginx 0 "http://127.0.0.1:$port_nginx/"
	for ep in hello get post; do
		extra=()
		[[ $ep == post ]] && extra=(-s "$tmp/post.lua")
		order="frontend nometrics"
		((r % 2 == 0)) && order="nometrics frontend"
		for variant in $order; do
			port="$port_fe" pid="$pid_fe"
			[[ $variant == nometrics ]] && port="$port_nm" pid="$pid_nm"
			measure "$variant.$ep" "$pid" "http://127.0.0.1:$port${path[$ep]}" "${extra[@]}"
		done
		paste -d' ' <(tail -n1 "$tmp/res.frontend.$ep") <(tail -n1 "$tmp/res.nometrics.$ep") |
			awk '{ print $1 / $8, $7 / $14 }' >>"$tmp/ratio.$ep"
	done
done
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

row() { # label file
	printf '| %-34s | %9s | %7s | %7s | %7s | %6s | %8s |\n' "$1" "$(col "$2" 1)" "$(col "$2" 2)" \
		"$(col "$2" 3)" "$(col "$2" 4)" "$(col "$2" 5)" "$(col "$2" 7)"
}
{
	echo
	echo "| target | req/s | p50 ms | p90 ms | p99 ms | non-2xx | HTTP threads CPU µs/req |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	row "nginx return 200" nginx
	for ep in hello get post; do
		case $ep in hello) label="GET /hello" ;; get) label="GET /fruit (cache hit)" ;; post) label="POST /fruit (confirmed publish)" ;; esac
		row "$label, instrumented" "frontend.$ep"
		row "$label, no metrics" "nometrics.$ep"
	done
	echo
	for ep in hello get post; do
		printf 'instrumented/no-metrics on %-5s: throughput ratio median %.3f (rounds: %s); CPU per request ratio median %.3f (rounds: %s)\n' \
			"$ep" "$(cut -d' ' -f1 "$tmp/ratio.$ep" | median)" "$(cut -d' ' -f1 "$tmp/ratio.$ep" | tr '\n' ' ')" \
			"$(cut -d' ' -f2 "$tmp/ratio.$ep" | median)" "$(cut -d' ' -f2 "$tmp/ratio.$ep" | tr '\n' ' ')"
	done
	awk -v a="$(col frontend.hello 1)" -v n="$(col nginx 1)" 'BEGIN { printf "/hello (instrumented) / nginx: %.2fx\n", a / n }'
} | tee -a "$tmp/table"
publish_comparison

# Backend: queue -> rows, against a bare rabbitmq-c consumer and --batch 1 (bench/services/backend.sh).
BENCH_OUT_BACKEND="$tmp/backend.md" "$repo/bench/services/backend.sh" "$build"
cat "$tmp/backend.md" >>"$tmp/table"
if [[ -x $build/bench/services/bench_service_metrics ]]; then
	echo
	"$build/bench/services/bench_service_metrics"
fi | tee -a "$tmp/table"
cp "$tmp/table" "${BENCH_OUT:-$build/services-bench.md}"
echo "results written to ${BENCH_OUT:-$build/services-bench.md}"
