#!/usr/bin/env bash
# backend.sh -- the backend's queue -> rows rate (not a test), next to its references in the same
# run: a bare rabbitmq-c consumer (prefetch 2000, a multiple ack every 500, no work) and the
# backend one message at a time (--batch 1). Each run preloads N order messages (persistent, with
# message ids) into an empty bench queue with bare_consumer load, then times until the consumer
# has taken N messages, or until the fruits table holds N rows. Time includes start-up.
#
# Usage: bench/services/backend.sh <build-dir>   (run by bench/services/run.sh; usable alone)
# Then the latency per message under a paced load (not a flood): bare_consumer pace publishes
# BENCH_BACKEND_PACE_N orders at BENCH_BACKEND_PACE_RATE a second into the queue a running
# backend consumes, each stamped with its send time in its message id; a message's latency is its
# row's created_at (now() of the inserting transaction, so the commit and the ack come after)
# minus that time. p50/p90/p99 for each --batch value.
# Env: BENCH_BACKEND_N (messages per run, 50000), BENCH_BACKEND_BATCHES ("1 100": --batch values),
#      BENCH_BACKEND_WORKERS (20), BENCH_BACKEND_PACE_N (10000), BENCH_BACKEND_PACE_RATE (2000 a
#      second; 0: no paced run), BENCH_OUT_BACKEND (where the table goes, besides stdout).
# Servers come from stack/native/up; the run uses its own queue and PostgreSQL schema.
set -euo pipefail

build="$(cd "${1:?usage: bench/services/backend.sh <build-dir>}" && pwd)"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
n="${BENCH_BACKEND_N:-50000}" batches="${BENCH_BACKEND_BATCHES:-1 100}"
workers="${BENCH_BACKEND_WORKERS:-20}"
pace_n="${BENCH_BACKEND_PACE_N:-10000}" pace_rate="${BENCH_BACKEND_PACE_RATE:-2000}"
be_bin="$build/services/backend" bare="$build/bench/services/bare_consumer"
mqtool="$build/services/tests/mqtool"
for b in "$be_bin" "$bare" "$mqtool"; do [[ -x $b ]] || { echo "missing $b (build first)"; exit 1; }; done

