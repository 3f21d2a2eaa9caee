/* test_net.c — the whole networks' structure and exact costs, and the
 * published tables (paper.h), without running anything.
 *
 * The MobileNet counts are checked against an independent formula written
 * here from the paper's Table 1 (not against net.c's own layer list), the
 * other networks against the exact integers their reference
 * implementations publish (Keras model.summary(), torchvision's docs), and
 * every paper figure at the paper's printed rounding. Where a printed
 * figure is wrong, the test says how, and checks that our figure differs
 * from it in exactly that way.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "convblocks/block.h"
#include "convblocks/cost.h"
#include "convblocks/net.h"
#include "convblocks/paper.h"

static cb_graph *build(const char *name, double alpha, int r) {
    cb_graph *g = NULL;
    cb_error e;
    cb_status s = cb_net_build(name, alpha, r, &g, &e);
    if (s != CB_OK) fprintf(stderr, "build %s: %s\n", name, e.msg);
    assert_int_equal(s, CB_OK);
    assert_non_null(g);
    return g;
}

static int find_layer(const cb_graph *g, const char *name) {
    for (int i = 0; i < g->n_layers; i++)
        if (strcmp(g->layers[i].name, name) == 0) return i;
    return -1;
}

static cb_shape layer_out(const cb_graph *g, const char *name) {
    int i = find_layer(g, name);
    if (i < 0) fprintf(stderr, "no layer %s in %s\n", name, g->name);
    assert_true(i >= 0);
    return g->values[g->layers[i].out];
}

static void assert_shape(cb_shape s, int c, int h, int w) {
    if (s.c != c || s.h != h || s.w != w)
        fprintf(stderr, "shape %dx%dx%d, expected %dx%dx%d\n", s.c, s.h, s.w, c, h, w);
    assert_true(s.c == c && s.h == h && s.w == w);
}

/* Does `value` round to `printed` at `decimals` digits? */
static int rounds_to(double value, double printed, int decimals) {
    return fabs(value - printed) <= 0.5 * pow(10.0, -decimals) * (1 + 1e-9);
}

/* ---- registry and arguments ------------------------------------------- */

static void test_registry(void **state) {
    (void)state;
    static const char *names[] = {"mobilenet_v1", "mobilenet_v1_conv", "vgg16", "vgg19",
                                  "xception", "inception_v3"};
    assert_int_equal(cb_net_count(), 6);
    for (int i = 0; i < 6; i++) {
        const cb_net_info *info = cb_net_find(names[i]);
        assert_non_null(info);
        assert_ptr_equal(info, cb_net_at(i));
        assert_non_null(info->summary);
        /* the default resolution is one the network accepts */
        assert_true(info->default_resolution >= info->min_resolution);
        assert_int_equal(info->default_resolution % info->resolution_multiple, 0);
        cb_graph *g = build(names[i], 1.0, 0);
        assert_shape(cb_graph_input_shape(g), 3, info->default_resolution,
                     info->default_resolution);
        assert_shape(cb_graph_output_shape(g), 1000, 1, 1);
        /* parameters are declared, not allocated */
        for (int p = 0; p < g->n_params; p++) assert_null(g->params[p].t.data);
        cb_graph_free(g);
    }
    assert_true(cb_net_find("mobilenet_v1")->has_alpha);
    assert_false(cb_net_find("xception")->has_alpha);
    assert_null(cb_net_find("resnet50"));
    assert_null(cb_net_find(NULL));
    assert_null(cb_net_at(-1));
    assert_null(cb_net_at(6));
}

static void expect_arg_error(const char *name, double alpha, int r, const char *needle) {
    cb_graph *g = (cb_graph *)1;
    cb_error e = {{0}};
    assert_int_equal(cb_net_build(name, alpha, r, &g, &e), CB_ERR_ARG);
    assert_null(g);
    if (!strstr(e.msg, needle)) fprintf(stderr, "message '%s' lacks '%s'\n", e.msg, needle);
    assert_non_null(strstr(e.msg, needle));
}

