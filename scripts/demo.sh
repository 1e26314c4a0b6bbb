#!/usr/bin/env bash
# demo.sh -- runs the workshop system for real: the stack's servers (stack/native/up), the backend
# and the frontend in the background, then a burst of traffic; prints where to look.
# Usage: scripts/demo.sh [start|stop] [traffic seconds, default 30]
# The services keep running after the burst, for exploring; `make demo-stop` stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
build="${BUILD_DIR:-$repo/build}"
state="${STACK_STATE_DIR:-$repo/.state}"
demo="$state/demo"

say() { printf '[demo] %s\n' "$*"; }

stop_services() {
    local svc pid
    for svc in frontend backend; do
        [ -r "$demo/$svc.pid" ] || continue
        pid="$(cat "$demo/$svc.pid")"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            say "$svc stopped (pid $pid)"
        fi
        rm -f "$demo/$svc.pid"
    done
}

wait_http() {
    local url="$1" name="$2"
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        sleep 0.2
    done
    say "$name did not answer at $url; its log: $demo/$name.log"
    tail -n 20 "$demo/$name.log" >&2 || true
    exit 1
}

start_service() {
    local name="$1"
    shift
    if [ -r "$demo/$name.pid" ] && kill -0 "$(cat "$demo/$name.pid")" 2>/dev/null; then
        say "$name already running (pid $(cat "$demo/$name.pid"))"
        return
    fi
    setsid "$build/services/$name" "$@" >"$demo/$name.log" 2>&1 </dev/null &
    echo $! >"$demo/$name.pid"
    say "$name started (pid $!), log: $demo/$name.log"
}

case "${1:-start}" in
stop)
    stop_services
    stack/native/down
    exit 0
    ;;
start) ;;
*)
    echo "usage: $0 [start|stop] [traffic seconds]" >&2
    exit 2
    ;;
esac
seconds="${2:-30}"

for exe in frontend backend traffic; do
    [ -x "$build/services/$exe" ] || { say "$build/services/$exe is not built; run 'make build'"; exit 1; }
done
mkdir -p "$demo"
stack/native/up
start_service backend
wait_http http://localhost:5001/metrics backend
start_service frontend
wait_http http://localhost:5000/hello frontend

say "sending traffic for ${seconds}s (the seed's default: 10 loops over /hello, GET and POST /fruit)"
"$build/services/traffic" --duration="$seconds"

cat <<TXT

[demo] The system is running. Where to look:
  frontend         http://localhost:5000/hello   http://localhost:5000/fruit?name=apples
  frontend metrics http://localhost:5000/metrics
  backend metrics  http://localhost:5001/metrics
  Prometheus       http://localhost:9090/graph   (try: rate(hello_total[1m]), sum(recent_fruits))
  alerts           http://localhost:9090/alerts  Alertmanager http://localhost:9093
  RabbitMQ metrics http://localhost:15692/metrics
  More traffic:    $build/services/traffic --duration=60
  Check exercises: workshop/check all
  Grafana is not packaged by Debian; stack/README.md says how to run it with Docker.
  Stop everything: make demo-stop
TXT
