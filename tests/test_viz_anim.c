#define _POSIX_C_SOURCE 200809L
/* test_viz_anim.c — the viewer's animation model, without SDL.
 *
 * Every mode run to the end equals the library's reference kernels on the
 * same input and weights, bit for bit; the MAC counter equals the cost
 * model; stepping back then forward returns to the identical state; the
 * grouped conv at groups 1 and groups C is the standard and the depthwise
 * conv; --params loading refuses weights that do not fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "anim.h"
#include "convblocks/cost.h"
#include "convblocks/graph.h"
#include "convblocks/npy.h"
#include "convblocks/ops.h"
#include "filters.h"
#include "player.h"

static float *random_input(cb_shape s, uint64_t seed) {
    size_t n = (size_t)cb_shape_numel(s);
    float *x = malloc(n * sizeof *x);
    cb_rng r;
    cb_rng_seed(&r, seed);
    for (size_t k = 0; k < n; k++) x[k] = cb_rng_uniform(&r);
    return x;
}

/* The expected output of a mode, computed straight from ops.h. */
static float *expected(viz_mode m, cb_shape in, const float *x, const viz_weights *w,
                       cb_shape *out, uint64_t *macs) {
    cb_conv_params p3 = cb_conv_square(3, 1, 1, 1);
    size_t hw = (size_t)in.h * in.w;
    float *y = NULL;
    switch (m) {
    case VIZ_STANDARD:
        *out = (cb_shape){w->std_cout, in.h, in.w};
        y = malloc((size_t)w->std_cout * hw * sizeof *y);
        *macs = cb_conv2d_ref(x, in, w->std, NULL, w->std_cout, &p3, y);
        break;
    case VIZ_DEPTHWISE:
        *out = in;
        y = malloc((size_t)in.c * hw * sizeof *y);
        *macs = cb_depthwise_ref(x, in, w->dw, &p3, y);
        break;
    case VIZ_POINTWISE:
        *out = (cb_shape){w->pw_cout, in.h, in.w};
        y = malloc((size_t)w->pw_cout * hw * sizeof *y);
        *macs = cb_pointwise_ref(x, in, w->pw, w->pw_cout, y);
        break;
    case VIZ_SEPARABLE: {
        float *h = malloc((size_t)in.c * hw * sizeof *h);
        *out = (cb_shape){w->pw_cout, in.h, in.w};
        y = malloc((size_t)w->pw_cout * hw * sizeof *y);
        *macs = cb_depthwise_ref(x, in, w->dw, &p3, h);
        *macs += cb_pointwise_ref(h, in, w->pw, w->pw_cout, y);
        free(h);
        break;
    }
    case VIZ_GROUPED: {
        /* With grp_pre (a photo): 1x1 to grp_c channels first. */
        cb_conv_params pg = cb_conv_square(3, 1, 1, w->grp_groups);
        cb_shape gin = {w->grp_c, in.h, in.w};
        float *h = malloc((size_t)w->grp_c * hw * sizeof *h);
        *macs = 0;
        if (w->grp_pre)
            *macs += cb_pointwise_ref(x, in, w->grp_pre, w->grp_c, h);
        else
            memcpy(h, x, (size_t)in.c * hw * sizeof *h);
        *out = gin;
        y = malloc((size_t)w->grp_c * hw * sizeof *y);
        *macs += cb_conv2d_ref(h, gin, w->grp, NULL, w->grp_c, &pg, y);
        free(h);
        break;
    }
    default:
        fail();
    }
    return y;
}

