/* test_fast.c — every fast kernel and fusion against the reference executor.
 *
 * Each case builds a small graph, fills its parameters from a seed, runs it
 * through the reference executor (the oracle: ops_ref.c's plain loops) and
 * through a fast plan, and requires |fast - ref| <= 1e-4 + 1e-4*|ref| for
 * every output value. Shapes sweep around the vector width (8) and the GEMM
 * tile (6 x 16): channels below, equal to, multiples of and not multiples
 * of them; odd sizes 1, 2, 3, 7, 13; stride 2; padding 0/1/2; groups 1, 2,
 * C; kernels 1, 3, 5, 7; and sizes that cross the GEMM's K, M and N blocks.
 * CTest runs this program twice: as is (AVX2/FMA kernels on this machine)
 * and with CB_FORCE_PORTABLE=1 (the portable C kernels).
 */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convblocks/block.h"
#include "convblocks/exec.h"
#include "convblocks/fast.h"
#include "convblocks/graph.h"

/* Values outside the tolerance; *worst gets the largest |diff| / allowed. */
static size_t count_mismatches(const float *ref, const float *got, size_t n, double *worst) {
    size_t bad = 0;
    double w = 0.0;
    for (size_t i = 0; i < n; i++) {
        double r = ref[i], d = (double)got[i] - r;
        double allowed = 1e-4 + 1e-4 * (r < 0 ? -r : r);
        double q = (d < 0 ? -d : d) / allowed;
        if (!(q <= 1.0)) bad++; /* NaN counts as bad */
        if (q > w || q != q) w = q;
    }
    if (worst) *worst = w;
    return bad;
}

static float *random_input(cb_shape s, uint64_t seed) {
    size_t n = (size_t)cb_shape_numel(s);
    float *x = cb_alloc_floats(n);
    assert_non_null(x);
    cb_rng r;
    cb_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) x[i] = cb_rng_normal(&r);
    return x;
}

typedef struct {
    size_t n;
    float *ref, *fast;
    int steps, fused;
} run_result;

static void result_free(run_result *r) {
    cb_free(r->ref);
    cb_free(r->fast);
}

/* Run g with the reference executor and a fast plan (threads, backend). */
static run_result run_both(cb_graph *g, int threads, cb_gemm_backend backend, uint64_t seed) {
    cb_error err;
    run_result r = {0, NULL, NULL, 0, 0};
    if (cb_graph_status(g, &err) != CB_OK) fail_msg("%s: build: %s", g->name, err.msg);
    if (cb_graph_init_params(g, seed, &err) != CB_OK) fail_msg("%s: %s", g->name, err.msg);
    cb_shape in = cb_graph_input_shape(g), out = cb_graph_output_shape(g);
    r.n = (size_t)cb_shape_numel(out);
    float *x = random_input(in, seed + 1);
    r.ref = cb_alloc_floats(r.n);
    r.fast = cb_alloc_floats(r.n);
    assert_non_null(r.ref);
    assert_non_null(r.fast);

    cb_exec *e = NULL;
    if (cb_exec_new(g, CB_IMPL_REF, 1, &e, &err) != CB_OK) fail_msg("%s: %s", g->name, err.msg);
    cb_exec_run(e, x, r.ref);
    cb_exec_free(e);

    cb_fast_options o = {threads, backend};
    cb_fast_plan *p = NULL;
    if (cb_fast_plan_new_opts(g, &o, &p, &err) != CB_OK) fail_msg("%s: %s", g->name, err.msg);
    double *secs = calloc((size_t)g->n_layers + 1, sizeof(double));
    assert_non_null(secs);
    for (int i = 0; i < g->n_layers; i++) secs[i] = -1.0;
    /* twice: the second run must not depend on state left by the first */
    cb_fast_plan_run(p, x, r.fast, NULL);
    cb_fast_plan_run(p, x, r.fast, secs);
    int zero = 0;
    for (int i = 0; i < g->n_layers; i++) {
        assert_true(secs[i] >= 0.0);
        zero += secs[i] == 0.0;
    }
    r.steps = cb_fast_plan_steps(p);
    r.fused = cb_fast_plan_fused(p);
    /* every layer is either a step's leader or fused (a leader may also read 0 on a coarse clock) */
    assert_true(zero >= r.fused);
    assert_true(r.steps + r.fused >= 1);
    free(secs);
    cb_fast_plan_free(p);
    cb_free(x);
    return r;
}

/* Run and require agreement; returns the result for further checks. */
static run_result check_graph(cb_graph *g, int threads, const char *what) {
    run_result r = run_both(g, threads, CB_GEMM_OWN, 7);
    double worst;
    size_t bad = count_mismatches(r.ref, r.fast, r.n, &worst);
    if (bad) fail_msg("%s (threads %d): %zu of %zu values out of tolerance (worst %.3g x tol)", what,
                      threads, bad, r.n, worst);
    return r;
}

/* ---------------------------------------------------------------- the checker */

static void test_checker_catches_one_bad_value(void **state) {
    (void)state;
    cb_graph *g = cb_graph_new("checker", (cb_shape){8, 7, 7});
    int v = cb_graph_conv(g, "c", 0, 8, cb_conv_square(3, 1, 1, 1), false);
    v = cb_graph_bn(g, "bn", v);
    cb_graph_relu(g, "relu", v);
    run_result r = run_both(g, 1, CB_GEMM_OWN, 3);
    assert_int_equal(count_mismatches(r.ref, r.fast, r.n, NULL), 0);
    /* one value off by just over the tolerance must be caught */
    size_t k = r.n / 2;
    float ref = r.ref[k];
    r.fast[k] = ref + 1.5e-4f + 1.5e-4f * (ref < 0 ? -ref : ref);
    assert_int_equal(count_mismatches(r.ref, r.fast, r.n, NULL), 1);
    r.fast[k] = ref;
    r.fast[r.n - 1] = 0.0f / 0.0f; /* and a NaN */
    assert_int_equal(count_mismatches(r.ref, r.fast, r.n, NULL), 1);
    result_free(&r);
    cb_graph_free(g);
}

/* ---------------------------------------------------------------- conv sweep */

typedef struct {
    int cin, cout, h, w, k, stride, pad, groups, bias, bn, relu;
} conv_case;

static void conv_case_run(const conv_case *c, int threads) {
    char what[160];
    snprintf(what, sizeof what, "conv %d->%d %dx%d k%d s%d p%d g%d%s%s%s", c->cin, c->cout, c->h,
             c->w, c->k, c->stride, c->pad, c->groups, c->bias ? " bias" : "", c->bn ? " bn" : "",
             c->relu ? " relu" : "");
    cb_graph *g = cb_graph_new("conv", (cb_shape){c->cin, c->h, c->w});
    int v = cb_graph_conv(g, "c", 0, c->cout, cb_conv_square(c->k, c->stride, c->pad, c->groups),
                          c->bias);
    if (c->bn) v = cb_graph_bn(g, "bn", v);
    if (c->relu) cb_graph_relu(g, "relu", v);
    run_result r = check_graph(g, threads, what);
    /* conv + bn + relu must be one step */
    assert_int_equal(r.steps, 1);
    assert_int_equal(r.fused, c->bn + c->relu);
    result_free(&r);
    cb_graph_free(g);
}

