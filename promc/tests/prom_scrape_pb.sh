#!/usr/bin/env bash
# prom_scrape_pb.sh -- a real Prometheus ingests promc's protobuf exposition.
#
# Usage: prom_scrape_pb.sh BUILD_DIR
# Debian's Prometheus 2.42 with --enable-feature=native-histograms (which makes it send its
# protobuf-first Accept header) scrapes promc_pb_serve (tools/pb_serve.c: every type, a UTF-8
# name) every second, both on private loopback ports with their own storage. Checked: the scrape
# asked for protobuf, the target is up, and the API's values are the ones the registry holds:
# counter (with _total), gauge, histogram count/sum/buckets, summary quantile, info and
# stateset gauges, and the UTF-8 name escaped with underscores (Prometheus 2.42 sends no
# escaping=, so the default applies).
# Exits 77 (skipped) without prometheus or curl.
set -euo pipefail

build=$(cd "${1:?usage: prom_scrape_pb.sh BUILD_DIR}" && pwd)
serve=$build/promc/tests/promc_pb_serve
if ! command -v prometheus >/dev/null || ! command -v curl >/dev/null; then
    echo "SKIP: needs prometheus and curl"
    exit 77
fi
[[ -x $serve ]] || { echo "FAIL: $serve not built" >&2; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    echo "--- server log" >&2
    tail -5 "$tmp/serve.log" >&2 || true
    echo "--- prometheus log" >&2
    tail -20 "$tmp/prom.log" >&2 || true
    exit 1
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
app=$(free_port)
prom=$(free_port)
"$serve" "$app" 2>"$tmp/serve.log" &
pids+=($!)
cat >"$tmp/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: promc
    static_configs:
      - targets: ["127.0.0.1:$app"]
YML
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$prom" --enable-feature=native-histograms \
    >"$tmp/prom.log" 2>&1 &
pids+=($!)

query() { # PromQL -> the first result's value, or "" when none
    curl -sf --max-time 5 "http://127.0.0.1:$prom/api/v1/query" --data-urlencode "query=$1" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
up=""
for _ in $(seq 1 60); do
    up=$(query 'up{job="promc"}' 2>/dev/null || true)
    [[ $up == 1 ]] && break
    sleep 0.5
done
[[ $up == 1 ]] || fail "the promc target never came up (up=$up)"
sleep 1.5 # a scrape after the first, so every series has a sample
grep -q 'accept=application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited' \
    "$tmp/serve.log" || fail "Prometheus did not ask for protobuf first"

check() { # PromQL, expected value
    local got
    got=$(query "$1")
    [[ $got == "$2" ]] || fail "$1 = '$got', want $2"
    echo "ok: $1 = $got"
}
check 'pbtest_requests_total{code="200"}' 42
check 'pbtest_depth' -2.5
check 'pbtest_latency_seconds_count' 3
check 'pbtest_latency_seconds_sum' 5.55
check 'pbtest_latency_seconds_bucket{le="0.1"}' 1
check 'pbtest_latency_seconds_bucket{le="1.0"}' 2 # 2.42's protobuf parser writes le as OpenMetrics does
check 'pbtest_latency_seconds_bucket{le="+Inf"}' 3
check 'pbtest_size{quantile="0.5"}' 7
check 'pbtest_build_info{version="1.0"}' 1
check 'pbtest_state{pbtest_state="b"}' 1
check 'pbtest_state{pbtest_state="a"}' 0
check 'pbtest_dotted' 3
echo "PASS: Prometheus $(prometheus --version 2>&1 | sed -n '1s/.*version \([^ ]*\).*/\1/p') scraped promc over protobuf and stores every type's values"
