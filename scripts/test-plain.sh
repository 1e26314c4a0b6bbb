#!/usr/bin/env bash
# test-plain.sh -- the plain build's tests (`make test-plain`), in two phases so that CI's wall
# time is not the sum of everything:
#   1. promc, services and fuzz tests, one after another (the services' tests are timed and
#      hold the standard ports);
#   2. the stack and workshop tests, which mostly wait for Prometheus (scrapes, alerts' for:),
#      while the mutation subset (promc.mutation: CPU-bound builds of promc copies, private
#      ports only) runs beside them. Its output is printed when it ends.
# Every test still runs; the exit status is non-zero when any of them failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ctest=${CTEST:-ctest}
dir=${1:-build}
log=$dir/mutation.log

$ctest --test-dir "$dir" --output-on-failure -LE 'mutation|stack|workshop'
rc_first=$?

echo "== promc.mutation runs in the background beside the stack and workshop tests ($log)"
$ctest --test-dir "$dir" --output-on-failure -R '^promc\.mutation$' >"$log" 2>&1 &
mutation_pid=$!
trap 'kill -- "$mutation_pid" 2>/dev/null' EXIT
$ctest --test-dir "$dir" --output-on-failure -L 'stack|workshop'
rc_second=$?
wait "$mutation_pid"
rc_mutation=$?
trap - EXIT
echo "== promc.mutation (ran beside the stack and workshop tests)"
cat "$log"

rc=0
for r in "$rc_first" "$rc_second" "$rc_mutation"; do ((r != 0)) && rc=1; done
((rc == 0)) || echo "test-plain: failed: promc/services/fuzz rc=$rc_first, stack/workshop rc=$rc_second, mutation rc=$rc_mutation" >&2
exit "$rc"
