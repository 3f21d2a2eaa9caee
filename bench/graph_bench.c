/* graph_bench.c — build a graph once, time cb_exec_run (see graph_bench.h). */
#include "graph_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_bench.h"
#include "convblocks/cost.h"
#include "convblocks/exec.h"
#include "convblocks/net.h"
#include "convblocks/tensor.h"

cbb_config cbb_cfg;

static cbb_spec **specs;
static int n_specs, cap_specs;

/* What the benchmark being run has built. */
static struct {
    const cbb_spec *spec;
    cb_graph *g;
    cb_exec *e;
    float **x, **y;   /* nbuf input/output pairs; more than one only for cold-cache runs */
    int nbuf;
    cb_cost cost;
    bool failed;
    cb_error err;
} cur;

static void cur_free(void) {
    for (int i = 0; i < cur.nbuf; i++) {
        cb_free(cur.x[i]);
        cb_free(cur.y[i]);
    }
    free(cur.x);
    free(cur.y);
    cb_exec_free(cur.e);
    cb_graph_free(cur.g);
    memset(&cur, 0, sizeof cur);
}

static cb_status cur_build(const cbb_spec *s) {
    cur_free();
    cur.spec = s;
    cb_error *err = &cur.err;
    cb_status st = s->build(s, &cur.g, err);
    if (st) return st;
    if ((st = cb_graph_init_params(cur.g, 1, err))) return st;
    if ((st = cb_exec_new(cur.g, s->impl, s->threads, &cur.e, err))) return st;
    cur.cost = cb_graph_cost(cur.g, NULL);

    uint64_t nin = cb_shape_numel(cb_graph_input_shape(cur.g));
    uint64_t nout = cb_shape_numel(cb_graph_output_shape(cur.g));
    cur.nbuf = 1;
    if (s->cold) {
        /* Enough input/output pairs to cover twice the last-level cache: by
         * the time a pair comes round again it has been evicted. */
        uint64_t pair = 4 * (nin + nout);
        uint64_t want = (2 * cbb_cfg.llc_bytes + pair - 1) / pair;
        cur.nbuf = want < 2 ? 2 : want > 4096 ? 4096 : (int)want;
    }
    cur.x = calloc((size_t)cur.nbuf, sizeof *cur.x);
    cur.y = calloc((size_t)cur.nbuf, sizeof *cur.y);
    if (!cur.x || !cur.y) return cb_fail(err, CB_ERR_NOMEM, "%s: out of memory", s->name);
    cb_rng rng;
    cb_rng_seed(&rng, 2);
    for (int b = 0; b < cur.nbuf; b++) {
        cur.x[b] = cb_alloc_floats((size_t)nin);
        cur.y[b] = cb_alloc_floats((size_t)nout);
        if (!cur.x[b] || !cur.y[b])
            return cb_fail(err, CB_ERR_NOMEM, "%s: out of memory for %d buffers", s->name, cur.nbuf);
        for (uint64_t i = 0; i < nin; i++) cur.x[b][i] = cb_rng_normal(&rng);
        memset(cur.y[b], 0, (size_t)nout * sizeof(float));
    }
    /* One untimed run: code and pages warm, lazy work (if any) done. */
    cb_exec_run(cur.e, cur.x[0], cur.y[0]);
    return CB_OK;
}

static void bm_graph(cb_bench_state *st, void *arg) {
    const cbb_spec *s = arg;
    if (cur.spec != s) cur.failed = cur_build(s) != CB_OK;
    if (cur.failed) {
        cb_bench_skip_with_error(st, cur.err.msg);
        return;
    }
    cb_exec *e = cur.e;
    float **x = cur.x, **y = cur.y;
    int b = 0, nbuf = cur.nbuf;
    while (cb_bench_keep_running(st)) {
        cb_exec_run(e, x[b], y[b]);
        if (++b == nbuf) b = 0;
    }
    cb_bench_do_not_optimize(y[0]);
    cb_bench_clobber_memory();

    const cb_cost c = cur.cost;
    cb_bench_counter(st, "MACs", (double)c.macs, CB_COUNTER_DEFAULT);
    cb_bench_counter(st, "params", (double)c.params, CB_COUNTER_DEFAULT);
    cb_bench_counter(st, "bytes", (double)c.bytes, CB_COUNTER_DEFAULT);
    cb_bench_counter(st, "AI", cb_cost_intensity(c), CB_COUNTER_DEFAULT);
    cb_bench_counter(st, "GMAC/s", (double)c.macs * 1e-9, CB_COUNTER_RATE_INVARIANT);
    cb_bench_counter(st, "GB/s", (double)c.bytes * 1e-9, CB_COUNTER_RATE_INVARIANT);
    cb_bench_counter(st, "threads", s->threads, CB_COUNTER_DEFAULT);
    char label[96];
    snprintf(label, sizeof label, "%s, %d thread%s%s", cb_impl_name(s->impl), s->threads,
             s->threads == 1 ? "" : "s", s->cold ? ", cold cache" : "");
    cb_bench_label(st, label);
}

