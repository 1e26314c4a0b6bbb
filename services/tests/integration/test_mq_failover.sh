#!/usr/bin/env bash
# The broker as a list of nodes, and quorum queues, against the real RabbitMQ: the first node of
# AMQP_URL is dead (nothing listens on its port), so every connection of the frontend, the backend
# and mqtool must fail over to the next node at once (no backoff wait for a dead node in a list);
# QUEUE_TYPE=quorum declares task_queue and its dead-letter queue as quorum queues (a classic
# declaration of them is then refused), consumers use QoS, and orders == rows, exactly.
# The three-node cluster and its faults are stack/cluster's test (stack/tests/test_cluster_faults.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mq() { "$MQTOOL" "$AMQP_URL" "$@"; }
servers_up

dead_port=""
for p in 1 9 19 39; do port_open "$p" || { dead_port=$p && break; }; done
[[ -n $dead_port ]] || { fail "no closed port found for the dead node" && finish; }
LIVE_URL="$AMQP_URL"
export AMQP_URL="amqp://guest:guest@127.0.0.1:$dead_port/,$LIVE_URL"
export QUEUE_TYPE=quorum

echo "# mqtool through the list: the dead node costs a refused connect, not a backoff"
t0=$(date +%s%N)
check "publish through [dead, live] succeeds" mq "$QUEUE" publish '{"fruit": "apples", "quantity": 1}' fo-1
ms=$((($(date +%s%N) - t0) / 1000000))
check "... within 1 s ($ms ms, the backoff would be 100 ms per dead round, the connect timeout 2 s)" test "$ms" -lt 1000
check_eq "the queue holds it" "$(mq "$QUEUE" count)" 1
check "a classic declaration of the quorum queue is refused (it is a quorum queue)" \
	bash -c "! QUEUE_TYPE=classic '$MQTOOL' '$LIVE_URL' '$QUEUE' count" 
mq "$QUEUE" purge

echo "# frontend and backend with --queue-type quorum (QUEUE_TYPE) and the node list (AMQP_URL)"
start_backend --generator-ms=off --db-failure-rate=0 --job-ms=1-5 --workers=2 --batch=5
start_frontend --simulate-latency=off
for i in $(seq 20); do post_order "{\"fruit\": \"pears\", \"quantity\": $i}"; [[ $STATUS == 200 ]] || break; done
check_eq "20 orders accepted" "$STATUS" 200
check "20 rows stored" wait_until 15 rows_are 20
check_eq "quantities 1..20, each once" "$(psql_q "SELECT count(DISTINCT quantity) FROM $SCHEMA.fruits")" 20
mq "$QUEUE" publish 'not json at all' poison-1
check "the poison message went to the dead-letter queue" wait_until 10 \
	bash -c "[[ \$('$MQTOOL' '$AMQP_URL' '$DEAD_LETTER_QUEUE' count) == 1 ]]"
check "the dead-letter queue is a quorum queue too" \
	bash -c "! QUEUE_TYPE=classic '$MQTOOL' '$LIVE_URL' '$DEAD_LETTER_QUEUE' count"
check "the backend's consumers say they use the quorum queue on the live node with QoS" \
	grep -q "mq consumer connected queue=$QUEUE host=127.0.0.1:5672 type=quorum prefetch=" "$TMP/backend.log"
check "the frontend's publisher connected to the live node" \
	grep -q "mq publisher connected queue=$QUEUE host=127.0.0.1:5672 type=quorum" "$TMP/frontend.log"
http GET /hello
check_eq "/hello answers" "$STATUS" 200

echo "# a bad --queue-type is refused at start"
"$BIN/backend" --queue-type=stream >"$TMP/bad.out" 2>&1 && rc=0 || rc=$?
check_eq "backend --queue-type=stream exits 2" "$rc" 2
stop_service "$FE_PID" frontend
FE_PID=""
stop_service "$BE_PID" backend
BE_PID=""
finish
