#!/bin/sh
# End-to-end tests of the `convblocks` command line: good runs against golden
# data, and every kind of bad input -> one line on stderr, the right exit
# code (2 usage, 1 runtime), no output file, no crash.
#   cli_test.sh CONVBLOCKS NPY_COMPARE DATA_DIR
set -u
CB=$1
CMP=$2
DATA=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/expect.sh"

G=$DATA/golden

# --- good runs ---------------------------------------------------------
expect 0 "list" -- "$CB" list
expect 0 "list --json" -- "$CB" list --json
expect 0 "help" -- "$CB" run --help
expect 0 "cost mobilenet" -- "$CB" cost mobilenet
grep -q '27,496,448' "$T/stdout" && ok || bad "cost mobilenet: MACs 27,496,448 (9*64*56^2 + 64*128*56^2) not printed"
grep -q 'equals our count' "$T/stdout" && ok || bad "cost mobilenet: formula line missing"
expect 0 "cost standard json" -- "$CB" cost standard --format json
grep -q '"macs": 231211008' "$T/stdout" && ok || bad "cost standard: MACs 231211008 (9*64*128*56^2) not in JSON"
expect 0 "cost csv" -- "$CB" cost inception_a --format csv
[ "$(grep -c . "$T/stdout")" -eq 25 ] && ok || bad "cost inception_a csv: expected header + 23 layers + total"
expect 0 "cost group-by" -- "$CB" cost xception_middle --group-by type

# conv against torch.nn.functional.conv2d golden outputs, both implementations
for case in k3_s2_p1_g1_bias_13x11 k3_s1_p1_gC_nobias_7x9 k5_s1_p1_g2_bias_7x9; do
    d=$G/conv/$case
    stride=$(sed -n 's/.*"stride": *\([0-9]*\).*/\1/p' "$d/meta.json")
    pad=$(sed -n 's/.*"pad": *\([0-9]*\).*/\1/p' "$d/meta.json")
    groups=$(sed -n 's/.*"groups": *\([0-9]*\).*/\1/p' "$d/meta.json")
    bias=""
    [ -f "$d/bias.npy" ] && bias="--bias $d/bias.npy"
    for impl in ref fast; do
        # shellcheck disable=SC2086
        expect 0 "conv $case $impl" -- "$CB" conv --input "$d/input.npy" --weight "$d/weight.npy" $bias \
            --stride "$stride" --pad "$pad" --groups "$groups" --impl $impl --output "$T/y.npy"
        "$CMP" "$T/y.npy" "$d/output.npy" 1e-5 1e-5 && ok || bad "conv $case $impl: output differs from torch"
    done
done

# a 1x1 conv through OpenBLAS's sgemm gives the same answer as ours
d=$G/conv/k1_s1_p0_g1_bias_7x9
expect 0 "conv --gemm openblas" -- "$CB" conv --input "$d/input.npy" --weight "$d/weight.npy" --bias "$d/bias.npy" \
    --gemm openblas --output "$T/y.npy"
"$CMP" "$T/y.npy" "$d/output.npy" 1e-5 1e-5 && ok || bad "conv --gemm openblas: output differs from torch"

# run a block on golden params and input: the output matches PyTorch, and the
# MACs the reference kernels counted equal the cost model
d=$G/blocks/xception_entry_norelu_13x11
for impl in ref fast; do
    expect 0 "run xception_entry $impl" -- "$CB" run xception_entry --set cout=6 --set start_relu=false \
        --params "$d/params" --input "$d/input.npy" --output "$T/y.npy" --impl $impl
    "$CMP" "$T/y.npy" "$d/output.npy" && ok || bad "run xception_entry $impl: output differs from PyTorch"
done
"$CB" run xception_entry --set cout=6 --set start_relu=false --params "$d/params" --input "$d/input.npy" \
    --impl ref >"$T/stdout" 2>&1
grep -q '^output: 1x6x7x6$' "$T/stdout" && ok || bad "run: output line"
grep -q 'counted_macs: .* (equals the cost model)' "$T/stdout" && ok || bad "run: counted MACs"
grep -q '^median: .* ms over 1 runs$' "$T/stdout" && ok || bad "run: median line"

# --save-params writes every key and a manifest; they load back to the same output
expect 0 "run --save-params" -- "$CB" run mobilenet --shape 5,7,9 --set cout=6 --seed 3 --save-params "$T/p" \
    --output "$T/y1.npy" --impl ref
[ -f "$T/p/dw.weight.npy" ] && [ -f "$T/p/bn2.running_var.npy" ] && grep -q '"name": "pw.weight", "shape": \[6, 5, 1, 1\]' \
    "$T/p/manifest.json" && ok || bad "save-params: files or manifest missing"
expect 0 "run --params" -- "$CB" run mobilenet --shape 5,7,9 --set cout=6 --seed 3 --params "$T/p" \
    --output "$T/y2.npy" --impl ref
cmp -s "$T/y1.npy" "$T/y2.npy" && ok || bad "params round trip: outputs differ"