static void test_bad_arguments(void **state) {
    (void)state;
    expect_arg_error("mobilenet_v1", 0.0, 224, "alpha 0 is not in (0, 1]");
    expect_arg_error("mobilenet_v1", 1.5, 224, "alpha 1.5 is not in (0, 1]");
    expect_arg_error("mobilenet_v1", -0.5, 224, "alpha");
    expect_arg_error("mobilenet_v1", NAN, 224, "alpha");
    expect_arg_error("mobilenet_v1_conv", 2.0, 224, "alpha");
    expect_arg_error("mobilenet_v1", 0.01, 224, "no channels"); /* int(32 * 0.01) = 0 */
    expect_arg_error("mobilenet_v1", 1.0, 100, "not a multiple of 32");
    expect_arg_error("mobilenet_v1", 1.0, 64, "not between 96");
    expect_arg_error("mobilenet_v1", 1.0, -32, "resolution");
    expect_arg_error("mobilenet_v1", 1.0, 1 << 20, "resolution");
    expect_arg_error("vgg16", 1.0, 256, "224x224");
    expect_arg_error("xception", 1.0, 70, "not between 71");
    expect_arg_error("inception_v3", 1.0, 74, "not between 75");
    expect_arg_error("resnet50", 1.0, 0, "unknown network 'resnet50'");
    expect_arg_error(NULL, 1.0, 0, "unknown network");
    /* a network without a width multiplier ignores alpha */
    cb_graph *g = build("xception", 0.0, 0);
    cb_graph_free(g);
    /* the smallest accepted inputs build */
    g = build("xception", 1.0, 71);
    assert_shape(layer_out(g, "block13.add"), 1024, 3, 3);
    cb_graph_free(g);
    g = build("inception_v3", 1.0, 75);
    assert_shape(layer_out(g, "mixed_7c.concat"), 2048, 1, 1);
    cb_graph_free(g);
    g = build("mobilenet_v1", 1.0 / 32, 96);  /* int(32/32) = 1 channel still builds */
    cb_graph_free(g);
}

/* Layer and parameter names are unique: a key names exactly one tensor. */
static void test_names_unique(void **state) {
    (void)state;
    for (int n = 0; n < cb_net_count(); n++) {
        cb_graph *g = build(cb_net_at(n)->name, 1.0, 0);
        for (int i = 0; i < g->n_layers; i++)
            for (int j = i + 1; j < g->n_layers; j++)
                if (strcmp(g->layers[i].name, g->layers[j].name) == 0) {
                    fprintf(stderr, "%s: layer %s twice\n", g->name, g->layers[i].name);
                    fail();
                }
        for (int i = 0; i < g->n_params; i++)
            assert_int_equal(cb_graph_find_param(g, g->params[i].key), i);
        cb_graph_free(g);
    }
}

/* ---- MobileNet v1 against the paper's Table 1 ---------------------------- */

/* Table 1 as printed, one row per conv: kind (0 full, 1 dw, 2 pw), stride,
 * input channels, output channels — with the 13th dw row's "s2" read as s1
 * (the row's input and output are both 7x7). */
static const int TABLE1[][4] = {
    {0, 2, 3, 32},     {1, 1, 32, 32},    {2, 1, 32, 64},     {1, 2, 64, 64},
    {2, 1, 64, 128},   {1, 1, 128, 128},  {2, 1, 128, 128},   {1, 2, 128, 128},
    {2, 1, 128, 256},  {1, 1, 256, 256},  {2, 1, 256, 256},   {1, 2, 256, 256},
    {2, 1, 256, 512},  {1, 1, 512, 512},  {2, 1, 512, 512},   {1, 1, 512, 512},
    {2, 1, 512, 512},  {1, 1, 512, 512},  {2, 1, 512, 512},   {1, 1, 512, 512},
    {2, 1, 512, 512},  {1, 1, 512, 512},  {2, 1, 512, 512},   {1, 2, 512, 512},
    {2, 1, 512, 1024}, {1, 1, 1024, 1024}, {2, 1, 1024, 1024},
};

typedef struct {
    uint64_t macs, weights, full, dw, pw, fc, full_w, dw_w, pw_w, fc_w;
} mobilenet_formula;

/* MACs and weights by the formulas of section 3 (DK*DK*M*N*DF*DF, ...),
 * with channels int(c * alpha) and DF halving at every stride 2. */
static mobilenet_formula mobilenet_by_formula(double alpha, int r) {
    mobilenet_formula f = {0};
    uint64_t df = (uint64_t)r;
    for (size_t i = 0; i < sizeof TABLE1 / sizeof TABLE1[0]; i++) {
        int kind = TABLE1[i][0], s = TABLE1[i][1];
        uint64_t m = TABLE1[i][2] == 3 ? 3 : (uint64_t)(int)(TABLE1[i][2] * alpha);
        uint64_t n = (uint64_t)(int)(TABLE1[i][3] * alpha);
        df /= (uint64_t)s; /* output side: 'same' padding */
        if (kind == 0) {
            f.full += 9 * m * n * df * df;
            f.full_w += 9 * m * n;
        } else if (kind == 1) {
            f.dw += 9 * m * df * df;
            f.dw_w += 9 * m;
        } else {
            f.pw += m * n * df * df;
            f.pw_w += m * n;
        }
    }
    assert_int_equal(df * 32, (uint64_t)r); /* 224 -> 7 */
    uint64_t feat = (uint64_t)(int)(1024 * alpha);
    f.fc = feat * 1000;
    f.fc_w = feat * 1000;
    f.macs = f.full + f.dw + f.pw + f.fc;
    f.weights = f.full_w + f.dw_w + f.pw_w + f.fc_w;
    return f;
}

