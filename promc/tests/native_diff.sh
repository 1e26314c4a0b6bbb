#!/usr/bin/env bash
# native_diff.sh -- differential test of native histogram bucket placement: promc vs client_golang.
#
# Usage: native_diff.sh BUILD_DIR [N_RANDOM]
# Builds tests/native_diff/golang (GOPATH mode against Debian's client_golang 1.14, as bench/
# does) and runs it beside promc_native_diff, once as a model over native_schema.c and once
# (--real) through promc's histograms themselves. Both generate the same >= 10M
# values from splitmix64 (powers of two and neighbours, every bucket boundary, subnormals, the
# zero threshold and neighbours, ±0, ±Inf, NaN, negatives, random over the exponent range) for
# schemas -4..8 x 5 zero thresholds, plus MaxBucketNumber cases that force resolution
# reduction, and print schema, zero threshold/count, count, sum, spans and deltas. The outputs
# must be byte-identical. Exits 77 (CTest: skipped) when go or the Debian Go packages are missing.
set -euo pipefail

build=$(cd "${1:?usage: native_diff.sh BUILD_DIR [N_RANDOM]}" && pwd)
n_random=${2:-120000}
here=$(cd "$(dirname "$0")" && pwd)
cdiff=$build/promc/tests/promc_native_diff
gocode=/usr/share/gocode
work=$build/promc/tests/native_diff
mkdir -p "$work"

if ! command -v go >/dev/null || [ ! -d $gocode/src/github.com/prometheus/client_golang ]; then
    echo "SKIP: needs golang-go and golang-github-prometheus-client-golang-dev (scripts/install-deps.sh test)"
    exit 77
fi
[[ -x $cdiff ]] || { echo "FAIL: $cdiff not built" >&2; exit 1; }

start=$SECONDS
GOCACHE="$work/gocache" GO111MODULE=off GOPATH=$gocode \
    go build -o "$work/native_diff_go" "$here/native_diff/golang/main.go"
echo "built the client_golang side in $((SECONDS - start)) s ($(go version | cut -d' ' -f3))"

start=$SECONDS
GOPATH=$gocode "$work/native_diff_go" "$n_random" >"$work/golang.txt" 2>"$work/golang.err" &
gopid=$!
"$cdiff" "$n_random" >"$work/promc.txt" 2>"$work/promc.err"
"$cdiff" --real "$n_random" >"$work/promc_real.txt" 2>"$work/promc_real.err"
wait $gopid
cat "$work/golang.err" "$work/promc.err" "$work/promc_real.err"
echo "ran both in $((SECONDS - start)) s"

total=$(grep -o '[0-9]* values' "$work/promc.err" | cut -d' ' -f1)
hists=$(grep -c '^hist ' "$work/golang.txt" || true)
reduced=$(grep -A1 '^hist reduce' "$work/golang.txt" | grep -c '^schema' || true)
if ! cmp -s "$work/golang.txt" "$work/promc.txt"; then
    echo "FAIL: promc's native buckets differ from client_golang's (< client_golang, > promc):" >&2
    diff "$work/golang.txt" "$work/promc.txt" | cut -c1-160 | head -20 >&2
    exit 1
fi
# The real histograms get the same streams. Where MaxBucketNumber brings the schema below 1,
# client_golang 1.14 places values below 1 that arrive after a reduction one bucket higher than
# its own reduction merges the earlier ones (its key for schemas <= 0 divides a negative
# exponent with truncation, its reduction rounds up), so the same value lands in different
# buckets depending on when it came. promc applies the limit at scrape time to buckets kept at
# the configured schema, which is the reduction alone. For those histograms the deltas are
# compared as totals per side; schema, zero bucket, count, sum and spans stay exact.
totals() {
    awk '/^hist /{red = ($2 ~ /^reduce/)} \
         red && /_deltas/{c = 0; t = 0; for (i = 2; i <= NF; i++) {c += $i; t += c}; \
                          print $1 "_total " t; next} {print}' "$1"
}
if ! cmp -s <(totals "$work/golang.txt") <(totals "$work/promc_real.txt"); then
    echo "FAIL: promc's histograms differ from client_golang's (< client_golang, > promc):" >&2
    diff <(totals "$work/golang.txt") <(totals "$work/promc_real.txt") | cut -c1-160 | head -20 >&2
    exit 1
fi
real_exact=$(diff "$work/golang.txt" "$work/promc_real.txt" | grep -c '^<' || true)
echo "promc's histograms: every line identical except $real_exact deltas lines of reduced" \
    "histograms (same totals)"
[ "$hists" -ge 100 ] || { echo "FAIL: only $hists histograms compared" >&2; exit 1; }
if [ "$n_random" -ge 120000 ] && [ "$total" -lt 10000000 ]; then
    echo "FAIL: only $total values" >&2
    exit 1
fi
echo "PASS: $hists histograms ($reduced with resolution reduction), $total values, 45 pickSchema" \
    "factors: schema, zero bucket, count, sum, spans and deltas identical to client_golang," \
    "for native_schema.c's model, and for promc's histograms (observe + scrape; deltas of reduced ones as totals)"
