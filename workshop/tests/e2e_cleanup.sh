#!/usr/bin/env bash
# e2e_cleanup.sh -- check_e2e.sh stops its test Prometheus when it fails: the starting point's
# build is made to fail (a cmake on PATH that exits 1), and afterwards the test Prometheus' port
# must be free and its process gone. Before the fix, check_e2e.sh's EXIT trap ended at its first
# failing command (set -e) and left Prometheus on :19190, so the next e2e run failed "port busy".
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${WORKSHOP_TEST_PROMETHEUS_PORT:-19190}"
fake="$(mktemp -d /tmp/ws-cleanup.XXXXXX)"
trap 'rm -rf "$fake"' EXIT
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if port_busy "$PORT"; then
	echo "FAIL: port $PORT is busy before the test (a test Prometheus left by an earlier run?)"
	exit 1
fi
printf '#!/bin/sh\necho "fake cmake: the build fails" >&2\nexit 1\n' >"$fake/cmake"
chmod +x "$fake/cmake"
rc=0
PATH="$fake:$PATH" bash "$HERE/check_e2e.sh" start "" "" "${1:-}" >"$fake/out" 2>&1 || rc=$?
sed 's/^/    /' "$fake/out"
((rc != 0)) || { echo "FAIL: check_e2e.sh passed with a failing build"; exit 1; }
grep -q "test Prometheus ready" "$fake/out" || { echo "FAIL: the test Prometheus never started"; exit 1; }
sleep 0.5
if port_busy "$PORT"; then
	echo "FAIL: check_e2e.sh exited $rc and left its test Prometheus on :$PORT"
	pgrep -af "web.listen-address=127.0.0.1:$PORT" || true
	exit 1
fi
echo "ok: check_e2e.sh exited $rc on the failed build and stopped its test Prometheus (:$PORT free)"