static int conv_valid(const conv_case *c) {
    cb_shape out;
    cb_conv_params p = cb_conv_square(c->k, c->stride, c->pad, c->groups);
    return cb_conv_check((cb_shape){c->cin, c->h, c->w}, c->cout, &p, &out, NULL) == CB_OK;
}

static void test_conv_sweep(void **state) {
    (void)state;
    static const int cins[] = {1, 3, 8, 13, 16, 24};
    static const int couts[] = {1, 5, 6, 8, 12, 16, 17, 35};
    static const int sizes[] = {1, 2, 3, 7, 13};
    static const int ks[] = {1, 3, 5, 7};
    int ran = 0;
    /* A deterministic spread over the cross product: each dimension steps
     * with its own prime, so every value of every dimension appears with
     * many values of the others. */
    for (int i = 0; i < 600 && ran < 240; i++) {
        conv_case c;
        c.cin = cins[(i * 7 + 1) % 6];
        c.cout = couts[(i * 5 + 3) % 8];
        c.h = sizes[(i * 3) % 5];
        c.w = sizes[(i * 11 + 2) % 5];
        c.k = ks[(i * 13 + i / 7) % 4];
        c.stride = 1 + (i / 3) % 2;
        c.pad = (i / 2) % 3;
        c.groups = (i % 4 == 3) ? 2 : 1;
        c.bias = (i / 5) % 2;
        c.bn = (i % 3) != 0;
        c.relu = (i / 4) % 2;
        if (c.groups == 2 && (c.cin % 2 || c.cout % 2)) c.groups = 1;
        if (!conv_valid(&c)) continue;
        conv_case_run(&c, 1 + i % 2);
        ran++;
    }
    assert_true(ran >= 150);
}

/* Sizes that cross the GEMM blocking: K > KC_ONE (512, so two K blocks),
 * K in (KC, KC_ONE] (one K block of more than KC rows), M > MC (96),
 * N > NC (192), and an im2col K that is not a multiple of anything. */
static void test_conv_blocking(void **state) {
    (void)state;
    static const conv_case cases[] = {
        {600, 100, 15, 15, 1, 1, 0, 1, 0, 1, 1},  /* K, M and N all blocked; direct 1x1 */
        {400, 100, 15, 15, 1, 1, 0, 1, 0, 1, 1},  /* K = 400: one K block, M and N blocked */
        {60, 7, 16, 16, 3, 1, 1, 1, 1, 1, 0},     /* im2col K = 540 */
        {33, 97, 21, 10, 3, 2, 1, 1, 0, 1, 1},    /* stride 2, odd everything */
        {64, 64, 20, 20, 1, 2, 0, 1, 0, 1, 1},    /* 1x1 stride 2 (the Xception shortcut) */
        {24, 24, 9, 9, 3, 1, 1, 3, 0, 1, 1},      /* groups 3 (inception_grouped) */
        {16, 48, 35, 35, 5, 1, 2, 1, 0, 1, 1},    /* Inception 5x5 */
        {3, 32, 29, 29, 3, 2, 0, 1, 0, 1, 1},     /* a network stem (3 channels) */
        {6, 6, 8, 8, 1, 1, 0, 1, 1, 0, 0},        /* exactly one tile */
        {10, 12, 6, 4, 1, 1, 0, 1, 0, 1, 1},      /* N = 24: a last panel of exactly 8 columns */
        {64, 70, 7, 7, 1, 1, 0, 1, 0, 1, 1},      /* N = 49 (the 7x7 layers): rows split across threads */
        {600, 13, 7, 7, 1, 1, 0, 1, 1, 1, 1},     /* N = 49 over two K blocks: the narrow kernel accumulates */
        {600, 13, 10, 2, 1, 1, 0, 1, 1, 1, 1},    /* N = 20: 4 columns of two panels, then one, two K blocks */
        {64, 30, 14, 14, 1, 1, 0, 1, 0, 1, 1},    /* N = 196 (the 14x14 layers): pairs of panels, 4 columns */
        {40, 11, 3, 5, 1, 1, 0, 1, 1, 0, 1},      /* N = 15: one masked panel; N % 16 = 2 and 3 below */
        {41, 23, 2, 9, 1, 1, 0, 1, 0, 1, 1},      /* odd K: the two-panel kernel's last k */
        {40, 17, 1, 19, 1, 1, 0, 1, 1, 1, 0},
        {530, 8, 1, 3, 1, 1, 0, 1, 0, 0, 1},      /* N = 3, two K blocks, a 2-row edge panel */
        {3, 16, 40, 70, 3, 2, 1, 1, 0, 1, 1},     /* stride 2, rows of 35: 16-column runs inside a row */
        {8, 12, 9, 67, 5, 2, 2, 1, 1, 0, 1},      /* stride 2, 5x5, pad 2, odd width */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int t = 1; t <= 2; t++) conv_case_run(&cases[i], t);
}

/* A 1x1 conv with at most 256 input channels reads its input in place
 * instead of packing it (fast_gemm.c inplace_strips); CB_PW_INPLACE=0
 * packs as before. Widths leaving 0, 1, 4, 9 and 14 columns past the last
 * whole 16-column strip (those go through the packed kernels), a last
 * panel of A with 1 to 6 rows (the 4-row kernel up to 4), K from 1 to 256
 * and 257 (packed), a residual add: both ways, 1 and 2 threads. */
static void test_pointwise_inplace(void **state) {
    (void)state;
    static const struct {
        int cin, cout, h, w;
    } cases[] = {{1, 6, 4, 4},     {3, 7, 1, 17},   {7, 10, 4, 5},    {64, 64, 5, 5},
                 {128, 128, 8, 8}, {256, 29, 3, 16}, {257, 13, 2, 16}, {32, 64, 12, 12},
                 {16, 11, 2, 15},  {5, 9, 7, 7},     {96, 98, 6, 8}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int packed = 0; packed <= 1; packed++)
            for (int t = 1; t <= 2; t++) {
                char what[96];
                snprintf(what, sizeof what, "1x1 %d->%d %dx%d%s", cases[i].cin, cases[i].cout,
                         cases[i].h, cases[i].w, packed ? " (CB_PW_INPLACE=0)" : "");
                if (packed) setenv("CB_PW_INPLACE", "0", 1);
                cb_graph *g = cb_graph_new("pw", (cb_shape){cases[i].cin, cases[i].h, cases[i].w});
                int v = cb_graph_bn(g, "bn", cb_graph_conv(g, "pw", 0, cases[i].cout,
                                                           cb_conv_square(1, 1, 0, 1), false));
                if (cases[i].cin == cases[i].cout) v = cb_graph_add(g, "add", v, 0);
                cb_graph_relu(g, "relu", v);
                run_result r = check_graph(g, t, what);
                unsetenv("CB_PW_INPLACE");
                assert_int_equal(r.steps, 1);
                result_free(&r);
                cb_graph_free(g);
            }
}

