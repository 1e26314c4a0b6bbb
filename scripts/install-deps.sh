#!/usr/bin/env bash
# install-deps.sh -- installs the Debian 12 packages that building and testing need.
# Usage: scripts/install-deps.sh [build|test|bench|all]   (default: test)
# Uses sudo when not root; does nothing for packages already installed.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config git clang libclang-rt-14-dev clang-format
    libmicrohttpd-dev librabbitmq-dev libhiredis-dev libjansson-dev libcurl4-openssl-dev zlib1g-dev
    libpq-dev)
test_pkgs=(curl procps util-linux iproute2 python3 python3-prometheus-client python3-yaml postgresql postgresql-client
    rabbitmq-server redis-server prometheus prometheus-alertmanager prometheus-node-exporter
    prometheus-postgres-exporter prometheus-redis-exporter prometheus-blackbox-exporter
    prometheus-pushgateway haproxy victoria-metrics docker-compose golang-go golang-github-prometheus-client-golang-dev
    golang-github-prometheus-client-model-dev golang-github-prometheus-common-dev protobuf-compiler libprotobuf-dev gnuplot-nox)
bench_pkgs=(wrk nginx-light golang-go golang-github-prometheus-client-golang-dev)

case "${1:-test}" in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
bench) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
all) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
*) echo "usage: $0 [build|test|bench|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#want[@]} packages present"
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
# Packages must not start their own daemons: stack/native runs the servers itself.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod +x "$policy"
    created_policy=1
fi
trap '[ $created_policy -eq 1 ] && $sudo rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