/* MACs of the mode by the cost model, from a graph built here. */
static uint64_t cost_model_macs(viz_mode m, cb_shape in, const viz_weights *w) {
    cb_graph *g = cb_graph_new("t", in);
    assert_non_null(g);
    switch (m) {
    case VIZ_STANDARD: cb_graph_conv(g, "c", 0, w->std_cout, cb_conv_square(3, 1, 1, 1), false); break;
    case VIZ_DEPTHWISE: cb_graph_conv(g, "c", 0, in.c, cb_conv_square(3, 1, 1, in.c), false); break;
    case VIZ_POINTWISE: cb_graph_conv(g, "c", 0, w->pw_cout, cb_conv_square(1, 1, 0, 1), false); break;
    case VIZ_SEPARABLE: {
        int h = cb_graph_conv(g, "dw", 0, in.c, cb_conv_square(3, 1, 1, in.c), false);
        cb_graph_conv(g, "pw", h, w->pw_cout, cb_conv_square(1, 1, 0, 1), false);
        break;
    }
    case VIZ_GROUPED: {
        int h = 0;
        if (w->grp_pre) h = cb_graph_conv(g, "reduce", 0, w->grp_c, cb_conv_square(1, 1, 0, 1), false);
        cb_graph_conv(g, "c", h, w->grp_c, cb_conv_square(3, 1, 1, w->grp_groups), false);
        break;
    }
    default: fail();
    }
    assert_int_equal(cb_graph_status(g, NULL), CB_OK);
    uint64_t macs = cb_graph_cost(g, NULL).macs;
    cb_graph_free(g);
    return macs;
}

static const float *final_output(const viz_anim *a) { return a->st[a->n_stages - 1].y; }

/* Run every mode to the end, in one seek and in uneven steps; compare. */
static void check_all_modes(cb_shape in, int groups, const viz_weight_source *src) {
    float *x = random_input(in, 42 + (uint64_t)in.c);
    viz_weights w;
    assert_int_equal(viz_weights_make(&w, in.c, groups, src, NULL), CB_OK);
    for (int m = 0; m < VIZ_MODE_COUNT; m++) {
        cb_shape out;
        uint64_t ref_macs;
        float *y = expected((viz_mode)m, in, x, &w, &out, &ref_macs);
        size_t n = (size_t)cb_shape_numel(out);

        viz_anim a;
        cb_error err;
        assert_int_equal(viz_anim_init(&a, (viz_mode)m, in, x, &w, &err), CB_OK);
        a.bulk_macs = UINT64_MAX; /* every value added up here, product by product */
        assert_true(cb_shape_eq(a.st[a.n_stages - 1].out, out));
        /* Nothing is filled in before the first step. */
        for (size_t k = 0; k < n; k++) assert_true(final_output(&a)[k] == 0.0f);

        /* Uneven steps: 1, 2, 3, ... MACs, crossing value and stage boundaries. */
        uint64_t steps = 0;
        for (int64_t d = 1; !viz_anim_done(&a); d = d % 37 + 1) {
            viz_anim_step(&a, d);
            steps++;
        }
        assert_true(steps > 0);
        assert_memory_equal(final_output(&a), y, n * sizeof *y);
        /* The counter: what the kernels did, what the cost model says. */
        assert_int_equal(a.t, ref_macs);
        assert_int_equal(a.total, cost_model_macs((viz_mode)m, in, &w));
        assert_int_equal(a.cost.macs, a.total);
        uint64_t ref_sum = 0;
        for (int s = 0; s < a.n_stages; s++) ref_sum += a.st[s].ref_macs;
        assert_int_equal(ref_sum, a.total);
        assert_int_equal(a.cur.stage, a.n_stages);

        /* The same from a single seek, from the start. */
        viz_anim_seek(&a, 0);
        for (size_t k = 0; k < n; k++) assert_true(final_output(&a)[k] == 0.0f);
        viz_anim_seek(&a, a.total);
        assert_memory_equal(final_output(&a), y, n * sizeof *y);
        viz_anim_free(&a);
        free(y);
    }
    viz_weights_free(&w);
    free(x);
}

static void test_modes_equal_reference(void **state) {
    (void)state;
    viz_weight_source hand = {0};
    viz_weight_source seeded = {.seeded = true, .seed = 7};
    check_all_modes((cb_shape){3, 7, 5}, 3, &hand);
    check_all_modes((cb_shape){3, 7, 5}, 1, &seeded);
    check_all_modes((cb_shape){6, 4, 9}, 2, &hand);
    check_all_modes((cb_shape){6, 4, 9}, 3, &seeded);
    check_all_modes((cb_shape){1, 1, 1}, 1, &seeded);
}

