#!/usr/bin/env bash
# push_gateway.sh -- promc_push against a real Pushgateway (Debian's prometheus-pushgateway) on
# loopback: PUT, POST (adds beside, replaces same name) and DELETE, each read back through the
# gateway's own /metrics. Usage: push_gateway.sh BUILD_DIR
set -euo pipefail

build=${1:?usage: push_gateway.sh BUILD_DIR}
pusher="$build/promc/tests/test_push"
gateway_bin=$(command -v prometheus-pushgateway || true)
if [ -z "$gateway_bin" ]; then
    echo "push_gateway: prometheus-pushgateway not installed (Debian package prometheus-pushgateway)" >&2
    exit 1
fi

work=$(mktemp -d)
gw_pid=""
cleanup() {
    if [ -n "$gw_pid" ]; then kill "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# A port the kernel just gave out (test_push --free-port); retried if someone takes it first.
# Ready means our process is alive and a pushgateway answers there (not some other server).
for attempt in 1 2 3 4 5; do
    port=$("$pusher" --free-port)
    "$gateway_bin" --web.listen-address="127.0.0.1:$port" >"$work/gw.log" 2>&1 &
    gw_pid=$!
    for _ in $(seq 50); do
        if ! kill -0 "$gw_pid" 2>/dev/null; then break; fi
        # (no grep -q on a pipe: with pipefail, curl's SIGPIPE would fail the test)
        if curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null | grep '^pushgateway_build_info' >/dev/null; then
            break 2
        fi
        sleep 0.1
    done
    kill "$gw_pid" 2>/dev/null || true
    wait "$gw_pid" 2>/dev/null || true
    gw_pid=""
done
if [ -z "$gw_pid" ]; then
    echo "push_gateway: the gateway did not start:" >&2
    cat "$work/gw.log" >&2
    exit 1
fi
gw="http://127.0.0.1:$port"
echo "push_gateway: $("$gateway_bin" --version 2>&1 | head -1) on $gw"

failures=0
series() { curl -sf "$gw/metrics" | grep -E "^$1\{" || true; }
expect() { # expect NAME WANTED_LINE_OR_EMPTY; DELETE is applied asynchronously (202), so poll
    local got
    for _ in $(seq 30); do
        got=$(series "$1")
        [ "$got" = "$2" ] && break
        sleep 0.1
    done
    if [ "$got" != "$2" ]; then
        echo "FAIL: $1: got '${got}', want '$2'" >&2
        failures=$((failures + 1))
    else
        echo "ok: $1 ${2:-(absent)}"
    fi
}
labels='empty="",instance="a/b",job="promc_test"'

"$pusher" --gateway "$gw" --method put --name promc_push_a_total --value 3
expect promc_push_a_total "promc_push_a_total{$labels} 3"

# POST keeps other names of the group and replaces the same name.
"$pusher" --gateway "$gw" --method post --name promc_push_b_total --value 5
expect promc_push_a_total "promc_push_a_total{$labels} 3"
expect promc_push_b_total "promc_push_b_total{$labels} 5"
"$pusher" --gateway "$gw" --method post --name promc_push_b_total --value 7
expect promc_push_b_total "promc_push_b_total{$labels} 7"

# PUT replaces the whole group.
"$pusher" --gateway "$gw" --method put --name promc_push_b_total --value 9
expect promc_push_a_total ""
expect promc_push_b_total "promc_push_b_total{$labels} 9"

# The gateway's own record of the push time proves the grouping key arrived decoded.
if ! curl -sf "$gw/metrics" | grep "^push_time_seconds{$labels} " >/dev/null; then
    echo "FAIL: no push_time_seconds for the group" >&2
    failures=$((failures + 1))
fi

"$pusher" --gateway "$gw" --method delete
expect promc_push_b_total ""

# An HTTP error from the gateway is an error for the caller: a gauge in another group under a
# name that is a counter here is inconsistent, and the gateway answers 400.
"$pusher" --gateway "$gw" --method put --name promc_push_c --value 1
if "$pusher" --gateway "$gw" --method put --name promc_push_c_total --type gauge \
    --instance other --value 1 2>"$work/err"; then
    echo "FAIL: the gateway accepted an inconsistent push, or the error was lost" >&2
    failures=$((failures + 1))
elif ! grep -q "HTTP 400" "$work/err"; then
    echo "FAIL: expected HTTP 400 in the error, got: $(cat "$work/err")" >&2
    failures=$((failures + 1))
else
    echo "ok: inconsistent push refused: $(head -c 160 "$work/err")"
fi

echo "push_gateway: $failures failures"
[ "$failures" -eq 0 ]