/* ---------------------------------------------------------------- depthwise */

static void test_depthwise_sweep(void **state) {
    (void)state;
    static const int chans[] = {2, 8, 13, 16};
    static const int sizes[] = {1, 2, 3, 7, 13, 20};
    int ran = 0;
    for (int ci = 0; ci < 4; ci++)
        for (int hi = 0; hi < 6; hi++)
            for (int k = 3; k <= 5; k += 2)
                for (int s = 1; s <= 2; s++)
                    for (int pad = 0; pad <= 2; pad++) {
                        int wi = (hi + ci + pad) % 6; /* widths vary independently of heights */
                        conv_case c = {chans[ci], chans[ci], sizes[hi], sizes[wi], k, s, pad,
                                       chans[ci], 0, (hi + k) % 2 == 0, (ci + s) % 2 == 0};
                        if (!conv_valid(&c)) continue;
                        conv_case_run(&c, 1 + (hi + pad) % 2);
                        ran++;
                    }
    assert_true(ran >= 100);
}

/* Wide rows: the 3x3 kernels that read the input in place (stride 1 from 32
 * columns, stride 2 always) have unmasked chunks in the row's interior and
 * masked ones at its ends; widths around those boundaries, every padding,
 * channels not a multiple of 8, and every epilogue (bias, ReLU before and
 * after a residual add). 80 and 112 (MobileNet's) are the padding-1 row
 * ends with one lane outside the row (stride 1: whole chunks; stride 2:
 * no right end, 40 and 56 outputs). 1 and 2 threads must give identical
 * results. */
static void test_depthwise_wide(void **state) {
    (void)state;
    static const int widths[] = {31, 32, 33, 34, 35, 40, 41, 47, 57, 67, 80, 112};
    static const int heights[] = {1, 2, 5, 6, 9};
    int ran = 0;
    for (int wi = 0; wi < 12; wi++)
        for (int s = 1; s <= 2; s++)
            for (int pad = 0; pad <= 2; pad++) {
                const int c = wi % 2 ? 13 : 3, h = heights[(wi + pad + s) % 5];
                const int mode = (wi + pad * 2 + s) % 6;
                const int relu_pre = mode & 1, add = mode >= 2, relu_post = mode >= 4;
                cb_graph *g = cb_graph_new("dwwide", (cb_shape){c, h, widths[wi]});
                cb_conv_params p = cb_conv_square(3, s, pad, c);
                cb_shape out;
                if (cb_conv_check(cb_graph_input_shape(g), c, &p, &out, NULL) != CB_OK) {
                    cb_graph_free(g);
                    continue;
                }
                /* the residual: the input itself, or something of the output's shape
                 * (a max pool; with padding 2, which pooling refuses, a second conv) */
                int skip = 0;
                if (add && (out.h != h || out.w != widths[wi]))
                    skip = pad == 2 ? cb_graph_conv(g, "dw2", 0, c, p, false)
                                    : cb_graph_maxpool(g, "skip", 0, 3, s, pad);
                int v = cb_graph_conv(g, "dw", 0, c, p, (wi + s) % 2 == 0);
                v = cb_graph_bn(g, "bn", v);
                if (relu_pre) v = cb_graph_relu(g, "r1", v);
                if (add) v = cb_graph_add(g, "add", v, skip);
                if (relu_post) cb_graph_relu(g, "r2", v);
                char what[96];
                snprintf(what, sizeof what, "dw 3x3 %dx%dx%d s%d p%d mode %d", c, h, widths[wi], s,
                         pad, mode);
                run_result r1 = check_graph(g, 1, what), r2 = check_graph(g, 2, what);
                for (size_t i = 0; i < r1.n; i++)
                    if (r1.fast[i] != r2.fast[i]) fail_msg("%s: threads differ at %zu", what, i);
                result_free(&r1);
                result_free(&r2);
                cb_graph_free(g);
                ran++;
            }
    assert_true(ran >= 50);
    /* unequal strides and paddings: only a horizontal stride of 2 may take
     * the stride-2 kernel, only 1 x 1 the stride-1 one */
    static const cb_conv_params odd[] = {
        {3, 3, 2, 1, 1, 0, 0}, {3, 3, 1, 2, 0, 1, 0}, {3, 3, 3, 2, 1, 1, 0}, {3, 3, 2, 1, 1, 1, 0},
        {3, 3, 1, 2, 2, 1, 0}, {3, 3, 2, 3, 0, 2, 0}};
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++)
        for (int wi = 0; wi < 2; wi++) {
            const int c = 5, wd = wi ? 41 : 13;
            cb_conv_params p = odd[k];
            p.groups = c;
            cb_graph *g = cb_graph_new("dwodd", (cb_shape){c, 9, wd});
            int v = cb_graph_conv(g, "dw", 0, c, p, true);
            cb_graph_relu(g, "r", cb_graph_bn(g, "bn", v));
            char what[96];
            snprintf(what, sizeof what, "dw 3x3 9x%d stride %d,%d pad %d,%d", wd, p.stride_h,
                     p.stride_w, p.pad_h, p.pad_w);
            run_result r = check_graph(g, 1 + (int)k % 2, what);
            result_free(&r);
            cb_graph_free(g);
        }
}

/* The 3x3 depthwise kernels come in three layouts (fast_dw.c): one
 * channel at a time vectorised along rows, or in columns of 8 swept down
 * the plane (stride 1, padding 1), and 8 channels per vector (the blocked
 * path); the library chooses by width. CB_DW_PATH forces one; each case
 * runs under each (the portable build ignores it; the sweep falls back
 * where it does not apply) and with the choice left to the library. Channels 1..17
 * and around multiples of 8 (the blocked path pads the last group's
 * lanes), sizes around and below the 8-pixel chunks, strides 1 and 2 (also
 * unequal), padding 0/1/2, every epilogue (bias, ReLU before and after a
 * residual add) and a fused input ReLU, 1..3 threads. */