/* A snapshot of everything the renderer can see. */
typedef struct {
    uint64_t t;
    viz_cursor cur;
    float *y[VIZ_MAX_STAGES];
    size_t n[VIZ_MAX_STAGES];
} snapshot;

static void snap(const viz_anim *a, snapshot *s) {
    memset(s, 0, sizeof *s);
    s->t = a->t;
    s->cur = a->cur;
    for (int k = 0; k < a->n_stages; k++) {
        s->n[k] = (size_t)cb_shape_numel(a->st[k].out);
        s->y[k] = malloc(s->n[k] * sizeof(float));
        memcpy(s->y[k], a->st[k].y, s->n[k] * sizeof(float));
    }
}

static void assert_same(const viz_anim *a, const snapshot *s) {
    assert_int_equal(a->t, s->t);
    assert_int_equal(a->cur.stage, s->cur.stage);
    assert_int_equal(a->cur.value, s->cur.value);
    assert_int_equal(a->cur.o, s->cur.o);
    assert_int_equal(a->cur.i, s->cur.i);
    assert_int_equal(a->cur.j, s->cur.j);
    assert_int_equal(a->cur.tap, s->cur.tap);
    assert_int_equal(a->cur.c, s->cur.c);
    assert_int_equal(a->cur.u, s->cur.u);
    assert_int_equal(a->cur.v, s->cur.v);
    assert_memory_equal(&a->cur.partial, &s->cur.partial, sizeof(float));
    for (int k = 0; k < a->n_stages; k++)
        assert_memory_equal(a->st[k].y, s->y[k], s->n[k] * sizeof(float));
}

static void snap_free(snapshot *s) {
    for (int k = 0; k < VIZ_MAX_STAGES; k++) free(s->y[k]);
}

static void test_back_then_forward(void **state) {
    (void)state;
    cb_shape in = {4, 5, 6};
    float *x = random_input(in, 3);
    viz_weights w;
    viz_weight_source src = {.seeded = true, .seed = 11};
    assert_int_equal(viz_weights_make(&w, in.c, 2, &src, NULL), CB_OK);
    cb_rng r;
    cb_rng_seed(&r, 99);
    for (int m = 0; m < VIZ_MODE_COUNT; m++) {
        viz_anim a;
        assert_int_equal(viz_anim_init(&a, (viz_mode)m, in, x, &w, NULL), CB_OK);
        for (int trial = 0; trial < 40; trial++) {
            uint64_t t = cb_rng_u64(&r) % (a.total + 1);
            viz_anim_seek(&a, t);
            snapshot s;
            snap(&a, &s);
            int64_t d = (int64_t)(cb_rng_u64(&r) % 300) + 1;
            viz_anim_step(&a, -d);
            assert_int_equal(a.t, t >= (uint64_t)d ? t - (uint64_t)d : 0);
            viz_anim_step(&a, (int64_t)(t - a.t));
            assert_same(&a, &s);
            /* And the same state reached from the far end. */
            viz_anim_seek(&a, a.total);
            viz_anim_seek(&a, t);
            assert_same(&a, &s);
            snap_free(&s);
        }
        /* The partial sum is the reference's accumulation so far: at the
         * last tap of a value, adding it gives the value itself. */
        viz_anim_seek(&a, a.st[0].per - 1);
        viz_tap tp;
        viz_stage_tap(&a.st[0], 0, 0, 0, (int)a.st[0].per - 1, &tp);
        float last = a.cur.partial + tp.w * tp.x;
        assert_memory_equal(&last, &a.st[0].ref[0], sizeof(float));
        viz_anim_free(&a);
    }
    viz_weights_free(&w);
    free(x);
}

/* Long jumps copy finished values from the reference output: the state
 * must be the same as adding every product. */
