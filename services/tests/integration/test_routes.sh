#!/usr/bin/env bash
# Every route of the frontend with the facts file's exact bodies and status codes; every metric
# with its type and labels, moving as traffic flows (hello_total rises by exactly N); N accepted
# orders become N rows; a cached total is a hit, then a miss after the TTL; the simulated
# latency; valid expositions (promtool); clean SIGTERM shutdown.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
servers_up
start_backend --generator-ms=off --db-failure-rate=0 --job-ms=1-5
start_frontend --simulate-latency=off --cache-ttl=2

echo "# routes"
http GET /hello
check_eq "GET /hello status" "$STATUS" 200
check_eq "GET /hello body" "$BODY" "Hello, World!"
check_eq "GET /hello content type" "$CTYPE" "text/html; charset=utf-8"
post_order '{"fruit": "apples", "quantity": 3}'
check_eq "POST /fruit valid status" "$STATUS" 200
check_eq "POST /fruit valid body" "$BODY" '{"message":"You sent 3 apples!"}'
check_eq "POST /fruit content type" "$CTYPE" "application/json"
post_order '{"fruit": "APPLES", "quantity": 2}'
check_eq "POST /fruit lower-cases the fruit" "$BODY" '{"message":"You sent 2 apples!"}'
post_order '{"fruit": "apples"}'
check_eq "POST /fruit missing quantity status" "$STATUS" 400
check_eq "POST /fruit missing quantity body" "$BODY" '{"error":"No fruit or quantity provided"}'
post_order '{"fruit": "kiwis", "quantity": 1}'
check_eq "POST /fruit unknown fruit status" "$STATUS" 400
check_eq "POST /fruit unknown fruit body" "$BODY" '{"error":"Invalid fruit"}'
post_order '{"fruit": "pears", "quantity": 0}'
check_eq "POST /fruit quantity 0 status" "$STATUS" 400
check_eq "POST /fruit quantity 0 body" "$BODY" '{"error":"Invalid quantity"}'
post_order '{"fruit": "pears", "quantity": "3"}'
check_eq "POST /fruit quantity not an integer" "$BODY" '{"error":"Invalid quantity"}'
check "the two valid orders are stored" wait_until 15 rows_are 2
http GET "/fruit?name=apples"
check_eq "GET /fruit?name=apples status" "$STATUS" 200
check_eq "GET /fruit?name=apples body" "$BODY" '{"fruit":"apples","total_quantity":5}'
http GET /fruit
check_eq "GET /fruit (all) body" "$BODY" '{"fruit":"all","total_quantity":5}'
http GET "/fruit?name=kiwis"
check_eq "GET /fruit unknown fruit" "$STATUS $BODY" '400 {"error":"Invalid fruit"}'
http GET /nowhere
check_eq "unknown path" "$STATUS $BODY" '404 {"error":"Not found"}'
http DELETE /hello
check_eq "DELETE /hello" "$STATUS $BODY" '405 {"error":"Method not allowed"}'
allow="$(curl -s -o /dev/null -D - -X PUT "$FE/fruit" | tr -d '\r' | awk -F': ' 'tolower($1)=="allow"{print $2}')"
check_eq "PUT /fruit names the allowed methods" "$allow" "GET, HEAD, POST"
# every request and error sample summed: a counted /healthz (or a 404 for it) moves it
requests_sum() { curl -s "$FE/metrics" | awk '$1 ~ /^(http_requests|errors)_total[{]/ { s += $2 } END { print s + 0 }'; }
before="$(requests_sum)"
http GET /healthz
check_eq "GET /healthz" "$STATUS $CTYPE $BODY" '200 application/json {"status":"ok"}'
check_eq "GET /healthz counts as no request" "$(requests_sum)" "$before"
http GET /metrics
check_eq "/metrics status" "$STATUS" 200
check_eq "/metrics content type" "$CTYPE" "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"
om="$(curl -s -H 'Accept: application/openmetrics-text; version=1.0.0' "$FE/metrics" | tail -n 1)"
check_eq "/metrics negotiates OpenMetrics" "$om" "# EOF"

echo "# metric types and labels (frontend)"
for tm in hello_total:counter all_fruits:gauge recent_fruits:gauge http_latency:histogram \
	http_requests_total:counter errors_total:counter quantity_total:counter mq_publish_total:counter \
	mq_publish_latency:histogram cache_requests_total:counter hello_jobs_dropped_total:counter \
	hello_jobs_pending:gauge process_cpu_seconds_total:counter process_resident_memory_bytes:gauge \
	process_open_fds:gauge; do
	check_eq "frontend $tm" "${tm%%:*}:$(metric_type "$FE" "${tm%%:*}")" "$tm"
