#!/usr/bin/env bash
# Static checks of stack/docker-compose.yml without a Docker engine: `docker-compose config` resolves
# and validates it, then compose_check.py checks pinned images, host network, health checks, that the
# mounted files exist and are the same files the native run uses, and the Prometheus rules mount.
set -euo pipefail
STACK="$(cd "$(dirname "$0")/.." && pwd)"
command -v docker-compose >/dev/null || { echo "docker-compose not installed (Debian package docker-compose)"; exit 1; }
# shellcheck source=stack/native/lib.sh
source "$STACK/native/lib.sh"
mapfile -t native < <(native_config_files)
resolved="$(cd "$STACK" && docker-compose -f docker-compose.yml config)"
printf '%s\n' "$resolved" | /usr/bin/python3 "$STACK/tests/compose_check.py" "$STACK" "${native[@]}"
# Prometheus finds its rule files, relative to its config, in the rules folder that compose mounts.
grep -q -- '- rules/recording.yml' "$STACK/prometheus/prometheus.yml"
grep -q -- './prometheus/rules:/etc/prometheus/rules:ro' "$STACK/docker-compose.yml"
grep -q -- './prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro' "$STACK/docker-compose.yml"
echo "check_compose: OK"