static void test_bulk_jumps_match(void **state) {
    (void)state;
    cb_shape in = {4, 9, 7};
    float *x = random_input(in, 8);
    viz_weights w;
    viz_weight_source src = {.seeded = true, .seed = 5};
    assert_int_equal(viz_weights_make(&w, in.c, 2, &src, NULL), CB_OK);
    for (int m = 0; m < VIZ_MODE_COUNT; m++) {
        viz_anim add, copy;
        assert_int_equal(viz_anim_init(&add, (viz_mode)m, in, x, &w, NULL), CB_OK);
        assert_int_equal(viz_anim_init(&copy, (viz_mode)m, in, x, &w, NULL), CB_OK);
        add.bulk_macs = UINT64_MAX;
        copy.bulk_macs = 0;
        const uint64_t ts[] = {add.total / 3, add.total - 1, add.total, 17, add.total / 2 + 3};
        for (size_t k = 0; k < sizeof ts / sizeof *ts; k++) {
            viz_anim_seek(&add, ts[k]);
            viz_anim_seek(&copy, ts[k]);
            snapshot s;
            snap(&add, &s);
            assert_same(&copy, &s);
            snap_free(&s);
        }
        viz_anim_free(&add);
        viz_anim_free(&copy);
    }
    viz_weights_free(&w);
    free(x);
}

static void test_groups_span_standard_to_depthwise(void **state) {
    (void)state;
    cb_shape in = {6, 5, 7};
    float *x = random_input(in, 5);
    viz_weight_source src = {.seeded = true, .seed = 3};
    const int gs[2] = {1, 6};
    for (int k = 0; k < 2; k++) {
        viz_weights w;
        assert_int_equal(viz_weights_make(&w, in.c, gs[k], &src, NULL), CB_OK);
        /* The other mode, with the grouped mode's own weights. */
        viz_weights same = w;
        viz_mode other;
        if (gs[k] == 1) {
            same.std = w.grp;
            same.std_cout = in.c;
            same.std_k = 3;
            other = VIZ_STANDARD;
        } else {
            same.dw = w.grp;
            other = VIZ_DEPTHWISE;
        }
        viz_anim g, o;
        assert_int_equal(viz_anim_init(&g, VIZ_GROUPED, in, x, &w, NULL), CB_OK);
        assert_int_equal(viz_anim_init(&o, other, in, x, &same, NULL), CB_OK);
        assert_int_equal(g.total, o.total);
        assert_int_equal(g.cost.params, o.cost.params);
        viz_anim_seek(&g, g.total);
        viz_anim_seek(&o, o.total);
        size_t n = (size_t)cb_shape_numel(in);
        assert_memory_equal(g.st[0].y, o.st[0].y, n * sizeof(float));
        /* Halfway, both have filled in the same values. */
        viz_anim_seek(&g, g.total / 2 + 5);
        viz_anim_seek(&o, o.total / 2 + 5);
        assert_memory_equal(g.st[0].y, o.st[0].y, n * sizeof(float));
        assert_memory_equal(&g.cur.partial, &o.cur.partial, sizeof(float));
        viz_anim_free(&g);
        viz_anim_free(&o);
        viz_weights_free(&w);
    }
    /* Default grouped filters at groups = C are the default depthwise ones. */
    viz_weights w;
    viz_weight_source hand = {0};
    assert_int_equal(viz_weights_make(&w, in.c, in.c, &hand, NULL), CB_OK);
    assert_memory_equal(w.grp, w.dw, (size_t)in.c * 9 * sizeof(float));
    /* A groups count that does not divide C is refused. */
    cb_error err;
    assert_int_equal(viz_weights_regroup(&w, 4, &hand, &err), CB_ERR_ARG);
    assert_non_null(strstr(err.msg, "groups 4 does not divide the 6 channels"));
    viz_weights_free(&w);
    free(x);
}

