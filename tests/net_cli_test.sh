#!/bin/sh
# End-to-end tests of the networks through the `convblocks` command line:
# what issue 3's "done means" promises a student can type.
#   net_cli_test.sh CONVBLOCKS NPY_COMPARE DATA_DIR
set -u
CB=$1
CMP=$2
DATA=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/expect.sh"
has() { grep -q -- "$2" "$T/stdout" && ok || bad "$1: '$2' not in the output"; }

# --- Table 2 from `cost --group-by type` -------------------------------------
expect 0 "group-by" -- "$CB" cost mobilenet_v1 --group-by type
for share in 94.86% 3.06% 0.18% 74.59% 1.06% 0.02% 24.33%; do has "group-by" "$share"; done
has "group-by" "1.91%"   # the paper's misprinted 1.19%

# --- every published figure beside ours ---------------------------------------
expect 0 "paper all" -- "$CB" cost --paper all
[ "$(grep -c 'match' "$T/stdout")" -ge 40 ] && ok || bad "paper all: fewer than 40 verdicts"
[ "$(grep -c 'differs: ' "$T/stdout")" -eq 5 ] && ok || bad "paper all: expected 5 'differs' verdicts"
has "paper all" "transposed digits"
has "paper all" "22,855,952   22,855,952  exact match"
expect 0 "paper vgg16" -- "$CB" cost --paper vgg16
has "paper vgg16" "138,357,544"
expect 2 "paper unknown" -- "$CB" cost --paper resnet50

# --- layer names as the issue gives them --------------------------------------
expect 0 "cost mobilenet_v1 json" -- "$CB" cost mobilenet_v1 --format json
has "json" '"name": "conv_dw_3"'
has "json" '"macs": 568740352'
expect 0 "cost inception_v3" -- "$CB" cost inception_v3 --format csv
has "inception csv" "mixed_6c.branch7x7dbl_2"
expect 0 "cost xception" -- "$CB" cost xception --format json
has "xception json" '"params": 22855952'
expect 0 "cost alpha/resolution" -- "$CB" cost mobilenet_v1 --alpha 0.5 --resolution 160 --format json
has "alpha 0.5 at 160" '"input_shape": \[3, 160, 160\]'

# --- bad arguments: a clear error, exit 2 -------------------------------------
expect 2 "alpha 0" -- "$CB" cost mobilenet_v1 --alpha 0
expect 2 "alpha 1.5" -- "$CB" cost mobilenet_v1 --alpha 1.5
expect 2 "resolution 100" -- "$CB" cost mobilenet_v1 --resolution 100
grep -q 'multiple of 32' "$T/err" && ok || bad "resolution 100: message does not say 'multiple of 32'"
expect 2 "resolution 64" -- "$CB" cost mobilenet_v1 --resolution 64
expect 2 "vgg16 at 256" -- "$CB" cost vgg16 --resolution 256
expect 2 "unknown network" -- "$CB" cost mobilenet_v9
expect 2 "run alpha 0" -- "$CB" run mobilenet_v1 --alpha 0

# --- the golden forward pass through the command line -------------------------
d=$DATA/golden/net/mobilenet_v1_a025_r96
for impl in ref fast; do
    expect 0 "run golden $impl" -- "$CB" run mobilenet_v1 --alpha 0.25 --resolution 96 --params "$d/params" \
        --input "$d/input.npy" --output "$T/y.npy" --impl $impl
    "$CMP" "$T/y.npy" "$d/output.npy" 1e-4 1e-3 && ok || bad "run golden $impl: output differs from PyTorch"
done

# --- run --profile: the MAC column sums to the cost model's total -------------
expect 0 "profile" -- "$CB" run mobilenet_v1 --alpha 0.25 --resolution 96 --profile --impl ref
total=$(sed -n 's/^macs: \([0-9]*\).*/\1/p' "$T/stdout")
# rows of the per-layer table: name, type (one or two words), time, %, MACs, ...;
# the MACs are the first integer field after the "%" field
sum=$(awk '/^layer /{on=1; next} /^total /{on=0} on && NF >= 5 {for (i = 1; i <= NF; i++) if ($i ~ /%$/) {s += $(i+1); break}} END {printf "%.0f", s}' "$T/stdout")
[ -n "$total" ] && [ "$total" = "$sum" ] && ok || bad "profile: layer MACs sum to $sum, total is $total"
grep -q "^total .* $total " "$T/stdout" && ok || bad "profile: the table's total row is not $total"
[ "$total" = 7745152 ] && ok || bad "profile: macs $total, expected 7745152"

finish
