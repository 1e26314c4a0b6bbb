#!/usr/bin/env bash
# pb_scrape.sh -- promc's protobuf exposition of a real registry, decoded by independent decoders.
#
# Usage: pb_scrape.sh BUILD_DIR
# promc_pb_scrape (tools/pb_scrape.c) renders one registry of every type (exemplars, created
# timestamps, a collector's families, escaping in values and help) as delimited protobuf, text
# 0.0.4 and OpenMetrics. Then:
#  1. `protoc --decode io.prometheus.client.MetricFamily` (Debian's client_model metrics.proto)
#     decodes each delimited message: as many as the text has families, with the same names, the
#     exemplars and the created timestamps (fields client_model 0.3.0 predates: protoc shows them
#     by number, 3 in Counter, 15 in Histogram, 4 in Summary);
#  2. client_golang's expfmt (pb_scrape/golang, GOPATH mode against Debian's gocode) decodes the
#     protobuf and parses the text, and finds the same families (pb_compare checks it);
#  3. native histogram views (render_pb.c's family encoder fed directly) and real native
#     histograms of a registry scrape decode with protoc and expfmt as expected_native_*.txt says,
#     checked by hand against the values tools/pb_scrape.c sets;
#  4. the same as 2 for a registry with UTF-8 names under underscores escaping. Quoted UTF-8 names
#     (allow-utf-8) have no independent parser in Debian: expfmt of prometheus/common 0.39 and
#     promtool/Prometheus 2.42 predate the quoted syntax; what they say is printed, not judged.
# Exits 77 (skipped) without protoc and client_model; steps 2-3 need go and prometheus/common.
set -euo pipefail

