#!/bin/sh
# atomic_test.sh — an interrupted run never leaves a truncated file under
# its final name.
#
#   tests/atomic_test.sh CONVBLOCKS WORKDIR
#
# `convblocks run` writing a 16 MB output and its parameters is killed with
# SIGKILL (no chance to clean up) at 20 moments spread over its ~0.2 s
# life. After each kill, y.npy is either absent or byte-identical to the
# output of an uninterrupted run with the same seed, and if the parameter
# directory has its manifest.json (written last) every parameter file is
# complete. Leftover "*.tmp.<pid>" files are expected: SIGKILL cannot be
# cleaned up after, but they never carry a final name.
set -u
cb=$1 work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
args="standard --shape 64,128,128 --set cout=256 --seed 9 --impl fast --threads 1"
# shellcheck disable=SC2086
"$cb" run $args --output full.npy --save-params fullp >/dev/null || exit 1
status=0 kept=0 midwrite=0
for i in $(seq 0 19); do
    rm -rf y.npy y.npy.tmp.* p
    # shellcheck disable=SC2086
    "$cb" run $args --output y.npy --save-params p >/dev/null &
    pid=$!
    sleep "$(awk "BEGIN { print $i * 0.015 }")"
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    ls y.npy.tmp.* >/dev/null 2>&1 && midwrite=$((midwrite + 1))
    if [ -e y.npy ]; then
        kept=$((kept + 1))
        cmp -s y.npy full.npy || { echo "atomic_test: kill $i: y.npy is not the complete output" >&2; status=1; }
    fi
    if [ -e p/manifest.json ]; then
        for f in fullp/*; do
            cmp -s "$f" "p/$(basename "$f")" ||
                { echo "atomic_test: kill $i: p/$(basename "$f") incomplete beside manifest.json" >&2; status=1; }
        done
    fi
    for f in p/*.npy; do
        [ -e "$f" ] || continue
        cmp -s "$f" "fullp/$(basename "$f")" ||
            { echo "atomic_test: kill $i: $f is truncated" >&2; status=1; }
    done
done
echo "atomic_test: 20 kills ($midwrite while y.npy was being written): y.npy complete in $kept," \
    "absent in $((20 - kept)), never truncated"
exit $status
