#!/usr/bin/env bash
# soak.sh -- a long run of the workshop services under steady traffic, with faults: is
# everything flat, and is nothing lost?
#
# Starts PostgreSQL, RabbitMQ and Redis (stack/native/up, as the integration tests do, with their
# own queue, schema and Redis database), the backend, the frontend and traffic at a steady rate;
# every --interval seconds it samples each service's RSS, open fds and threads, the frontend's
# requests/s and errors/s (from /metrics), the backend's failed attempts/s, the queue depth and
# the table sizes. Every --faults-every seconds one server of --faults (in turn) is SIGKILLed and
# started again --fault-down seconds later. At the end, once the queue has drained, it asserts:
#   - RSS: last sample - first sample after --warmup <= --rss-growth-kb (each service);
#   - open fds and threads: the same, within --fd-growth and --thread-growth;
#   - no order lost or stored twice: rows == POST /fruit answered 200 (traffic's count), and as
#     many distinct message ids.
# It writes soak.csv (one row per sample), soak.png (gnuplot, when installed) and the services'
# logs to --out, prints the samples as a table and exits non-zero when a check fails.
#
# Usage: bench/services/soak.sh [options] [BUILD_DIR]   (default build; --help lists options)
# The servers use the standard ports: on a shared machine, run it under
# `flock -o /work/servers.lock` (see the README).
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: bench/services/soak.sh [OPTION]... [BUILD_DIR]
Runs frontend + backend + traffic (from BUILD_DIR, default build) against the native stack's
PostgreSQL, RabbitMQ and Redis, samples resources every interval, injects faults, and checks
that RSS, fds and threads stay flat and that rows == POST /fruit answered 200.

  --duration=S        length of the traffic run in seconds (default 1800)
  --interval=S        seconds between samples (default 10)
  --warmup=S          the baseline is the first sample after this (default: a quarter of the
                      duration, at most 120)
  --rate=R            traffic's requests per second over all loops (default 150)
  --concurrency=N     traffic's loops (default 8)
  --faults-every=S    SIGKILL a server every S seconds, 0 for none (default 300)
  --faults=LIST       which, in turn: backend,redis,postgres,rabbitmq (default all four)
  --fault-down=S      how long a killed server stays down (default 5)
  --rss-growth-kb=KB  allowed RSS growth of each service after the warm-up (default 16384)
  --fd-growth=N       allowed growth of each service's open fds (default 8)
  --thread-growth=N   allowed growth of each service's threads (default 2)
  --out=DIR           where soak.csv, soak.png and the logs go (default soak-YYYYmmdd-HHMMSS)
  -h, --help          this help
Env: WS_TEST_FRONTEND_PORT / WS_TEST_BACKEND_PORT (default 15100 / 15101), WS_TEST_REDIS_DB (12).
EOF
}

duration=1800 interval=10 warmup="" rate=150 concurrency=8 faults_every=300 fault_down=5
faults="backend,redis,postgres,rabbitmq" rss_growth=16384 fd_growth=8 thread_growth=2 out=""
build=build
while (($#)); do
	arg="$1"
	shift
	case "$arg" in
	-h | --help) usage && exit 0 ;;
	--*=*) key="${arg%%=*}" val="${arg#*=}" ;;
	--*)
		key="$arg"
		val="${1:?$arg needs a value (see --help)}"
		shift
		;;
	*) build="$arg" && continue ;;
	esac
	case "$key" in
	--duration) duration="$val" ;;
	--interval) interval="$val" ;;
	--warmup) warmup="$val" ;;
	--rate) rate="$val" ;;
	--concurrency) concurrency="$val" ;;
	--faults-every) faults_every="$val" ;;
	--faults) faults="$val" ;;
	--fault-down) fault_down="$val" ;;
	--rss-growth-kb) rss_growth="$val" ;;
	--fd-growth) fd_growth="$val" ;;
	--thread-growth) thread_growth="$val" ;;
	--out) out="$val" ;;
	*) echo "soak.sh: unknown option $key (see --help)" >&2 && exit 2 ;;
	esac
done
for v in duration interval rate concurrency faults_every fault_down rss_growth fd_growth thread_growth; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "soak.sh: --${v//_/-} must be a whole number" >&2 && exit 2; }
done
((interval > 0 && duration >= 2 * interval)) || { echo "soak.sh: the duration must hold two intervals" >&2 && exit 2; }
[[ -n $warmup ]] || warmup=$((duration / 4 < 120 ? duration / 4 : 120))
out="${out:-soak-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
build="$(cd "$build" && pwd)"
for b in frontend backend traffic tests/mqtool; do
	[[ -x $build/services/$b ]] || { echo "soak.sh: missing $build/services/$b (build first)" >&2 && exit 2; }