static uint64_t sum_by_type(const cb_graph *g, const char *type, int weights) {
    uint64_t s = 0;
    for (int i = 0; i < g->n_layers; i++)
        if (strcmp(cb_layer_type(g, &g->layers[i]), type) == 0) {
            cb_cost c = cb_layer_cost(g, i);
            s += weights ? c.weights : c.macs;
        }
    return s;
}

static void test_mobilenet_formula(void **state) {
    (void)state;
    const double alphas[] = {1.0, 0.75, 0.5, 0.25, 0.35};
    for (int a = 0; a < 5; a++)
        for (int r = 96; r <= 256; r += 32) {
            cb_graph *g = build("mobilenet_v1", alphas[a], r);
            mobilenet_formula f = mobilenet_by_formula(alphas[a], r);
            cb_cost c = cb_graph_cost(g, NULL);
            assert_int_equal(c.macs, f.macs);
            assert_int_equal(c.weights, f.weights);
            assert_int_equal(sum_by_type(g, "conv", 0), f.full);
            assert_int_equal(sum_by_type(g, "conv dw", 0), f.dw);
            assert_int_equal(sum_by_type(g, "conv 1x1", 0), f.pw);
            assert_int_equal(sum_by_type(g, "fc", 0), f.fc);
            /* params add the FC bias and BN gamma/beta on every conv's output */
            uint64_t bn = 0;
            for (int i = 0; i < g->n_layers; i++)
                if (g->layers[i].op == CB_OP_CONV) bn += 2 * (uint64_t)g->layers[i].cout;
            assert_int_equal(c.params, f.weights + 1000 + bn);
            assert_int_equal(c.buffers, bn);
            cb_graph_free(g);
        }
    /* the shapes of Table 1 at 224 */
    cb_graph *g = build("mobilenet_v1", 1.0, 224);
    assert_shape(layer_out(g, "conv1_relu"), 32, 112, 112);
    assert_shape(layer_out(g, "conv_dw_2"), 64, 56, 56);
    assert_shape(layer_out(g, "conv_pw_6"), 512, 14, 14);
    assert_shape(layer_out(g, "conv_dw_12"), 512, 7, 7);
    assert_shape(layer_out(g, "conv_dw_13"), 1024, 7, 7);
    assert_shape(layer_out(g, "conv_pw_13_relu"), 1024, 7, 7);
    assert_shape(layer_out(g, "avgpool"), 1024, 1, 1);
    assert_int_equal(cb_graph_find_param(g, "conv_dw_3_bn.running_var") >= 0, 1);
    assert_int_equal(cb_graph_find_param(g, "fc.bias") >= 0, 1);
    /* Keras's counts for MobileNet (alpha 1, 224): trainable 4,231,976, total 4,253,864 */
    cb_cost c = cb_graph_cost(g, NULL);
    assert_int_equal(c.params, 4231976);
    assert_int_equal(c.params + c.buffers, 4253864);
    assert_int_equal(c.macs, 568740352);
    cb_graph_free(g);
}

/* MACs of every conv layer scale with its output area: at resolution r each
 * side is r/32 times its 7x7-grid size, so a layer's MACs are exactly
 * (r/32)^2 times its MACs at 32x32 per grid cell; the FC does not scale. */
static void test_mobilenet_resolution_scaling(void **state) {
    (void)state;
    cb_graph *base = build("mobilenet_v1", 1.0, 224);
    for (int r = 96; r <= 320; r += 32) {
        cb_graph *g = build("mobilenet_v1", 1.0, r);
        assert_int_equal(g->n_layers, base->n_layers);
        uint64_t k = (uint64_t)(r / 32), conv = 0, conv_base = 0;
        for (int i = 0; i < g->n_layers; i++) {
            cb_cost c = cb_layer_cost(g, i), cb = cb_layer_cost(base, i);
            cb_shape o = g->values[g->layers[i].out], ob = base->values[base->layers[i].out];
            if (g->layers[i].op == CB_OP_CONV) {
                /* the output side is the 224 side times r/224, exactly */
                assert_int_equal((uint64_t)o.h * 7, (uint64_t)ob.h * k);
                assert_int_equal(c.macs * 49, cb.macs * k * k);
                conv += c.macs;
                conv_base += cb.macs;
            } else if (g->layers[i].op == CB_OP_FC) {
                assert_int_equal(c.macs, cb.macs);
            }
            assert_int_equal(c.weights, cb.weights);
        }
        assert_int_equal(conv * 49, conv_base * k * k);
        assert_int_equal(cb_graph_cost(g, NULL).macs, conv + 1024 * 1000);
        cb_graph_free(g);
    }
    cb_graph_free(base);
}

