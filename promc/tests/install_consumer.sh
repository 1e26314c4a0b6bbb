#!/usr/bin/env bash
# install_consumer.sh -- installs promc from the build dir ($1) into a temporary prefix, then builds
# a consumer against it twice: with CMake's find_package(promc) and with pkg-config.
set -euo pipefail
build="$1"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A sanitizer build's libraries need the same instrumentation in the consumer.
sanitize="$(sed -n 's/^SANITIZE:STRING=//p' "$build/CMakeCache.txt")"
case "$sanitize" in
address) san_flags="-fsanitize=address,undefined" ;;
thread) san_flags="-fsanitize=thread" ;;
*) san_flags="" ;;
esac

cmake --install "$build/promc" --prefix "$tmp/prefix" >/dev/null
echo "installed: $(cd "$tmp/prefix" && find . -type f | sort | tr '\n' ' ')"

cmake -S "$here/consumer" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    -DCMAKE_C_FLAGS="$san_flags" >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
out="$("$tmp/cmake-build/consumer")"
grep -qx 'consumer_runs_total 1' <<<"$out" || { echo "find_package consumer printed: $out"; exit 1; }
echo "find_package(promc): ok"

export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig"
# shellcheck disable=SC2046
cc -std=c17 $san_flags -o "$tmp/pc-consumer" "$here/consumer/consumer.c" $(pkg-config --cflags --libs promc_http)
out="$("$tmp/pc-consumer")"
grep -qx 'consumer_runs_total 1' <<<"$out" || { echo "pkg-config consumer printed: $out"; exit 1; }
echo "pkg-config promc: ok ($(pkg-config --modversion promc))"
pkg-config --exists promc_http promc_push || { echo "promc_http/promc_push .pc files missing"; exit 1; }
echo "pkg-config promc_http promc_push: ok"
