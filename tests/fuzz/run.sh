#!/bin/sh
# run.sh — run one libFuzzer target: its regression inputs once, then fuzzing.
#
#   tests/fuzz/run.sh BINARY CORPUS WORKDIR runs N        (CTest: a fixed number of executions)
#   tests/fuzz/run.sh BINARY CORPUS WORKDIR seconds S     (make fuzz: a fixed time)
#
# CORPUS is the committed seed corpus; it is only read. New inputs go to
# WORKDIR/corpus (kept between timed runs), crashes to WORKDIR/crash-*, which is
# where to pick a new regression input from (then commit it under
# tests/fuzz/regressions/<target>/ and fix the bug). Exit non-zero on a crash,
# leak, sanitizer report or timeout.
set -eu
[ $# -eq 5 ] || { echo "usage: run.sh BINARY CORPUS WORKDIR runs|seconds N" >&2; exit 2; }
bin=$1 corpus=$2 work=$3 mode=$4 n=$5
name=$(basename "$corpus")
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work/corpus"
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
bin=$(abs "$bin") corpus=$(abs "$corpus") work=$(abs "$work")

# Every input that ever crashed a target, replayed first.
if [ -d "$here/regressions/$name" ] && [ -n "$(ls -A "$here/regressions/$name")" ]; then
    "$bin" "$here/regressions/$name"/* >"$work/regressions.log" 2>&1 || {
        cat "$work/regressions.log"; echo "run.sh: $name: a regression input fails again" >&2; exit 1; }
    echo "$name: $(ls "$here/regressions/$name" | wc -l) regression inputs pass"
fi

case $mode in
# A fixed seed and a fresh working corpus: CI runs are the same every time.
runs) limit="-runs=$n -seed=1"; rm -rf "$work/corpus" && mkdir -p "$work/corpus" ;;
seconds) limit="-max_total_time=$n" ;;
*) echo "run.sh: mode must be runs or seconds" >&2; exit 2 ;;
esac
dict=""
[ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
# -timeout: a parser that takes a second on one small input is hung.
# -rss_limit_mb: the tools may allocate up to 4 GiB by design; the inputs
#  here are small and must never get near that.
cd "$work"
rc=0
"$bin" $limit $dict -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "$work/corpus" "$corpus" >"$work/fuzz.log" 2>&1 || rc=$?
# The progress lines are noise; keep the summary, and everything on failure.
if [ $rc -eq 0 ]; then
    grep -v '^#[0-9]*[[:space:]]*\(NEW\|REDUCE\|pulse\)' "$work/fuzz.log" | tail -n 25
else
    tail -n 80 "$work/fuzz.log"
    echo "run.sh: $name: fuzzing failed (exit $rc); the input is in $work/crash-* / leak-* / timeout-*" >&2
fi
exit $rc
