/* test_net_compose.c — xception and inception_v3 against the composition of
 * their parts (labelled slow: about half a billion reference MACs).
 *
 * The network is cut at its top-level modules (layer names up to the first
 * '.'). Every module that is a canonical block (xception_entry / _middle /
 * _exit, inception_a) is run as that block — whose implementation is
 * golden-tested against blocks.py — with the network's parameters under
 * the module's prefix; the other modules (stems, grid reductions, the B, C,
 * D, E modules, the classifier) run as a copy of their own layers. The
 * module outputs, chained with the reference kernels, must equal the whole
 * network run by the fast executor. Both networks run at their smallest
 * input (71 and 75) to keep this to seconds.
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
#include "convblocks/exec.h"
#include "convblocks/net.h"
#include "net_test_util.h"

/* ---- 2. composition of modules ------------------------------------------ */

/* The module a layer belongs to: its name up to the first '.'. */
static size_t module_len(const char *name) {
    const char *dot = strchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

/* Copy into sub every parameter "prefix.KEY" (or "KEY" when prefix is
 * empty) of net: the module's weights, as the block would load them. */
static void copy_params(cb_graph *sub, const cb_graph *net, const char *prefix) {
    cb_error e;
    assert_int_equal(cb_graph_alloc_params(sub, &e), CB_OK);
    for (int i = 0; i < sub->n_params; i++) {
        char key[CB_NAME_MAX * 2];
        snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", sub->params[i].key);
        int p = cb_graph_find_param(net, key);
        if (p < 0) fprintf(stderr, "%s has no parameter %s\n", net->name, key);
        assert_true(p >= 0);
        assert_int_equal(cb_tensor_numel(&net->params[p].t), cb_tensor_numel(&sub->params[i].t));
        memcpy(sub->params[i].t.data, net->params[p].t.data,
               sizeof(float) * (size_t)cb_tensor_numel(&sub->params[i].t));
    }
}

/* Layers [a, b) of net as a graph of their own, read from value `in`:
 * the same ops, names and parameter keys. */
static cb_graph *copy_layers(const cb_graph *net, int a, int b, int in) {
    cb_graph *g = cb_graph_new("part", net->values[in]);
    assert_non_null(g);
    int *map = malloc(sizeof(int) * (size_t)net->n_values);
    assert_non_null(map);
    for (int v = 0; v < net->n_values; v++) map[v] = -1;
    map[in] = 0;
    for (int i = a; i < b; i++) {
        const cb_layer *l = &net->layers[i];
        int xs[CB_MAX_INPUTS];
        for (int k = 0; k < l->n_in; k++) {
            xs[k] = map[l->in[k]];
            if (xs[k] < 0) fprintf(stderr, "%s reads from outside its module\n", l->name);
            assert_true(xs[k] >= 0);
        }
        int y = -1;
        switch (l->op) {
        case CB_OP_CONV:
            y = cb_graph_conv(g, l->name, xs[0], l->cout, l->conv, l->param[CB_P_BIAS] >= 0);
            break;
        case CB_OP_BN: y = cb_graph_bn(g, l->name, xs[0]); break;
        case CB_OP_RELU: y = cb_graph_relu(g, l->name, xs[0]); break;
        case CB_OP_MAXPOOL:
            y = cb_graph_maxpool(g, l->name, xs[0], l->pool.k, l->pool.stride, l->pool.pad);
            break;
        case CB_OP_AVGPOOL:
            y = cb_graph_avgpool(g, l->name, xs[0], l->pool.k, l->pool.stride, l->pool.pad);
            break;
        case CB_OP_GAP: y = cb_graph_gap(g, l->name, xs[0]); break;
        case CB_OP_ADD: y = cb_graph_add(g, l->name, xs[0], xs[1]); break;
        case CB_OP_CONCAT: y = cb_graph_concat(g, l->name, xs, l->n_in); break;
        case CB_OP_FC: y = cb_graph_fc(g, l->name, xs[0], l->cout, l->param[CB_P_BIAS] >= 0); break;
        case CB_OP_COUNT: break;
        }
        assert_true(y >= 0);
        map[l->out] = y;
    }
    free(map);
    copy_params(g, net, "");
    return g;
}

/* A module that is a canonical block: its name, block and --set arguments. */
typedef struct {
    const char *module, *block, *sets[2];
} as_block;

/* Run net on a seeded input, whole and module by module, and compare. */
static void check_composition(const char *name, int resolution, const as_block *blocks, int nblocks) {
    cb_graph *net;
    cb_error e;
    assert_int_equal(cb_net_build(name, 1.0, resolution, &net, &e), CB_OK);
    assert_int_equal(cb_graph_init_params(net, 7, &e), CB_OK);
    cb_shape in = cb_graph_input_shape(net);
    size_t n = (size_t)cb_shape_numel(in);
    float *x = malloc(sizeof(float) * n);
    assert_non_null(x);
    cb_rng r;
    cb_rng_seed(&r, 11);
    for (size_t i = 0; i < n; i++) x[i] = cb_rng_normal(&r);

    /* the whole network, fast executor (2 threads) */
    float *whole = run(net, CB_IMPL_FAST, 2, x, NULL);

    /* module by module, reference kernels */
    float *cur = x;
    int value = 0, used_blocks = 0, modules = 0;
    for (int a = 0; a < net->n_layers;) {
        const char *mname = net->layers[a].name;
        size_t len = module_len(mname);
        int b = a + 1;
        while (b < net->n_layers && module_len(net->layers[b].name) == len &&
               strncmp(net->layers[b].name, mname, len) == 0)
            b++;
        char module[CB_NAME_MAX];
        snprintf(module, sizeof module, "%.*s", (int)len, mname);
        assert_int_equal(net->layers[a].in[0], value); /* modules form a chain */
        const as_block *blk = NULL;
        for (int k = 0; k < nblocks; k++)
            if (strcmp(blocks[k].module, module) == 0) blk = &blocks[k];
        cb_graph *part;
        if (blk) {
            cb_args args = cb_block_find(blk->block)->defaults;
            for (int k = 0; k < 2 && blk->sets[k]; k++)
                assert_int_equal(cb_args_set(&args, blk->sets[k], &e), CB_OK);
            cb_shape bin = net->values[value];
            assert_int_equal(cb_block_build(blk->block, &args, &bin, &part, &e), CB_OK);
            assert_int_equal(part->n_layers, b - a); /* the module is the block, layer for layer */
            copy_params(part, net, module);
            used_blocks++;
        } else {
            part = copy_layers(net, a, b, value);
        }
        assert_true(cb_shape_eq(cb_graph_output_shape(part), net->values[net->layers[b - 1].out]));
        float *next = run(part, CB_IMPL_REF, 1, cur, NULL);
        if (cur != x) free(cur);
        cur = next;
        value = net->layers[b - 1].out;
        cb_graph_free(part);
        modules++;
        a = b;
    }
    assert_int_equal(value, net->output);
    assert_int_equal(used_blocks, nblocks);
    /* The fast kernels sum in another order (and fold BN): float32 noise
     * only, but relative to the logits' scale: with random weights the
     * residual adds of Xception grow its logits to ~1e6, where a small logit
     * is the difference of large sums. */
    float scale = 0;
    for (int i = 0; i < 1000; i++) scale = fmaxf(scale, fabsf(cur[i]));
    expect_close(whole, cur, 1000, 1e-5f * scale, 1e-4f, name);
    /* the checker can fail: one logit off by 1e-3 of the scale is caught */
    cur[3] += 1e-3f * scale;
    assert_int_equal(net_first_mismatch(whole, cur, 1000, 1e-5f * scale, 1e-4f), 3);
    free(cur);
    free(whole);
    free(x);
    cb_graph_free(net);
    assert_true(modules > nblocks);
}

static void test_xception_composition(void **state) {
    (void)state;
    static const as_block blocks[] = {
        {"block2", "xception_entry", {"cout=128", "start_relu=false"}},
        {"block3", "xception_entry", {"cout=256", NULL}},
        {"block4", "xception_entry", {"cout=728", NULL}},
        {"block5", "xception_middle", {NULL, NULL}},
        {"block6", "xception_middle", {NULL, NULL}},
        {"block7", "xception_middle", {NULL, NULL}},
        {"block8", "xception_middle", {NULL, NULL}},
        {"block9", "xception_middle", {NULL, NULL}},
        {"block10", "xception_middle", {NULL, NULL}},
        {"block11", "xception_middle", {NULL, NULL}},
        {"block12", "xception_middle", {NULL, NULL}},
        {"block13", "xception_exit", {"cout=1024", NULL}},
    };
    check_composition("xception", 71, blocks, (int)(sizeof blocks / sizeof blocks[0]));
}

static void test_inception_composition(void **state) {
    (void)state;
    static const as_block blocks[] = {
        {"mixed_5b", "inception_a", {"pool_features=32", NULL}},
        {"mixed_5c", "inception_a", {"pool_features=64", NULL}},
        {"mixed_5d", "inception_a", {"pool_features=64", NULL}},
    };
    check_composition("inception_v3", 75, blocks, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xception_composition),
        cmocka_unit_test(test_inception_composition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
