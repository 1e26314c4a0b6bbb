#!/usr/bin/env bash
# Slow and idle clients against the real frontend and the backend's /metrics (promc_http):
# 8000 half-open connections (half a request header, then nothing) must not keep a well-behaved
# client out (p99 < 100 ms for /hello and /metrics); idle connections are closed at the client
# timeout; run at `ulimit -n 256` and flooded past it, both answer within 1 s of the flood
# closing; an oversized POST body is drained so the client reads the 413 JSON; the soft fd
# limit is raised to the hard one at start. The slowloris is slowloris.py, from this test.
source "$(dirname "$0")/lib.sh"
LORIS=(python3 "$HERE/slowloris.py")
FLOOD="${WS_TEST_SLOWLORIS_CONNS:-8000}"
# Long enough that no flood connection times out while it is measured (a timeout storm, all
# 8000 closed and reopened at once, is another test); the timeout itself is checked at 2 s below.
TIMEOUT=20

# loris DESCRIPTION ARGS...: runs slowloris.py, shows its lines, passes when it exits 0.
loris() {
	local d="$1" rc=0
	shift
	timeout 120 "${LORIS[@]}" "$@" >"$TMP/loris.out" 2>&1 || rc=$?
	sed 's/^/     /' "$TMP/loris.out"
	check_eq "$d" "$rc" 0
}
# fd_log NAME LOGFILE: checks the start line about the fd limit.
fd_log() {
	local line
	line="$(grep -o 'fd limit [a-z ]*[0-9]* to [0-9]*\|fd limit stays at [0-9]*' "$2" | head -n 1)"
	if [[ $(ulimit -Hn) != unlimited && $(ulimit -Hn) -gt 1024 ]]; then
		check_eq "$1 raises its soft fd limit 1024 to the hard one" "$line" \
			"fd limit raised from 1024 to $(ulimit -Hn)"
	else
		check "$1 logs its fd limit ($line)" test -n "$line"
	fi
}

servers_up
# A soft limit of 1024 (the usual shell default) under a higher hard one: the services raise it.
hard="$(ulimit -Hn)"
if [[ $hard == unlimited || $hard -gt 1024 ]]; then ulimit -Sn 1024; fi
start_backend --generator-ms=off --db-failure-rate=0 --job-ms=1-5 --client-timeout "$TIMEOUT"
start_frontend --simulate-latency=off --client-timeout "$TIMEOUT"
if [[ $hard == unlimited || $hard -gt 1024 ]]; then ulimit -Sn "$hard"; fi
fd_log frontend "$TMP/frontend.log"
fd_log backend "$TMP/backend.log"

echo "# no flood"
loris "frontend /hello and /metrics p99 < 100 ms, idle" probe 127.0.0.1 "$FE_PORT" --probes 100
loris "backend /metrics p99 < 100 ms, idle" probe 127.0.0.1 "$BE_PORT" --paths /metrics --probes 100

if [[ $hard != unlimited && $hard -lt $((FLOOD + 500)) ]]; then
	echo "note: hard fd limit $hard: the flood is $((hard - 500)) connections, not $FLOOD"
	FLOOD=$((hard - 500))
fi
echo "# $FLOOD half-open connections (kept open: any the server closes are reopened)"
loris "frontend: $FLOOD half-open connections, /hello and /metrics p99 < 100 ms" \
	flood 127.0.0.1 "$FE_PORT" --conns "$FLOOD" --probes 500
loris "backend: $FLOOD half-open connections, /metrics p99 < 100 ms" \
	flood 127.0.0.1 "$BE_PORT" --conns "$FLOOD" --paths /metrics --probes 500

echo "# an oversized body is drained: the client reads the 413"
out="$(curl -sS -o "$TMP/413" -w '%{http_code}' -H 'Content-Type: application/json' -H 'Expect:' \
	--data-binary @<(head -c 2000000 /dev/zero | tr '\0' a) "$FE/fruit" 2>&1)" || true
check_eq "curl POST /fruit 2 MB (no Expect): status" "$out" 413
check_eq "curl POST /fruit 2 MB (no Expect): JSON body" "$(cat "$TMP/413")" \
	'{"error":"Request body too large"}'
out="$(curl -sS -o "$TMP/413" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @<(head -c 2000000 /dev/zero | tr '\0' a) "$FE/fruit" 2>&1)" || true
check_eq "curl POST /fruit 2 MB (Expect: 100-continue): status" "$out" 413
check_eq "curl POST /fruit 2 MB (Expect: 100-continue): JSON body" "$(cat "$TMP/413")" \
	'{"error":"Request body too large"}'
loris "a client that sends all 2 MB before reading gets the 413 JSON" \
	post 127.0.0.1 "$FE_PORT" --body-bytes 2000000
post_order '{"fruit": "apples", "quantity": 3}'
check_eq "POST /fruit still works on the same server" "$STATUS" 200

stop_service "$FE_PID" frontend && FE_PID=""
stop_service "$BE_PID" backend && BE_PID=""

echo "# ulimit -n 256: flooded past the limit, back within 1 s of the flood closing"
(
	ulimit -n 256
	exec "$BIN/frontend" --port "$FE_PORT" --addr 127.0.0.1 --simulate-latency=off \
		--client-timeout 2 >>"$TMP/frontend.log" 2>&1
) &
FE_PID=$!
(
	ulimit -n 256
	exec "$BIN/backend" --metrics-port "$BE_PORT" --metrics-addr 127.0.0.1 --generator-ms=off \
		--db-failure-rate=0 --job-ms=1-5 --client-timeout 2 >>"$TMP/backend.log" 2>&1
) &
BE_PID=$!
wait_until 10 port_open "$FE_PORT" || fail "frontend did not start under ulimit -n 256"
wait_until 10 port_open "$BE_PORT" || fail "backend did not start under ulimit -n 256"
check "frontend runs with 256 descriptors" grep -q "fd limit stays at 256" "$TMP/frontend.log"
echo "# the client timeout (2 s) closes idle connections"
loris "frontend closes 100 half-open connections within the timeout" \
	idle 127.0.0.1 "$FE_PORT" --conns 100 --within 4
loris "backend closes 100 half-open connections within the timeout" \
	idle 127.0.0.1 "$BE_PORT" --conns 100 --within 4
for round in 1 2; do
	loris "frontend under ulimit -n 256: 3000 half-open, closed, /hello and /metrics within 1 s (round $round)" \
		recover 127.0.0.1 "$FE_PORT" --conns 3000 --ramp 5 --hold 2 --within 1
	loris "backend under ulimit -n 256: 3000 half-open, closed, /metrics within 1 s (round $round)" \
		recover 127.0.0.1 "$BE_PORT" --conns 3000 --ramp 5 --hold 2 --within 1 --paths /metrics
done
http GET /hello
check_eq "GET /hello after the floods" "$STATUS" 200
check "frontend never hit EMFILE" bash -c "! grep -q 'Too many open files' '$TMP/frontend.log'"
stop_service "$FE_PID" frontend && FE_PID=""
stop_service "$BE_PID" backend && BE_PID=""
finish
