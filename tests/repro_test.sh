#!/bin/sh
# repro_test.sh — the same seed gives byte-identical outputs.
#
#   tests/repro_test.sh CONVBLOCKS WORKDIR
#
# For blocks and a small network, with --seed fixed:
#   - ref: the output .npy and every --save-params file (and manifest.json)
#     are byte-identical across two runs and across --threads 1 and 2
#     (the reference executor is single-threaded: one summation order);
#   - fast: the output .npy is byte-identical across runs and across
#     --threads 1, 2 and 3. Its threads split the *outputs* (GEMM row or
#     column panels, channels, FC row chunks), never a reduction, and the
#     K blocking of the GEMM does not depend on the thread count, so every
#     output is summed in the same order whatever the thread count;
#   - `cost --format json` is byte-identical across runs.
# (ref and fast are not identical to each other: the fast path folds BN
# into the weights and sums in GEMM blocks; the golden tests compare them
# with a tolerance.)
set -eu
cb=$1 work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "repro_test: $*" >&2; exit 1; }
same() { cmp -s "$1" "$2" || fail "$1 and $2 differ"; }
same_dir() {
    [ -f "$1/manifest.json" ] || fail "$1 has no manifest.json"
    for f in "$1"/*; do same "$f" "$2/$(basename "$f")"; done
    [ "$(ls "$1" | wc -l)" -eq "$(ls "$2" | wc -l)" ] || fail "$1 and $2 hold different files"
}

n=0
while read -r target args; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    for run in a:1 b:2 c:1; do
        "$cb" run "$target" $args --seed 5 --impl ref --threads "${run#*:}" \
            --output "ref_$n${run%:*}.npy" --save-params "p_$n${run%:*}" >/dev/null
    done
    same "ref_${n}a.npy" "ref_${n}b.npy"; same "ref_${n}a.npy" "ref_${n}c.npy"
    same_dir "p_${n}a" "p_${n}b"; same_dir "p_${n}a" "p_${n}c"
    for run in a:1 b:2 c:3 d:2; do
        "$cb" run "$target" $args --seed 5 --impl fast --threads "${run#*:}" \
            --output "fast_$n${run%:*}.npy" >/dev/null
    done
    for r in b c d; do same "fast_${n}a.npy" "fast_$n$r.npy"; done
    "$cb" cost "$target" $args --format json >"cost_${n}a.json"
    "$cb" cost "$target" $args --format json >"cost_${n}b.json"
    same "cost_${n}a.json" "cost_${n}b.json"
    echo "$target $args: identical (ref x3, fast x4 over 1-3 threads, params, cost json)"
done <<EOF_CASES
standard --shape 32,20,18
mobilenet --shape 24,19,17 --set stride=2
xception_middle --shape 16,11,11
inception_a --shape 16,13,13
inception_grouped --shape 12,9,9 --set m=12 --set groups=3
mobilenet_v1 --alpha 0.25 --resolution 96
EOF_CASES
