#!/usr/bin/env bash
# Fault tests while orders flow: SIGKILL RabbitMQ, PostgreSQL, Redis and the backend in turn,
# start each again, and check that the services keep running, degrade as specified (503 JSON for
# POST /fruit without a broker and for GET /fruit without a database; reads from PostgreSQL
# without Redis), recover within seconds, and that accepted orders == rows written, exactly.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
servers_up
start_backend --generator-ms=off --db-failure-rate=0 --job-ms=1-5
start_frontend --simulate-latency=off --cache-ttl=5

# A steady stream of orders; each answer's status is logged.
pump() {
	local fruits=(apples oranges bananas grapes pears) i=0
	while [[ ! -e $TMP/stop ]]; do
		i=$((i + 1))
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 -H 'Content-Type: application/json' \
			--data-binary "{\"fruit\": \"${fruits[i % 5]}\", \"quantity\": $((i % 9 + 1))}" \
			"$FE/fruit" >>"$TMP/pump.log" || echo 000 >>"$TMP/pump.log"
		sleep 0.02
	done
}
: >"$TMP/pump.log"
pump &
PUMP_PID=$!
accepted() { grep -c '^200$' "$TMP/pump.log" || true; }
# more_accepted N: true once N more orders than now have been accepted (call via wait_until).
grown() { (($(accepted) >= $1)); }
stack() { "$REPO/stack/native/$1" "$2" >>"$TMP/stack.log" 2>&1; }
sleep 2
check "orders flow before any fault" grown 20

echo "# RabbitMQ killed"
stack kill rabbitmq
sleep 1
post_order '{"fruit": "apples", "quantity": 1}'
check_eq "POST /fruit without a broker answers 503" "$STATUS" 503
check "... with a JSON error" grep -q '^{"error":"' <<<"$BODY"
http GET /hello
check_eq "/hello still answers without a broker" "$STATUS $BODY" "200 Hello, World!"
t0=$SECONDS
stack up rabbitmq
n=$(($(accepted) + 10))
check "POST /fruit recovers after RabbitMQ restarts" wait_until 30 grown "$n"
echo "    (broker back and orders accepted again $((SECONDS - t0)) s after the restart began)"

echo "# PostgreSQL killed"
stack kill postgres
sleep 1
redis-cli -n "$REDIS_DB" DEL fruit_pears >/dev/null
http GET "/fruit?name=pears"
check_eq "GET /fruit without a database answers 503" "$STATUS" 503
check "... with a JSON error, not an exception text" grep -q '^{"error":"Database unavailable' <<<"$BODY"
http GET /hello
check_eq "/hello still answers without a database" "$STATUS" 200
n=$(($(accepted) + 10))
check "orders are still accepted (the queue holds them)" wait_until 10 grown "$n"
stack up postgres
get_ok() {
	redis-cli -n "$REDIS_DB" DEL fruit_pears >/dev/null
	http GET "/fruit?name=pears"
	[[ $STATUS == 200 ]]
}
t0=$SECONDS
check "GET /fruit recovers after PostgreSQL restarts" wait_until 30 get_ok
echo "    (recovered $((SECONDS - t0)) s after the restart)"

echo "# Redis killed"
err0="$(metric "$FE" 'cache_requests_total{result="error"}')"
stack kill redis
sleep 0.5
http GET "/fruit?name=apples"
check_eq "GET /fruit without Redis is served from PostgreSQL" "$STATUS" 200
check "cache errors are counted" test "$(metric "$FE" 'cache_requests_total{result="error"}')" -gt "$err0"
stack up redis
hit0="$(metric "$FE" 'cache_requests_total{result="hit"}')"
hit_again() {
	http GET "/fruit?name=oranges"
	(($(metric "$FE" 'cache_requests_total{result="hit"}') > hit0))
}
check "the cache is used again after Redis restarts" wait_until 30 hit_again

echo "# backend killed"
kill -KILL "$BE_PID"
wait "$BE_PID" 2>/dev/null || true
BE_PID=""
n=$(($(accepted) + 10))
check "orders are accepted while the backend is down" wait_until 10 grown "$n"
start_backend --generator-ms=off --db-failure-rate=0 --job-ms=1-5
sleep 2

touch "$TMP/stop"
wait "$PUMP_PID"
total=$(wc -l <"$TMP/pump.log")
acc=$(accepted)
echo "    orders sent: $total, accepted (200): $acc, other answers: $(grep -v '^200$' "$TMP/pump.log" | sort | uniq -c | tr '\n' ' ')"
check "frontend survived every fault" kill -0 "$FE_PID"
check "every accepted order is stored: rows == $acc" wait_until 60 rows_are "$acc"
check_eq "rows written == accepted orders, exactly" "$(rows)" "$acc"
check_eq "no order stored twice" "$(psql_q "SELECT count(DISTINCT message_id) FROM $SCHEMA.fruits")" "$acc"
check "exposition valid after the faults" promtool_ok "$FE"
stop_service "$FE_PID" frontend
FE_PID=""
stop_service "$BE_PID" backend
BE_PID=""
finish