# a photo as a network input, resized to the resolution
expect 0 "run mobilenet_v1 --image" -- "$CB" run mobilenet_v1 --alpha 0.25 --resolution 96 --image "$DATA/images/chelsea.png" --impl ref
grep -q '^output: 1x1000x1x1$' "$T/stdout" && grep -q 'counted_macs: .* (equals the cost model)' "$T/stdout" && ok \
    || bad "run mobilenet_v1 --image: output or MAC count"

# --- bad input ---------------------------------------------------------
head -c 100 "$G/conv/k3_s1_p1_g1_nobias_7x9/input.npy" >"$T/truncated.npy"
printf 'not a numpy file at all' >"$T/garbage.npy"
W=$G/conv/k3_s1_p1_g1_nobias_7x9/weight.npy
X=$G/conv/k3_s1_p1_g1_nobias_7x9/input.npy
expect 2 "no command" -- "$CB"
expect 2 "unknown command" -- "$CB" frobnicate
expect 2 "unknown block" -- "$CB" cost resnet50
expect 2 "unknown flag" -- "$CB" cost mobilenet --colour red
expect 2 "bad --set key" -- "$CB" cost mobilenet --set colour=3
expect 2 "bad --set value" -- "$CB" cost mobilenet --set cout=abc
expect 2 "bad --set form" -- "$CB" cost mobilenet --set cout
expect 2 "bad --shape" -- "$CB" cost mobilenet --shape 64,56
expect 2 "overflowing --shape" -- "$CB" cost standard --shape 999999999,999999999,999999999
expect 2 "groups not dividing" -- "$CB" cost inception_grouped --set groups=5
expect 2 "bad --format" -- "$CB" cost mobilenet --format xml
expect 2 "--alpha on a block" -- "$CB" cost mobilenet --alpha 0.5
expect 2 "conv missing --output" -- "$CB" conv --input "$X" --weight "$W"
expect 2 "conv --groups not dividing" -- "$CB" conv --input "$X" --weight "$W" --groups 4 --output "$T/out.npy"
expect 2 "conv bad --stride" -- "$CB" conv --input "$X" --weight "$W" --stride 0 --output "$T/out.npy"
expect 1 "conv missing input file" -- "$CB" conv --input "$T/nope.npy" --weight "$W" --output "$T/out.npy"
expect 1 "conv truncated .npy" -- "$CB" conv --input "$T/truncated.npy" --weight "$W" --output "$T/out.npy"
expect 1 "conv garbage .npy" -- "$CB" conv --input "$T/garbage.npy" --weight "$W" --output "$T/out.npy"
expect 1 "conv float64 .npy" -- "$CB" conv --input "$G/npy/ramp_4_f8.npy" --weight "$W" --output "$T/out.npy"
expect 1 "conv wrong rank input" -- "$CB" conv --input "$G/npy/ramp_5.npy" --weight "$W" --output "$T/out.npy"
expect 1 "conv weight rank 3" -- "$CB" conv --input "$X" --weight "$G/npy/ramp_2x3x4.npy" --output "$T/out.npy"
expect 1 "conv channel mismatch" -- "$CB" conv --input "$G/npy/ramp_1x2x3x4.npy" --weight "$W" --output "$T/out.npy"
expect 1 "run missing params" -- "$CB" run mobilenet --params "$T/nothing" --output "$T/out.npy"
expect 1 "run params of another block" -- "$CB" run mobilenet --params "$T/p" --output "$T/out.npy"
expect 1 "run input of wrong shape" -- "$CB" run mobilenet --shape 5,7,9 --input "$G/npy/ramp_1x2x3x4.npy" --output "$T/out.npy"
expect 1 "run output into missing dir" -- "$CB" run mobilenet --shape 5,7,9 --set cout=6 --output "$T/no/such/dir/out.npy"
expect 1 "run missing image" -- "$CB" run mobilenet_v1 --image "$T/nope.png" --impl ref
expect 1 "run corrupt image" -- "$CB" run mobilenet_v1 --image "$T/garbage.npy" --impl ref
expect 2 "run --input and --image" -- "$CB" run mobilenet_v1 --image "$DATA/images/chelsea.png" --input "$X"
expect 2 "network --alpha 0" -- "$CB" cost mobilenet_v1 --alpha 0
expect 2 "network --alpha 1.5" -- "$CB" cost mobilenet_v1 --alpha 1.5
expect 2 "network --resolution 100" -- "$CB" cost mobilenet_v1 --resolution 100
expect 2 "network --shape" -- "$CB" cost vgg16 --shape 3,224,224
expect 2 "run bad --gemm" -- "$CB" run mobilenet --gemm blas
expect 2 "run --gemm with --impl ref" -- "$CB" run mobilenet --gemm openblas --impl ref
expect 2 "run bad --impl" -- "$CB" run mobilenet --impl gpu
expect 2 "run bad --repeat" -- "$CB" run mobilenet --repeat 0

finish