done

export WS_BIN_DIR="$build/services" WS_MQTOOL="$build/services/tests/mqtool"
export WS_TEST_FRONTEND_PORT="${WS_TEST_FRONTEND_PORT:-15100}"
export WS_TEST_BACKEND_PORT="${WS_TEST_BACKEND_PORT:-15101}"
export WS_TEST_REDIS_DB="${WS_TEST_REDIS_DB:-12}"
# The integration tests' helpers: servers_up, start_frontend/backend, isolation, cleanup, checks.
# shellcheck source=services/tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../services/tests/integration/lib.sh"
TR_PID=""
on_exit() {
	local rc=$?
	[[ -n $TR_PID ]] && kill -TERM "$TR_PID" 2>/dev/null
	cp "$TMP"/*.log "$out/" 2>/dev/null || true
	set +e
	(exit "$rc") # lib.sh's cleanup kills the services, drops the schema and exits with $?
	cleanup
}
trap on_exit EXIT

BACKEND_FLAGS=(--generator-ms=off --job-ms=5-20)
FRONTEND_FLAGS=(--simulate-latency=off)
for p in "$FE_PORT" "$BE_PORT"; do
	if port_open "$p"; then
		echo "soak.sh: port $p is in use (another run?); set WS_TEST_FRONTEND_PORT/WS_TEST_BACKEND_PORT" >&2
		exit 2
	fi
done
servers_up
start_backend "${BACKEND_FLAGS[@]}"
start_frontend "${FRONTEND_FLAGS[@]}"
# A burst of GET /fruit on 64 connections first, so that every HTTP thread of the frontend has
# made its own database and cache connections (made on a thread's first request: bounded by
# --threads, not a leak) before the baseline; no orders, so the count below is traffic's alone.
"$BIN/traffic" --url "$FE" --concurrency 64 --requests 2000 --pause-ms off --mix hello=0,get=1,post=0 \
	--progress off >"$TMP/warmup.out" 2>&1 || fail "the warm-up burst failed"
"$BIN/traffic" --url "$FE" --concurrency "$concurrency" --rate "$rate" --pause-ms off \
	--duration "$duration" --progress off >"$TMP/traffic.out" 2>"$TMP/traffic.log" &
TR_PID=$!
echo "soak: ${duration} s of traffic at ${rate} req/s, a sample every ${interval} s, baseline after ${warmup} s," \
	"faults every ${faults_every} s ($faults); writing $out"

# ---- sampling --------------------------------------------------------------------------------
# A process that is down (killed by a fault) or a server that does not answer gives NaN: a gap
# in the plot, not a fall to 0.
proc_field() { awk -v f="$2" '$1 == f":" { print $2 }' "/proc/$1/status" 2>/dev/null || echo NaN; }
fds() { # the glob spawns nothing: a sample must not disturb what it measures
	local d=("/proc/$1/fd/"*)
	if [[ -e ${d[0]} ]]; then echo "${#d[@]}"; else echo NaN; fi
}
# sum_metric URL NAME [LABEL_MATCH]: the sum of a family's samples (0 when absent or down).
sum_metric() {
	{ curl -s --max-time 2 "$1/metrics" 2>/dev/null || true; } |
		awk -v n="$2" -v l="${3:-}" 'index($1, n) == 1 && (substr($1, length(n) + 1, 1) == "{" ||
			length($1) == length(n)) && index($1, l) { s += $2 } END { printf "%.0f\n", s }'
}
queue_depth() { "$MQTOOL" "$AMQP_URL" "$QUEUE" count 2>/dev/null || echo NaN; }
tables() { psql_q "SELECT (SELECT count(*) FROM $SCHEMA.fruits), (SELECT count(*) FROM $SCHEMA.order_outcomes)" 2>/dev/null | tr '|' ' ' || echo "NaN NaN"; }

csv="$out/soak.csv"
echo "t_s,fe_rss_kb,be_rss_kb,fe_fds,be_fds,fe_threads,be_threads,req_s,fe_errors_s,be_failed_s,queue_depth,rows,outcomes,fault" >"$csv"
prev_t="" prev_req=0 prev_err=0 prev_fail=0 baseline_listed=""
# rate NOW PREV DT: per second, a counter that went back (a restart) counts from 0.
per_s() { awk -v a="$1" -v b="$2" -v dt="$3" 'BEGIN { d = a - b; if (d < 0) d = a; printf "%.1f\n", (dt > 0 ? d / dt : 0) }'; }
sample() { # sample FAULT_NOTE
	local t now req err fail tb
	now=$(date +%s.%N)
	t=$(awk -v a="$now" -v b="$T0" 'BEGIN { printf "%.0f", a - b }')
	req=$(sum_metric "$FE" http_requests_total)
	err=$(sum_metric "$FE" errors_total)
	fail=$(sum_metric "$BE" jobs_outcome_total 'outcome="failed"')
	local dt=$((${t} - ${prev_t:-$t}))
	tb=$(tables)
	local row
	row="$t,$(proc_field "$FE_PID" VmRSS),$(proc_field "$BE_PID" VmRSS),$(fds "$FE_PID"),$(fds "$BE_PID")"
	row+=",$(proc_field "$FE_PID" Threads),$(proc_field "$BE_PID" Threads)"
	row+=",$(per_s "$req" "$prev_req" "$dt"),$(per_s "$err" "$prev_err" "$dt"),$(per_s "$fail" "$prev_fail" "$dt")"
	row+=",$(queue_depth),${tb% *},${tb#* },$1"
	echo "$row" >>"$csv"
	prev_t=$t prev_req=$req prev_err=$err prev_fail=$fail
	if [[ -z $baseline_listed ]] && ((t >= warmup)); then
		fd_listing frontend-baseline "$FE_PID" && fd_listing backend-baseline "$BE_PID"
		baseline_listed=1
	fi
	IFS=, read -r -a f <<<"$row"
	printf 'soak: t=%5ss  fe rss=%6s kB fds=%4s thr=%3s | be rss=%6s kB fds=%4s thr=%3s | %7s req/s  err/s=%s  failed/s=%s  queue=%s rows=%s %s\n' \
		"${f[0]}" "${f[1]}" "${f[3]}" "${f[5]}" "${f[2]}" "${f[4]}" "${f[6]}" "${f[7]}" "${f[8]}" "${f[9]}" "${f[10]}" "${f[11]}" "${f[13]:-}"
}

# fd_listing NAME PID: what each descriptor is (sockets with their peer), to explain a growth.
fd_listing() {
	{
		ls -l "/proc/$2/fd" 2>/dev/null | awk 'NR > 1 { print $9, $11 }'
		ss -tanp 2>/dev/null | grep "pid=$2," || true
	} >"$out/fds-$1.txt"
}

# ---- faults ------------------------------------------------------------------------------------
IFS=, read -r -a fault_list <<<"$faults"
fault_n=0 fault_down_since="" fault_now=""
fault_start() {
	fault_now="${fault_list[fault_n % ${#fault_list[@]}]}"
	fault_n=$((fault_n + 1))
	case "$fault_now" in
	backend)
		kill -KILL "$BE_PID" 2>/dev/null || true
		wait "$BE_PID" 2>/dev/null || true
		;;
	redis | postgres | rabbitmq) "$REPO/stack/native/kill" "$fault_now" >>"$TMP/stack.log" 2>&1 ;;
	*) echo "soak.sh: unknown fault $fault_now" >&2 && exit 2 ;;
	esac
	fault_down_since=$SECONDS
	echo "soak: fault: $fault_now killed"
}
fault_end() {
	if [[ $fault_now == backend ]]; then
		start_backend "${BACKEND_FLAGS[@]}"
	else
		"$REPO/stack/native/up" "$fault_now" >>"$TMP/stack.log" 2>&1
	fi
	echo "soak: fault: $fault_now back after $((SECONDS - fault_down_since)) s"
	fault_down_since="" fault_now=""
}

T0=$(date +%s.%N)
start=$SECONDS next_sample=0 next_fault=$faults_every
while kill -0 "$TR_PID" 2>/dev/null; do
	el=$((SECONDS - start))
	note=""
	if ((faults_every > 0 && el >= next_fault && el < duration - 2 * interval)) && [[ -z $fault_down_since ]]; then
		fault_start
		note="kill_$fault_now"
		next_fault=$((next_fault + faults_every))
	elif [[ -n $fault_down_since ]] && ((SECONDS - fault_down_since >= fault_down)); then
		note="up_$fault_now"
		fault_end
	fi
	if ((el >= next_sample)) || [[ -n $note ]]; then
		sample "$note"
		((el < next_sample)) || next_sample=$((next_sample + interval))
	fi
	sleep 0.5
done
[[ -z $fault_down_since ]] || fault_end
TR_PID_DONE=$TR_PID TR_PID=""
wait "$TR_PID_DONE" || fail "traffic exited with an error"

# ---- the end: drain, then check -------------------------------------------------------------
accepted=$(awk '/^by status:/ { s = 1 } s && $1 == "POST" && $2 == "/fruit" {
	for (i = 3; i <= NF; i++) if ($i ~ /^200=/) { sub(/^200=/, "", $i); print $i } }' "$TMP/traffic.out")
accepted=${accepted:-0}
drained() { [[ "$(queue_depth)" == 0 ]] && rows_are "$accepted"; }
wait_until 120 drained || true
sleep "$interval"
sample "end"
fd_listing frontend-end "$FE_PID"
fd_listing backend-end "$BE_PID"
cat "$TMP/traffic.out"
echo
column -s, -t <"$csv"
echo

# baseline: the first sample at or after the warm-up; end: the last one (drained, after the run)
base=$(awk -F, -v w="$warmup" 'NR > 1 && $1 >= w { print; exit }' "$csv")
last=$(tail -n 1 "$csv")
IFS=, read -r -a b <<<"$base"
IFS=, read -r -a e <<<"$last"
grows() { # grows NAME BASE END BOUND UNIT
	[[ $2 != NaN && $3 != NaN ]] || { fail "$1: not measured (the service was down)" && return; }
	check "$1 grew $(($3 - $2)) $5 after the warm-up (from $2 to $3; bound $4)" test "$(($3 - $2))" -le "$4"
}
grows "frontend RSS" "${b[1]}" "${e[1]}" "$rss_growth" kB
grows "backend RSS" "${b[2]}" "${e[2]}" "$rss_growth" kB
grows "frontend open fds" "${b[3]}" "${e[3]}" "$fd_growth" fds
grows "backend open fds" "${b[4]}" "${e[4]}" "$fd_growth" fds
grows "frontend threads" "${b[5]}" "${e[5]}" "$thread_growth" threads
grows "backend threads" "${b[6]}" "${e[6]}" "$thread_growth" threads
check "orders were accepted ($accepted POST /fruit answered 200)" test "$accepted" -gt 0
check_eq "rows == POST /fruit answered 200 (none lost, none twice)" "$(rows)" "$accepted"
check_eq "distinct message ids == rows" "$(psql_q "SELECT count(DISTINCT message_id) FROM $SCHEMA.fruits")" "$accepted"
check_eq "the queue drained" "$(queue_depth)" 0
check "frontend alive" kill -0 "$FE_PID"
check "backend alive" kill -0 "$BE_PID"

if command -v gnuplot >/dev/null; then
	arrows=$(awk -F, 'NR > 1 && $14 ~ /^kill_/ { printf "set arrow from %s, graph 0 to %s, graph 1 nohead lc rgb \"#cc0000\" dt 2\n", $1, $1 }' "$csv")
	gnuplot <<GNUPLOT && echo "soak: plot $out/soak.png (red dashes: faults)"
set terminal pngcairo size 1400,900 font ",10"
set output "$out/soak.png"
set datafile separator ","
set termoption noenhanced
set key autotitle columnhead top left
set multiplot layout 2,2 title "soak: $duration s at $rate req/s (red dashes: a server killed)"
$arrows
set xlabel "seconds"
set ylabel "RSS (MB)"
plot "$csv" using 1:(\$2/1024) with lines title "frontend RSS", "" using 1:(\$3/1024) with lines title "backend RSS"
set ylabel "count"
plot "$csv" using 1:4 with lines title "frontend fds", "" using 1:5 with lines title "backend fds", "" using 1:6 with lines title "frontend threads", "" using 1:7 with lines title "backend threads"
set ylabel "per second"
plot "$csv" using 1:8 with lines title "requests/s", "" using 1:9 with lines title "frontend errors/s", "" using 1:10 with lines title "backend failed attempts/s"
set ylabel "messages / rows"
set y2label "rows"
set y2tics
plot "$csv" using 1:11 with lines title "queue depth", "" using 1:12 axes x1y2 with lines title "fruits rows", "" using 1:13 axes x1y2 with lines title "order_outcomes rows"
unset multiplot
GNUPLOT
else
	echo "soak: gnuplot not installed (scripts/install-deps.sh test): no plot, the CSV is $csv"
fi
finish
