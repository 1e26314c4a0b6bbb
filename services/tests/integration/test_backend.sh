#!/usr/bin/env bash
# The backend alone, fed through the queue: poison messages go to the dead-letter queue (counted,
# not stored, not retried); a redelivered order (same message id) is stored once and counted as a
# duplicate; simulated database failures are retried until every order is stored; hello jobs are
# timed by job_duration_seconds; SIGTERM finishes the job in hand and acks it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
servers_up
mq() { "$MQTOOL" "$AMQP_URL" "$@"; }
queue_len() { mq "$1" count; }
queue_is() { [[ "$(queue_len "$1")" == "$2" ]]; }
metric_is() { [[ "$(metric "$BE" "$1")" == "$2" ]]; }
start_backend --generator-ms=off --db-failure-rate=0 --job-ms=1-5 --workers=4

echo "# the dead-letter queue is declared at start, before the first poison message"
# Asked of rabbitmqctl: mqtool's count declares the queue it counts.
rmqctl() { (source "$REPO/stack/native/lib.sh" && rmqctl "$@"); }
dlq_listed() { rmqctl -q list_queues name --no-table-headers | grep -qxF "$DEAD_LETTER_QUEUE"; }
check "$DEAD_LETTER_QUEUE is declared by the backend's start" wait_until 10 dlq_listed

echo "# poison messages"
mq "$QUEUE" publish 'not json at all'
mq "$QUEUE" publish '{"fruit": "kiwis", "quantity": 1}'
mq "$QUEUE" publish '"helloo"'
mq "$QUEUE" publish '{"fruit": "apples", "quantity": -1}'
mq "$QUEUE" publish '{"fruit": "apples", "fruit": "pears", "quantity": 1}'
check "5 poison messages dead-lettered" wait_until 10 queue_is "$DEAD_LETTER_QUEUE" 5
check_eq "jobs_outcome_total{poison}" "$(metric "$BE" 'jobs_outcome_total{outcome="poison"}')" 5
check_eq "nothing stored for them" "$(rows)" 0
check_eq "the job queue is empty (acked, not retried)" "$(queue_len "$QUEUE")" 0
check_eq "the dead-letter queue keeps the original body" "$(mq "$DEAD_LETTER_QUEUE" get)" "not json at all"
check_eq "mq_publish_total{queue=dead letters}" \
	"$(metric "$BE" "mq_publish_total{queue=\"$DEAD_LETTER_QUEUE\"}")" 5

echo "# redelivery is idempotent"
mq "$QUEUE" publish '{"fruit": "grapes", "quantity": 7}' order-dup-1
mq "$QUEUE" publish '{"fruit": "grapes", "quantity": 7}' order-dup-1
check "the duplicate is recognised" wait_until 10 metric_is orders_duplicate_total 1
check_eq "one row for message id order-dup-1" \
	"$(psql_q "SELECT count(*) FROM $SCHEMA.fruits WHERE message_id = 'order-dup-1'")" 1
check_eq "jobs_outcome_total{ok} counts it once" "$(metric "$BE" 'jobs_outcome_total{outcome="ok"}')" 1
mq "$QUEUE" publish '{"fruit": "grapes", "quantity": 2}'
check "an order without message id is still stored" wait_until 10 rows_are 2

echo "# an order the frontend cancelled (answered 503 after an unconfirmed publish) is never stored"
psql_q "INSERT INTO $SCHEMA.order_outcomes (message_id, stored) VALUES ('order-cancelled-1', false)"
mq "$QUEUE" publish '{"fruit": "pears", "quantity": 4}' order-cancelled-1
check "the cancelled order is recognised" wait_until 10 metric_is orders_cancelled_total 1
check_eq "no row for it" \
	"$(psql_q "SELECT count(*) FROM $SCHEMA.fruits WHERE message_id = 'order-cancelled-1'")" 0

echo "# hello jobs"
jobs0="$(metric "$BE" job_duration_seconds_count)"
for _ in 1 2 3; do mq "$QUEUE" publish '"hello"'; done
check "3 hello jobs timed by job_duration_seconds" wait_until 10 metric_is job_duration_seconds_count "$((jobs0 + 3))"

echo "# mq_read_latency measures the whole wait for a message, not one 250 ms poll"
sleep 0.8
mq "$QUEUE" publish '"hello"'
check "the hello job is done" wait_until 10 metric_is job_duration_seconds_count "$((jobs0 + 4))"
short="$(metric "$BE" 'mq_read_latency_bucket{le="0.25"}')"
reads="$(metric "$BE" mq_read_latency_count)"
check "a wait of 0.8 s is observed above 0.25 s (le=0.25: $short of $reads)" test "$short" -lt "$reads"

echo "# simulated database failures are retried, never dropped"
stop_service "$BE_PID" backend
BE_PID=""
start_backend --generator-ms=off --db-failure-rate=0.5 --retry-ms=5-20 --workers=4
for i in $(seq 60); do mq "$QUEUE" publish "{\"fruit\": \"pears\", \"quantity\": 1}" "fail-$i"; done
check "all 60 orders stored despite a 50% failure rate" wait_until 30 rows_are 62
failed="$(metric "$BE" 'jobs_outcome_total{outcome="failed"}')"
retried="$(metric "$BE" 'jobs_outcome_total{outcome="retried"}')"
check "failures were counted ($failed)" test "$failed" -gt 5
check_eq "every failed attempt was retried" "$retried" "$failed"
check_eq "jobs_outcome_total{ok} = 60" "$(metric "$BE" 'jobs_outcome_total{outcome="ok"}')" 60
check_eq "queue drained" "$(queue_len "$QUEUE")" 0