run_id="bebench_$$"
tmp="$(mktemp -d "/tmp/$run_id.XXXX")"
export AMQP_URL="amqp://guest:guest@127.0.0.1:5672" QUEUE="task_queue_$run_id"
export DEAD_LETTER_QUEUE="$QUEUE.dead" REDIS_HOST=127.0.0.1 REDIS_DB=10
pg_url="postgresql://demo:demo@127.0.0.1:5432/demo"
export PG_DSN="$pg_url?options=-c%20search_path%3D$run_id%20-c%20client_min_messages%3Dwarning"
be_pid=""
cleanup() {
	[[ -n $be_pid ]] && kill -TERM "$be_pid" 2>/dev/null && wait "$be_pid" 2>/dev/null || true
	psql "$pg_url" -qAtc "DROP SCHEMA IF EXISTS $run_id CASCADE" >/dev/null 2>&1 || true
	"$mqtool" "$AMQP_URL" "$QUEUE" delete >/dev/null 2>&1 || true
	"$mqtool" "$AMQP_URL" "$DEAD_LETTER_QUEUE" delete >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
"$repo/stack/native/up" postgres rabbitmq redis >"$tmp/stack.log" 2>&1 || { cat "$tmp/stack.log"; exit 1; }
psql "$pg_url" -qAtc "CREATE SCHEMA $run_id"
# The rows are polled every 20 ms on one psql session kept open (a coprocess): a psql per
# poll forked a client and a PostgreSQL backend 50 times a second, a good part of one of the
# two CPUs taken from the run it measures. Each poll reads max(id), one index probe; only once
# it reaches N (ids are never reused, so that many rows may be there) is count(*) run, whose
# scan of the whole table 50 times a second took PostgreSQL CPU from the inserts it times.
# count_rows sets ROWS (0 until the table exists, or while max(id) is below N).
coproc PSQL { psql "$pg_url" -X -qAt 2>/dev/null; }
count_rows() {
	local line
	ROWS=0
	printf 'SELECT CASE WHEN (SELECT max(id) FROM %s.fruits) >= %s THEN (SELECT count(*) FROM %s.fruits) ELSE 0 END;\n\\echo __end\n' \
		"$run_id" "$n" "$run_id" >&"${PSQL[1]}"
	while read -r -u "${PSQL[0]}" line && [[ $line != __end ]]; do ROWS=$line; done
}
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
preload() {
	"$mqtool" "$AMQP_URL" "$QUEUE" purge >/dev/null
	"$bare" load "$AMQP_URL" "$QUEUE" "$n" | sed 's/^/    /'
}

echo "backend benchmark: $n messages per run, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A result
preload
t0=$(date +%s.%N)
"$bare" consume "$AMQP_URL" "$QUEUE" "$n" | sed 's/^/    /'
result[bare]="$(rate "$n" "$t0" "$(date +%s.%N)")"
for b in $batches; do
	psql "$pg_url" -qAtc "SET client_min_messages = warning; DROP TABLE IF EXISTS $run_id.fruits, $run_id.order_outcomes" >/dev/null
	preload
	t0=$(date +%s.%N)
	"$be_bin" --metrics-port 0 --metrics-addr 127.0.0.1 --generator-ms=off --db-failure-rate=0 \
		--workers "$workers" --batch "$b" --log-level warn >>"$tmp/backend.log" 2>&1 &
	be_pid=$!
	until count_rows && [[ $ROWS == "$n" ]]; do sleep 0.02; done
	result[$b]="$(rate "$n" "$t0" "$(date +%s.%N)")"
	echo "    backend --batch $b: $n rows at ${result[$b]} rows/s"
	kill -TERM "$be_pid"
	wait "$be_pid" 2>/dev/null || true
	be_pid=""
done
# latency_of BATCH: a paced run through a backend already consuming; sets LAT to "p50 p90 p99" (ms)
declare -A latency
latency_of() {
	local b="$1" got=0
	psql "$pg_url" -qAtc "SET client_min_messages = warning; DROP TABLE IF EXISTS $run_id.fruits, $run_id.order_outcomes" >/dev/null
	"$mqtool" "$AMQP_URL" "$QUEUE" purge >/dev/null
	"$be_bin" --metrics-port 0 --metrics-addr 127.0.0.1 --generator-ms=off --db-failure-rate=0 \
		--workers "$workers" --batch "$b" --log-level warn >>"$tmp/backend.log" 2>&1 &
	be_pid=$!
	until [[ "$(psql "$pg_url" -qAtc "SELECT to_regclass('$run_id.fruits') IS NOT NULL")" == t ]]; do sleep 0.1; done
	sleep 1 # the consumers are up
	"$bare" pace "$AMQP_URL" "$QUEUE" "$pace_n" "$pace_rate" | sed 's/^/    /'
	until ((got >= pace_n)); do
		got="$(psql "$pg_url" -qAtc "SELECT count(*) FROM $run_id.fruits")"
		sleep 0.2
	done
	latency[$b]="$(psql "$pg_url" -qAt -F' ' -c "
		WITH l AS (SELECT (extract(epoch FROM created_at AT TIME ZONE current_setting('TimeZone')) * 1e6
		                   - split_part(message_id, '-', 2)::bigint) / 1000.0 AS ms
		           FROM $run_id.fruits WHERE message_id LIKE 'pace-%')
		SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2),
		       round(percentile_cont(0.9) WITHIN GROUP (ORDER BY ms)::numeric, 2),
		       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2) FROM l")"
	echo "    backend --batch $b, $pace_rate msg/s paced: p50/p90/p99 ${latency[$b]// / \/ } ms"
	kill -TERM "$be_pid"
	wait "$be_pid" 2>/dev/null || true
	be_pid=""
}
if [[ $pace_rate != 0 ]]; then
	for b in $batches; do latency_of "$b"; done
fi
{
	echo
	echo "| consumer | messages/s (queue -> rows) | / bare consumer | / --batch 1 |"
	echo "|---|---:|---:|---:|"
	printf '| bare rabbitmq-c consumer, prefetch 2000, no work | %s | 1.00 | |\n' "${result[bare]}"
	for b in $batches; do
		awk -v l="backend, $workers workers, --batch $b" -v r="${result[$b]}" -v bare="${result[bare]}" \
			-v one="${result[1]:-0}" 'BEGIN { printf "| %s | %d | %.2f | %s |\n", l, r, r / bare, (one > 0 ? sprintf("%.1f", r / one) : "") }'
	done
	if [[ $pace_rate != 0 ]]; then
		echo
		echo "| latency per message, $pace_n orders paced at $pace_rate/s (publish -> insert) | p50 ms | p90 ms | p99 ms |"
		echo "|---|---:|---:|---:|"
		for b in $batches; do
			read -r p50 p90 p99 <<<"${latency[$b]}"
			printf '| backend, %s workers, --batch %s | %s | %s | %s |\n' "$workers" "$b" "$p50" "$p90" "$p99"
		done
	fi
} | tee "${BENCH_OUT_BACKEND:-/dev/null}"