/* mobilenet_v1 minus its depthwise separable layers plus the full 3x3 convs
 * that replace them is mobilenet_v1_conv, in MACs and in weights. */
static void test_mobilenet_conv_identity(void **state) {
    (void)state;
    const double alphas[] = {1.0, 0.5};
    for (int a = 0; a < 2; a++) {
        cb_graph *sep = build("mobilenet_v1", alphas[a], 224);
        cb_graph *full = build("mobilenet_v1_conv", alphas[a], 224);
        cb_cost cs = cb_graph_cost(sep, NULL), cf = cb_graph_cost(full, NULL);
        uint64_t macs = cs.macs, weights = cs.weights;
        char n[64];
        for (int i = 1; i <= 13; i++) {
            snprintf(n, sizeof n, "conv_dw_%d", i);
            int dw = find_layer(sep, n);
            snprintf(n, sizeof n, "conv_pw_%d", i);
            int pw = find_layer(sep, n);
            snprintf(n, sizeof n, "conv_full_%d", i);
            int fl = find_layer(full, n);
            assert_true(dw >= 0 && pw >= 0 && fl >= 0);
            cb_cost d = cb_layer_cost(sep, dw), p = cb_layer_cost(sep, pw), f = cb_layer_cost(full, fl);
            macs = macs - d.macs - p.macs + f.macs;
            weights = weights - d.weights - p.weights + f.weights;
            /* the paper's section 3.1 formulas, layer by layer */
            cb_shape in = sep->values[sep->layers[dw].in[0]];
            cb_shape out = sep->values[sep->layers[pw].out];
            assert_int_equal(d.macs + p.macs, cb_formula_separable_macs(3, in.c, out.c, out.h));
            assert_int_equal(f.macs, cb_formula_standard_macs(3, in.c, out.c, out.h));
            assert_shape(full->values[full->layers[fl].out], out.c, out.h, out.w);
        }
        assert_int_equal(macs, cf.macs);
        assert_int_equal(weights, cf.weights);
        cb_graph_free(sep);
        cb_graph_free(full);
    }
}

/* ---- the MobileNet paper's tables, from the graphs ------------------------- */

static void test_mobilenet_table2(void **state) {
    (void)state;
    cb_graph *g = build("mobilenet_v1", 1.0, 224);
    cb_cost c = cb_graph_cost(g, NULL);
    static const struct {
        const char *type;
        double macs_share, weights_share;
    } rows[] = {{"conv 1x1", 94.86, 74.59}, {"conv dw", 3.06, 1.06}, {"fc", 0.18, 24.33}};
    for (int i = 0; i < 3; i++) {
        double m = 100.0 * (double)sum_by_type(g, rows[i].type, 0) / (double)c.macs;
        double w = 100.0 * (double)sum_by_type(g, rows[i].type, 1) / (double)c.weights;
        assert_true(rounds_to(m, rows[i].macs_share, 2));
        assert_true(rounds_to(w, rows[i].weights_share, 2));
    }
    /* "Conv Full 3x3" (conv1): weights 0.02% as printed; mult-adds print as
     * 1.19%, but conv1 costs 3*32*9*112*112 = 10,838,016 of 568,740,352 =
     * 1.91%: the digits are transposed (the printed column sums to 99.29%). */
    double full_m = 100.0 * (double)sum_by_type(g, "conv", 0) / (double)c.macs;
    double full_w = 100.0 * (double)sum_by_type(g, "conv", 1) / (double)c.weights;
    assert_int_equal(sum_by_type(g, "conv", 0), 3 * 32 * 9 * 112 * 112);
    assert_true(rounds_to(full_w, 0.02, 2));
    assert_true(rounds_to(full_m, 1.91, 2));
    assert_false(rounds_to(full_m, 1.19, 2));
    /* the four rows cover every MAC and every weight */
    uint64_t all_m = 0, all_w = 0;
    const char *types[] = {"conv 1x1", "conv dw", "conv", "fc"};
    for (int i = 0; i < 4; i++) {
        all_m += sum_by_type(g, types[i], 0);
        all_w += sum_by_type(g, types[i], 1);
    }
    assert_int_equal(all_m, c.macs);
    assert_int_equal(all_w, c.weights);
    cb_graph_free(g);
}