static void dw_path_case(int c, int h, int w, cb_conv_params p, int mode, int threads) {
    const int in_relu = mode & 8, relu_pre = mode & 1, add = (mode & 6) != 0,
              relu_post = (mode & 6) == 4;
    cb_graph *g = cb_graph_new("dwpath", (cb_shape){c, h, w});
    cb_shape out;
    if (cb_conv_check(cb_graph_input_shape(g), c, &p, &out, NULL) != CB_OK) {
        cb_graph_free(g);
        return;
    }
    int src = in_relu ? cb_graph_relu(g, "r0", 0) : 0;
    /* the residual: the input itself, or a second conv of the output's shape */
    int skip = 0;
    if (add && (out.h != h || out.w != w)) skip = cb_graph_conv(g, "dw2", 0, c, p, false);
    int v = cb_graph_conv(g, "dw", src, c, p, (mode & 16) != 0);
    v = cb_graph_bn(g, "bn", v);
    if (relu_pre) v = cb_graph_relu(g, "r1", v);
    if (add) v = cb_graph_add(g, "add", v, skip);
    if (relu_post) cb_graph_relu(g, "r2", v);
    static const char *const paths[] = {"blocked", "rows", "sweep", "wino", NULL};
    enum { NPATHS = sizeof paths / sizeof paths[0] };
    run_result r[NPATHS];
    for (int k = 0; k < NPATHS; k++) {
        if (paths[k])
            setenv("CB_DW_PATH", paths[k], 1);
        else
            unsetenv("CB_DW_PATH");
        char what[128];
        snprintf(what, sizeof what, "dw 3x3 %dx%dx%d s%d,%d p%d,%d mode %d path %s", c, h, w,
                 p.stride_h, p.stride_w, p.pad_h, p.pad_w, mode, paths[k] ? paths[k] : "auto");
        r[k] = check_graph(g, threads, what);
    }
    unsetenv("CB_DW_PATH");
    for (int k = 0; k < NPATHS; k++) result_free(&r[k]);
    cb_graph_free(g);
}

static void test_depthwise_paths(void **state) {
    (void)state;
    static const int sizes[] = {1, 2, 3, 7, 13, 14, 19};
    static const int extra_chans[] = {23, 24, 25, 31, 32, 33, 40};
    int ran = 0;
    for (int i = 0; i < 420; i++) {
        const int c = i < 340 ? 1 + i % 17 : extra_chans[i % 7];
        const int h = sizes[(i * 3 + i / 17) % 7], w = sizes[(i * 5 + 2 + i / 7) % 7];
        const int s = 1 + (i / 2) % 2, pad = (i / 3 + i / 17) % 3;
        cb_conv_params p = cb_conv_square(3, s, pad, c);
        if (i % 11 == 5) p.stride_h = 3 - s; /* unequal strides */
        if (i % 13 == 7) p.pad_h = (pad + 1) % 3; /* unequal padding */
        const int mode = (i * 7 + i / 5) % 32;
        dw_path_case(c, h, w, p, mode, 1 + i % 3);
        ran++;
    }
    /* stride-2 rows of exactly one 8-output chunk (15 to 17 wide, padding
     * 1), which is both the row's left and right end (a fuzzer find: the
     * row kernels read past the row, and past the tensor in its last plane) */
    for (int i = 0; i < 6; i++) {
        cb_conv_params p = cb_conv_square(3, 2, 1, 3);
        p.stride_h = 2 + i % 2;
        dw_path_case(3, 1 + i, 15 + i % 3, p, (i * 5) % 32, 1 + i % 3);
    }
    /* stride 1, padding 1 around the column sweep's 8-wide columns: one
     * column (8), a last column overlapping its neighbour (9, 15, 17, 25)
     * or not (16, 24); planes of 1 to 5 rows */
    static const int sweep_w[] = {8, 9, 15, 16, 17, 24, 25};
    for (int i = 0; i < 35; i++) {
        cb_conv_params p = cb_conv_square(3, 1, 1, 2 + i % 5);
        dw_path_case(2 + i % 5, 1 + i % 5, sweep_w[i / 5], p, (i * 7 + 3) % 32, 1 + i % 2);
    }
    /* tall planes, which the column sweep takes in bands of rows (48 rows
     * at 64 wide, 53 at 57): a last band of one row, of two, of several */
    static const int tall[][2] = {{49, 64}, {50, 64}, {97, 64}, {54, 57}, {70, 57}};
    for (int i = 0; i < 5; i++) {
        cb_conv_params p = cb_conv_square(3, 1, 1, 3);
        dw_path_case(3, tall[i][0], tall[i][1], p, (i * 11 + 5) % 32, 1 + i % 2);
    }
    /* stride 2, padding 1, even widths: rows of one 8-output chunk (16
     * wide), a partial last chunk (18, 34, 50) or not (32, 64), planes of
     * 1 to 5 rows, odd and even, and taller ones */
    static const int s2_hw[][2] = {{1, 16}, {2, 18}, {3, 34}, {4, 32}, {5, 50}, {2, 64},
                                   {3, 16}, {49, 64}, {50, 64}, {27, 112}, {28, 112}, {53, 112}};
    for (int i = 0; i < 12; i++) {
        cb_conv_params p = cb_conv_square(3, 2, 1, 2 + i % 3);
        dw_path_case(2 + i % 3, s2_hw[i][0], s2_hw[i][1], p, (i * 13 + 1) % 32, 1 + i % 2);
    }
    /* wider planes, where the library picks the row kernels itself (the
     * sweep at 42 wide, stride 1, padding 1) */
    for (int i = 0; i < 12; i++) {
        cb_conv_params p = cb_conv_square(3, 1 + i % 2, i % 3, 9 + i);
        dw_path_case(9 + i, 5 + i % 4, 30 + 3 * i, p, (i * 5) % 32, 1 + i % 2);
    }
    assert_true(ran >= 400);
}

/* ReLU -> depthwise / ReLU -> 1x1 / ReLU -> 3x3: the ReLU is applied while packing. */
static void test_input_relu_fusion(void **state) {
    (void)state;
    for (int kind = 0; kind < 3; kind++) {
        cb_graph *g = cb_graph_new("inrelu", (cb_shape){16, 11, 9});
        int r = cb_graph_relu(g, "relu", 0);
        cb_conv_params p = kind == 0   ? cb_conv_square(3, 1, 1, 16)
                           : kind == 1 ? cb_conv_square(1, 1, 0, 1)
                                       : cb_conv_square(3, 1, 1, 1);
        int v = cb_graph_conv(g, "c", r, 16, p, false);
        v = cb_graph_bn(g, "bn", v);
        cb_graph_add(g, "add", v, 0); /* the un-ReLU'd input is still needed */
        run_result res = check_graph(g, 2, "relu -> conv -> bn -> add(x)");
        assert_int_equal(res.steps, 1);
        assert_int_equal(res.fused, 3);
        result_free(&res);
        cb_graph_free(g);
    }
}

