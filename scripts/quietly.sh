#!/usr/bin/env bash
# quietly.sh -- runs a long noisy command (a build) with its output in a log file, printing one
# line when it starts and, only if it fails, the end of the log. Keeps `make demo` readable.
# Usage: scripts/quietly.sh LOG DESCRIPTION COMMAND...
set -uo pipefail
log="$1" what="$2"
shift 2
mkdir -p "$(dirname "$log")"
printf '[demo] %s (log: %s)\n' "$what" "$log"
if ! "$@" >"$log" 2>&1; then
    printf '[demo] FAILED: %s; the end of %s:\n' "$what" "$log" >&2
    tail -n 40 "$log" >&2
    exit 1
fi
