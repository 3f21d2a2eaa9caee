/* bm_ops.c — one-layer benchmarks: op/<op>/<impl>/<CxHxW>/t<threads>[/cold].
 *
 * The shapes are the layers the canonical networks actually contain
 * (MobileNet's depthwise and pointwise layers at each resolution, Xception's
 * 728 @ 19x19, Inception's 35x35 pooling, a classifier). Convs keep the
 * channel count (cout = cin) so the name's shape says it all; fc maps its
 * input to 1000 classes. add is x + x and concat is [x, x]: the executor has
 * one input, and the cost model counts both operands as read.
 *
 * Reference kernels are plain loops, so only the first shape of each op is
 * run with them (one thread). Memory-bound ops (everything but conv,
 * pointwise and fc) get /cold variants with --cold.
 */
#include <stdio.h>
#include <string.h>

#include "graph_bench.h"

typedef struct {
    const char *name;
    cbb_op op;
    int k, stride;
    int cout;            /* 0: same as input channels */
    bool memory_bound;
    cb_shape shapes[6];  /* first: also run with the reference kernels */
    int n_shapes;
} op_case;

static const op_case cases[] = {
    {"conv3x3", CBB_OP_CONV, 3, 1, 0, false,
     {{64, 56, 56}, {128, 56, 56}, {256, 28, 28}, {512, 14, 14}}, 4},
    {"depthwise3x3", CBB_OP_DEPTHWISE, 3, 1, 0, true,
     {{64, 112, 112}, {128, 56, 56}, {256, 28, 28}, {512, 14, 14}, {728, 19, 19}}, 5},
    {"depthwise3x3s2", CBB_OP_DEPTHWISE, 3, 2, 0, true, {{64, 112, 112}}, 1},
    {"pointwise", CBB_OP_POINTWISE, 1, 1, 0, false,
     {{64, 56, 56}, {128, 56, 56}, {256, 28, 28}, {512, 14, 14}, {1024, 7, 7}, {728, 19, 19}}, 6},
    {"bn", CBB_OP_BN, 0, 1, 0, true, {{64, 112, 112}}, 1},
    {"relu", CBB_OP_RELU, 0, 1, 0, true, {{64, 112, 112}}, 1},
    {"maxpool3x3s2", CBB_OP_MAXPOOL, 3, 2, 0, true, {{64, 112, 112}}, 1},
    {"avgpool3x3", CBB_OP_AVGPOOL, 3, 1, 0, true, {{192, 35, 35}}, 1},
    {"gap", CBB_OP_GAP, 0, 1, 0, true, {{1024, 7, 7}}, 1},
    {"add", CBB_OP_ADD, 0, 1, 0, true, {{728, 19, 19}}, 1},
    {"concat", CBB_OP_CONCAT, 0, 1, 0, true, {{64, 56, 56}}, 1},
    {"fc", CBB_OP_FC, 0, 1, 1000, false, {{1024, 1, 1}}, 1},
};

static void add_one(const op_case *c, cb_shape s, cb_impl impl, int threads, bool cold) {
    cbb_spec spec;
    memset(&spec, 0, sizeof spec);
    char shape[48];
    snprintf(spec.name, sizeof spec.name, "op/%s/%s/%s/t%d%s", c->name, cb_impl_name(impl),
             cb_shape_str(s, shape, sizeof shape), threads, cold ? "/cold" : "");
    spec.build = cbb_build_op;
    spec.op = c->op;
    spec.shape = s;
    spec.k = c->k;
    spec.stride = c->stride;
    spec.cout = c->cout ? c->cout : s.c;
    spec.impl = impl;
    spec.threads = threads;
    spec.cold = cold;
    cbb_add(&spec);
}

void cbb_register_depthwise_k(int k, cb_shape s) {
    char name[32];
    snprintf(name, sizeof name, "depthwise%dx%d", k, k);
    op_case c = {name, CBB_OP_DEPTHWISE, k, 1, 0, true, {s}, 1};
    for (int t = 0; t < cbb_cfg.n_threads; t++) add_one(&c, s, CB_IMPL_FAST, cbb_cfg.threads[t], false);
}

void cbb_register_ops(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const op_case *c = &cases[i];
        int n = cbb_cfg.quick ? 1 : c->n_shapes;
        for (int j = 0; j < n; j++) {
            for (int t = 0; t < cbb_cfg.n_threads; t++) {
                add_one(c, c->shapes[j], CB_IMPL_FAST, cbb_cfg.threads[t], false);
                if (cbb_cfg.cold && c->memory_bound)
                    add_one(c, c->shapes[j], CB_IMPL_FAST, cbb_cfg.threads[t], true);
            }
            if (j == 0 && !cbb_cfg.quick) {
                add_one(c, c->shapes[j], CB_IMPL_REF, 1, false);
                if (cbb_cfg.cold && c->memory_bound) add_one(c, c->shapes[j], CB_IMPL_REF, 1, true);
            }
        }
    }
}