/* MACs and weights of a list of layers of g. */
static cb_cost layers_cost(const cb_graph *g, const char *a, const char *b) {
    cb_cost sum = {0};
    int i = find_layer(g, a);
    assert_true(i >= 0);
    cb_cost_add(&sum, cb_layer_cost(g, i));
    if (b) {
        i = find_layer(g, b);
        assert_true(i >= 0);
        cb_cost_add(&sum, cb_layer_cost(g, i));
    }
    return sum;
}

static void test_mobilenet_table3(void **state) {
    (void)state;
    /* the 7th layer is the paper's 14x14x512 -> 512 example */
    cb_graph *full = build("mobilenet_v1_conv", 1.0, 224);
    cb_cost c = layers_cost(full, "conv_full_7", NULL);
    assert_int_equal(c.macs, 9ull * 512 * 512 * 14 * 14);
    assert_true(rounds_to(c.macs / 1e6, 462, 0));
    assert_true(rounds_to(c.weights / 1e6, 2.36, 2));
    cb_graph_free(full);
    cb_graph *g = build("mobilenet_v1", 1.0, 224);
    c = layers_cost(g, "conv_dw_7", "conv_pw_7");
    assert_true(rounds_to(c.macs / 1e6, 52.3, 1));
    assert_true(rounds_to(c.weights / 1e6, 0.27, 2));
    cb_graph_free(g);
    g = build("mobilenet_v1", 0.75, 224);
    assert_shape(layer_out(g, "conv_pw_7"), 384, 14, 14);
    c = layers_cost(g, "conv_dw_7", "conv_pw_7");
    assert_true(rounds_to(c.macs / 1e6, 29.6, 1));
    assert_true(rounds_to(c.weights / 1e6, 0.15, 2));
    cb_graph_free(g);
    /* rho = 0.714 is 160/224: the layer runs at 10x10 */
    g = build("mobilenet_v1", 0.75, 160);
    assert_shape(layer_out(g, "conv_pw_7"), 384, 10, 10);
    c = layers_cost(g, "conv_dw_7", "conv_pw_7");
    assert_true(rounds_to(c.macs / 1e6, 15.1, 1));
    assert_true(rounds_to(c.weights / 1e6, 0.15, 2));
    cb_graph_free(g);
    /* the same numbers from the canonical blocks on a 512x14x14 input */
    cb_args a = cb_block_find("standard")->defaults;
    cb_error e;
    assert_int_equal(cb_args_set(&a, "cout=512", &e), CB_OK);
    cb_shape in = {512, 14, 14};
    cb_graph *b;
    assert_int_equal(cb_block_build("standard", &a, &in, &b, &e), CB_OK);
    assert_int_equal(cb_graph_cost(b, NULL).macs, 462422016);
    cb_graph_free(b);
    a = cb_block_find("mobilenet")->defaults;
    assert_int_equal(cb_args_set(&a, "cout=512", &e), CB_OK);
    assert_int_equal(cb_block_build("mobilenet", &a, &in, &b, &e), CB_OK);
    assert_int_equal(cb_graph_cost(b, NULL).macs, 52283392);
    cb_graph_free(b);
}

