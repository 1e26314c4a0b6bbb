#!/usr/bin/env bash
# Static checks of the Grafana side (no Grafana runs here): the dashboards are valid Grafana dashboard
# JSON (dashboard_check.py), every panel expression is valid PromQL (promtool check rules on them), the
# committed JSON is what make_dashboards.py generates, and the provisioning points at the folder that
# docker-compose.yml mounts.
set -euo pipefail
STACK="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$STACK/tests/dashboard_check.py" "$STACK" "$tmp/exprs.yml"
promtool check rules "$tmp/exprs.yml" >/dev/null || { promtool check rules "$tmp/exprs.yml"; exit 1; }
/usr/bin/python3 "$STACK/grafana/make_dashboards.py" "$tmp/gen" >/dev/null
for f in "$STACK"/grafana/dashboards/*.json; do
	diff -q "$tmp/gen/$(basename "$f")" "$f" >/dev/null ||
		{ echo "FAIL: $f differs from make_dashboards.py's output: run /usr/bin/python3 stack/grafana/make_dashboards.py"; exit 1; }
done
[[ $(ls "$tmp/gen" | wc -l) == $(ls "$STACK"/grafana/dashboards/*.json | wc -l) ]] || { echo "FAIL: dashboard count differs from generator"; exit 1; }
grep -q 'path: /var/lib/grafana/dashboards' "$STACK/grafana/provisioning/dashboards/workshop.yml"
grep -q './grafana/dashboards:/var/lib/grafana/dashboards:ro' "$STACK/docker-compose.yml"
grep -q './grafana/provisioning:/etc/grafana/provisioning:ro' "$STACK/docker-compose.yml"
echo "check_dashboards: OK"
