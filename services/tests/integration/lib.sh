# shellcheck shell=bash
# Shared code of the services' integration tests: start the real servers with the stack's native
# runner, run the real frontend and backend on test ports with their own queue, PostgreSQL schema
# and Redis database (so a workshop running on the same machine is never disturbed), and small
# assertion helpers that say what they checked. Sourced, never run.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
BIN="${WS_BIN_DIR:?WS_BIN_DIR must name the folder holding frontend and backend}"
MQTOOL="${WS_MQTOOL:?WS_MQTOOL must name the mqtool binary}"
RUN_ID="wstest_$$_${RANDOM}"
TMP="$(mktemp -d "/tmp/${RUN_ID}.XXXX")"
FE_PORT="${WS_TEST_FRONTEND_PORT:-15000}"
BE_PORT="${WS_TEST_BACKEND_PORT:-15001}"
FE="http://127.0.0.1:$FE_PORT"
BE="http://127.0.0.1:$BE_PORT"
PG_URL="postgresql://demo:demo@127.0.0.1:5432/demo"
SCHEMA="$RUN_ID"
export AMQP_URL="amqp://guest:guest@127.0.0.1:5672"
export QUEUE="task_queue_$RUN_ID"
export DEAD_LETTER_QUEUE="$QUEUE.dead"
export PG_DSN="$PG_URL?options=-c%20search_path%3D$SCHEMA%20-c%20client_min_messages%3Dwarning"
export REDIS_HOST=127.0.0.1
export REDIS_DB="${WS_TEST_REDIS_DB:-9}"
export PGCONNECT_TIMEOUT=5
FE_PID="" BE_PID=""
PASSED=0 FAILED=0

# ---- reporting -----------------------------------------------------------------------------------
pass() { PASSED=$((PASSED + 1)); printf 'ok   - %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL - %s\n' "$*"; }
# check_eq DESCRIPTION GOT WANT
check_eq() {
	if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1: got [$2], want [$3]"; fi
}
# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local d="$1"
	shift
	if "$@"; then pass "$d"; else fail "$d (command failed: $*)"; fi
}
finish() {
	printf '\n%d passed, %d failed\n' "$PASSED" "$FAILED"
	if ((FAILED > 0)); then
		echo "--- frontend log (tail) ---" && tail -n 30 "$TMP/frontend.log" 2>/dev/null || true
		echo "--- backend log (tail) ---" && tail -n 30 "$TMP/backend.log" 2>/dev/null || true
		exit 1
	fi
}

# ---- servers and isolation --------------------------------------------------------------------------
psql_q() { psql "$PG_URL" -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }
servers_up() {
	if ! "$REPO/stack/native/up" postgres rabbitmq redis >"$TMP/stack.log" 2>&1; then
		cat "$TMP/stack.log"
		echo "FAIL - stack/native/up postgres rabbitmq redis"
		exit 1
	fi
	psql_q "CREATE SCHEMA $SCHEMA" >/dev/null
	redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null
}
cleanup() {
	local rc=$?
	[[ -n $FE_PID ]] && kill -KILL "$FE_PID" 2>/dev/null
	[[ -n $BE_PID ]] && kill -KILL "$BE_PID" 2>/dev/null
	psql_q "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
	"$MQTOOL" "$AMQP_URL" "$QUEUE" delete >/dev/null 2>&1 || true
	"$MQTOOL" "$AMQP_URL" "$DEAD_LETTER_QUEUE" delete >/dev/null 2>&1 || true
	redis-cli -n "$REDIS_DB" FLUSHDB >/dev/null 2>&1 || true
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT

# wait_until SECONDS COMMAND...: polls every 0.1 s; false on timeout.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_frontend() {
	"$BIN/frontend" --port "$FE_PORT" --addr 127.0.0.1 "$@" >>"$TMP/frontend.log" 2>&1 &
	FE_PID=$!
	wait_until 10 port_open "$FE_PORT" || { fail "frontend did not start" && finish; }
}
start_backend() {
	"$BIN/backend" --metrics-port "$BE_PORT" --metrics-addr 127.0.0.1 "$@" >>"$TMP/backend.log" 2>&1 &
	BE_PID=$!
	wait_until 10 port_open "$BE_PORT" || { fail "backend did not start" && finish; }
}
# stop_service PID NAME: SIGTERM, then checks it exits 0 within 15 s.
stop_service() {
	local pid="$1" name="$2" rc=0
	kill -TERM "$pid"
	for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		fail "$name did not stop within 15 s of SIGTERM"
		kill -KILL "$pid"
	fi
	wait "$pid" || rc=$?
	check_eq "$name exits 0 on SIGTERM" "$rc" 0
}

# ---- HTTP and metrics -----------------------------------------------------------------------------
# http METHOD PATH [curl args...]: sets STATUS, BODY and CTYPE.
http() {
	local method="$1" path="$2" out
	shift 2
	out="$(curl -s -o "$TMP/body" -w '%{http_code} %{content_type}' -X "$method" "$@" "$FE$path")" || true
	STATUS="${out%% *}"
	CTYPE="${out#* }"
	BODY="$(cat "$TMP/body")"
}
post_order() { http POST /fruit -H 'Content-Type: application/json' --data-binary "$1"; }
# metric URL SERIES: the value of one exact series (name plus labels as exposed), or "absent".
metric() {
	curl -s "$1/metrics" | awk -v s="$2" '$1 == s { v = $2 } END { print (v == "" ? "absent" : v) }'
}
# metric_type URL NAME: the TYPE line's type.
metric_type() { curl -s "$1/metrics" | awk -v n="$2" '$1 == "#" && $2 == "TYPE" && $3 == n { print $4 }'; }
rows() { psql_q "SELECT count(*) FROM $SCHEMA.fruits"; }
rows_are() { [[ "$(rows)" == "$1" ]]; }
promtool_ok() { curl -s "$1/metrics" | promtool check metrics >"$TMP/promtool.out" 2>&1; }
