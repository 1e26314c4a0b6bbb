#!/usr/bin/env bash
# demo.sh -- runs the demo: for now promc's example server, serving metrics until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
exe=build/promc/examples/promc_example_server
[ -x "$exe" ] || { echo "demo: $exe is not built; run 'make build'" >&2; exit 1; }
echo "demo: serving promc metrics at http://localhost:8000/metrics (Ctrl-C to stop)"
exec "$exe" --port 8000