/* Every epilogue combination (relu before the add, the add, relu after it),
 * for the depthwise (stride 1 and 2) and GEMM kernels: always one step. */
static void test_epilogue_combinations(void **state) {
    (void)state;
    /* 13x10 ends its rows of C in a 2-column panel, 7x7 (49 = 3 x 16 + 1) in
     * a lone column done alongside the last full panel (column_avx2) */
    static const int hw[2][2] = {{13, 10}, {7, 7}};
    for (int shape = 0; shape < 2; shape++)
    for (int kind = 0; kind < 3; kind++)
        for (int mode = 0; mode < 6; mode++) {
            int relu_pre = mode & 1, add = mode >= 2, relu_post = mode >= 4;
            int stride = kind == 1 ? 2 : 1;
            cb_graph *g = cb_graph_new("epi", (cb_shape){16, hw[shape][0], hw[shape][1]});
            int skip = 0;
            if (stride == 2) skip = cb_graph_maxpool(g, "skip", 0, 1, 2, 0);
            cb_conv_params p = kind == 2 ? cb_conv_square(1, 1, 0, 1) : cb_conv_square(3, stride, 1, 16);
            int v = cb_graph_conv(g, "c", 0, 16, p, false);
            v = cb_graph_bn(g, "bn", v);
            if (relu_pre) v = cb_graph_relu(g, "r1", v);
            if (add) v = cb_graph_add(g, "add", v, skip);
            if (relu_post) cb_graph_relu(g, "r2", v);
            run_result r = check_graph(g, 1 + mode % 2, "epilogue");
            assert_int_equal(r.steps, 1 + (stride == 2));
            assert_int_equal(r.fused, 1 + relu_pre + add + relu_post);
            result_free(&r);
            cb_graph_free(g);
        }
}

/* A depthwise conv (BN, ReLU) and the 1x1 conv (BN, ReLU; a residual add)
 * that alone reads it: one step, run by bands of rows (fast_plan.c
 * run_dwpw), where the depthwise conv takes the in-place row kernels with
 * rows a whole number of vectors wide (stride 1 from 56 wide, stride 2
 * with input rows a multiple of 16 and outputs over 32). 13 and 7 output
 * rows leave a short last band; 1 and 2 threads hand the bands out
 * differently. CB_FUSE_DWPW=0 keeps the two convs as two steps. */
