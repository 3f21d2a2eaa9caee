#!/bin/sh
# bench_check_test.sh — bench/check.sh (make bench-check) with stand-in
# benchmark binaries: its decisions, not any timing.
#
#   sh tests/bench_check_test.sh SOURCE_DIR COMPARE_TOOL WORK_DIR
#
# The stand-in convblocks-bench (written below) knows three benchmarks, lists
# them like the real one (--quick: the op and the block; the network with
# --benchmark_filter=^net/...) and writes Google Benchmark JSON with times
# FAKE_SCALE x a fixed value and MACs FAKE_MACS x a fixed value. A and B are
# two such binaries, so the cases are exact:
#   baseline with no revision            -> one warning line, stored times used
#   revision not in the repository       -> the same, saying so
#   revision = HEAD, same A and B        -> PASS, exit 0
#   B 50 % slower                        -> SLOWER, exit 1
#   B with other MACs                    -> COSTS CHANGED, exit 1
#   a benchmark only B has               -> named, still PASS
#   B's benchmark binary fails           -> exit 2, its log named
#   no baseline, a bad CHECK_ROUNDS      -> exit 2
# The revision cases need SOURCE_DIR to be a git checkout; they are skipped
# (and say so) in a tarball.
set -u
src=$1 compare=$2 T=$3
rm -rf "$T"
mkdir -p "$T/build"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

cat > "$T/fake-bench" <<'EOF'
#!/bin/sh
out="" filter="" reps=1 list=0 quick=0
for a in "$@"; do
    case $a in
        --benchmark_out=*) out=${a#*=} ;;
        --benchmark_filter=*) filter=${a#*=} ;;
        --benchmark_repetitions=*) reps=${a#*=} ;;
        --benchmark_list_tests) list=1 ;;
        --quick) quick=1 ;;
    esac
done
names="op/relu/fast/8x8x8/t1/real_time block/mobilenet/fast/8x8x8/t1/real_time ${FAKE_EXTRA:-}"
[ $quick = 1 ] || names="$names net/tiny/fast/32/t1/real_time"
sel=""
for n in $names; do
    if [ -z "$filter" ] || printf '%s\n' "$n" | grep -Eq "$filter"; then sel="$sel $n"; fi
done
[ -n "$sel" ] || { echo "convblocks-bench: filter: no benchmark matched" >&2; exit 1; }
if [ $list = 1 ]; then
    for n in $sel; do echo "$n"; done
    exit 0
