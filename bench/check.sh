#!/bin/sh
# check.sh — the benchmark regression gate behind `make bench-check`.
#
#   bench/check.sh BUILD BASELINE OUTDIR      (run in the repository)
#
# BUILD holds the working tree's convblocks-bench and convblocks-bench-compare,
# BASELINE is the JSON of `make bench-baseline`, OUTDIR takes the runs.
#
# A baseline's times only hold for the load they were measured under: on the
# shared 2-vCPU VM an unchanged tree measured an hour later differs by 10-50 %
# (44 of 170 benchmarks "slower"). So the gate asks two separate questions:
#
#  cost  Does the code still do the same work? The cost counters (MACs,
#        params, bytes) of the working tree's runs must equal the baseline's
#        exactly (convblocks-bench-compare --cost-only). Load cannot change
#        them, so the stored file is the right reference.
#  time  Is the working tree slower than the code the baseline measured? The
#        baseline records its git revision (context "convblocks_revision",
#        written by `make bench-baseline`); that revision is built from git
#        (bench/build-rev.sh) and run against the working tree's build in one
#        sitting, benchmark by benchmark: A then B (or B then A, alternately)
#        for one benchmark, then the next, round after round. The pooled
#        repetitions are compared with convblocks-bench-compare (threshold,
#        U test, best time; bench/README.md).
#
# Why benchmark by benchmark: the load on the shared VM changes within a
# minute (the same build's depthwise op measured 355 us in one round and
# 1580 us in the next), while the two repetitions of one run agree to a few
# per cent. Runs of whole sets put ~30 s between A's and B's sample of a
# benchmark; runs of one benchmark put a fraction of a second, so both sides
# sample the same load. That keeps the comparison fair; it does not make a
# small change visible under heavy load (bench/README.md says what it resolves).
#
# What is timed: every op, every canonical block and every network, fast
# kernels at their canonical shapes, with CHECK_THREADS threads (default 1):
# the --quick preset (each op at its first shape, each block at its default
# shape, mobilenet_v1) for CHECK_ROUNDS rounds, and every network's forward
# pass at its default resolution for CHECK_NET_ROUNDS rounds (a network's
# setup — weights drawn at random and packed — takes seconds, longer than
# its passes). Each run makes CHECK_REPS repetitions. Reference kernels are
# the oracle, not timed here.
#
# Why one thread: a 2-thread run needs both vCPUs of the VM at once. Any other
# process on the machine deschedules one thread at a barrier and the run jumps
# from ~2 ms to a floor of ~8 ms (a scheduler slice), whichever build it is;
# an unchanged tree failed on 4 of 26 2-thread benchmarks this way, while its
# 1-thread benchmarks all passed. On a machine of your own, CHECK_THREADS=1,2.
#
# Without a usable revision — none recorded (a baseline written outside git),
# or not a commit of this repository (a tarball, a shallow clone) — there is
# nothing to build, and the gate falls back to the stored times with a
# warning: the whole default benchmark set, compared with the baseline as is.
#
# Env: BENCH_THRESHOLD (5), BENCH_ALPHA (0.05), CHECK_ROUNDS (5),
# CHECK_NET_ROUNDS (3), CHECK_REPS (2), CHECK_THREADS (1, or a list for --threads such as 1,2), JOBS and
# CMAKE_FLAGS (for the build), CHECK_BASE_BENCH (a convblocks-bench already
# built for the baseline's revision: no build).
# Exit: 0 pass, 1 a cost change, a failed benchmark or a significant slowdown,
# 2 usage, a missing baseline or a tool that failed.
set -u
prog=bench-check
if [ $# -ne 3 ]; then
    echo "usage: bench/check.sh BUILD BASELINE OUTDIR" >&2
    exit 2
fi
build=$1 baseline=$2 out=$3
bench=$build/convblocks-bench
compare=$build/convblocks-bench-compare
threshold=${BENCH_THRESHOLD:-5} alpha=${BENCH_ALPHA:-0.05}
rounds=${CHECK_ROUNDS:-5} net_rounds=${CHECK_NET_ROUNDS:-3} reps=${CHECK_REPS:-2}
threads=${CHECK_THREADS:-1}
for n in "$rounds" "$net_rounds" "$reps"; do
    case "$n" in
        *[!0-9]* | '' | 0) echo "$prog: CHECK_ROUNDS, CHECK_NET_ROUNDS and CHECK_REPS must be counts" >&2; exit 2 ;;
    esac
done
if [ ! -f "$baseline" ]; then
    echo "$prog: $baseline: no baseline (make bench-baseline)" >&2
    exit 2
fi
for tool in "$bench" "$compare"; do
    if [ ! -x "$tool" ]; then
        echo "$prog: $tool: not built" >&2
        exit 2
    fi
done

# Google Benchmark writes each context key on a line of its own.
context() {
    sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\"\([^\"]*\)\".*/\1/p" "$baseline" | head -n 1
}
rev=$(context convblocks_revision)
dirty=$(context convblocks_revision_dirty)

# Why the stored times have to do, or empty if the revision can be built.
why=""
if [ -z "$rev" ]; then
    why="$baseline records no git revision (measured outside a git checkout, or before revisions were recorded)"
elif [ "$(git rev-parse --show-toplevel 2>/dev/null)" != "$(pwd -P)" ]; then
    why="$(pwd -P) is not a git checkout (a tarball?), so revision $rev of the baseline cannot be built"