static void test_dw_pw_bands(void **state) {
    (void)state;
    static const struct {
        int c, h, w, stride, cout, res;
    } cases[] = {
        {8, 13, 56, 1, 12, 0}, {16, 20, 64, 1, 16, 1}, {8, 14, 96, 2, 8, 0}, {6, 15, 80, 2, 20, 0}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        for (int fuse = 1; fuse >= 0; fuse--)
            for (int threads = 1; threads <= 2; threads++) {
                char what[96];
                snprintf(what, sizeof what, "dw s%d %dx%dx%d -> 1x1 %d%s%s", cases[k].stride,
                         cases[k].c, cases[k].h, cases[k].w, cases[k].cout,
                         cases[k].res ? " + x" : "", fuse ? "" : " (CB_FUSE_DWPW=0)");
                if (!fuse) setenv("CB_FUSE_DWPW", "0", 1);
                cb_graph *g = cb_graph_new("dwpw", (cb_shape){cases[k].c, cases[k].h, cases[k].w});
                int v = cb_graph_conv(g, "dw", 0, cases[k].c,
                                      cb_conv_square(3, cases[k].stride, 1, cases[k].c), false);
                v = cb_graph_relu(g, "dw_relu", cb_graph_bn(g, "dw_bn", v));
                v = cb_graph_bn(g, "pw_bn", cb_graph_conv(g, "pw", v, cases[k].cout,
                                                          cb_conv_square(1, 1, 0, 1), false));
                if (cases[k].res) v = cb_graph_add(g, "add", v, 0);
                cb_graph_relu(g, "out_relu", v);
                run_result r = check_graph(g, threads, what);
                unsetenv("CB_FUSE_DWPW");
                assert_int_equal(r.steps, fuse ? 1 : 2);
                result_free(&r);
                if (!fuse) {
                    cb_graph_free(g);
                    continue;
                }
                /* the fused step's profile still gives each conv its own time */
                cb_fast_options o = {threads, CB_GEMM_OWN};
                cb_fast_plan *p = NULL;
                cb_error err;
                assert_int_equal(cb_fast_plan_new_opts(g, &o, &p, &err), CB_OK);
                float *x = random_input(cb_graph_input_shape(g), 5);
                float *y = cb_alloc_floats((size_t)cb_shape_numel(cb_graph_output_shape(g)));
                double secs[16] = {0};
                assert_true(g->n_layers <= 16);
                cb_fast_plan_run(p, x, y, secs);
                assert_string_equal(g->layers[0].name, "dw");
                assert_string_equal(g->layers[3].name, "pw");
                assert_true(secs[0] > 0.0 && secs[3] > 0.0);
                cb_free(x);
                cb_free(y);
                cb_fast_plan_free(p);
                cb_graph_free(g);
            }
}

/* A 3x3 stride-1 conv, c -> c channels on 19x21, with the input ReLU and
 * every epilogue (BN bias, ReLU, residual add, ReLU) fused into one step. */
static void conv3x3_epilogues(int c, const char *what) {
    for (int mode = 0; mode < 7; mode++) {
        int in_relu = mode == 6, relu_pre = mode & 1, add = mode >= 2, relu_post = mode >= 4;
        cb_graph *g = cb_graph_new("epilogues", (cb_shape){c, 19, 21});
        int x = in_relu ? cb_graph_relu(g, "relu0", 0) : 0;
        int v = cb_graph_conv(g, "c", x, c, cb_conv_square(3, 1, 1, 1), false);
        v = cb_graph_bn(g, "bn", v);
        if (relu_pre) v = cb_graph_relu(g, "r1", v);
        if (add || in_relu) v = cb_graph_add(g, "add", v, 0);
        if (relu_post) cb_graph_relu(g, "r2", v);
        run_result r = check_graph(g, 1 + mode % 2, what);
        assert_int_equal(r.steps, 1);
        result_free(&r);
        cb_graph_free(g);
    }
}

/* ---------------------------------------------------------------- Winograd */

/* 3x3 stride-1 convs with >= 16 channels in and out and a >= 14x14 output
 * run as Winograd F(2x2, 3x3) (fast_wino.c): 8-tile vectors, the
 * overlapping last group (tiles per row not a multiple of 8), fewer than 8
 * tiles per row, odd outputs (half tiles), padding 0/1/2, several bands,
 * two K blocks (C > 320), then the input ReLU and every epilogue. */
static void test_winograd(void **state) {
    (void)state;
    static const conv_case cases[] = {
        {16, 16, 14, 14, 3, 1, 1, 1, 1, 1, 1},  /* 7 tiles per row */
        {17, 19, 15, 17, 3, 1, 1, 1, 0, 1, 1},  /* 15x17 out: 8x9 tiles, the last half */
        {24, 32, 29, 40, 3, 1, 0, 1, 1, 0, 0},  /* pad 0: 27x38 */
        {16, 20, 20, 23, 3, 1, 2, 1, 0, 1, 1},  /* pad 2: 22x25 */
        {32, 48, 56, 56, 3, 1, 1, 1, 0, 1, 1},  /* many bands, 28 tiles per row */
        {340, 18, 16, 16, 3, 1, 1, 1, 1, 1, 0}, /* K = 340: two K blocks */
        {20, 16, 37, 14, 3, 1, 1, 1, 0, 0, 1},  /* tall: 19 tile rows of 7 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int t = 1; t <= 3; t++) conv_case_run(&cases[i], t);
    conv3x3_epilogues(16, "winograd epilogue");
}

/* ---------------------------------------------------------------- few input channels */

/* Convs with K = cin*k*k <= 32, stride 1 or 2 and >= 16 outputs per row (a
 * network's first conv) read B in place from phase-split copies of the
 * input (fast_gemm.c rows_run) when AVX2 is on; the portable run of this
 * test checks the packed path on the same shapes. Partial 16-column tiles,
 * M below, at and not a multiple of 6, pad 0/1/2, odd widths for the even
 * and odd phases, an even kernel, then the input ReLU and every epilogue. */
static void test_conv_few_channels(void **state) {
    (void)state;
    static const conv_case cases[] = {
        {3, 32, 40, 70, 3, 2, 1, 1, 0, 1, 1},  /* the MobileNet stem: 35 outputs per row */
        {3, 64, 20, 33, 3, 1, 1, 1, 1, 0, 1},  /* the VGG stem: stride 1, 33 per row */
        {3, 32, 31, 39, 3, 2, 0, 1, 0, 1, 1},  /* the Xception/Inception stem: pad 0, odd width */
        {1, 7, 18, 36, 5, 1, 2, 1, 1, 1, 0},   /* 5x5, pad 2 */
        {1, 5, 17, 41, 5, 2, 2, 1, 0, 0, 1},   /* 5x5 stride 2, M = 5 */
        {3, 16, 9, 16, 3, 1, 1, 1, 0, 0, 0},   /* exactly one tile per row */
        {3, 13, 12, 64, 3, 2, 2, 1, 1, 1, 1},  /* pad 2, stride 2: 33 per row */
        {2, 12, 8, 50, 2, 2, 0, 1, 0, 1, 0},   /* a 2x2 kernel */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int t = 1; t <= 3; t++) conv_case_run(&cases[i], t);
    conv3x3_epilogues(3, "few-channel conv epilogue");
}

/* ---------------------------------------------------------------- fully connected */

static void test_fc(void **state) {
    (void)state;
    static const int nins[] = {1, 7, 8, 33, 100};
    static const int nouts[] = {1, 3, 4, 5, 17};
    for (int a = 0; a < 5; a++)
        for (int b = 0; b < 5; b++) {
            cb_graph *g = cb_graph_new("fc", (cb_shape){nins[a], 1, 1});
            int v = cb_graph_fc(g, "fc", 0, nouts[b], (a + b) % 2 == 0);
            if (b % 2) cb_graph_relu(g, "relu", v);
            run_result r = check_graph(g, 1 + b % 2, "fc");
            result_free(&r);
            cb_graph_free(g);
        }
    /* an fc straight on a feature map flattens it */
    cb_graph *g = cb_graph_new("fcmap", (cb_shape){5, 3, 7});
    cb_graph_fc(g, "fc", 0, 9, true);
    run_result r = check_graph(g, 2, "fc on 5x3x7");
    result_free(&r);
    cb_graph_free(g);
}

/* ---------------------------------------------------------------- pooling and the rest */

static void test_pooling(void **state) {
    (void)state;
    static const int sizes[] = {1, 2, 3, 7, 13};
    for (int hi = 0; hi < 5; hi++)
        for (int k = 1; k <= 3; k++)
            for (int s = 1; s <= 2; s++)
                for (int pad = 0; pad <= k / 2; pad++)
                    for (int maxp = 0; maxp <= 1; maxp++) {
                        int h = sizes[hi], w = sizes[(hi + 2) % 5];
                        cb_pool_params pp = {k, s, pad};
                        cb_shape o;
                        if (cb_pool_check((cb_shape){5, h, w}, &pp, &o, NULL) != CB_OK) continue;
                        cb_graph *g = cb_graph_new("pool", (cb_shape){5, h, w});
                        if (maxp)
                            cb_graph_maxpool(g, "pool", 0, k, s, pad);
                        else
                            cb_graph_avgpool(g, "pool", 0, k, s, pad);
                        run_result r = check_graph(g, 1 + hi % 2, maxp ? "maxpool" : "avgpool");
                        result_free(&r);
                        cb_graph_free(g);
                    }
    /* planes wide enough for the vector loops (8 outputs a vector, stride 2
     * read 16 at a time), windows of up to 9 (more operands than one
     * vector pass combines, CB_COMBINE_MAX = 8), strides 1-3 */
    static const int ks[] = {2, 3, 4, 5, 9};
    for (int i = 0; i < 2; i++)
        for (int ki = 0; ki < 5; ki++)
            for (int s = 1; s <= 3; s++)
                for (int maxp = 0; maxp <= 1; maxp++) {
                    const int k = ks[ki], pad = (ki + s + i) % 2 ? k / 2 : 0;
                    const cb_shape in = {3, i ? 40 : 17, i ? 50 : 37};
                    cb_pool_params pp = {k, s, pad};
                    cb_shape o;
                    if (cb_pool_check(in, &pp, &o, NULL) != CB_OK) continue;
                    cb_graph *g = cb_graph_new("pool", in);
                    if (maxp)
                        cb_graph_maxpool(g, "pool", 0, k, s, pad);
                    else
                        cb_graph_avgpool(g, "pool", 0, k, s, pad);
                    run_result r =
                        check_graph(g, 1 + ki % 2, maxp ? "maxpool (wide)" : "avgpool (wide)");
                    result_free(&r);
                    cb_graph_free(g);
                }
    /* a 3x3 average pool runs as a depthwise conv with weights 1/9 (fast_plan.c):
     * also on planes the column sweep (Inception's 35x35) and the row kernels (57x57) take */
    for (int i = 0; i < 4; i++) {
        const int n = i < 2 ? 35 : 57;
        cb_graph *gp = cb_graph_new("avgpool", (cb_shape){9, n, n});
        cb_graph_avgpool(gp, "pool", 0, 3, 1 + i % 2, 1);
        run_result r = check_graph(gp, 1 + i % 2, "avgpool 3x3 as depthwise");
        result_free(&r);
        cb_graph_free(gp);
    }
    cb_graph *g = cb_graph_new("gap", (cb_shape){19, 13, 7});
    cb_graph_gap(g, "gap", 0);
    run_result r = check_graph(g, 2, "gap");
    result_free(&r);
    cb_graph_free(g);
}

/* Layers that cannot be fused still run (and run right). */
static void test_unfused_layers(void **state) {
    (void)state;
    /* bn and relu straight on the input; add of two computed values; planes
     * of 1, 7, 32 and 91 values, and 31 channels of 79, around the 32- and
     * 8-wide loops and their scalar tails; with and without a final relu */
    static const cb_shape shapes[] = {{6, 7, 13}, {3, 1, 1}, {5, 1, 7}, {2, 4, 8}, {31, 1, 79}};
    cb_graph *g;
    run_result r;
    for (int i = 0; i < 5; i++)
        for (int relu = 0; relu <= 1; relu++) {
            g = cb_graph_new("unfused", shapes[i]);
            int a = cb_graph_bn(g, "bn0", 0);
            int b = cb_graph_relu(g, "relu0", 0);
            int c = cb_graph_add(g, "add", a, b);
            if (relu) cb_graph_relu(g, "relu1", c);
            r = check_graph(g, 1 + relu, "bn/relu/add on the input");
            assert_int_equal(r.steps, 3); /* bn, relu, add(+relu) */
            result_free(&r);
            cb_graph_free(g);
        }

    /* a conv whose output is read twice keeps it: no folding, bn stands alone */
    g = cb_graph_new("twice", (cb_shape){8, 9, 9});
    int v = cb_graph_conv(g, "c", 0, 8, cb_conv_square(3, 1, 1, 1), false);
    int bn = cb_graph_bn(g, "bn", v);
    cb_graph_add(g, "add", bn, v);
    r = check_graph(g, 1, "conv read twice");
    assert_int_equal(r.steps, 3);
    assert_int_equal(r.fused, 0);
    result_free(&r);
    cb_graph_free(g);

    /* the graph output is a layer with a later consumer: nothing fuses across it */
    g = cb_graph_new("addfirst", (cb_shape){8, 5, 5});
    v = cb_graph_conv(g, "c1", 0, 8, cb_conv_square(1, 1, 0, 1), false);
    int w = cb_graph_conv(g, "c2", 0, 8, cb_conv_square(3, 1, 1, 1), false);
    w = cb_graph_bn(g, "bn2", w);
    cb_graph_add(g, "add", v, w); /* fused into c2, with c1's output as the residual */
    r = check_graph(g, 2, "add fused into the later conv");
    assert_int_equal(r.steps, 2);
    assert_int_equal(r.fused, 2);
    result_free(&r);
    cb_graph_free(g);
}

static void test_concat(void **state) {
    (void)state;
    /* branches written in place, the input copied, a value concatenated twice copied */
    cb_graph *g = cb_graph_new("cat", (cb_shape){5, 9, 7});
    int a = cb_graph_conv(g, "a", 0, 6, cb_conv_square(1, 1, 0, 1), false);
    a = cb_graph_bn(g, "abn", a);
    a = cb_graph_relu(g, "arelu", a);
    int b = cb_graph_conv(g, "b", 0, 3, cb_conv_square(3, 1, 1, 1), true);
    int p = cb_graph_maxpool(g, "pool", 0, 3, 1, 1);
    int xs[4] = {a, b, p, 0};
    int c1 = cb_graph_concat(g, "cat1", xs, 4);
    int ys[3] = {c1, b, c1};
    cb_graph_concat(g, "cat2", ys, 3);
    run_result r = check_graph(g, 2, "concat");
    result_free(&r);
    cb_graph_free(g);

    /* pure in-place concat: no copy steps, the concat itself is fused */
    g = cb_graph_new("cat_inplace", (cb_shape){4, 13, 13});
    int u = cb_graph_conv(g, "u", 0, 5, cb_conv_square(1, 1, 0, 1), false);
    int v = cb_graph_conv(g, "v", 0, 7, cb_conv_square(3, 1, 1, 1), false);
    int zs[2] = {u, v};
    int cat = cb_graph_concat(g, "cat", zs, 2);
    cb_graph_conv(g, "after", cat, 3, cb_conv_square(1, 1, 0, 1), false);
    r = check_graph(g, 1, "in-place concat");
    assert_int_equal(r.steps, 3);
    assert_int_equal(r.fused, 1);
    result_free(&r);
    cb_graph_free(g);
}

/* ---------------------------------------------------------------- whole blocks */

static void test_blocks(void **state) {
    (void)state;
    for (int i = 0; i < cb_block_count(); i++) {
        const cb_block_info *info = cb_block_at(i);
        /* small inputs so the reference stays quick (also under ASan) */
        cb_shape s = {12, 9, 11};
        cb_args args = info->defaults;
        cb_error err;
        char kv[64];
        if (cb_args_get(&args, "cout") > 0) {
            snprintf(kv, sizeof kv, "cout=%d", 20);
            assert_int_equal(cb_args_set(&args, kv, &err), CB_OK);
        }
        if (cb_args_get(&args, "m") > 0) assert_int_equal(cb_args_set(&args, "m=18", &err), CB_OK);
        if (cb_args_get(&args, "c") > 0 && strcmp(info->channels_arg, "c") != 0)
            assert_int_equal(cb_args_set(&args, "c=10", &err), CB_OK);
        for (int stride = 1; stride <= 2; stride++) {
            if (stride == 2) {
                if (cb_args_get(&args, "stride") == 0) break; /* block has no stride */
                assert_int_equal(cb_args_set(&args, "stride=2", &err), CB_OK);
            }
            cb_graph *g = NULL;
            if (cb_block_build(info->name, &args, &s, &g, &err) != CB_OK)
                fail_msg("%s: %s", info->name, err.msg);
            for (int t = 1; t <= 2; t++) {
                run_result r = check_graph(g, t, info->name);
                result_free(&r);
            }
            cb_graph_free(g);
        }
    }
}

/* The same block through cb_exec (what the CLI and benchmarks use), at its default shape. */
static void test_block_default_shape_via_exec(void **state) {
    (void)state;
    cb_graph *g = NULL;
    cb_error err;
    assert_int_equal(cb_block_build("mobilenet", NULL, NULL, &g, &err), CB_OK);
    assert_int_equal(cb_graph_init_params(g, 5, &err), CB_OK);
    cb_shape in = cb_graph_input_shape(g), out = cb_graph_output_shape(g);
    size_t n = (size_t)cb_shape_numel(out);
    float *x = random_input(in, 9), *yr = cb_alloc_floats(n), *yf = cb_alloc_floats(n);
    cb_exec *er = NULL, *ef = NULL;
    assert_int_equal(cb_exec_new(g, CB_IMPL_REF, 1, &er, &err), CB_OK);
    assert_int_equal(cb_exec_new(g, CB_IMPL_FAST, 0, &ef, &err), CB_OK);
    cb_exec_run(er, x, yr);
    cb_exec_run(ef, x, yf);
    assert_int_equal(count_mismatches(yr, yf, n, NULL), 0);
    cb_exec_free(er);
    cb_exec_free(ef);
    cb_free(x);
    cb_free(yr);
    cb_free(yf);
    cb_graph_free(g);
}

/* Threads split work, never a sum: 1, 2 and 3 threads give identical bits. */
static void test_threads_identical(void **state) {
    (void)state;
    cb_graph *g = NULL;
    cb_error err;
    cb_shape s = {24, 13, 17};
    assert_int_equal(cb_block_build("inception_a", NULL, &s, &g, &err), CB_OK);
    run_result r1 = run_both(g, 1, CB_GEMM_OWN, 11);
    for (int t = 2; t <= 3; t++) {
        run_result rt = run_both(g, t, CB_GEMM_OWN, 11);
        for (size_t i = 0; i < r1.n; i++)
            if (r1.fast[i] != rt.fast[i]) fail_msg("threads %d differ at %zu", t, i);
        result_free(&rt);
    }
    result_free(&r1);
    cb_graph_free(g);
}

/* The OpenBLAS comparison backend computes the same function. */
static void test_openblas_backend(void **state) {
    (void)state;
    cb_graph *g = NULL;
    cb_error err;
    cb_shape s = {16, 9, 9};
    assert_int_equal(cb_block_build("xception_middle", NULL, &s, &g, &err), CB_OK);
    run_result r = run_both(g, 2, CB_GEMM_OPENBLAS, 4);
    assert_int_equal(count_mismatches(r.ref, r.fast, r.n, NULL), 0);
    result_free(&r);
    cb_graph_free(g);
    g = cb_graph_new("fc", (cb_shape){37, 1, 1});
    int v = cb_graph_conv(g, "pw", 0, 20, cb_conv_square(1, 1, 0, 1), true);
    cb_graph_fc(g, "fc", v, 11, true);
    r = run_both(g, 1, CB_GEMM_OPENBLAS, 4);
    assert_int_equal(count_mismatches(r.ref, r.fast, r.n, NULL), 0);
    /* and through the executor with options */
    cb_exec *e = NULL;
    cb_fast_options o = {2, CB_GEMM_OPENBLAS};
    assert_int_equal(cb_exec_new_fast(g, &o, &e, &err), CB_OK);
    float *x = random_input(cb_graph_input_shape(g), 4 + 1), *y = cb_alloc_floats(r.n);
    cb_exec_run(e, x, y);
    assert_int_equal(count_mismatches(r.ref, y, r.n, NULL), 0);
    cb_exec_free(e);
    cb_free(x);
    cb_free(y);
    result_free(&r);
    cb_graph_free(g);
}

static void test_options_and_dispatch(void **state) {
    (void)state;
    cb_gemm_backend b;
    assert_int_equal(cb_gemm_backend_parse("own", &b), 0);
    assert_int_equal(b, CB_GEMM_OWN);
    assert_int_equal(cb_gemm_backend_parse("openblas", &b), 0);
    assert_int_equal(b, CB_GEMM_OPENBLAS);
    assert_int_equal(cb_gemm_backend_parse("mkl", &b), -1);
    assert_string_equal(cb_gemm_backend_name(CB_GEMM_OPENBLAS), "openblas");
    /* the path this run exercises is the one the environment asked for */
    const char *env = getenv("CB_FORCE_PORTABLE");
    if (env && strcmp(env, "1") == 0) {
        assert_true(cb_fast_portable_forced());
        assert_string_equal(cb_fast_isa(), "portable");
    } else {
        assert_false(cb_fast_portable_forced());
        const char *want = !cb_fast_cpu_has_avx2()                             ? "portable"
                           : cb_fast_cpu_has_avx512() && !cb_fast_avx2_forced() ? "avx512vl+avx2+fma"
                                                                                : "avx2+fma";
        assert_string_equal(cb_fast_isa(), want);
        /* CB_FORCE_AVX2 caps the kernels at AVX2, whatever the CPU has */
        const char *a = getenv("CB_FORCE_AVX2");
        char *saved = a ? strdup(a) : NULL;
        setenv("CB_FORCE_AVX2", "1", 1);
        assert_true(cb_fast_avx2_forced());
        assert_string_equal(cb_fast_isa(), cb_fast_cpu_has_avx2() ? "avx2+fma" : "portable");
        if (saved) {
            setenv("CB_FORCE_AVX2", saved, 1);
            free(saved);
        } else
            unsetenv("CB_FORCE_AVX2");
    }
    /* bad options are refused with a message */
    cb_graph *g = cb_graph_new("opt", (cb_shape){2, 2, 2});
    cb_graph_relu(g, "r", 0);
    cb_error err;
    assert_int_equal(cb_graph_init_params(g, 1, &err), CB_OK);
    cb_fast_options o = {-1, CB_GEMM_OWN};
    cb_fast_plan *p = NULL;
    assert_int_equal(cb_fast_plan_new_opts(g, &o, &p, &err), CB_ERR_ARG);
    assert_null(p);
    assert_non_null(strstr(err.msg, "threads"));
    cb_graph_free(g);
}

int main(void) {
    const char *env = getenv("CB_FORCE_PORTABLE"), *env2 = getenv("CB_FORCE_AVX2");
    printf("# fast kernels: %s%s%s\n", cb_fast_isa(), env ? " (CB_FORCE_PORTABLE set)" : "",
           env2 ? " (CB_FORCE_AVX2 set)" : "");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_catches_one_bad_value),
        cmocka_unit_test(test_options_and_dispatch),
        cmocka_unit_test(test_conv_sweep),
        cmocka_unit_test(test_conv_blocking),
        cmocka_unit_test(test_pointwise_inplace),
        cmocka_unit_test(test_depthwise_sweep),
        cmocka_unit_test(test_depthwise_wide),
        cmocka_unit_test(test_depthwise_paths),
        cmocka_unit_test(test_input_relu_fusion),
        cmocka_unit_test(test_epilogue_combinations),
        cmocka_unit_test(test_dw_pw_bands),
        cmocka_unit_test(test_winograd),
        cmocka_unit_test(test_conv_few_channels),
        cmocka_unit_test(test_fc),
        cmocka_unit_test(test_pooling),
        cmocka_unit_test(test_unfused_layers),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_block_default_shape_via_exec),
        cmocka_unit_test(test_threads_identical),
        cmocka_unit_test(test_openblas_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
