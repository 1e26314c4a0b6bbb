#!/usr/bin/env bash
# visibility.sh -- only the public API is exported. The libraries are static, so this links a
# throwaway shared library from the very objects in libpromc.a and libpromc_push.a and lists
# its dynamic symbols: every one must be a promc_ name (not promc__, which is internal) and
# the public entry points must be there. Without -fvisibility=hidden every internal
# function (promc__seterr, promc__child_get, ...) would show up.
# promc_http joins in once promc_http.h marks its declarations PROMC_API.
# Usage: visibility.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: visibility.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
archives=("$build/promc/libpromc.a" "$build/promc/libpromc_push.a")
pcs=(libcurl)
if grep -q 'PROMC_API' "$here/../include/promc_http.h"; then
    archives+=("$build/promc/libpromc_http.a")
    pcs+=(libmicrohttpd zlib)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
sanitize="$(sed -n 's/^SANITIZE:STRING=//p' "$build/CMakeCache.txt")"
case "$sanitize" in
address) san_flags=(-fsanitize=address,undefined) ;;
thread) san_flags=(-fsanitize=thread) ;;
*) san_flags=() ;;
esac
read -r -a libs <<<"$(pkg-config --libs "${pcs[@]}")"
gcc "${san_flags[@]}" -shared -o "$tmp/libpromc_all.so" -Wl,--whole-archive "${archives[@]}" \
    -Wl,--no-whole-archive "${libs[@]}" -lm -lpthread ||
    fail "cannot link a shared library from the archives"
nm -D --defined-only "$tmp/libpromc_all.so" | awk '{print $3}' | sort -u >"$tmp/exported"
# Symbols the toolchain itself adds to a shared object (sanitizer builds add many).
grep -Ev '^(_init|_fini|__bss_start|_edata|_end|__odr_asan.*|__asan.*|__ubsan.*|__tsan.*|__sancov.*)$' \
    "$tmp/exported" >"$tmp/ours" || true
bad=$(grep -Ev '^promc_[a-z0-9]' "$tmp/ours" || true)
[[ -z $bad ]] || fail "exported but not public API: $(echo "$bad" | tr '\n' ' ')"
for want in promc_counter_new promc_counter_labelsn promc_set_unit promc_remove promc_clear \
    promc_version promc_render promc_scope_end promc_default_buckets promc_push; do
    grep -qx "$want" "$tmp/ours" || fail "$want is not exported"
done
# And the other way: every promc_ name the archives define (public by the naming rule) is
# exported, so no public declaration lacks PROMC_API.
nm --defined-only -g "${archives[@]}" 2>/dev/null |
    awk 'NF == 3 {print $3}' | grep -E '^promc_[a-z0-9]' | sort -u >"$tmp/public"
missing=$(comm -23 "$tmp/public" "$tmp/ours")
[[ -z $missing ]] || fail "public names not exported (PROMC_API missing?): $(echo "$missing" | tr '\n' ' ')"
echo "exported from ${archives[*]##*/}: $(wc -l <"$tmp/ours") symbols, every one promc_*; no promc__ internals"