elif ! git cat-file -e "$rev^{commit}" 2>/dev/null; then
    why="the baseline's revision $rev is not in this git repository"
fi

mkdir -p "$out" || exit 2

# run BIN OUTFILE FLAGS...: one convblocks-bench run to a JSON file.
run() {
    bin=$1 file=$2
    shift 2
    if ! "$bin" --no-probe "$@" --benchmark_out="$file" --benchmark_out_format=json \
        < /dev/null > "${file%.json}.log" 2>&1; then
        echo "$prog: $bin $* failed (see ${file%.json}.log)" >&2
        exit 2
    fi
}

# judge TIMES_A TIMES_B WHAT HOW: the time comparison of B against A, the
# exact cost comparison of B against the baseline, the summary line, and
# exit with the status.
judge() {
    echo "== times: $3"
    "$compare" "$1" "$2" --threshold "$threshold" --alpha "$alpha"
    t=$?
    echo
    echo "== costs: the working tree's runs vs $baseline"
    "$compare" --cost-only "$baseline" "$2"
    c=$?
    if [ "$c" -eq 0 ]; then cw="costs unchanged"; elif [ "$c" -eq 1 ]; then cw="COSTS CHANGED"; else cw="cost check failed to run"; fi
    if [ "$t" -eq 0 ]; then tw="no significant slowdown"; elif [ "$t" -eq 1 ]; then tw="SLOWER"; else tw="time check failed to run"; fi
    # anything but 0 and 1 (2, or a crash) means a check did not run: 2
    case "$c$t" in
        00) rc=0 ;;
        01 | 10 | 11) rc=1 ;;
        *) rc=2 ;;
    esac
    if [ $rc -eq 0 ]; then word=PASS; else word=FAIL; fi
    echo "$prog: $word: $cw; $tw ($4)"
    exit $rc
}

if [ -n "$why" ]; then
    echo "$prog: warning: $why: comparing with its stored times instead, which on a shared machine drift by 10-50 % with the load, so a pass or a failure may be the load's, not the code's" >&2
    echo "$prog: running the default benchmark set (a few minutes)" >&2
    run "$bench" "$out/new.json"
    judge "$baseline" "$out/new.json" "$baseline (stored) vs the working tree" \
        "stored times: unreliable on a shared machine"
fi

if [ "$dirty" = true ]; then
    echo "$prog: note: the baseline was measured with uncommitted changes on top of $rev; A is $rev as committed" >&2
fi
if [ -n "${CHECK_BASE_BENCH:-}" ]; then
    a=$CHECK_BASE_BENCH
else
    a=$(bench/build-rev.sh "$rev" "$out/base") || exit 2
fi
rm -rf "$out/runs"
mkdir -p "$out/runs" || exit 2
# The two sets, each as "flags that register it" and the names in it.
quick_flags="--quick --threads $threads"
net_flags="--threads $threads"
net_filter='^net/[^/]+/fast/'
for side in a b; do
    if [ "$side" = a ]; then bin=$a; else bin=$bench; fi
    # shellcheck disable=SC2086  # the flags are lists
    if ! { "$bin" $quick_flags --benchmark_list_tests > "$out/runs/$side-quick.names" &&
           "$bin" $net_flags --benchmark_filter="$net_filter" --benchmark_list_tests \
               > "$out/runs/$side-nets.names"; } 2> "$out/runs/$side-list.log"; then
        echo "$prog: $bin cannot list its benchmarks (see $out/runs/$side-list.log)" >&2
        exit 2
    fi
done
echo "$prog: A = $rev (the baseline's revision), B = the working tree ($build)," \
    "benchmark by benchmark, $threads thread(s), $reps repetitions a run:" \
    "$(wc -l < "$out/runs/b-quick.names") ops and blocks x $rounds rounds," \
    "$(wc -l < "$out/runs/b-nets.names") networks x $net_rounds rounds" >&2
alist="" blist=""
# one_set SET FLAGS ROUND: A and B of each benchmark of SET, back to back.
# A benchmark B has and A lacks (new since the baseline) runs on B alone.
one_set() {
    set_name=$1 flags=$2 r=$3 k=0
    while IFS= read -r name; do
        k=$((k + 1))
        if [ $(((r + k) % 2)) -eq 0 ]; then order="a b"; else order="b a"; fi
        for side in $order; do
            if [ "$side" = a ]; then
                grep -qxF "$name" "$out/runs/a-$set_name.names" || continue
                bin=$a
            else
                bin=$bench
            fi
            f=$out/runs/$side-$set_name-r$r-$k.json
            # shellcheck disable=SC2086
            run "$bin" "$f" $flags --benchmark_filter="^$name\$" --benchmark_repetitions="$reps"
            if [ "$side" = a ]; then alist="$alist${alist:+,}$f"; else blist="$blist${blist:+,}$f"; fi
        done
    done < "$out/runs/b-$set_name.names"
}
i=1
while [ "$i" -le "$rounds" ] || [ "$i" -le "$net_rounds" ]; do
    echo "$prog: round $i" >&2
    if [ "$i" -le "$rounds" ]; then one_set quick "$quick_flags" "$i"; fi
    if [ "$i" -le "$net_rounds" ]; then one_set nets "$net_flags" "$i"; fi
    i=$((i + 1))
done
judge "$alist" "$blist" "A ($rev) vs B (the working tree), interleaved" \
    "interleaved A/B against the baseline's revision"
