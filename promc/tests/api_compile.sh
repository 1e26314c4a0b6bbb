#!/usr/bin/env bash
# api_compile.sh -- what promc.h lets a user write, checked with gcc and clang under
# -Wall -Wextra -Werror -std=gnu17 (a user's -Werror build):
#  - compile/user_macros.c uses every public macro of promc.h and every function of
#    promc_http.h and promc_push.h: it must compile warning-free, link and run;
#  - compile/fail_*.c misuse the API (a non-string label value; an int *, char * or void *
#    where a metric handle goes): each must fail to compile, with the diagnostic expected, so
#    a file that fails for an unrelated reason does not count; compile/pass_control.c is the
#    same calls done right and must compile.
# Usage: api_compile.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: api_compile.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/compile
inc=$here/../include
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
command -v clang >/dev/null || fail "clang not found (scripts/install-deps.sh installs it)"
flags=(-std=gnu17 -Wall -Wextra -Werror "-I$inc")
read -r -a mhd_cflags <<<"$(pkg-config --cflags libmicrohttpd)"
flags+=("${mhd_cflags[@]}")

sanitize="$(sed -n 's/^SANITIZE:STRING=//p' "$build/CMakeCache.txt")"
case "$sanitize" in
address) san_flags=(-fsanitize=address,undefined) ;;
thread) san_flags=(-fsanitize=thread) ;;
*) san_flags=() ;;
esac
read -r -a libs <<<"$(pkg-config --libs libmicrohttpd libcurl zlib)"

declare -A expect=(
    [fail_labels_int]='int-conversion'
    [fail_set_unit_int]='_Generic|generic association'
    [fail_remove_char]='_Generic|generic association'
    [fail_clear_void]='_Generic|generic association'
)
for cc in gcc clang; do
    "$cc" "${flags[@]}" -c "$src/pass_control.c" -o "$tmp/pass.o" 2>"$tmp/pass.err" ||
        { cat "$tmp/pass.err" >&2; fail "$cc: pass_control.c does not compile"; }
    for name in "${!expect[@]}"; do
        if "$cc" "${flags[@]}" -c "$src/$name.c" -o "$tmp/$name.o" 2>"$tmp/$name.err"; then
            fail "$cc compiled $name.c: the API let the misuse through"
        fi
        grep -Eq "${expect[$name]}" "$tmp/$name.err" ||
            { cat "$tmp/$name.err" >&2; fail "$cc: $name.c failed, but not with /${expect[$name]}/"; }
    done
    echo "$cc: ${#expect[@]} misuses refused at compile time, the control compiles"

    "$cc" "${flags[@]}" -c "$src/user_macros.c" -o "$tmp/user_$cc.o" 2>"$tmp/user.err" ||
        { cat "$tmp/user.err" >&2; fail "$cc: user_macros.c does not compile warning-free"; }
    # Linked by gcc, which built the (possibly sanitized) libraries.
    gcc "${san_flags[@]}" -o "$tmp/user_$cc" "$tmp/user_$cc.o" "$build/promc/libpromc_http.a" \
        "$build/promc/libpromc_push.a" "$build/promc/libpromc.a" "${libs[@]}" -lm -lpthread ||
        fail "$cc: user_macros does not link"
    "$tmp/user_$cc" || fail "$cc: user_macros ran wrong"
done