static void test_mobilenet_tables_4_6_7(void **state) {
    (void)state;
    static const struct {
        double alpha;
        int r;
        double macs_m, weights_m;  /* as printed (weights: Table 6 only) */
    } rows[] = {
        {1.0, 224, 569, 4.2}, {0.75, 224, 325, 2.6}, {0.5, 224, 149, 1.3},
        {0.25, 224, 41, 0.5}, {1.0, 192, 418, 4.2}, {1.0, 128, 186, 4.2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cb_graph *g = build("mobilenet_v1", rows[i].alpha, rows[i].r);
        cb_cost c = cb_graph_cost(g, NULL);
        assert_true(rounds_to(c.macs / 1e6, rows[i].macs_m, 0));
        assert_true(rounds_to(c.weights / 1e6, rows[i].weights_m, 1));
        cb_graph_free(g);
    }
    /* Table 7 prints 290 for 160x160: ours is 290.68M, which rounds to 291
     * (TF-slim's model table prints 291); 290 is the truncation. */
    cb_graph *g = build("mobilenet_v1", 1.0, 160);
    uint64_t m160 = cb_graph_cost(g, NULL).macs;
    assert_true(rounds_to(m160 / 1e6, 291, 0));
    assert_int_equal(m160 / 1000000, 290);
    cb_graph_free(g);
    /* Table 4: Conv MobileNet 29.3M weights as printed; its 4866M mult-adds
     * are our count without the FC layer (4866.27M), ours with it 4867.29M */
    g = build("mobilenet_v1_conv", 1.0, 224);
    cb_cost c = cb_graph_cost(g, NULL);
    assert_true(rounds_to(c.weights / 1e6, 29.3, 1));
    assert_true(rounds_to(c.macs / 1e6, 4867, 0));
    assert_true(rounds_to((c.macs - 1024 * 1000) / 1e6, 4866, 0));
    cb_graph_free(g);
}

/* ---- VGG, Xception, Inception v3 against their implementations ------------ */

static void test_vgg(void **state) {
    (void)state;
    /* torchvision num_params and the VGG paper's Table 2 (138M, 144M) */
    cb_graph *g = build("vgg16", 1.0, 0);
    cb_cost c = cb_graph_cost(g, NULL);
    assert_int_equal(c.params, 138357544);
    assert_true(rounds_to(c.params / 1e6, 138, 0));
    assert_true(rounds_to(c.macs / 1e9, 15.47, 2)); /* torchvision's "GFLOPS" */
    assert_int_equal(c.buffers, 0);
    assert_int_equal(g->layers[find_layer(g, "features.28")].op, CB_OP_CONV); /* last conv */
    assert_int_equal(g->layers[find_layer(g, "features.30")].op, CB_OP_MAXPOOL);
    assert_shape(layer_out(g, "features.30"), 512, 7, 7);
    assert_true(cb_graph_find_param(g, "classifier.0.weight") >= 0);
    assert_int_equal(g->params[cb_graph_find_param(g, "classifier.0.weight")].t.dims[1], 25088);
    cb_graph_free(g);
    g = build("vgg19", 1.0, 224);
    c = cb_graph_cost(g, NULL);
    assert_int_equal(c.params, 143667240);
    assert_true(rounds_to(c.params / 1e6, 144, 0));
    assert_true(rounds_to(c.macs / 1e9, 19.63, 2));
    assert_int_equal(g->layers[find_layer(g, "features.34")].op, CB_OP_CONV);
    cb_graph_free(g);
}

static void test_xception(void **state) {
    (void)state;
    cb_graph *g = build("xception", 1.0, 299);
    cb_cost c = cb_graph_cost(g, NULL);
    /* Xception paper Table 3 = Keras trainable; Keras total adds BN statistics */
    assert_int_equal(c.params, 22855952);
    assert_int_equal(c.params + c.buffers, 22910480);
    assert_true(rounds_to(c.macs / 1e9, 8.4, 1));
    /* Keras's shapes: 'valid' stem 149, 147; entry flow ends 19x19x728 */
    assert_shape(layer_out(g, "block1.relu1"), 32, 149, 149);
    assert_shape(layer_out(g, "block1.relu2"), 64, 147, 147);
    assert_shape(layer_out(g, "block2.add"), 128, 74, 74);
    assert_shape(layer_out(g, "block3.add"), 256, 37, 37);
    assert_shape(layer_out(g, "block4.add"), 728, 19, 19);
    assert_shape(layer_out(g, "block12.add"), 728, 19, 19);
    assert_shape(layer_out(g, "block13.add"), 1024, 10, 10);
    assert_shape(layer_out(g, "block14.relu2"), 2048, 10, 10);
    /* every separable conv's depthwise half is depthwise */
    int dw = 0;
    for (int i = 0; i < g->n_layers; i++)
        if (strstr(g->layers[i].name, ".dw")) {
            assert_true(cb_layer_is_depthwise(g, &g->layers[i]));
            dw++;
        }
    assert_int_equal(dw, 3 * 2 + 8 * 3 + 2 + 2); /* entry, middle, exit, block14 */
    assert_int_equal(find_layer(g, "block2.relu0"), -1); /* the first module starts without ReLU */
    assert_true(find_layer(g, "block3.relu0") >= 0);
    cb_graph_free(g);
}

static void test_inception_v3(void **state) {
    (void)state;
    cb_graph *g = build("inception_v3", 1.0, 299);
    cb_cost c = cb_graph_cost(g, NULL);
    /* torchvision without AuxLogits (its num_params, 27,161,264, includes them) */
    assert_int_equal(c.params, 23834568);
    assert_true(rounds_to(c.macs / 1e9, 5.71, 2));
    /* Keras's BatchNorm has no gamma: its trainable count is ours minus one per BN channel */
    uint64_t bn = 0;
    for (int i = 0; i < g->n_layers; i++)
        if (g->layers[i].op == CB_OP_BN) bn += (uint64_t)g->values[g->layers[i].out].c;
    assert_int_equal(c.buffers, 2 * bn);
    assert_int_equal(c.params - bn, 23817352);
    assert_int_equal(c.params - bn + c.buffers, 23851784);
    /* the Xception paper's Table 3 prints 23,626,728 for Inception V3: no
     * released Inception V3 counts that */
    assert_true(c.params != 23626728 && c.params - bn != 23626728);
    /* torchvision's shapes */
    assert_shape(layer_out(g, "conv2d_1a_3x3.relu"), 32, 149, 149);
    assert_shape(layer_out(g, "maxpool2"), 192, 35, 35);
    assert_shape(layer_out(g, "mixed_5b.concat"), 256, 35, 35);
    assert_shape(layer_out(g, "mixed_5d.concat"), 288, 35, 35);
    assert_shape(layer_out(g, "mixed_6a.concat"), 768, 17, 17);
    assert_shape(layer_out(g, "mixed_6c.branch7x7dbl_2.conv"), 160, 17, 17);
    assert_shape(layer_out(g, "mixed_6e.concat"), 768, 17, 17);
    assert_shape(layer_out(g, "mixed_7a.concat"), 1280, 8, 8);
    assert_shape(layer_out(g, "mixed_7b.branch3x3.concat"), 768, 8, 8);
    assert_shape(layer_out(g, "mixed_7c.concat"), 2048, 8, 8);
    int i = find_layer(g, "mixed_6c.branch7x7dbl_2.conv");
    assert_int_equal(g->layers[i].conv.kh, 7);
    assert_int_equal(g->layers[i].conv.kw, 1);
    assert_true(cb_graph_find_param(g, "mixed_6c.branch7x7dbl_2.bn.running_var") >= 0);
    cb_graph_free(g);
}

/* The network's modules carry the canonical blocks' keys under a prefix:
 * every key of the block, prefixed, is a parameter of the net with the same
 * shape, and the module has no other parameters. */
static void expect_block_keys(const cb_graph *net, const char *prefix, const char *block,
                              const char *sets[], int nsets) {
    const cb_block_info *info = cb_block_find(block);
    assert_non_null(info);
    cb_args a = info->defaults;
    cb_error e;
    for (int i = 0; i < nsets; i++) assert_int_equal(cb_args_set(&a, sets[i], &e), CB_OK);
    /* the module's input is the input of its first layer */
    size_t plen = strlen(prefix);
    int first = -1, nparams = 0;
    for (int i = 0; i < net->n_layers; i++)
        if (strncmp(net->layers[i].name, prefix, plen) == 0 && net->layers[i].name[plen] == '.') {
            if (first < 0) first = i;
        }
    assert_true(first >= 0);
    for (int i = 0; i < net->n_params; i++)
        if (strncmp(net->params[i].key, prefix, plen) == 0 && net->params[i].key[plen] == '.')
            nparams++;
    cb_shape in = net->values[net->layers[first].in[0]];
    cb_graph *b;
    assert_int_equal(cb_block_build(block, &a, &in, &b, &e), CB_OK);
    assert_int_equal(b->n_params, nparams);
    for (int i = 0; i < b->n_params; i++) {
        char key[CB_NAME_MAX * 2];
        snprintf(key, sizeof key, "%s.%s", prefix, b->params[i].key);
        int p = cb_graph_find_param(net, key);
        if (p < 0) fprintf(stderr, "%s has no %s\n", net->name, key);
        assert_true(p >= 0);
        assert_int_equal(net->params[p].t.rank, b->params[i].t.rank);
        for (int d = 0; d < b->params[i].t.rank; d++)
            assert_int_equal(net->params[p].t.dims[d], b->params[i].t.dims[d]);
    }
    cb_graph_free(b);
}

static void test_block_keys_align(void **state) {
    (void)state;
    cb_graph *x = build("xception", 1.0, 299);
    const char *entry1[] = {"cout=128", "start_relu=false"};
    expect_block_keys(x, "block2", "xception_entry", entry1, 2);
    const char *entry2[] = {"cout=256"};
    expect_block_keys(x, "block3", "xception_entry", entry2, 1);
    const char *entry3[] = {"cout=728"};
    expect_block_keys(x, "block4", "xception_entry", entry3, 1);
    for (int b = 5; b <= 12; b++) {
        char p[16];
        snprintf(p, sizeof p, "block%d", b);
        expect_block_keys(x, p, "xception_middle", NULL, 0);
    }
    const char *exit_[] = {"cout=1024"};
    expect_block_keys(x, "block13", "xception_exit", exit_, 1);
    cb_graph_free(x);
    cb_graph *g = build("inception_v3", 1.0, 299);
    const char *a5b[] = {"pool_features=32"}, *a5c[] = {"pool_features=64"};
    expect_block_keys(g, "mixed_5b", "inception_a", a5b, 1);
    expect_block_keys(g, "mixed_5c", "inception_a", a5c, 1);
    expect_block_keys(g, "mixed_5d", "inception_a", a5c, 1);
    cb_graph_free(g);
}

/* ---- paper.h --------------------------------------------------------------- */

/* The figures that are misprinted or count something else, by source and quantity. */
static int known_to_differ(const cb_paper_figure *p) {
    static const char *differ[][2] = {
        {"Table 1", "stride of the 13th depthwise layer"},
        {"Table 2", "mult-adds share: conv full"},
        {"Table 4", "Conv MobileNet: mult-adds"},
        {"Table 7", "160x160"},
        {"Xception (arXiv 1610.02357) Table 3", "Inception V3"},
    };
    for (int i = 0; i < 5; i++)
        if (strstr(p->source, differ[i][0]) && strstr(p->quantity, differ[i][1])) return 1;
    return 0;
}

static void test_paper_figures(void **state) {
    (void)state;
    int n = cb_paper_count(), differ = 0, exact = 0;
    assert_true(n >= 40);
    for (int i = 0; i < n; i++) {
        cb_paper_figure p;
        cb_error e;
        assert_int_equal(cb_paper_figure_get(i, &p, &e), CB_OK);
        assert_non_null(cb_net_find(p.net));
        int says_differs = strncmp(p.verdict, "differs: ", 9) == 0;
        assert_int_equal(says_differs, !p.match);
        if (p.match != !known_to_differ(&p))
            fprintf(stderr, "figure %d (%s, %s): ours %g, printed %s\n", i, p.source, p.quantity,
                    p.ours, p.printed);
        assert_int_equal(p.match, !known_to_differ(&p));
        if (p.exact) {
            exact++;
            assert_int_equal(p.match, (double)p.ours_count == p.published);
            if (p.match) assert_string_equal(p.verdict, "exact match");
        } else if (p.match) {
            assert_true(rounds_to(p.ours, p.published, p.decimals));
            assert_string_equal(p.verdict, "match at printed rounding");
        } else {
            assert_false(rounds_to(p.ours, p.published, p.decimals));
        }
        differ += !p.match;
    }
    assert_int_equal(differ, 5);
    assert_true(exact >= 10);
    cb_paper_figure p;
    cb_error e;
    assert_int_equal(cb_paper_figure_get(n, &p, &e), CB_ERR_ARG);
    assert_int_equal(cb_paper_figure_get(-1, &p, &e), CB_ERR_ARG);
}

static int count_lines(FILE *f, const char *needle, int *total) {
    char line[1024];
    int hits = 0;
    *total = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        (*total)++;
        if (needle && strstr(line, needle)) hits++;
    }
    return hits;
}

