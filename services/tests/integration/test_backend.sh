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
