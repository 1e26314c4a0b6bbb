#!/usr/bin/env bash
# End-to-end: with the native stack, the real frontend/backend and traffic running, every query of the
# seed's exercise 6, every recording rule and every expression of every Grafana panel returns data from
# a real Prometheus (a test instance with 2 s intervals and the real rules). A panel whose query
# returns nothing fails the test. Usage: e2e_queries.sh FRONTEND BACKEND TRAFFIC (exit 77: not built)
# shellcheck source=stack/tests/e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"
require_binaries "$FRONTEND" "$BACKEND" "$TRAFFIC"
start_stack
start_test_prometheus
start_services

log "running traffic (10 threads, 120 s) and a few invalid orders"
run_bg traffic "$TRAFFIC" --url "$FE" --concurrency 10 --duration 120
bad_orders() {

	for _ in $(seq 40); do
		curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"fruit":"kiwis","quantity":1}' "$FE/fruit"
		curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"fruit":"apples","quantity":0}' "$FE/fruit"
		curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"fruit":"apples"}' "$FE/fruit"
		sleep 3
	done
}
bad_orders >"$WORK/bad_orders.log" 2>&1 &
PIDS+=($!)

sleep 30
kill -0 "${PID[traffic]}" 2>/dev/null || fail "traffic exited early"

# Every query exercise 6 of the seed lists.
ex6=(
	'hello_total'
	'rate(hello_total[1m])'
	'recent_fruits'
	'count(recent_fruits)'
	'sum(recent_fruits)'
	'sum(http_latency_count)'
	'histogram_quantile(0.5, sum(rate(http_latency_bucket[5m])) by (le))'
	'histogram_quantile(0.95, sum(rate(http_latency_bucket[5m])) by (le))'
	'count by(job) ({__name__=~".+"})'
	'{job="frontend"}'
	'{job="backend"}'
)
args=(--url "$PROM" --deadline 60 --dashboards "$STACK/grafana/dashboards" --rules "$STACK/prometheus/rules/recording.yml")
for q in "${ex6[@]}"; do args+=(--query "$q"); done
log "checking ${#ex6[@]} exercise-6 queries, the recording rules and every dashboard panel"
/usr/bin/python3 "$STACK/tests/promql_check.py" "${args[@]}" || fail "queries without data (above)"

# Every scrape job but Grafana (not packaged by Debian) is up and has series.
for job in prometheus alertmanager rabbitmq node_exporter postgres_exporter redis_exporter blackbox_exporter \
	blackbox_http frontend backend; do
	[[ "$(prom_value "up{job=\"$job\"} == 1")" == 1 ]] || fail "job $job is not up"
done
[[ "$(prom_value 'min(probe_success{job="blackbox_http"})')" == 1 ]] || fail "a blackbox probe fails"
log "PASS: every exercise-6 query, recording rule and dashboard panel returned data; all jobs up"
