#!/usr/bin/env bash
# mutate.sh -- mutation testing for promc: builds a copy of promc with each planted bug of
# mutants.txt and shows that some test fails for every one (KILLED) -- else the tests could not
# catch that bug (SURVIVED). The real tree is never modified: the top-level CMakeLists.txt and
# promc/ are copied to a temp dir, built once, and each mutant is an edit of one file there,
# rebuilt incrementally and undone after its test run. The unmutated copy runs every test and
# must pass them all; a mutant runs the same tests, the quickest (in the unmutated run) first,
# and stops at the first that fails.
#
# Usage: mutate.sh [--list] [--keep] [NAME...]   (no NAME: every mutant)
# Env: MUTANTS_FILE (default mutants.txt beside it), JOBS (build, 2), TEST_TIMEOUT (60 s).
# Exit: 0 every mutant killed; 1 a mutant survived, its pattern was not found exactly once, or
# it did not build; 2 the unmutated copy fails its own tests (nothing could be concluded).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
mutants=${MUTANTS_FILE:-$here/mutants.txt}
jobs=${JOBS:-2}
test_timeout=${TEST_TIMEOUT:-60}

# Mutants as records: name, build, file, then old/new pairs, fields separated by \x1f, one a line.
parse() {
    perl -ne '
        BEGIN { $r = undef; sub out { print join("\x1f", @$r), "\n" if $r } }
        next if /^\s*#/;
        chomp;
        if (/^\s*$/) { out(); $r = undef; next }
        /^(\w+):\s?(.*)$/ or die "mutants.txt: bad line: $_\n";
        if ($1 eq "name") { out(); $r = [$2, "release", ""] }
        elsif ($1 eq "build") { $r->[1] = $2 }
        elsif ($1 eq "file") { $r->[2] = $2 }
        elsif ($1 eq "old" || $1 eq "new") { push @$r, $2 }
        else { die "mutants.txt: unknown field $1\n" }
        END { out() }' "$mutants"
}

keep=0
want=()
for a in "$@"; do
    case $a in
    --list)
        parse | while IFS=$'\x1f' read -r name build file _; do
            printf '%-28s %-8s %s\n' "$name" "$build" "$file"
        done
        exit 0 ;;
    --keep) keep=1 ;;
    -*) echo "usage: mutate.sh [--list] [--keep] [NAME...]" >&2; exit 2 ;;
    *) want+=("$a") ;;
    esac
done

records=$(parse) || exit 1
if [ ${#want[@]} -gt 0 ]; then
    sel=""
    for w in "${want[@]}"; do
        line=$(printf '%s\n' "$records" | awk -F'\x1f' -v n="$w" '$1 == n')
        [ -n "$line" ] || { echo "mutate.sh: no mutant named $w (see --list)" >&2; exit 1; }
        sel+="$line"$'\n'
    done
    records=${sel%$'\n'}
fi

start=$(date +%s)
work=$(mktemp -d /tmp/promc-mutate.XXXXXX)
if [ $keep -eq 0 ]; then trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/src"
cp "$root/CMakeLists.txt" "$work/src/"
cp -r "$root/promc" "$work/src/promc"
rm -rf "$work/src/promc/build"*

# build FLAVOUR: configures once, then builds incrementally; output in $work/FLAVOUR.log
build() {
    local dir=$work/build-$1 flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
    [ "$1" = tsan ] && flags+=(-DSANITIZE=thread)
    if [ ! -f "$dir/CMakeCache.txt" ]; then
        cmake -S "$work/src" -B "$dir" "${flags[@]}" >"$work/$1.log" 2>&1 || return 1
    fi
    cmake --build "$dir" -j"$jobs" >"$work/$1.log" 2>&1
}

# run_tests FLAVOUR: the baseline -- every test of the flavour, whatever fails; prints the names
# of the tests that failed (none: empty). Writes the tests it ran to $work/FLAVOUR.order, the
# quickest first, for run_mutant_tests.
run_tests() {
    local sel=(-L promc -LE mutation -E 'install_consumer|push_gateway')
    [ "$1" = tsan ] && sel=(-L concurrency -LE mutation)
    ctest --test-dir "$work/build-$1" "${sel[@]}" --timeout "$test_timeout" -j1 \
        >"$work/$1.test.log" 2>&1
    sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) .* \([0-9.]*\) sec$/\2 \1/p' \
        "$work/$1.test.log" | sort -s -n -k1,1 | awk '{ print $2 }' >"$work/$1.order"
    sed -n '/The following tests FAILED/,$p' "$work/$1.test.log" |
        sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) .*/\1/p' | sed 's/^promc\.//' | paste -sd, -
}

