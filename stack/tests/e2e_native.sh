#!/usr/bin/env bash
# End-to-end: native histograms on a real Prometheus (Debian's 2.42 with
# --enable-feature=native-histograms, which scrapes protobuf first). Two sources:
#  - the real frontend with traffic: its native-only http_latency_native must count and sum
#    exactly what its classic http_latency does (histogram_count/histogram_sum == _count/_sum);
#  - promc_native_exporter, a promc histogram of a known log-uniform stream (10 ms .. 1 s, true
#    0.9 quantile 10^-0.2 s): histogram_quantile(0.9, sum(rate(...[30s]))) must lie within the
#    schema's relative error (2^(1/8) - 1 for schema 3) of it.
# Usage: e2e_native.sh FRONTEND BACKEND TRAFFIC NATIVE_EXPORTER (exit 77: not built)
# shellcheck source=stack/tests/e2e_lib.sh
source "$(dirname "$0")/e2e_lib.sh"
EXPORTER="${4:-}"
require_binaries "$FRONTEND" "$BACKEND" "$TRAFFIC" "$EXPORTER"
EXPORTER_PORT="${STACK_TEST_EXPORTER_PORT:-15102}"
export STACK_TEST_EXTRA_TARGET="native_known=127.0.0.1:$EXPORTER_PORT"
start_stack
port_busy "$EXPORTER_PORT" && fail "port $EXPORTER_PORT (native exporter) is busy"
run_bg native_exporter "$EXPORTER" "$EXPORTER_PORT" 400
start_test_prometheus
start_services

# 35 s: the quantile's rate() window below is 30 s (15 scrapes at 2 s; the exporter observes 400/s).
log "traffic for 35 s (4 threads) while Prometheus scrapes both"
"$TRAFFIC" --url "$FE" --concurrency 4 --duration 35 >"$WORK/traffic.log" 2>&1 ||
	fail "traffic failed"
sleep 5 # one more scrape after the last request

ok=1
# The native histogram's count and sum equal the classic one's, series by series summed.
for ep in /hello /fruit; do
	sel="endpoint=\"$ep\",job=\"frontend\""
	nc=$(prom_value "sum(histogram_count(http_latency_native{$sel}))")
	cc=$(prom_value "sum(http_latency_count{$sel})")
	ns=$(prom_value "sum(histogram_sum(http_latency_native{$sel}))")
	cs=$(prom_value "sum(http_latency_sum{$sel})")
	log "$ep: native count $nc sum $ns; classic count $cc sum $cs"
	[[ -n $nc && $nc == "$cc" && $nc != 0 ]] || { log "FAIL: $ep counts differ or are empty"; ok=0; }
	/usr/bin/python3 -c 'import sys; a,b=map(float,sys.argv[1:]); sys.exit(abs(a-b) > 1e-9*max(1,abs(b)))' \
		"${ns:-0}" "${cs:-1}" || { log "FAIL: $ep sums differ"; ok=0; }
done
# It is a native histogram: Prometheus has no _bucket series for it.
[[ -z "$(prom_value 'count(http_latency_native_bucket)')" ]] || { log "FAIL: http_latency_native has classic buckets"; ok=0; }

q=$(prom_value 'histogram_quantile(0.9, sum(rate(e2e_known_seconds[30s])))')
schema_err=$(/usr/bin/python3 -c 'print(2**(1/8) - 1)')
log "known stream: histogram_quantile(0.9) = ${q:-none}, true 0.9 quantile $(/usr/bin/python3 -c 'print(10**-0.2)'), schema 3 relative error <= $schema_err"
/usr/bin/python3 -c 'import sys; q=float(sys.argv[1] or "nan"); t=10**-0.2; sys.exit(not abs(q-t)/t <= 2**(1/8)-1)' "${q:-}" ||
	{ log "FAIL: the native 0.9 quantile is off by more than the schema allows"; ok=0; }
((ok)) || fail "native histogram checks failed (above)"
log "PASS: native count/sum equal the classic ones; the native quantile is within the schema's error"
