#!/usr/bin/env bash
# check_e2e.sh -- workshop/check against real systems: the native stack, a test Prometheus (2 s
# scrape and evaluation intervals, the real rules, the stack's Alertmanager; from
# stack/tests/e2e_lib.sh) and the services on test ports with their own queue, PostgreSQL schema
# and Redis database.
#   check_e2e.sh start [ "" "" MQTOOL ]
#                        derives and builds the starting point (workshop/run --build-only) and
#                        runs it: the checker must report every exercise, 0 to 9 and 11, missing, each
#                        with a hint, and exit 1.
#   check_e2e.sh states  derives, builds and runs the state after each exercise 0 to 5 in turn:
#                        `workshop/check 0-5` must report exactly the exercises up to it done.
#   check_e2e.sh walk    the same on the attendee's path: the starting point with the guide's code
#                        blocks of exercises 0..n pasted in (tools/inplace.py --walk n), n = 0 to 5.
#   check_e2e.sh slo FRONTEND BACKEND [MQTOOL]
#                        exercise 11: the frontend slowed (--latency-ms 800-1200) until the fast-burn
#                        alert fires while the slow one does not; workshop/check 11 passes.
#   check_e2e.sh full FRONTEND BACKEND [MQTOOL]
#                        the instrumented services of this build: exercises 0-5 pass; 6 passes on
#                        the test Prometheus; 7 and 8 on the stack's dashboard files (no Grafana
#                        runs here); then the backend is stopped until ServiceDown fires, started
#                        again, and `workshop/check all` must pass all ten exercises.
# Exit 77 (skipped) when the binaries of the full run are not built.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WS="$(dirname "$HERE")"
REPO="$(dirname "$WS")"
MODE="${1:?usage: check_e2e.sh start | full FRONTEND BACKEND [MQTOOL]}"
FE_BIN="${2:-}" BE_BIN="${3:-}" MQTOOL="${4:-}"

export STACK_TEST_PROMETHEUS_PORT="${WORKSHOP_TEST_PROMETHEUS_PORT:-19190}"
export STACK_TEST_FRONTEND_PORT="${WORKSHOP_TEST_FRONTEND_PORT:-15200}"
export STACK_TEST_BACKEND_PORT="${WORKSHOP_TEST_BACKEND_PORT:-15201}"
# shellcheck source=stack/tests/e2e_lib.sh
source "$REPO/stack/tests/e2e_lib.sh" "$FE_BIN" "$BE_BIN" ""
BE="http://127.0.0.1:$BE_PORT"

