#!/bin/sh
# ab.sh — compare two builds of convblocks-bench in one sitting.
#
#   bench/ab.sh A_BENCH B_BENCH ROUNDS OUTDIR [convblocks-bench flags...]
#
# On a shared machine the load drifts over minutes, so a baseline measured
# an hour ago and a run made now differ by more than most regressions
# (10-50 % on this 2-vCPU VM when busy). Running A and B alternately, one
# repetition each per round, exposes both to the same load; the rounds'
# repetitions are pooled ("a1.json,a2.json,...") and compared by
# convblocks-bench-compare (next to A_BENCH, or $COMPARE). Exit status: the
# compare tool's (0 no regression of B against A, 1 regression, 2 error).
set -eu
if [ $# -lt 4 ]; then
    echo "usage: bench/ab.sh A_BENCH B_BENCH ROUNDS OUTDIR [convblocks-bench flags...]" >&2
    exit 2
fi
a=$1 b=$2 rounds=$3 out=$4
shift 4
compare=${COMPARE:-$(dirname "$a")/convblocks-bench-compare}
mkdir -p "$out"
alist="" blist=""
i=1
while [ "$i" -le "$rounds" ]; do
    for side in a b; do
        if [ $side = a ]; then bin=$a; else bin=$b; fi
        "$bin" --no-probe "$@" --benchmark_repetitions=1 \
            --benchmark_out="$out/$side$i.json" --benchmark_out_format=json > "$out/$side$i.log" 2>&1
    done
    alist="$alist${alist:+,}$out/a$i.json"
    blist="$blist${blist:+,}$out/b$i.json"
    i=$((i + 1))
done
exec "$compare" "$alist" "$blist" ${AB_COMPARE_FLAGS:-}
