/* fuzz_exec.c — libFuzzer target: the fast executor against the reference
 * one on small random graphs (differential fuzzing of the kernels).
 *
 * Input bytes describe a graph on a (C, H, W) input, C 1..8, H, W 1..16
 * (one input in 16: C 16..23, H, W 14..29 and a 3x3 stride-1 conv with
 * >= 16 outputs, the Winograd path; another one in 16: C 1..3, H 4..27,
 * W 32..71 and up to 40 outputs, the in-place path of a network's first
 * conv):
 *   a conv (kernel 1..5 x 1..5, stride 1..3, padding 0..2 per direction,
 *   groups 1, C or a divisor of C, output channels a multiple of groups,
 *   optional bias), then optionally BN and ReLU, then one of: nothing, max
 *   or average pooling, a residual add, a channel concat with the input,
 *   global average pooling (+ FC) — the shapes the fast plan fuses and
 *   special-cases (1x1 as GEMM, depthwise, BN folding, ReLU/add fusion,
 *   in-place concat, edge tiles of the micro-kernel).
 * Also chosen: 1..3 threads, AVX2 or portable kernels, own GEMM or OpenBLAS.
 * Parameters and input come from a seed in the input.
 * Properties: building is either refused with a message or succeeds; both
 * executors run without memory errors; every output agrees within
 * 1e-3 * (1 + max |ref|) (a kernel bug is off by O(1), rounding by ~1e-6);
 * the reference counts exactly the cost model's MACs.
 */
#include "fuzz_util.h"

#include <math.h>

#include "convblocks/cost.h"
#include "convblocks/exec.h"
#include "convblocks/graph.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t size) {
    if (size < 14) return 0;
    cb_shape in = {1 + d[0] % 8, 1 + d[1] % 16, 1 + d[2] % 16};
    cb_conv_params p = {1 + d[3] % 5, 1 + d[4] % 5, 1 + d[5] % 3, 1 + (d[5] >> 2) % 3,
                        d[6] % 3, (d[6] >> 2) % 3, 1};
    /* one input in 16: a 3x3 stride-1 conv wide and large enough for the
     * Winograd path (>= 16 channels in and out, >= 14x14 out) */
    const int wide = (d[0] & 0x78) == 0x78;
    if (wide) {
        in = (cb_shape){16 + d[0] % 8, 14 + d[1] % 16, 14 + d[2] % 16};
        p.kh = p.kw = 3;
        p.stride_h = p.stride_w = 1;
    }
    /* one input in 16: few channels and wide rows, as in a network's first
     * conv (K = C*kh*kw <= 32 and >= 16 outputs per row read B in place) */
    const int few = (d[0] & 0x78) == 0x70;
    if (few) in = (cb_shape){1 + d[0] % 3, 4 + d[1] % 24, 32 + d[2] % 40};
    int divisors[8], nd = 0;
    for (int g = 1; g <= in.c; g++)
        if (in.c % g == 0) divisors[nd++] = g;
    p.groups = (d[7] & 3) == 0 ? 1 : (d[7] & 3) == 1 ? in.c : divisors[(d[7] >> 2) % nd];
    int cout = wide && p.groups == 1  ? 16 + d[8] % 8
               : few && p.groups == 1 ? 1 + d[8] % 40
                                      : p.groups * (1 + d[8] % 4);
    int bias = d[9] & 1, bn = d[9] & 2, relu = d[9] & 4, tail = (d[9] >> 3) % 7;
    int threads = 1 + d[10] % 3;
    setenv("CB_FORCE_PORTABLE", d[11] & 1 ? "1" : "0", 1);
    setenv("CB_GEMM", d[11] & 2 ? "openblas" : "own", 1);
    uint64_t seed = 0;
    for (size_t i = 12; i < size; i++) seed = seed * 131 + d[i];

    cb_graph *g = cb_graph_new("fuzz", in);
    FUZZ_ASSERT(g);
    int x = cb_graph_conv(g, "conv", 0, cout, p, bias);
    if (bn) x = cb_graph_bn(g, "bn", x);
    if (relu) x = cb_graph_relu(g, "relu", x);
    cb_shape xs = x >= 0 ? g->values[x] : in;
    switch (tail) {
    case 1: x = cb_graph_maxpool(g, "pool", x, 2 + d[12] % 2, 1 + (d[12] >> 1) % 2, (d[12] >> 2) % 2); break;
    case 2: x = cb_graph_avgpool(g, "pool", x, 2 + d[12] % 2, 1 + (d[12] >> 1) % 2, (d[12] >> 2) % 2); break;
    case 3: x = cb_shape_eq(xs, in) ? cb_graph_add(g, "add", x, 0) : x; break;
    case 4:
        if (xs.h == in.h && xs.w == in.w) {
            int xsv[2] = {x, 0};
            x = cb_graph_concat(g, "concat", xsv, 2);
        }
        break;
    case 5: x = cb_graph_gap(g, "gap", x); break;
    case 6:
        x = cb_graph_gap(g, "gap", x);
        x = cb_graph_fc(g, "fc", x, 1 + d[12] % 10, d[12] & 16);
        break;
    }
    cb_error err;
    if (cb_graph_status(g, &err) != CB_OK) {
        FUZZ_ASSERT(x == -1 && err.msg[0]);
        cb_graph_free(g);
        return 0;
    }
    FUZZ_ASSERT(cb_graph_init_params(g, seed, &err) == CB_OK);
    cb_shape out = cb_graph_output_shape(g);
    uint64_t n_in = cb_shape_numel(in), n_out = cb_shape_numel(out);
    float *xin = cb_alloc_floats(n_in), *yr = cb_alloc_floats(n_out), *yf = cb_alloc_floats(n_out);
    FUZZ_ASSERT(xin && yr && yf);
    cb_rng r;
    cb_rng_seed(&r, seed + 1);
    for (uint64_t i = 0; i < n_in; i++) xin[i] = cb_rng_normal(&r);

    cb_exec *ref = NULL, *fast = NULL;
    FUZZ_ASSERT(cb_exec_new(g, CB_IMPL_REF, 1, &ref, &err) == CB_OK);
    FUZZ_ASSERT(cb_exec_new(g, CB_IMPL_FAST, threads, &fast, &err) == CB_OK);
    cb_exec_run(ref, xin, yr);
    cb_exec_run(fast, xin, yf);
    FUZZ_ASSERT(cb_exec_counted_macs(ref) == cb_graph_cost(g, NULL).macs);
    float scale = 0;
    for (uint64_t i = 0; i < n_out; i++) scale = fmaxf(scale, fabsf(yr[i]));
    for (uint64_t i = 0; i < n_out; i++) {
        if (!(fabsf(yr[i] - yf[i]) <= 1e-3f * (1 + scale))) {
            fprintf(stderr, "fuzz_exec: output %llu of %llu: ref %g fast %g (in %dx%dx%d, conv %dx%d/%d,%d pad %d,%d groups %d cout %d, tail %d, threads %d)\n",
                    (unsigned long long)i, (unsigned long long)n_out, yr[i], yf[i], in.c, in.h,
                    in.w, p.kh, p.kw, p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.groups, cout,
                    tail, threads);
            FUZZ_ASSERT(!"fast output differs from the reference");
        }
    }
    cb_exec_free(ref);
    cb_exec_free(fast);
    cb_free(xin);
    cb_free(yr);
    cb_free(yf);
    cb_graph_free(g);
    return 0;
}