build=$(cd "${1:?usage: pb_scrape.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
model=/usr/share/gocode/src/github.com/prometheus/client_model
scrape=$build/promc/tests/promc_pb_scrape
if ! command -v protoc >/dev/null || [ ! -f $model/io/prometheus/client/metrics.proto ]; then
    echo "SKIP: needs protobuf-compiler and golang-github-prometheus-client-model-dev"
    exit 77
fi
[[ -x $scrape ]] || { echo "FAIL: $scrape not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$scrape" "$tmp/s" --utf8
mkdir "$tmp/msgs"
n=$(python3 "$here/pb_protoc/split.py" "$tmp/msgs" <"$tmp/s.pb")
families=$(grep -c '^# TYPE ' "$tmp/s.txt")
[[ $n == "$families" ]] || fail "$n protobuf messages, $families families in the text scrape"
for f in "$tmp"/msgs/msg_*.bin; do
    protoc --decode io.prometheus.client.MetricFamily -I$model -I/usr/include \
        io/prometheus/client/metrics.proto <"$f" || fail "protoc cannot decode $(basename "$f")"
done >"$tmp/protoc.txt"
# every family name of the text (TYPE lines of 0.0.4 name the series family) is a protobuf name
while read -r name; do
    grep -qx "name: \"$name\"" "$tmp/protoc.txt" || fail "protoc: no family $name"
done < <(sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$tmp/s.txt")
ex=$(grep -c 'exemplar {' "$tmp/protoc.txt")
[[ $ex == 3 ]] || fail "protoc: $ex exemplars, want 3 (counter, two histogram buckets)"
grep -A3 'value: "4bf92f3577b34da6"' "$tmp/protoc.txt" | grep -q 'value: 1' ||
    fail "protoc: the counter exemplar lost its value"
grep -q 'value: "u\\"1"' "$tmp/protoc.txt" || fail "protoc: exemplar label value not unescaped"
grep -q 'value: "/a \\"quoted\\"\\\\path\\nnl"' "$tmp/protoc.txt" ||
    fail "protoc: label value not carried raw"
hist_created=$(grep -c '^    15 {' "$tmp/protoc.txt" || true)
[[ $hist_created == 2 ]] || fail "protoc: $hist_created histogram created timestamps, want 2"
ctr_created=$(grep -c '^    3 {' "$tmp/protoc.txt" || true)
[[ $ctr_created == 2 ]] || fail "protoc: $ctr_created counter created timestamps, want 2"
sum_created=$(grep -c '^    4 {' "$tmp/protoc.txt" || true)
[[ $sum_created == 1 ]] || fail "protoc: $sum_created summary created timestamps, want 1"
grep -q 'unit: "seconds"' "$tmp/protoc.txt" || grep -q '^5: "seconds"' "$tmp/protoc.txt" ||
    fail "protoc: no unit"
echo "protoc: $n delimited MetricFamily messages decode, the text's $families families, 3 exemplars, created timestamps, unit"

mkdir "$tmp/native"
python3 "$here/pb_protoc/split.py" "$tmp/native" <"$tmp/s.native.pb" >/dev/null
for f in "$tmp"/native/msg_*.bin; do
    echo "--- $(basename "$f")"
    protoc --decode io.prometheus.client.MetricFamily -I$model -I/usr/include \
        io/prometheus/client/metrics.proto <"$f"
done | awk '/^--- msg_/ {real = ($2 >= "msg_002")} # the real histograms: created is now
        real && /^ *15 \{$/ {print; print "      (created: the time of the run)"; skip = 1; next}
        skip && /^ *\}$/ {skip = 0} skip {next} {print}' >"$tmp/native.txt"
diff -u "$here/pb_scrape/expected_native_protoc.txt" "$tmp/native.txt" >&2 ||
    fail "protoc: native histograms differ from expected_native_protoc.txt (-expected +got)"
echo "protoc: native histograms (classic+native, native-only empty and with buckets) as expected"
# A native-only histogram's exemplar travels in Histogram.exemplars (field 16, newer than
# Debian's client_model: protoc shows it by number), with its labels and value.
mkdir "$tmp/native_ex"
python3 "$here/pb_protoc/split.py" "$tmp/native_ex" <"$tmp/s.native_ex.pb" >/dev/null
protoc --decode io.prometheus.client.MetricFamily -I$model -I/usr/include \
    io/prometheus/client/metrics.proto <"$tmp/native_ex/msg_000.bin" >"$tmp/native_ex.txt"
awk '/^    16 \{/ {in16 = 1} in16' "$tmp/native_ex.txt" | grep -q '"abc123"' ||
    { cat "$tmp/native_ex.txt" >&2; fail "protoc: the native-only histogram's exemplar is not in field 16"; }
# (an unknown field's double shows as its bits: 0.25 is 0x3fd0000000000000)
grep -q '^      2: 0x3fd0000000000000$' "$tmp/native_ex.txt" || fail "protoc: the exemplar's value is not 0.25"
echo "protoc: a native-only histogram's exemplar in Histogram.exemplars (16)"

if command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/prometheus/common/expfmt ]; then
    work=$build/promc/tests/pb_scrape
    mkdir -p "$work"
    GOCACHE="$work/gocache" GO111MODULE=off GOPATH=/usr/share/gocode \
        go build -o "$work/pb_compare" "$here/pb_scrape/golang/main.go"
    "$work/pb_compare" "$tmp/s.pb" "$tmp/s.txt" || fail "expfmt: protobuf and text differ"
    "$work/pb_compare" "$tmp/s.under.pb" "$tmp/s.under.txt" ||
        fail "expfmt: protobuf and text differ (UTF-8 names, underscores)"
    grep -q '^my_metric{label_name="v"} 1$' "$tmp/s.under.txt" || fail "underscores: my_metric"
    "$work/pb_compare" --native "$tmp/s.native.pb" >"$tmp/native_expfmt.txt"
    diff -u "$here/pb_scrape/expected_native_expfmt.txt" "$tmp/native_expfmt.txt" >&2 ||
        fail "expfmt: native histograms differ from expected_native_expfmt.txt (-expected +got)"
    echo "expfmt: native histograms decode with their schema, zero bucket, spans and deltas"
else
    echo "note: go or golang-github-prometheus-common-dev missing, expfmt step not run"
fi

echo "--- UTF-8 names quoted (allow-utf-8), text 1.0.0:"
cat "$tmp/s.utf8.txt"
if command -v promtool >/dev/null; then
    if promtool check metrics <"$tmp/s.utf8.txt" >"$tmp/promtool.txt" 2>&1; then
        echo "note: promtool $(promtool --version 2>&1 | sed -n '1s/.*version \([^ ]*\).*/\1/p') accepts the quoted names"
    else
        echo "note: promtool $(promtool --version 2>&1 | sed -n '1s/.*version \([^ ]*\).*/\1/p') predates quoted names: $(head -1 "$tmp/promtool.txt")"
    fi
fi
echo "PASS: protobuf scrape of every type decodes with protoc and expfmt into the text scrape's families"