static void test_player_reaches_the_end(void **state) {
    (void)state;
    cb_shape in = {3, 8, 12};
    float *x = random_input(in, 1);
    viz_weights w;
    viz_weight_source hand = {0};
    assert_int_equal(viz_weights_make(&w, in.c, 1, &hand, NULL), CB_OK);
    viz_anim a;
    assert_int_equal(viz_anim_init(&a, VIZ_SEPARABLE, in, x, &w, NULL), CB_OK);
    viz_player p;
    viz_player_init(&p);
    /* Auto speed: the first value of a stage is formed tap by tap, slowly
     * (a third of a value per second). */
    uint64_t frames = 0;
    while (a.t == 0) {
        viz_player_tick(&p, &a);
        frames++;
    }
    assert_int_equal(a.t, 1);
    assert_true(frames >= VIZ_FPS / 3);
    uint64_t sum = a.t;
    while (!viz_anim_done(&a) && frames < 100000) {
        sum += viz_player_tick(&p, &a);
        frames++;
    }
    assert_true(viz_anim_done(&a));
    assert_int_equal(sum, a.total);
    /* Paused, nothing moves. */
    viz_anim_seek(&a, 10);
    p.playing = false;
    assert_int_equal(viz_player_tick(&p, &a), 0);
    assert_int_equal(a.t, 10);
    /* Fixed speeds: one frame at level L steps L/60 MACs on average. */
    p.playing = true;
    viz_player_speed(&p, &a, +1);
    assert_false(p.auto_speed);
    p.level = 4; /* 100 MACs/s */
    p.budget = 0;
    uint64_t done = 0;
    for (int f = 0; f < 3 * VIZ_FPS; f++) done += viz_player_tick(&p, &a);
    assert_int_equal(done, 300);
    viz_anim_free(&a);
    viz_weights_free(&w);
    free(x);
}

static char tmpdir[256];

static void write_w(const char *key, int rank, const int *dims) {
    uint64_t n = 1;
    for (int i = 0; i < rank; i++) n *= (uint64_t)dims[i];
    float *d = calloc((size_t)n, sizeof *d);
    for (uint64_t k = 0; k < n; k++) d[k] = (float)k * 0.01f;
    char path[512];
    snprintf(path, sizeof path, "%s/%s.npy", tmpdir, key);
    assert_int_equal(cb_npy_write(path, rank, dims, d, NULL), CB_OK);
    free(d);
}

static void rm_w(const char *key) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.npy", tmpdir, key);
    unlink(path);
}