done
for s in 'http_latency_bucket{method="GET",endpoint="/hello",le="0.005"}' \
	'http_latency_bucket{method="POST",endpoint="/fruit",le="10.0"}' \
	'http_latency_count{method="GET",endpoint="/fruit"}' \
	'http_requests_total{method="DELETE",endpoint="/hello"}' \
	'errors_total{method="POST",endpoint="/fruit",error="MissingValueError"}' \
	'errors_total{method="POST",endpoint="/fruit",error="FruitValueError"}' \
	'errors_total{method="POST",endpoint="/fruit",error="QuantityValueError"}' \
	'errors_total{method="GET",endpoint="/fruit",error="FruitValueError"}' \
	"mq_publish_total{queue=\"$QUEUE\"}" 'recent_fruits{fruit="apples"}' \
	'cache_requests_total{result="hit"}'; do
	v="$(metric "$FE" "$s")"
	if [[ $v != absent ]]; then pass "series $s present ($v)"; else fail "series $s absent"; fi
done
check_eq "quantity_total{fruit=apples} is the accepted quantity" \
	"$(metric "$FE" 'quantity_total{fruit="apples"}')" 5
check_eq "recent_fruits{fruit=apples} set by GET /fruit" "$(metric "$FE" 'recent_fruits{fruit="apples"}')" 5
check_eq "all_fruits set by GET /fruit" "$(metric "$FE" all_fruits)" 5

echo "# hello_total rises by exactly N"
before="$(metric "$FE" hello_total)"
jobs_before="$(metric "$BE" jobs_total)"
for _ in $(seq 25); do curl -s -o /dev/null "$FE/hello"; done
check_eq "hello_total after 25 /hello" "$(metric "$FE" hello_total)" "$((before + 25))"
check_eq "http_latency_count{GET,/hello} after 26 /hello" \
	"$(metric "$FE" 'http_latency_count{method="GET",endpoint="/hello"}')" 26
jobs_are() { [[ "$(metric "$BE" jobs_total)" == "$1" ]]; }
check "the backend runs the 25 hello jobs (jobs_total +25)" wait_until 15 jobs_are "$((jobs_before + 25))"

echo "# N accepted orders become N rows"
fruits=(apples oranges bananas grapes pears)
accepted=0
for i in $(seq 40); do
	post_order "{\"fruit\": \"${fruits[i % 5]}\", \"quantity\": $((i % 7 + 1))}"
	[[ $STATUS == 200 ]] && accepted=$((accepted + 1))
done
check_eq "40 valid orders accepted" "$accepted" 40
check "42 rows stored" wait_until 20 rows_are 42
check_eq "mq_publish_total{queue} counts the confirmed orders and hello jobs" \
	"$(metric "$FE" "mq_publish_total{queue=\"$QUEUE\"}")" "$((42 + 26))"
check_eq "every row carries a distinct message id" \
	"$(psql_q "SELECT count(DISTINCT message_id) FROM $SCHEMA.fruits")" 42

echo "# metric types and labels (backend)"
for tm in worker_busy:gauge jobs_total:counter jobs_outcome_total:counter \
	job_duration_seconds:summary database_insert_latency:histogram cache_delete_latency:histogram \
	mq_read_latency:histogram mq_publish_total:counter mq_publish_latency:histogram \
	orders_duplicate_total:counter process_cpu_seconds_total:counter; do
	check_eq "backend $tm" "${tm%%:*}:$(metric_type "$BE" "${tm%%:*}")" "$tm"
done
for s in 'job_duration_seconds{quantile="0.5"}' 'job_duration_seconds{quantile="0.9"}' \
	'job_duration_seconds{quantile="0.99"}' 'jobs_outcome_total{outcome="ok"}' \
	'jobs_outcome_total{outcome="failed"}' 'jobs_outcome_total{outcome="poison"}' \
	'jobs_outcome_total{outcome="retried"}' 'database_insert_latency_bucket{le="+Inf"}'; do
	v="$(metric "$BE" "$s")"
	if [[ $v != absent ]]; then pass "series $s present ($v)"; else fail "series $s absent"; fi
done
check_eq "jobs_outcome_total{ok} = 42 orders + 26 hello jobs" \
	"$(metric "$BE" 'jobs_outcome_total{outcome="ok"}')" 68
