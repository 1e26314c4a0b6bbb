#!/usr/bin/env bash
# A broker that blocks publishers: RabbitMQ's memory alarm (provoked with a tiny
# vm_memory_high_watermark, ALWAYS restored by the trap below). POST /fruit must answer 503 JSON
# within the publish timeout (never hang on a write to a broker that stopped reading), /hello
# must keep answering, and both must recover once the alarm clears. Both publishing paths.
# Also checks what the frontend asks of the broker at login: the connection.blocked capability
# and the heartbeat of --amqp-heartbeat.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rmqctl() { (source "$REPO/stack/native/lib.sh" && rmqctl "$@"); }
alarm_off() { rmqctl set_vm_memory_high_watermark 0.4 >/dev/null 2>&1 || true; }
trap 'rc=$?; alarm_off; (exit $rc); cleanup' EXIT
servers_up
TIMEOUT_MS=1000

# time_post: posts one order, sets STATUS, BODY and MS (the answer's wall time in ms).
time_post() {
	local t0 t1
	t0=$(date +%s%N)
	post_order '{"fruit": "grapes", "quantity": 2}'
	t1=$(date +%s%N)
	MS=$(((t1 - t0) / 1000000))
}
order_ok() { time_post && [[ $STATUS == 200 ]]; }

for mode in 1024 1; do
	echo "# --publish-inflight $mode"
	start_frontend --simulate-latency=off --publish-inflight "$mode" \
		--publish-timeout-ms "$TIMEOUT_MS" --amqp-heartbeat 7
	time_post
	check_eq "an order is accepted before the alarm" "$STATUS" 200
	if [[ $mode != 1 ]]; then
		props="$(rmqctl list_connections client_properties timeout 2>/dev/null)"
		check "the publisher advertises the connection.blocked capability" \
			grep -qE 'connection\.blocked[^}]*true' <<<"$props"
		check "the pipelined publisher's connection has the 7 s heartbeat" grep -qE '[[:space:]]7$' <<<"$props"
	fi

	rmqctl set_vm_memory_high_watermark 0.0000001 >/dev/null
	sleep 1
	worst=0 all503=1
	for i in $(seq 5); do
		time_post
		((MS > worst)) && worst=$MS
		[[ $STATUS == 503 && $BODY == '{"error":"Order not accepted'* ]] || all503=0
	done
	check_eq "under the memory alarm POST /fruit answers 503 JSON" "$all503" 1
	check "... within the publish timeout ($TIMEOUT_MS ms + 300; slowest ${worst} ms)" test "$worst" -le $((TIMEOUT_MS + 300))
	# 20 at once: none may wait on another's blocked write.
	curls=()
	for i in $(seq 20); do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 10 -H 'Content-Type: application/json' \
			--data-binary '{"fruit": "apples", "quantity": 1}' "$FE/fruit" >>"$TMP/par.$mode" &
		curls+=($!)
	done
	wait "${curls[@]}"
	check_eq "20 concurrent orders under the alarm: all 503" "$(grep -c '^503 ' "$TMP/par.$mode")" 20
	slow=$(awk -v lim="$(((TIMEOUT_MS + 300)))" '$2 * 1000 > lim' "$TMP/par.$mode" | wc -l)
	check_eq "... each within the publish timeout" "$slow" 0
	t0=$(date +%s%N)
	http GET /hello
	t1=$(date +%s%N)
	check_eq "/hello still answers under the alarm" "$STATUS $BODY" "200 Hello, World!"
	check "... at once ($(((t1 - t0) / 1000000)) ms)" test $(((t1 - t0) / 1000000)) -lt 200

	alarm_off
	t0=$SECONDS
	check "POST /fruit recovers within 10 s of the alarm clearing" wait_until 10 order_ok
	echo "    (recovered $((SECONDS - t0)) s after the alarm cleared)"
	http GET /hello
	check_eq "/hello answers after the alarm" "$STATUS" 200
	stop_service "$FE_PID" frontend
	FE_PID=""
done
finish