echo "# batches: orders queued while the backend is down are stored by a few statements, each once"
stop_service "$BE_PID" backend
BE_PID=""
rows0="$(rows)" dead0="$(queue_len "$DEAD_LETTER_QUEUE")"
psql_q "INSERT INTO $SCHEMA.order_outcomes (message_id, stored) VALUES ('batch-cancelled', false)"
for i in $(seq 150); do
	mq "$QUEUE" publish "{\"fruit\": \"apples\", \"quantity\": 2}" "batch-$i" &
	((i % 25 == 0)) && wait
	((i == 75)) && mq "$QUEUE" publish '{"fruit": "pears", "quantity": 1}' $'not-utf8-\xff'
done
wait
mq "$QUEUE" publish '{"fruit": "apples", "quantity": 2}' batch-7
mq "$QUEUE" publish '{"fruit": "apples", "quantity": 2}' batch-cancelled
echo "# ... and order_outcomes is pruned by age: rows older than the retention go, recent ones stay"
psql_q "INSERT INTO $SCHEMA.order_outcomes (message_id, stored, decided_at) SELECT 'old-' || i, i % 2 = 0,
	now() - interval '2 hours' FROM generate_series(1, 30) i"
psql_q "INSERT INTO $SCHEMA.order_outcomes (message_id, stored, decided_at) SELECT 'recent-' || i, true,
	now() - interval '50 minutes' FROM generate_series(1, 30) i"
redis-cli -n "$REDIS_DB" SET fruit_apples 1 >/dev/null
start_backend --generator-ms=off --db-failure-rate=0 --workers=1 --batch=100 --outcomes-retention-s=3600
check "150 orders stored" wait_until 15 rows_are "$((rows0 + 150))"
check_eq "each once" "$(psql_q "SELECT count(DISTINCT message_id) FROM $SCHEMA.fruits WHERE message_id LIKE 'batch-%'")" 150
statements="$(metric "$BE" database_insert_latency_count)"
check "in batches: $statements insert statements for 152 orders" test "$statements" -lt 40
check "the repeated id and the cancelled order are recognised" wait_until 5 metric_is orders_duplicate_total 1
check_eq "orders_cancelled_total" "$(metric "$BE" orders_cancelled_total)" 1
check "the order PostgreSQL refuses (message id not UTF-8) is dead-lettered, not retried forever" \
	wait_until 10 queue_is "$DEAD_LETTER_QUEUE" "$((dead0 + 1))"
check_eq "the job queue is drained" "$(queue_len "$QUEUE")" 0
check_eq "the apples' cache key was deleted" "$(redis-cli -n "$REDIS_DB" EXISTS fruit_apples)" 0
outcomes() { psql_q "SELECT count(*) FROM $SCHEMA.order_outcomes WHERE message_id LIKE '$1%'"; }
outcomes_are() { [[ "$(outcomes "$1")" == "$2" ]]; }
check "order_outcomes rows older than --outcomes-retention-s are pruned" wait_until 10 outcomes_are old- 0
check_eq "recent ones stay" "$(outcomes recent-)" 30
check_eq "the batch's own outcomes stay" "$(outcomes batch-)" 151

echo "# the queue deleted while orders flow (rabbitmqctl delete_queue): consumers come back"
stop_service "$BE_PID" backend
BE_PID=""
start_backend --generator-ms=off --db-failure-rate=0 --workers=3 --batch=20
rows0="$(rows)"
pump() {
	local i=0 when
	while [[ ! -e $TMP/stop ]]; do
		i=$((i + 1))
		when=before
		[[ -e $TMP/deleted ]] && when=after
		mq "$QUEUE" publish '{"fruit": "bananas", "quantity": 1}' "flow-$i" && echo "$when flow-$i" >>"$TMP/flow.log"
		sleep 0.01
	done
}
: >"$TMP/flow.log"
pump &
pump_pid=$!
sleep 1
mq "$QUEUE" delete # what rabbitmqctl delete_queue does: queue.delete, its messages gone with it
touch "$TMP/deleted"
t0=$SECONDS
sleep 3
touch "$TMP/stop"
wait "$pump_pid"
after="$(grep -c '^after' "$TMP/flow.log")"
stored_after() {
	(($(psql_q "SELECT count(*) FROM $SCHEMA.fruits WHERE message_id IN ($(awk '$1 == "after" { printf "%s'\''%s'\''", (n++ ? "," : ""), $2 }' "$TMP/flow.log"))") == after))
}
check "all $after orders published after the deletion are stored" wait_until 10 stored_after
echo "    (stored within $((SECONDS - t0)) s of the deletion)"
check "the consumers noticed the cancellation" grep -q "broker cancelled the consumer" "$TMP/backend.log"
check_eq "nothing left in the queue" "$(queue_len "$QUEUE")" 0

echo "# SIGTERM finishes the job in hand"
stop_service "$BE_PID" backend
BE_PID=""
start_backend --generator-ms=off --db-failure-rate=0 --job-ms=1500 --workers=1
mq "$QUEUE" publish '"hello"'
check "the worker is busy with the 1.5 s job" wait_until 5 metric_is worker_busy 1
t0=$SECONDS
stop_service "$BE_PID" backend
BE_PID=""
check_eq "the finished job was acked (queue empty after shutdown)" "$(queue_len "$QUEUE")" 0
grep -q "stopping: finishing jobs in hand" "$TMP/backend.log" && pass "shutdown logged" || fail "shutdown not logged"
finish