check_eq "job_duration_seconds_count = jobs_total" "$(metric "$BE" job_duration_seconds_count)" \
	"$(metric "$BE" jobs_total)"
# One observation per insert statement: a batch holds one or more orders, so 1..42 of them.
n_inserts="$(metric "$BE" database_insert_latency_count)"
if [[ $n_inserts =~ ^[0-9]+$ ]] && ((n_inserts >= 1 && n_inserts <= 42)); then
	pass "database_insert_latency_count = $n_inserts statements for 42 orders (batches)"
else
	fail "database_insert_latency_count: got [$n_inserts], want 1..42 (one per batch of orders)"
fi

echo "# cache: miss, hit, then miss after the TTL"
hits() { metric "$FE" 'cache_requests_total{result="hit"}'; }
misses() { metric "$FE" 'cache_requests_total{result="miss"}'; }
h0="$(hits)" m0="$(misses)"
http GET "/fruit?name=grapes"
check_eq "first GET /fruit?name=grapes is a miss" "$(hits) $(misses)" "$h0 $((m0 + 1))"
check_eq "the total is cached under fruit_grapes" "$(redis-cli -n "$REDIS_DB" GET fruit_grapes)" \
	"$(psql_q "SELECT sum(quantity) FROM $SCHEMA.fruits WHERE name = 'grapes'")"
http GET "/fruit?name=grapes"
check_eq "second GET is a hit" "$(hits) $(misses)" "$((h0 + 1)) $((m0 + 1))"
sleep 2.5
http GET "/fruit?name=grapes"
check_eq "after the 2 s TTL it is a miss again" "$(hits) $(misses)" "$((h0 + 1)) $((m0 + 2))"
post_order '{"fruit": "grapes", "quantity": 1}'
gone() { [[ "$(redis-cli -n "$REDIS_DB" EXISTS fruit_grapes)" == 0 ]]; }
check "a new grapes order deletes fruit_grapes (backend)" wait_until 10 gone

echo "# traffic (libcurl multi) against the frontend"
h0="$(metric "$FE" hello_total)"
check "traffic runs 90 requests" "$BIN/traffic" --url "$FE" --requests 90 --concurrency 6 \
	--pause-ms off --progress off --fruits apples,pears >"$TMP/traffic.out"
cat "$TMP/traffic.out"
col() { awk -v m="$1" -v p="$2" -v c="$3" '/^by status/ { exit } $1 == m && $2 == p { print $c }' "$TMP/traffic.out"; }
sent=$(($(col GET /hello 3) + $(col GET /fruit 3) + $(col POST /fruit 3)))
ok2xx=$(($(col GET /hello 4) + $(col GET /fruit 4) + $(col POST /fruit 4)))
check_eq "traffic's summary counts 90 requests" "$sent" 90
check_eq "all of them answered 2xx" "$ok2xx" 90
check_eq "hello_total rose by traffic's GET /hello count" "$(metric "$FE" hello_total)" \
	"$((h0 + $(col GET /hello 3)))"
check "traffic --help documents its flags and env vars" grep -q TRAFFIC_CONCURRENCY \
	<<<"$("$BIN/traffic" --help)"

echo "# expositions"
check "frontend exposition passes promtool check metrics" promtool_ok "$FE"
check "backend exposition passes promtool check metrics" promtool_ok "$BE"

echo "# simulated latency (on by default)"
stop_service "$FE_PID" frontend
FE_PID=""
start_frontend --latency-ms=100-500
t="$(curl -s -o /dev/null -w '%{time_total}' "$FE/hello")"
check "simulated /hello latency $t s is within 0.1-0.6 s" awk -v t="$t" 'BEGIN { exit !(t >= 0.1 && t < 0.6) }'
sum="$(metric "$FE" 'http_latency_sum{method="GET",endpoint="/hello"}')"
check "http_latency_sum includes it ($sum s)" awk -v t="$sum" 'BEGIN { exit !(t >= 0.1) }'
# 20 concurrent delayed requests must not queue behind each other on the 8 HTTP threads.
start=$(date +%s.%N)
pids=()
for _ in $(seq 20); do
	curl -s -o /dev/null "$FE/hello" &
	pids+=($!)
done
wait "${pids[@]}"
el="$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
check "20 concurrent delayed requests take $el s (< 1.5 s: delays do not hold threads)" \
	awk -v t="$el" 'BEGIN { exit !(t < 1.5) }'

stop_service "$FE_PID" frontend
FE_PID=""
stop_service "$BE_PID" backend
BE_PID=""
finish
