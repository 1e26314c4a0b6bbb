# shellcheck shell=bash
# Shared code of the stack's end-to-end tests: starts the native stack, a test-only Prometheus with
# short scrape/evaluation intervals (2 s) on 127.0.0.1:19090 that loads the real rules and sends to the
# stack's Alertmanager, and the real frontend/backend binaries of the build; cleans up its own processes
# on exit (the stack stays up: stack/native/down stops it). Skips (exit 77) when the binaries are missing.
# Sourced by e2e_*.sh with: FRONTEND BACKEND TRAFFIC binary paths as $1 $2 $3.
set -euo pipefail
STACK="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRONTEND="${1:-}" BACKEND="${2:-}" TRAFFIC="${3:-}"
export FRONTEND BACKEND TRAFFIC
TEST_PROM_PORT="${STACK_TEST_PROMETHEUS_PORT:-19090}"
PROM="http://127.0.0.1:$TEST_PROM_PORT"
# The services run on their own ports in the tests, so that a frontend/backend already running on
# 5000/5001 (a demo, another suite) neither blocks nor pollutes them; the test config follows.
FE_PORT="${STACK_TEST_FRONTEND_PORT:-15100}"
BE_PORT="${STACK_TEST_BACKEND_PORT:-15101}"
FE="http://127.0.0.1:$FE_PORT"
# External label of the test Prometheus: makes this run's alerts new to Alertmanager (an alert with
# the same labels from an earlier run would be deduplicated, not notified again).
RUN_ID="e2e-$(date +%s)-$$"
WORK="$(mktemp -d /tmp/stack-e2e.XXXXXX)"
PIDS=()
declare -A PID=() # name -> pid, used by the sourcing scripts

log() { printf '[e2e %(%H:%M:%S)T] %s\n' -1 "$*"; }
fail() {
	log "FAIL: $*"
	exit 1
}

# The EXIT trap. Runs with errexit off: under set -e, the first failing command in here would end
# the shell before the processes are stopped (the test Prometheus stayed on its port, and the next
# run failed "port busy"). cleanup RC exits with RC; without an argument, with the status it found.
cleanup() {
	local rc=$?
	set +e
	(($#)) && rc=$1
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	if ((rc != 0 && rc != 77)); then
		for f in "$WORK"/*.log; do
			[[ -f $f ]] || continue
			echo "---- last lines of $(basename "$f") ----"
			tail -n 15 "$f"
		done
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
# A signal (CTest's timeout, Ctrl-C) ends the script through its EXIT trap, so the processes go too.
trap 'exit 143' TERM
trap 'exit 130' INT

require_binaries() {
	local b missing=()
	for b in "$@"; do [[ -n $b && -x $b ]] || missing+=("${b:-<not built>}"); done
	if ((${#missing[@]})); then
		log "SKIP: service binaries not built yet: ${missing[*]}"
		exit 77
	fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts a program in the background, logging to $WORK/<name>.log; remembers its pid for cleanup.
run_bg() {
	local name="$1"
	shift
	"$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	# shellcheck disable=SC2034
	PID[$name]=$!
}

wait_http() {
	local url="$1" what="$2" t0=$SECONDS
	until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
		((SECONDS - t0 < ${3:-30})) || fail "$what did not answer at $url"
		sleep 0.5
	done
}

start_stack() {
	log "starting the native stack"
	"$STACK/native/up" | sed 's/^/    /'
}

# A copy of the real prometheus.yml with 2 s intervals, absolute rule paths and the test's service ports.
start_test_prometheus() {
	port_busy "$TEST_PROM_PORT" && fail "port $TEST_PROM_PORT (test Prometheus) is busy"
	/usr/bin/python3 - "$STACK/prometheus/prometheus.yml" "$WORK/prometheus.yml" "$FE_PORT" "$BE_PORT" "$RUN_ID" <<-'PY'
		import os, sys, yaml
		src, dst, fe, be, run = sys.argv[1:6]
		with open(src) as f:
		    c = yaml.safe_load(f)
		c["global"].update(scrape_interval="2s", scrape_timeout="2s", evaluation_interval="2s")
		c["global"].setdefault("external_labels", {})["test"] = run
		base = os.path.dirname(src)
		c["rule_files"] = [os.path.join(base, r) for r in c["rule_files"]]
		ports = {"localhost:5000": f"localhost:{fe}", "localhost:5001": f"localhost:{be}"}
		for j in c["scrape_configs"]:
		    j.pop("scrape_interval", None)
		    j.pop("scrape_timeout", None)
		    for sc in j.get("static_configs", []):
		        for old, new in ports.items():
		            sc["targets"] = [t.replace(old, new) for t in sc["targets"]]
		with open(dst, "w") as f:
		    yaml.safe_dump(c, f, sort_keys=False)
	PY
	if [[ -n ${STACK_TEST_EXTRA_TARGET:-} ]]; then # job=host:port, scraped beside the real jobs
		/usr/bin/python3 - "$WORK/prometheus.yml" "$STACK_TEST_EXTRA_TARGET" <<-'PY'
			import sys, yaml
			path, spec = sys.argv[1:3]
			job, target = spec.split("=", 1)
			with open(path) as f:
			    c = yaml.safe_load(f)
			c["scrape_configs"].append({"job_name": job, "static_configs": [{"targets": [target]}]})
			with open(path, "w") as f:
			    yaml.safe_dump(c, f, sort_keys=False)
		PY
	fi
	promtool check config "$WORK/prometheus.yml" >/dev/null || fail "derived test config is invalid"
	# native histograms as the stack's Prometheus (stack/native/lib.sh) scrapes them
	run_bg prometheus prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
		--web.listen-address="127.0.0.1:$TEST_PROM_PORT" --enable-feature=native-histograms
	wait_http "$PROM/-/ready" "test Prometheus" 60
	log "test Prometheus ready on $PROM (2 s scrape and evaluation intervals, the real rules)"
}

start_services() {
	local p
	for p in "$FE_PORT" "$BE_PORT"; do
		port_busy "$p" && fail "port $p (test frontend/backend) is busy"
	done
	run_bg backend env METRICS_PORT="$BE_PORT" "$BACKEND"
	run_bg frontend env FRONTEND_PORT="$FE_PORT" "$FRONTEND"
	wait_http "http://127.0.0.1:$BE_PORT/metrics" backend 60
	wait_http "$FE/metrics" frontend 60
	log "frontend (:$FE_PORT) and backend (:$BE_PORT) up"
}

# Instant query; prints the first sample's value, or nothing.
prom_value() {
	curl -fsS --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}

wait_value() {
	local expr="$1" want="$2" timeout="$3" t0=$SECONDS
	until [[ "$(prom_value "$expr")" == "$want" ]]; do
		((SECONDS - t0 < timeout)) || fail "'$expr' did not become $want in ${timeout}s"
		sleep 1
	done
}
