#!/usr/bin/env bash
# pb_protoc.sh -- decodes pb.c's delimited MetricFamily output with independent decoders.
#
# Usage: pb_protoc.sh BUILD_DIR
# promc_pb_dump (tests/tools/pb_dump.c) writes one family of every metric type (counter with
# exemplar and created timestamp, gauge with timestamp, untyped NaN, summary, classic, native
# and classic+native histograms); the stream is split by its varint lengths (pb_protoc/split.py)
# and each message decoded by `protoc --decode io.prometheus.client.MetricFamily` against
# Debian's client_model metrics.proto; the decodes must equal pb_protoc/expected_protoc.txt.
# Then client_golang's expfmt decoder (pb_protoc/golang, GOPATH mode) reads the same stream and
# prints each family as proto text and as 0.0.4 text: must equal pb_protoc/expected_expfmt.txt.
# The expected files were checked by hand against the values pb_dump.c sets.
# Exits 77 (skipped) without protoc or the client_model package; the expfmt step needs go.
set -euo pipefail

build=$(cd "${1:?usage: pb_protoc.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
model=/usr/share/gocode/src/github.com/prometheus/client_model
dump=$build/promc/tests/promc_pb_dump
if ! command -v protoc >/dev/null || [ ! -f $model/io/prometheus/client/metrics.proto ]; then
    echo "SKIP: needs protobuf-compiler and golang-github-prometheus-client-model-dev"
    exit 77
fi
[[ -x $dump ]] || { echo "FAIL: $dump not built" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$dump" >"$tmp/all.bin"
n=$(python3 "$here/pb_protoc/split.py" "$tmp" <"$tmp/all.bin")
for f in "$tmp"/msg_*.bin; do
    echo "--- $(basename "$f")"
    protoc --decode io.prometheus.client.MetricFamily -I$model -I/usr/include \
        io/prometheus/client/metrics.proto <"$f"
done >"$tmp/protoc.txt"
if ! diff -u "$here/pb_protoc/expected_protoc.txt" "$tmp/protoc.txt" >&2; then
    echo "FAIL: protoc's decode differs from expected_protoc.txt (-expected +got)" >&2
    exit 1
fi
if command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/prometheus/common/expfmt ]; then
    work=$build/promc/tests/pb_protoc
    mkdir -p "$work"
    GOCACHE="$work/gocache" GO111MODULE=off GOPATH=/usr/share/gocode \
        go build -o "$work/pb_expfmt" "$here/pb_protoc/golang/main.go"
    "$work/pb_expfmt" <"$tmp/all.bin" >"$tmp/expfmt.txt"
    if ! diff -u "$here/pb_protoc/expected_expfmt.txt" "$tmp/expfmt.txt" >&2; then
        echo "FAIL: expfmt's decode differs from expected_expfmt.txt (-expected +got)" >&2
        exit 1
    fi
    echo "expfmt (client_golang's decoder) reads the same $n families as expected"
else
    echo "note: go or golang-github-prometheus-common-dev missing, expfmt step not run"
fi
echo "PASS: $n delimited MetricFamily messages ($(wc -c <"$tmp/all.bin") bytes) decode with protoc as expected"
