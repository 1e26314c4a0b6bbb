#!/usr/bin/env bash
# The queue deleted while the frontend runs (as `rabbitmqctl delete_queue task_queue` would):
# orders published to the default exchange come back unroutable (mandatory, basic.return).
# The publisher must redeclare the queue and publish the order once more, so that orders flow
# again at once, not 503 until a restart. Both publishing paths: pipelined (the default) and
# one at a time (--publish-inflight 1).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
servers_up

pump() {
	local i=0
	while [[ ! -e $TMP/stop ]]; do
		i=$((i + 1))
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -H 'Content-Type: application/json' \
			--data-binary "{\"fruit\": \"apples\", \"quantity\": $((i % 9 + 1))}" \
			"$FE/fruit" >>"$TMP/pump.log" || echo 000 >>"$TMP/pump.log"
		sleep 0.01
	done
}
accepted() { grep -c '^200$' "$TMP/pump.log" || true; }
grown() { (($(accepted) >= $1)); }
queue_count() { "$MQTOOL" "$AMQP_URL" "$QUEUE" count; }

for mode in 1024 1; do
	echo "# --publish-inflight $mode"
	# One HTTP thread: with --publish-inflight 1 each thread has its own connection, and one
	# connected only after the deletion would redeclare the queue by chance.
	start_frontend --simulate-latency=off --threads 1 --publish-inflight "$mode" --publish-timeout-ms 2000
	post_order '{"fruit": "apples", "quantity": 1}'
	check_eq "an order is accepted before the deletion" "$STATUS" 200

	"$MQTOOL" "$AMQP_URL" "$QUEUE" delete >/dev/null
	ok=0
	for i in $(seq 20); do
		post_order "{\"fruit\": \"pears\", \"quantity\": $i}"
		[[ $STATUS == 200 ]] && ok=$((ok + 1))
	done
	check_eq "after the queue was deleted, 20 orders in a row are accepted" "$ok" 20
	check_eq "... and the redeclared queue holds exactly those 20" "$(queue_count)" 20

	# The same while orders stream in: the deletion lands between and during publishes.
	: >"$TMP/pump.log"
	rm -f "$TMP/stop"
	pump &
	pump_pid=$!
	check "orders flow before the second deletion" wait_until 10 grown 10
	"$MQTOOL" "$AMQP_URL" "$QUEUE" delete >/dev/null
	t0=$SECONDS
	n=$(($(accepted) + 20))
	check "orders flow again within 5 s of deleting the queue while posting" wait_until 5 grown "$n"
	echo "    (20 more orders accepted $((SECONDS - t0)) s after the deletion)"
	touch "$TMP/stop"
	wait "$pump_pid"
	echo "    answers: $(sort "$TMP/pump.log" | uniq -c | tr '\n' ' ')"
	check "the queue exists again" queue_count
	stop_service "$FE_PID" frontend
	FE_PID=""
	"$MQTOOL" "$AMQP_URL" "$QUEUE" delete >/dev/null 2>&1 || true
done
finish
