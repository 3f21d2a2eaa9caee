#!/bin/sh
# limits_test.sh — every limit of the command line is stated in --help and
# enforced, with the limit itself in the refusal message.
#
#   tests/limits_test.sh CONVBLOCKS
#
# The figures are the documented contract: CB_MAX_TENSOR_BYTES (tensor.h,
# 4 GiB), CB_MAX_KERNEL (ops.h, 31), CLI_MAX_SETS (cli.h, 16), the largest
# --set value (block.c, 65536). Change one and this test asks for the help
# text to follow.
set -u
cb=$1
status=0
fail() { echo "limits_test: $*" >&2; status=1; }

# help_says COMMAND TEXT...: `convblocks COMMAND --help` mentions each TEXT.
help_says() {
    cmd=$1; shift
    h=$("$cb" "$cmd" --help) || fail "$cmd --help exits non-zero"
    for t in "$@"; do
        printf '%s' "$h" | grep -q -- "$t" || fail "$cmd --help does not state '$t'"
    done
}
help_says cost "16 --set" "65536" "4 GiB" "kernels up to 31" "8192"
help_says run "16 --set" "65536" "4 GiB" "kernels up to 31" "8192" "1024" "100000"
help_says conv "up to 31" "4 GiB"

# refuses EXIT TEXT ARGS...: convblocks ARGS exits EXIT and its message contains TEXT.
refuses() {
    want=$1 text=$2; shift 2
    msg=$("$cb" "$@" 2>&1 >/dev/null); rc=$?
    [ $rc -eq "$want" ] || fail "'$*' exits $rc, expected $want ($msg)"
    printf '%s' "$msg" | grep -q -- "$text" || fail "'$*': message '$msg' does not name '$text'"
}
refuses 2 4294967296 cost standard --shape 65536,65536,2
refuses 2 4294967296 cost standard --shape 9999999999,1,1
refuses 2 4294967296 cost vgg --set n=2 --set cout=65536 --set cin=65536 --shape 65536,64,64
refuses 2 31 cost conv_kxk --set k=32
refuses 2 16 cost standard --set cout=1 --set cout=2 --set cout=3 --set cout=4 --set cout=5 \
    --set cout=6 --set cout=7 --set cout=8 --set cout=9 --set cout=10 --set cout=11 --set cout=12 \
    --set cout=13 --set cout=14 --set cout=15 --set cout=16 --set cout=17
refuses 2 65536 cost standard --set cout=65537
refuses 2 8192 cost mobilenet_v1 --resolution 8193
refuses 2 31 conv --input x.npy --weight w.npy --stride 32 --output y.npy
refuses 2 1024 run standard --threads 1025

# ...and the limits themselves are accepted (costing declares, never allocates).
"$cb" cost standard --set cout=65536 --format csv >/dev/null || fail "cout=65536 is refused"
"$cb" cost conv_kxk --set k=31 --shape 3,31,31 --format csv >/dev/null || fail "k=31 is refused"
"$cb" cost standard --shape 65536,128,128 --set cout=1 --format csv >/dev/null ||
    fail "a 4 GiB input is refused"
[ $status -eq 0 ] && echo "limits_test: every limit stated and enforced"
exit $status