static void test_paper_print(void **state) {
    (void)state;
    cb_error e;
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(cb_paper_print(f, "all", &e), CB_OK);
    int total;
    /* a header, one line per figure, a blank line and the footer */
    int differs = count_lines(f, "differs: ", &total);
    assert_int_equal(total, cb_paper_count() + 3);
    assert_int_equal(differs, 5);
    assert_int_equal(count_lines(f, "transposed digits", &total), 1);
    assert_int_equal(count_lines(f, "stride typo", &total), 1);
    assert_int_equal(count_lines(f, "22,855,952   22,855,952  exact match", &total), 1);
    fclose(f);
    /* one network: only its rows */
    f = tmpfile();
    assert_int_equal(cb_paper_print(f, "xception", &e), CB_OK);
    int rows = count_lines(f, " xception ", &total);
    assert_int_equal(rows, total - 3);
    assert_int_equal(rows, 3);
    assert_int_equal(count_lines(f, "mobilenet", &total), 0);
    fclose(f);
    f = tmpfile();
    assert_int_equal(cb_paper_print(f, "resnet50", &e), CB_ERR_ARG);
    assert_non_null(strstr(e.msg, "resnet50"));
    fclose(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_names_unique),
        cmocka_unit_test(test_mobilenet_formula),
        cmocka_unit_test(test_mobilenet_resolution_scaling),
        cmocka_unit_test(test_mobilenet_conv_identity),
        cmocka_unit_test(test_mobilenet_table2),
        cmocka_unit_test(test_mobilenet_table3),
        cmocka_unit_test(test_mobilenet_tables_4_6_7),
        cmocka_unit_test(test_vgg),
        cmocka_unit_test(test_xception),
        cmocka_unit_test(test_inception_v3),
        cmocka_unit_test(test_block_keys_align),
        cmocka_unit_test(test_paper_figures),
        cmocka_unit_test(test_paper_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