void cbb_add(const cbb_spec *s) {
    if (n_specs == cap_specs) {
        int cap = cap_specs ? 2 * cap_specs : 256;
        cbb_spec **n = realloc(specs, (size_t)cap * sizeof *n);
        if (!n) {
            fprintf(stderr, "convblocks-bench: register: out of memory\n");
            exit(1);
        }
        specs = n;
        cap_specs = cap;
    }
    cbb_spec *copy = malloc(sizeof *copy);
    if (!copy) {
        fprintf(stderr, "convblocks-bench: register: out of memory\n");
        exit(1);
    }
    *copy = *s;
    specs[n_specs++] = copy;
    cb_bench *b = cb_bench_register(copy->name, bm_graph, copy);
    cb_bench_use_real_time(b);
    cb_bench_unit(b, CB_UNIT_US);
}

void cbb_release(void) {
    cur_free();
    for (int i = 0; i < n_specs; i++) free(specs[i]);
    free(specs);
    specs = NULL;
    n_specs = cap_specs = 0;
}

/* ---- builders ---- */

cb_status cbb_build_op(const cbb_spec *s, cb_graph **out, cb_error *err) {
    cb_graph *g = cb_graph_new(s->name, s->shape);
    if (!g) return cb_fail(err, CB_ERR_NOMEM, "%s: out of memory", s->name);
    const int c = s->shape.c, k = s->k;
    int two[2] = {0, 0};
    switch (s->op) {
    case CBB_OP_CONV:
        cb_graph_conv(g, "conv", 0, s->cout, cb_conv_square(k, s->stride, k / 2, 1), false);
        break;
    case CBB_OP_DEPTHWISE:
        cb_graph_conv(g, "dw", 0, c, cb_conv_square(k, s->stride, k / 2, c), false);
        break;
    case CBB_OP_POINTWISE:
        cb_graph_conv(g, "pw", 0, s->cout, cb_conv_square(1, 1, 0, 1), false);
        break;
    case CBB_OP_BN: cb_graph_bn(g, "bn", 0); break;
    case CBB_OP_RELU: cb_graph_relu(g, "relu", 0); break;
    case CBB_OP_MAXPOOL: cb_graph_maxpool(g, "pool", 0, k, s->stride, k / 2); break;
    case CBB_OP_AVGPOOL: cb_graph_avgpool(g, "pool", 0, k, s->stride, k / 2); break;
    case CBB_OP_GAP: cb_graph_gap(g, "gap", 0); break;
    case CBB_OP_ADD: cb_graph_add(g, "add", 0, 0); break;  /* x + x: one input buffer */
    case CBB_OP_CONCAT: cb_graph_concat(g, "cat", two, 2); break;
    case CBB_OP_FC: cb_graph_fc(g, "fc", 0, s->cout, true); break;
    }
    cb_status st = cb_graph_status(g, err);
    if (st) {
        cb_graph_free(g);
        return st;
    }
    *out = g;
    return CB_OK;
}

cb_status cbb_build_block(const cbb_spec *s, cb_graph **g, cb_error *err) {
    return cb_block_build(s->target, s->has_args ? &s->args : NULL, &s->shape, g, err);
}

cb_status cbb_build_net(const cbb_spec *s, cb_graph **g, cb_error *err) {
    return cb_net_build(s->target, s->alpha, s->resolution, g, err);
}
