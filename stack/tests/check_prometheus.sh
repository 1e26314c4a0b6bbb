#!/usr/bin/env bash
# Static checks of the Prometheus and Alertmanager configuration: promtool check config / check rules /
# test rules (every alert fires and stays silent in its unit tests), amtool check-config, and that the
# unit tests cover every alert and recording rule. Needs no running server.
set -euo pipefail
STACK="$(cd "$(dirname "$0")/.." && pwd)"
cd "$STACK"
for t in promtool amtool /usr/bin/python3; do command -v "$t" >/dev/null || { echo "missing $t"; exit 1; }; done
promtool check config prometheus/prometheus.yml
promtool check rules prometheus/rules/*.yml
promtool test rules tests/promtool/*_test.yml
amtool check-config alertmanager/alertmanager.yml
/usr/bin/python3 tests/rules_coverage.py "$STACK"
# The blackbox modules the seed names, with its settings.
grep -q '^  http_2xx:' blackbox/blackbox.yml && grep -q '^  http_post_2xx:' blackbox/blackbox.yml
echo "check_prometheus: OK"
