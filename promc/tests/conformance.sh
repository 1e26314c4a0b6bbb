#!/usr/bin/env bash
# conformance.sh -- checks promc's expositions with independent parsers installed from Debian.
#
# Usage: conformance.sh BUILD_DIR
# promc_conformance_dump (tests/tools) renders a registry of edge cases in both formats; then
#  1. `promtool check metrics` (package prometheus) parses and lints the 0.0.4 text: no errors,
#     no lint problems;
#  2. client_python's parsers (python3-prometheus-client, Debian's /usr/bin/python3) read both
#     formats back, and every value the dump set must come back exactly (check_conformance.py);
#  3. Prometheus' own OpenMetrics parser ingests the OpenMetrics document into a TSDB block
#     (`promtool tsdb create-blocks-from openmetrics`) and the stored series are compared.
# Each step also feeds its parser a broken document that it must reject, so a parser that
# accepts anything cannot make this test pass.
set -euo pipefail

build=${1:?usage: conformance.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
dump=$build/promc/tests/promc_conformance_dump
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus)"
"$py" -c 'import prometheus_client' 2>/dev/null ||
    fail "$py cannot import prometheus_client (Debian package python3-prometheus-client)"
[[ -x $dump ]] || fail "$dump not built"

"$dump" text >"$tmp/text.prom" || fail "promc_conformance_dump text"
"$dump" openmetrics >"$tmp/om.txt" || fail "promc_conformance_dump openmetrics"
echo "rendered: text $(wc -l <"$tmp/text.prom") lines, openmetrics $(wc -l <"$tmp/om.txt") lines"

# 1. promtool: exit 0 means it parsed and found nothing to lint (1: parse error, 3: lint).
if ! out=$(promtool check metrics <"$tmp/text.prom" 2>&1); then
    echo "$out" >&2
    fail "promtool check metrics rejected the text exposition"
fi
printf '# HELP x a \\"quoted\\" help\n# TYPE x gauge\nx 1\n' >"$tmp/bad.prom" # \" is not a HELP escape in 0.0.4
if promtool check metrics <"$tmp/bad.prom" >/dev/null 2>&1; then
    fail "promtool accepted a broken document: this check proves nothing"
fi
echo "promtool check metrics: text exposition parsed, no lint problems"

# 2. client_python, both formats, every value.
"$py" "$here/tools/check_conformance.py" "$tmp/text.prom" "$tmp/om.txt" ||
    fail "client_python parsers disagree with what was set"

# 3. Prometheus' OpenMetrics parser, through a backfilled TSDB block.
ts=$(($(date +%s) - 7200))
"$py" "$here/tools/check_conformance.py" --stamp "$tmp/om.txt" "$tmp/om_ts.txt" "$ts"
promtool tsdb create-blocks-from openmetrics "$tmp/om_ts.txt" "$tmp/tsdb" >"$tmp/backfill.log" 2>&1 ||
    { cat "$tmp/backfill.log" >&2; fail "Prometheus' OpenMetrics parser rejected the exposition"; }
mkdir -p "$tmp/tsdb/wal"
promtool tsdb dump "$tmp/tsdb" >"$tmp/dump.txt" 2>"$tmp/dump.err" || { cat "$tmp/dump.err" >&2; fail "promtool tsdb dump"; }
samples=$(grep -c '^{' "$tmp/dump.txt" || true)
want_samples=$(grep -vc '^#' "$tmp/om.txt" || true)
[[ $samples == "$want_samples" ]] || fail "Prometheus stored $samples samples, the exposition has $want_samples"
ms="${ts}000"
expected=(
    "{__name__=\"hello_total\"} 3 $ms"
    "{__name__=\"esc_total\", path=\"a\\\\b\\\"c\\nd\"} 1 $ms"
    "{__name__=\"http_latency_bucket\", endpoint=\"/hello\", le=\"1.0\", method=\"GET\"} 3 $ms"
    "{__name__=\"http_latency_bucket\", endpoint=\"/hello\", le=\"+Inf\", method=\"GET\"} 4 $ms"
    "{__name__=\"http_latency_count\", endpoint=\"/hello\", method=\"GET\"} 4 $ms"
    "{__name__=\"http_latency_sum\", endpoint=\"/hello\", method=\"GET\"} 13.305 $ms"
    "{__name__=\"num\", k=\"nan\"} NaN $ms"
    "{__name__=\"num\", k=\"pinf\"} +Inf $ms"
    "{__name__=\"num\", k=\"ninf\"} -Inf $ms"
    "{__name__=\"num\", k=\"huge\"} 1.7976931348623157e+308 $ms"
    "{__name__=\"num\", k=\"tiny\"} 5e-324 $ms"
    "{__name__=\"num\", k=\"frac\"} 0.30000000000000004 $ms"
    "{__name__=\"num\", k=\"negzero\"} -0 $ms"
    "{__name__=\"utf8\", v=\"café € 😀\"} 1 $ms"
    "{__name__=\"state\", state=\"running\"} 1 $ms"
    "{__name__=\"build_info\", commit=\"abc\", version=\"1.2.3\"} 1 $ms"
    "{__name__=\"req_size_bytes_bucket\", le=\"300.0\"} 2 $ms"
    "{__name__=\"temp_celsius_bucket\", le=\"-10.0\"} 1 $ms"
    "{__name__=\"empty_seconds\", quantile=\"0.99\"} NaN $ms"
    "{__name__=\"ex_total\"} 2 $ms"
    "{__name__=\"reads_total\"} 7 $ms"
)
for line in "${expected[@]}"; do
    grep -qxF -- "$line" "$tmp/dump.txt" || { cat "$tmp/dump.txt" >&2; fail "Prometheus did not store: $line"; }
done
sed '/^# EOF$/d' "$tmp/om_ts.txt" >"$tmp/om_bad.txt"
if promtool tsdb create-blocks-from openmetrics "$tmp/om_bad.txt" "$tmp/tsdb_bad" >/dev/null 2>&1; then
    fail "Prometheus accepted an OpenMetrics document without # EOF: this check proves nothing"
fi
echo "prometheus OpenMetrics parser: $samples samples stored, ${#expected[@]} checked exactly"
echo "conformance: all parsers agree"