static void test_params_loading(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/viz_params_XXXXXX", CB_BINARY_DIR);
    assert_non_null(mkdtemp(tmpdir));
    viz_weight_source hand = {0};
    viz_weights w;
    cb_error err;
    assert_int_equal(viz_weights_make(&w, 3, 1, &hand, NULL), CB_OK);

    /* An empty directory holds nothing to load. */
    viz_weight_source src = hand;
    assert_int_not_equal(viz_weights_load(&w, tmpdir, &src, &err), CB_OK);
    assert_non_null(strstr(err.msg, "dw.weight"));

    /* A mobilenet block's weights for 3 channels, 5 outputs. */
    write_w("dw.weight", 4, (int[]){3, 1, 3, 3});
    write_w("pw.weight", 4, (int[]){5, 3, 1, 1});
    assert_int_equal(viz_weights_load(&w, tmpdir, &src, &err), CB_OK);
    assert_true(src.from_params_dw && src.from_params_pw && !src.from_params_std);
    assert_int_equal(w.pw_cout, 5);
    assert_true(w.dw[4] == 4 * 0.01f);
    assert_true(w.pw[14] == 14 * 0.01f);
    viz_anim a;
    assert_int_equal(viz_anim_init(&a, VIZ_SEPARABLE, (cb_shape){3, 4, 4},
                                   (float[48]){0}, &w, NULL), CB_OK);
    assert_int_equal(a.st[1].out.c, 5);
    viz_anim_free(&a);

    /* Weights for 32 channels do not fit a photo. */
    write_w("dw.weight", 4, (int[]){32, 1, 3, 3});
    assert_int_equal(viz_weights_load(&w, tmpdir, &src, &err), CB_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "32x1x3x3"));
    rm_w("dw.weight");
    write_w("pw.weight", 4, (int[]){5, 4, 1, 1});
    assert_int_equal(viz_weights_load(&w, tmpdir, &src, &err), CB_ERR_FORMAT);
    rm_w("pw.weight");
    /* A standard block's conv.weight, and one of the wrong kernel shape. */
    write_w("conv.weight", 4, (int[]){2, 3, 3, 3});
    assert_int_equal(viz_weights_load(&w, tmpdir, &src, &err), CB_OK);
    assert_int_equal(w.std_cout, 2);
    write_w("conv.weight", 4, (int[]){2, 3, 3, 2});
    assert_int_equal(viz_weights_load(&w, tmpdir, &src, &err), CB_ERR_FORMAT);
    rm_w("conv.weight");
    /* inception_grouped's reduce (1x1, 3 -> 4) and spatial (3x3, 2 groups). */
    write_w("reduce.conv.weight", 4, (int[]){4, 3, 1, 1});
    write_w("spatial.conv.weight", 4, (int[]){4, 2, 3, 3});
    assert_int_equal(viz_weights_load(&w, tmpdir, &src, &err), CB_OK);
    assert_true(src.from_params_grp);
    assert_int_equal(w.grp_c, 4);
    assert_int_equal(w.grp_groups, 2);
    assert_int_equal(viz_anim_init(&a, VIZ_GROUPED, (cb_shape){3, 4, 4}, (float[48]){0}, &w, NULL),
                     CB_OK);
    assert_int_equal(a.n_stages, 2);
    assert_int_equal(a.st[1].groups, 2);
    viz_anim_free(&a);
    /* ... and a spatial conv that does not fit the reduce conv's 4 channels. */
    write_w("spatial.conv.weight", 4, (int[]){6, 2, 3, 3});
    assert_int_equal(viz_weights_load(&w, tmpdir, &src, &err), CB_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "reduce.conv.weight"));
    rm_w("spatial.conv.weight");
    rm_w("reduce.conv.weight");
    /* A corrupt file is reported, not loaded. */
    char path[512];
    snprintf(path, sizeof path, "%s/dw.weight.npy", tmpdir);
    FILE *f = fopen(path, "wb");
    fputs("not a numpy file", f);
    fclose(f);
    assert_int_not_equal(viz_weights_load(&w, tmpdir, &src, &err), CB_OK);
    assert_non_null(strstr(err.msg, "dw.weight.npy"));
    unlink(path);
    rmdir(tmpdir);
    viz_weights_free(&w);
}

static void test_photo_downscale(void **state) {
    (void)state;
    /* A 4x2 RGB image to 2x1: each target pixel averages a 2x2 block. */
    unsigned char rgb[2][12];
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++)
            for (int ch = 0; ch < 3; ch++) rgb[y][x * 3 + ch] = (unsigned char)(10 * (x + 4 * y) + ch);
    float out[3 * 2];
    viz_rgb_to_tensor(&rgb[0][0], 4, 2, 12, 2, 1, out);
    for (int ch = 0; ch < 3; ch++)
        for (int j = 0; j < 2; j++) {
            /* pixels (2j, 2j+1) of rows 0 and 1 */
            float want = (float)((10 * (2 * j) + ch) + (10 * (2 * j + 1) + ch) +
                                 (10 * (2 * j + 4) + ch) + (10 * (2 * j + 5) + ch)) /
                         (255.0f * 4);
            assert_float_equal(out[ch * 2 + j], want, 1e-6);
        }
    int ow, oh;
    viz_default_size(451, 300, &ow, &oh);
    assert_int_equal(ow, 48);
    assert_int_equal(oh, 32);
    cb_error err;
    assert_int_equal(viz_check_input((cb_shape){3, 224, 224}, "x.npy", &err), CB_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "too large"));
    assert_int_equal(viz_check_input((cb_shape){3, 32, 48}, "x.npy", &err), CB_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes_equal_reference),
        cmocka_unit_test(test_back_then_forward),
        cmocka_unit_test(test_bulk_jumps_match),
        cmocka_unit_test(test_groups_span_standard_to_depthwise),
        cmocka_unit_test(test_player_reaches_the_end),
        cmocka_unit_test(test_params_loading),
        cmocka_unit_test(test_photo_downscale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