# Isolation: this run's queue, schema and Redis database (a workshop on 5000/5001 is left alone).
SCHEMA="wscheck_$$"
PG_URL="postgresql://demo:demo@127.0.0.1:5432/demo"
export QUEUE="task_queue_$SCHEMA" DEAD_LETTER_QUEUE="task_queue_$SCHEMA.dead"
export PG_DSN="$PG_URL?options=-c%20search_path%3D$SCHEMA%20-c%20client_min_messages%3Dwarning"
export REDIS_HOST=127.0.0.1 REDIS_DB="${WORKSHOP_TEST_REDIS_DB:-11}"
export FRONTEND_PORT="$FE_PORT" METRICS_PORT="$BE_PORT"
CHECK=("$WS/check" --frontend "$FE" --backend "$BE" --prometheus "$PROM"
	--alertmanager http://127.0.0.1:9093 --grafana http://127.0.0.1:1 --color never --timeout 10)

psql_q() { psql "$PG_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
# The EXIT trap, with errexit off: a failing command in it must not end the shell before
# cleanup has stopped the test Prometheus and the services (see cleanup in e2e_lib.sh).
tidy() {
	local rc=$?
	set +e
	psql_q "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
	if [[ -x $MQTOOL ]]; then
		"$MQTOOL" "amqp://guest:guest@127.0.0.1:5672" "$QUEUE" delete >/dev/null 2>&1 || true
		"$MQTOOL" "amqp://guest:guest@127.0.0.1:5672" "$DEAD_LETTER_QUEUE" delete >/dev/null 2>&1 || true
	fi
	redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null 2>&1 || true
	cleanup "$rc" # e2e_lib's: stops what run_bg started, removes $WORK, exits with rc
}
trap tidy EXIT

start_backend() {
	run_bg backend "$BE_BIN" --workers 4
	[[ $MODE == full ]] && wait_http "$BE/metrics" backend 30
	return 0
}
start_services_on_test_ports() {
	local p
	for p in "$FE_PORT" "$BE_PORT"; do port_busy "$p" && fail "port $p (test frontend/backend) is busy"; done
	start_backend
	run_bg frontend "$FE_BIN"
	local t0=$SECONDS
	until curl -fsS -o /dev/null --max-time 2 "$FE/hello"; do
		((SECONDS - t0 < 30)) || fail "the frontend did not answer at $FE/hello"
		sleep 0.5
	done
	log "frontend (:$FE_PORT) and backend up, queue $QUEUE, schema $SCHEMA, Redis db $REDIS_DB"
}
# Some of every request, so that the histograms and the seed's queries have data.
some_traffic() {
	local i pids=()
	for i in $(seq 10); do
		curl -sS -o /dev/null "$FE/hello" &
		pids+=($!)
		curl -sS -o /dev/null "$FE/fruit?name=apples" &
		pids+=($!)
		curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' \
			-d "{\"fruit\": \"apples\", \"quantity\": $i}" "$FE/fruit" &
		pids+=($!)
	done
	wait "${pids[@]}"
}
# run_check WANT_STATUS ARGS...: runs the checker, keeps its report in $WORK/check.out.
run_check() {
	local want="$1" rc=0
	shift
	log "workshop/check $*"
	"${CHECK[@]}" "$@" >"$WORK/check.out" 2>&1 || rc=$?
	sed 's/^/    /' "$WORK/check.out"
	((rc == want)) || fail "workshop/check $* exited $rc, expected $want"
}
expect_text() {
	grep -qF -- "$1" "$WORK/check.out" || fail "the report does not say: $1"
}

# received URL: the alert ServiceDown{job="backend"} of this run (its test label) is at URL, an
# Alertmanager's /api/v2/alerts or the webhook receiver's /alerts (notifications holding alerts).
received() {
	curl -fsS --max-time 5 "$1" 2>/dev/null | /usr/bin/python3 -c '
import json, sys
doc, run = json.load(sys.stdin), sys.argv[1]
alerts = [a for n in doc for a in (n.get("alerts", [n]) if isinstance(n, dict) else [])]
sys.exit(0 if any(a["labels"].get("test") == run and a["labels"].get("alertname") == "ServiceDown"
                  and a["labels"].get("job") == "backend" for a in alerts) else 1)' "$RUN_ID"
}
wait_for() {
	local what="$1" timeout="$2" t0=$SECONDS
	shift 2
	until "$@"; do
		((SECONDS - t0 < timeout)) || fail "$what: not within ${timeout}s"
		sleep 1
	done
	log "$what: after $((SECONDS - t0)) s"
}

stop_services() {
	local name
	for name in frontend backend; do
		kill -TERM "${PID[$name]}" 2>/dev/null || true
		wait "${PID[$name]}" 2>/dev/null || true
	done
}

start_stack
psql_q "CREATE SCHEMA $SCHEMA" >/dev/null
redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null

if [[ $MODE == states || $MODE == walk ]]; then
	for n in 0 1 2 3 4 5; do
		if [[ $MODE == walk ]]; then
			# The attendee's tree: the starting point with the guide's blocks of 0..n pasted in.
			/usr/bin/python3 "$WS/tools/inplace.py" --work "$WORK/inplace" --walk "$n" -j 2 >/dev/null ||
				fail "the guide's blocks of exercises 0 to $n do not build (tools/inplace.py --walk $n)"
			FE_BIN="$WORK/inplace/walk/build/services/frontend" BE_BIN="$WORK/inplace/walk/build/services/backend"
		else
			"$WS/run" "$n" --build-only --no-stack --dir "$WORK/state$n" -j "$(nproc)" >/dev/null
			FE_BIN="$WORK/state$n/build/services/frontend" BE_BIN="$WORK/state$n/build/services/backend"
		fi
		start_services_on_test_ports
		run_check $((n == 5 ? 0 : 1)) 0-5
		for e in 0 1 2 3 4 5; do
			want=MISSING
			((e <= n)) && want=DONE
			grep -qE "^Exercise $e: .* $want\$" "$WORK/check.out" ||
				fail "after exercise $n, exercise $e is not reported $want"
		done
		log "the state after exercise $n: exercises 0 to $n done, the others missing"
		stop_services
	done
	log "PASS: each exercise's state ($MODE) passes exactly the exercises up to it"
	exit 0
fi

start_test_prometheus

if [[ $MODE == start ]]; then
	"$WS/run" start --build-only --no-stack --dir "$WORK/tree" -j "$(nproc)"
	FE_BIN="$WORK/tree/build/services/frontend" BE_BIN="$WORK/tree/build/services/backend"
	start_services_on_test_ports
	some_traffic
	# Let the test Prometheus try both targets, so that exercise 6 sees them fail.
	wait_value "count(up{job=~\"frontend|backend\"} == 0)" 2 30
	run_check 1 all
	expect_text "Summary: 0/11 done"
	[[ "$(grep -c 'MISSING$' "$WORK/check.out")" == 11 ]] || fail "not every exercise is reported missing"
	# Every exercise says what is missing, with a hint.
	/usr/bin/python3 - "$WORK/check.out" <<-'PY' || fail "an exercise is reported without a MISS line and a hint"
		import re, sys
		blocks = re.split(r"(?m)^(?=Exercise \d)", open(sys.argv[1]).read())[1:]
		bad = [b.splitlines()[0] for b in blocks if "  MISS  " not in b or "hint:" not in b]
		print("\n".join(bad))
		sys.exit(1 if bad or len(blocks) != 11 else 0)
	PY
	expect_text "$FE/metrics answered HTTP 404"
	expect_text "promc_http_handle(conn, method, NULL)"
	expect_text "nothing answers at $BE/metrics"
	expect_text "Prometheus cannot scrape frontend"
	expect_text "native histograms: no protobuf scrape of the frontend"
	log "PASS: the starting point: every exercise reported missing, each with a hint"
	exit 0
fi

if [[ $MODE == slo ]]; then
	# Exercise 11: healthy /fruit traffic, then the frontend restarted with every request slower
	# than 0.75 s: the fast-burn latency alert must fire (for: 2m) while the slow one does not
	# (for: 15m), and workshop/check 11 must say so.
	require_binaries "$FE_BIN" "$BE_BIN"
	start_services_on_test_ports
	fruit_traffic() { # $1 seconds of GET and POST /fruit, 4 loops
		local end=$((SECONDS + $1)) pids=() i
		for i in 1 2 3 4; do
			(while ((SECONDS < end)) && [[ -d $WORK ]]; do # cleanup removes $WORK: stop then
				curl -sS -o /dev/null "$FE/fruit?name=apples" || true
				curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' \
					-d '{"fruit": "pears", "quantity": 1}' "$FE/fruit" || true
			done) &
			pids+=($!)
		done
		wait "${pids[@]}"
	}
	fruit_traffic 20
	wait_value 'count(slo:fruit_slow:ratio_rate5m)' 1 30
	# The attendee's own promtool case: missing first, then the reference answer (its rule_files
	# made absolute, as it lies outside stack/tests/promtool/).
	export WORKSHOP_SLO_TEST="$WORK/my_slo_test.yml"
	run_check 1 11
	expect_text "no promtool test of your own at $WORKSHOP_SLO_TEST"
	expect_text "no fast-burn alert has fired"
	sed "s|^  - ../../prometheus/rules/slo.yml\$|  - $REPO/stack/prometheus/rules/slo.yml|" \
		"$REPO/workshop/exercises/11-slo-answer_test.yml" >"$WORKSHOP_SLO_TEST"
	run_check 1 11
	expect_text "promtool test rules $WORKSHOP_SLO_TEST passes"
	log "restarting the frontend with --latency-ms 800-1200 (every /fruit over 0.75 s)"
	kill -TERM "${PID[frontend]}"
	wait "${PID[frontend]}" 2>/dev/null || true
	run_bg frontend "$FE_BIN" --latency-ms 800-1200
	wait_http "$FE/hello" frontend 30
	fruit_traffic 200 &
	burn=$!
	wait_value 'count(ALERTS{alertname="FruitLatencyFastBurn", alertstate="firing"})' 1 240
	wait_value 'count(ALERTS{alertname="FruitLatencySlowBurn", alertstate="firing"})' "" 1
	log "FruitLatencyFastBurn fires, FruitLatencySlowBurn does not"
	run_check 0 11
	expect_text "FruitLatencyFastBurn fired at"
	kill "$burn" 2>/dev/null || true
	wait "$burn" 2>/dev/null || true
	log "PASS: a fast burn fires its alert before the slow one; workshop/check 11 passes"
	exit 0
fi

[[ $MODE == full ]] || fail "unknown mode $MODE (start, states, walk, slo or full)"
require_binaries "$FE_BIN" "$BE_BIN"
start_services_on_test_ports
run_check 0 0-5
expect_text 'http_latency_native{method="GET",endpoint="/hello"} is a native histogram'
wait_value 'count(up{job=~"frontend|backend"} == 1)' 2 30
some_traffic
sleep 5 # two more scrapes: rate() over the traffic
# An attendee's dashboards (tests/dashboards/): the stack's own provisioned ones do not count.
DASHBOARDS=(--dashboard "$HERE/dashboards/attendee-ex7.json" --dashboard "$HERE/dashboards/attendee-ex8.json")
run_check 1 7-8 --dashboard "$REPO/stack/grafana/dashboards/workshop.json" \
	--dashboard "$REPO/stack/grafana/dashboards/node.json"
expect_text "is the stack's own"
run_check 0 6-8 "${DASHBOARDS[@]}"
# Exercise 9 before the attendee made an alert fire: what fired before the services served
# /metrics (ServiceDown at the start, QueueWithoutConsumers on task_queue) does not count.
run_check 1 9
expect_text "no alert has started firing since your services first served /metrics"

log "stopping the backend until ServiceDown{job=\"backend\"} fires (for: 1m)"
kill -TERM "${PID[backend]}"
wait "${PID[backend]}" 2>/dev/null || true
wait_value 'ALERTS{alertname="ServiceDown", job="backend", alertstate="firing"}' 1 120
# As an attendee would: see it in Alertmanager and check exercise 9 while it fires.
wait_for "Alertmanager to have ServiceDown{job=\"backend\"} of this run" 60 \
	received http://127.0.0.1:9093/api/v2/alerts
run_check 0 9
expect_text "Alertmanager has it"
log "ServiceDown fired; starting the backend again"
start_backend
wait_value 'up{job="backend"}' 1 30
# Alertmanager forgets a resolved alert; its notification reaches the webhook receiver at the
# group's next group_interval (30 s), and from there the checker finds it.
wait_for "the webhook receiver to have ServiceDown{job=\"backend\"} of this run" 90 \
	received http://127.0.0.1:9099/alerts
some_traffic
# 0-9: exercise 11's burn (20 minutes of a slowed frontend) is not provoked here; its check is
# tested on a fake Prometheus (test_checker.SLOs) and its rules by promtool (slo_test.yml).
run_check 0 0-9 "${DASHBOARDS[@]}"
expect_text "Summary: 10/10 done"
expect_text "alerts that started firing after your services first served /metrics"
expect_text 'ServiceDown{job="backend"} reached Alertmanager'
log "PASS: the instrumented services: every exercise done"
