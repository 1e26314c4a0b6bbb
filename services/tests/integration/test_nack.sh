#!/usr/bin/env bash
# A broker that nacks an order: a queue policy of max-length 0 with overflow reject-publish makes
# RabbitMQ answer every publish with basic.nack. A nack does not prove the queue lacks the
# message (a quorum queue nacks commands its Raft log may still commit: the cluster's fault test
# once saw an order answered 503 stored). So the frontend must treat a nacked order as in doubt:
# answer 503 JSON and cancel its message id in PostgreSQL before answering, so that if the broker
# holds it after all, the backend never stores it. The test replays the nacked order with its
# message id (mqtool), as a broker that kept it would deliver it, and checks the backend skips it
# while storing a fresh order. Both publishing paths: pipelined (the default) and one at a time.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rmqctl() { (source "$REPO/stack/native/lib.sh" && rmqctl "$@"); }
POLICY="nack_$RUN_ID"
policy_off() { rmqctl clear_policy "$POLICY" >/dev/null 2>&1 || true; }
trap 'rc=$?; policy_off; (exit $rc); cleanup' EXIT
servers_up

cancelled() { metric "$BE" orders_cancelled_total; }
stored() { psql_q "SELECT count(*) FROM $SCHEMA.fruits WHERE quantity = $1"; }
stored_is() { [[ "$(stored "$1")" == "$2" ]]; }
cancelled_is() { [[ "$(cancelled)" == "$1" ]]; }
nacked() { post_order "{\"fruit\": \"apples\", \"quantity\": $1}" && [[ $STATUS == 503 ]]; }
accepted() { post_order "{\"fruit\": \"pears\", \"quantity\": $1}" && [[ $STATUS == 200 ]]; }

start_backend
expect_cancelled=0
for mode in 1024 1; do
	echo "# --publish-inflight $mode"
	start_frontend --simulate-latency=off --threads 1 --publish-inflight "$mode" --publish-timeout-ms 2000
	post_order '{"fruit": "apples", "quantity": 1}'
	check_eq "an order is accepted before the policy" "$STATUS" 200

	rmqctl set_policy --apply-to queues "$POLICY" "^${QUEUE//./\\.}\$" \
		'{"max-length": 0, "overflow": "reject-publish"}' >/dev/null
	q=$((mode == 1 ? 41 : 40))
	# The policy reaches the queue within a moment: post until the broker nacks.
	check "with overflow reject-publish the order is answered 503" wait_until 10 nacked "$q"
	check "... with a JSON error body" grep -q '^{"error":"Order not accepted' <<<"$BODY"
	id="$(grep -o 'unconfirmed order cancelled message_id=[^ ]*' "$TMP/frontend.log" | tail -n 1 || true)"
	id="${id##*=}"
	check "the frontend cancelled the nacked order's id before answering (log names it)" test -n "$id"
	check_eq "... and PostgreSQL holds it as not stored" \
		"$(psql_q "SELECT stored FROM $SCHEMA.order_outcomes WHERE message_id = '$id'")" f

	policy_off
	check "orders are accepted again once the policy is cleared" wait_until 10 accepted 2
	# The broker delivers the nacked order after all: the backend must not store it.
	"$MQTOOL" "$AMQP_URL" "$QUEUE" publish "{\"fruit\": \"apples\", \"quantity\": $q}" "$id" >/dev/null
	expect_cancelled=$((expect_cancelled + 1))
	check "the backend skips the replayed order (orders_cancelled_total $expect_cancelled)" \
		wait_until 15 cancelled_is "$expect_cancelled"
	post_order "{\"fruit\": \"pears\", \"quantity\": $((q + 10))}"
	check_eq "a fresh order posted after the replay is accepted" "$STATUS" 200
	check "... and stored (the backend is working)" wait_until 15 stored_is "$((q + 10))" 1
	check_eq "the nacked order is not stored" "$(stored "$q")" 0
	stop_service "$FE_PID" frontend
	FE_PID=""
done
finish