fi
[ -z "${FAKE_FAIL:-}" ] || { echo "convblocks-bench: out of memory" >&2; exit 1; }
{
    echo '{"context": {"host_name": "fake"}, "benchmarks": ['
    first=1
    for n in $sel; do
        case $n in op/*) ms=1 macs=1000 ;; block/*) ms=2 macs=5000 ;; *) ms=5 macs=90000 ;; esac
        r=0
        while [ $r -lt "$reps" ]; do
            [ $first = 1 ] || echo ','
            first=0
            awk -v n="$n" -v ms="$ms" -v s="${FAKE_SCALE:-1}" -v m="$macs" -v k="${FAKE_MACS:-1}" -v r="$r" \
                'BEGIN { t = ms * s * (1 + 0.001 * r);
                         printf "{\"name\": \"%s\", \"run_name\": \"%s\", \"run_type\": \"iteration\", ", n, n;
                         printf "\"real_time\": %.6f, \"cpu_time\": %.6f, \"time_unit\": \"ms\", ", t, t;
                         printf "\"MACs\": %.1f, \"params\": 10, \"bytes\": 4096}", m * k }'
            r=$((r + 1))
        done
    done
    echo ']}'
} > "$out"
EOF
chmod +x "$T/fake-bench"
ln -s "$T/fake-bench" "$T/build/convblocks-bench"
ln -s "$compare" "$T/build/convblocks-bench-compare"
# A: the baseline's revision as built; B (in $T/build): the working tree.
printf '#!/bin/sh\nFAKE_SCALE=1 FAKE_MACS=1 FAKE_EXTRA= exec %s "$@"\n' "$T/fake-bench" > "$T/fake-a"
chmod +x "$T/fake-a"

# baseline REV FILE: what the fake writes, 5 repetitions, with REV in the context.
baseline() {
    "$T/fake-bench" --benchmark_repetitions=5 --benchmark_out="$2.tmp"
    if [ -n "$1" ]; then
        sed "s/\"host_name\": \"fake\"/\"host_name\": \"fake\",\\
    \"convblocks_revision\": \"$1\",\\
    \"convblocks_revision_dirty\": \"false\"/" "$2.tmp" > "$2"
    else
        cp "$2.tmp" "$2"
    fi
    rm -f "$2.tmp"
}

# check CODE NAME [VAR=value...]: run check.sh in SOURCE_DIR on $T/base.json.
check() {
    code=$1 name=$2
    shift 2
    (cd "$src" && env CHECK_BASE_BENCH="$T/fake-a" CHECK_ROUNDS=3 CHECK_NET_ROUNDS=2 CHECK_REPS=3 "$@" \
        sh bench/check.sh "$T/build" "$T/base.json" "$T/out") > "$T/stdout" 2> "$T/stderr"
    got=$?
    if [ $got -ne "$code" ]; then
        bad "$name: exit $got, expected $code: $(tail -n 3 "$T/stdout") $(head -c 300 "$T/stderr")"
        return 1
    fi
    ok
}
has() { # has FILE TEXT NAME
    if grep -qF -- "$2" "$T/$1"; then ok; else bad "$3: no '$2' in $1: $(head -c 400 "$T/$1")"; fi
}

# No revision recorded: stored times, with the warning on one line.
baseline "" "$T/base.json"
if check 0 "no revision"; then
    has stderr "records no git revision" "no revision"
    has stderr "drift by 10-50 %" "no revision"
    [ "$(grep -c warning "$T/stderr")" -eq 1 ] && ok || bad "no revision: not one warning line"
    has stdout "bench-check: PASS" "no revision"
    has stdout "stored times: unreliable on a shared machine" "no revision"
fi
check 1 "no revision, costs changed" FAKE_MACS=2 && has stdout "COSTS CHANGED" "no revision, costs changed"

# Not a commit here: stored times, saying why.
baseline 0123456789abcdef0123456789abcdef01234567 "$T/base.json"
if check 0 "unknown revision"; then
    if grep -q "is not in this git repository" "$T/stderr" || grep -q "is not a git checkout" "$T/stderr"; then
        ok
    else
        bad "unknown revision: no reason in $(cat "$T/stderr")"
    fi
fi

rev=$(cd "$src" && [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ] &&
      git rev-parse --verify --quiet HEAD)
if [ -n "$rev" ]; then
    baseline "$rev" "$T/base.json"
    if check 0 "same A and B"; then
        has stderr "A = $rev (the baseline's revision)" "same A and B"
        has stdout "bench-check: PASS: costs unchanged; no significant slowdown (interleaved A/B" "same A and B"
        has stdout "3 compared: 0 cost changes" "same A and B"
        # 3 rounds x 3 repetitions for op and block, 2 x 3 for the network
        has stdout "block/mobilenet/fast/8x8x8/t1/real_time" "same A and B"
        grep -q "op/relu/fast/8x8x8/t1/real_time .* 9/9 " "$T/stdout" && ok || bad "op: not 9/9 samples"
        grep -q "net/tiny/fast/32/t1/real_time .* 6/6 " "$T/stdout" && ok || bad "net: not 6/6 samples"
        if grep -q "warning" "$T/stderr"; then bad "same A and B: a warning"; else ok; fi
    fi
    check 1 "B slower" FAKE_SCALE=1.5 && {
        has stdout "SLOWER" "B slower"
        has stdout "3 slower" "B slower"
        has stdout "bench-check: FAIL: costs unchanged; SLOWER" "B slower"
    }
    check 1 "B other MACs" FAKE_MACS=3 && {
        has stdout "COST CHANGE  op/relu/fast/8x8x8/t1/real_time" "B other MACs"
        has stdout "MACs 1000 -> 3000" "B other MACs"
        has stdout "bench-check: FAIL: COSTS CHANGED; no significant slowdown" "B other MACs"
    }
    check 2 "B fails to run" FAKE_FAIL=1 && has stderr "failed (see " "B fails to run"
    check 0 "new benchmark" FAKE_EXTRA=op/new/fast/8x8x8/t1/real_time && {
        has stdout "only in new: op/new/fast/8x8x8/t1/real_time" "new benchmark"
        has stdout "bench-check: PASS" "new benchmark"
    }
else
    echo "SKIP: $src is not a git checkout: the A/B cases need a revision to build"
fi

rm -f "$T/base.json"
check 2 "no baseline" && has stderr "no baseline (make bench-baseline)" "no baseline"
baseline "" "$T/base.json"
check 2 "bad rounds" CHECK_ROUNDS=x

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