# run_mutant_tests FLAVOUR: the baseline's tests against a mutant, one at a time and the
# quickest first, up to the first that fails: one failure kills a mutant, and most die in the
# sub-second unit tests, so the slow script tests (a real Prometheus, Go decoders) run only for
# the mutants nothing quicker caught. Prints the name of the test that failed (none: the mutant
# survived every test). promc.mutant_patterns is left out: it checks mutants.txt against this
# very copy, so it fails for every mutant (apply has checked the pattern already) and would
# hide a survivor.
run_mutant_tests() {
    local t
    : >"$work/$1.test.log"
    while read -r t; do
        [ "$t" = promc.mutant_patterns ] && continue
        ctest --test-dir "$work/build-$1" -R "^${t//./\\.}\$" --timeout "$test_timeout" \
            </dev/null >>"$work/$1.test.log" 2>&1
        if grep -q '^The following tests FAILED' "$work/$1.test.log"; then
            echo "${t#promc.}"
            return
        fi
    done <"$work/$1.order"
}

# apply FILE OLD NEW [OLD NEW...]: each OLD must occur exactly once ({NL}: a line break and
# the indentation after it); prints the offending pattern and fails otherwise
apply() {
    local file=$1
    shift
    perl -e '
        my $f = shift; local $/; open my $in, "<", $f or die "cannot read $f\n"; my $s = <$in>;
        while (@ARGV) {
            my ($old, $new) = (shift, shift);
            my $re = join "\\n[ \\t]*", map { quotemeta } split /\{NL\}/, $old, -1;
            my $n = () = $s =~ /$re/g;
            if ($n != 1) { print $n ? "$old (not unique: found $n times)\n" : "$old\n"; exit 1 }
            $new =~ s/\{NL\}/\n/g;
            $s =~ s/$re/$new/;
        }
        open my $out, ">", $f or die; print $out $s;' "$work/src/promc/$file" "$@"
}

flavours=$(printf '%s\n' "$records" | awk -F'\x1f' '{print $2}' | sort -u)
for fl in $flavours; do
    echo "== baseline ($fl): building and testing the unmutated copy"
    if ! build "$fl"; then
        tail -20 "$work/$fl.log"
        echo "mutate.sh: the unmutated copy does not build ($fl)" >&2
        exit 2
    fi
    failed=$(run_tests "$fl")
    if [ -n "$failed" ]; then
        echo "mutate.sh: the unmutated copy fails $failed ($fl); see $work/$fl.test.log" >&2
        keep=1
        trap - EXIT
        exit 2
    fi
done

results=()
status=0
while IFS=$'\x1f' read -r -a rec; do
    name=${rec[0]} fl=${rec[1]} file=${rec[2]}
    t0=$(date +%s)
    orig=$work/orig.$$
    cp -p "$work/src/promc/$file" "$orig" 2>/dev/null || {
        results+=("$name|$fl|ERROR: mutant $name: file $file not found|0")
        status=1
        continue
    }
    if ! bad=$(apply "$file" "${rec[@]:3}"); then
        echo "mutant $name: pattern not found: $bad" >&2
        results+=("$name|$fl|ERROR: pattern not found: $bad|0")
        status=1
        cp -p "$orig" "$work/src/promc/$file"
        continue
    fi
    if ! build "$fl"; then
        echo "mutant $name: does not build:" >&2
        grep -m5 'error' "$work/$fl.log" >&2
        results+=("$name|$fl|ERROR: does not build|$(($(date +%s) - t0))")
        status=1
    else
        failed=$(run_mutant_tests "$fl")
        if [ -n "$failed" ]; then
            results+=("$name|$fl|KILLED by $failed|$(($(date +%s) - t0))")
        else
            results+=("$name|$fl|SURVIVED|$(($(date +%s) - t0))")
            status=1
        fi
    fi
    echo "${results[-1]}" | awk -F'|' '{printf "   %-28s %s (%ss)\n", $1, $3, $4}'
    # undo the edit with a fresh mtime so the next build recompiles it
    cp "$orig" "$work/src/promc/$file"
    touch "$work/src/promc/$file"
done <<<"$records"

echo
printf '%-28s %-8s %-6s %s\n' MUTANT BUILD SECS RESULT
for r in "${results[@]}"; do
    IFS='|' read -r name fl res secs <<<"$r"
    printf '%-28s %-8s %-6s %s\n' "$name" "$fl" "$secs" "$res"
done
echo "total: $(($(date +%s) - start)) s for ${#results[@]} mutants"
[ $keep -eq 1 ] && echo "work dir kept: $work"
exit $status
