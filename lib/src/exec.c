/* exec.c — run a graph forward (exec.h).
 *
 * The reference executor is the simplest thing that is obviously right:
 * one buffer per value, layers run in order with the ops_ref kernels. The
 * fast executor is a compiled plan (fast.h).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 (clang needs it) */

#include "convblocks/exec.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convblocks/fast.h"

struct cb_exec {
    const cb_graph *g;
    cb_impl impl;
    float **values;          /* ref: one buffer per value (values[0] is the input) */
    cb_fast_plan *plan;      /* fast */
    uint64_t macs;
    int profile;
    double *layer_seconds;   /* g->n_layers */
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cb_exec_free(cb_exec *e) {
    if (!e) return;
    if (e->values)
        for (int v = 1; v < e->g->n_values; v++) cb_free(e->values[v]);
    free(e->values);
    cb_fast_plan_free(e->plan);
    free(e->layer_seconds);
    free(e);
}

cb_status cb_exec_new(const cb_graph *g, cb_impl impl, int threads, cb_exec **out, cb_error *err) {
    *out = NULL;
    if (g->status != CB_OK) return cb_fail(err, g->status, "%s", g->err.msg);
    for (int i = 0; i < g->n_params; i++)
        if (!g->params[i].t.data)
            return cb_fail(err, CB_ERR_ARG, "%s: parameters are not filled", g->name);
    cb_exec *e = calloc(1, sizeof *e);
    if (!e) return cb_fail(err, CB_ERR_NOMEM, "out of memory");
    e->g = g;
    e->impl = impl;
    e->layer_seconds = calloc((size_t)g->n_layers + 1, sizeof(double));
    if (!e->layer_seconds) {
        cb_exec_free(e);
        return cb_fail(err, CB_ERR_NOMEM, "out of memory");
    }
    if (impl == CB_IMPL_FAST) {
        cb_status s = cb_fast_plan_new(g, threads, &e->plan, err);
        if (s != CB_OK) {
            cb_exec_free(e);
            return s;
        }
        *out = e;
        return CB_OK;
    }
    e->values = calloc((size_t)g->n_values, sizeof(float *));
    if (!e->values) {
        cb_exec_free(e);
        return cb_fail(err, CB_ERR_NOMEM, "out of memory");
    }
    for (int v = 1; v < g->n_values; v++) {
        e->values[v] = cb_alloc_floats((size_t)cb_shape_numel(g->values[v]));
        if (!e->values[v]) {
            cb_exec_free(e);
            return cb_fail(err, CB_ERR_NOMEM, "cannot allocate activations of %s", g->name);
        }
    }
    *out = e;
    return CB_OK;
}

static const float *param(const cb_graph *g, const cb_layer *l, int which) {
    return l->param[which] < 0 ? NULL : g->params[l->param[which]].t.data;
}

/* Run one layer with the reference kernels; returns the MACs it performed. */
static uint64_t run_layer_ref(const cb_graph *g, const cb_layer *l, float *const *vals) {
    const cb_shape in = g->values[l->in[0]], out = g->values[l->out];
    const float *x = vals[l->in[0]];
    float *y = vals[l->out];
    switch (l->op) {
    case CB_OP_CONV:
        return cb_conv2d_ref(x, in, param(g, l, CB_P_WEIGHT), param(g, l, CB_P_BIAS), l->cout,
                             &l->conv, y);
    case CB_OP_FC:
        return cb_fc_ref(x, (int)cb_shape_numel(in), param(g, l, CB_P_WEIGHT),
                         param(g, l, CB_P_BIAS), l->cout, y);
    case CB_OP_BN:
        cb_batchnorm_ref(x, in, param(g, l, CB_P_WEIGHT), param(g, l, CB_P_BIAS),
                         param(g, l, CB_P_MEAN), param(g, l, CB_P_VAR), CB_BN_EPS, y);
        return 0;
    case CB_OP_RELU:
        cb_relu_ref(x, (size_t)cb_shape_numel(in), y);
        return 0;
    case CB_OP_MAXPOOL:
        cb_maxpool_ref(x, in, &l->pool, y);
        return 0;
    case CB_OP_AVGPOOL:
        cb_avgpool_ref(x, in, &l->pool, y);
        return 0;
    case CB_OP_GAP:
        cb_global_avgpool_ref(x, in, y);
        return 0;
    case CB_OP_ADD:
        cb_add_ref(x, vals[l->in[1]], (size_t)cb_shape_numel(out), y);
        return 0;
    case CB_OP_CONCAT: {
        const float *xs[CB_MAX_INPUTS];
        int channels[CB_MAX_INPUTS];
        for (int k = 0; k < l->n_in; k++) {
            xs[k] = vals[l->in[k]];
            channels[k] = g->values[l->in[k]].c;
        }
        cb_concat_ref(xs, channels, l->n_in, (size_t)out.h * out.w, y);
        return 0;
    }
    case CB_OP_COUNT:
        break;
    }
    return 0;
}

void cb_exec_run(cb_exec *e, const float *x, float *y) {
    const cb_graph *g = e->g;
    if (e->plan) {
        cb_fast_plan_run(e->plan, x, y, e->profile ? e->layer_seconds : NULL);
        return;
    }
    e->values[0] = (float *)x;  /* read only: no layer writes value 0 */
    e->macs = 0;
    for (int i = 0; i < g->n_layers; i++) {
        double t0 = e->profile ? now_seconds() : 0.0;
        e->macs += run_layer_ref(g, &g->layers[i], e->values);
        if (e->profile) e->layer_seconds[i] = now_seconds() - t0;
    }
    memcpy(y, g->output == 0 ? x : e->values[g->output],
           (size_t)cb_shape_numel(g->values[g->output]) * sizeof(float));
    e->values[0] = NULL;
}

uint64_t cb_exec_counted_macs(const cb_exec *e) { return e->macs; }

void cb_exec_set_profile(cb_exec *e, int on) { e->profile = on; }

const double *cb_exec_layer_seconds(const cb_exec *e) { return e->layer_seconds; }

/* Added by the fast-kernel owner (issue 4): a fast executor with plan
 * options (the GEMM backend), for `--gemm`-style switches. */
cb_status cb_exec_new_fast(const cb_graph *g, const cb_fast_options *opts, cb_exec **out,
                           cb_error *err) {
    *out = NULL;
    cb_fast_plan *plan = NULL;
    cb_status s = cb_fast_plan_new_opts(g, opts, &plan, err); /* validates g and its params */
    if (s != CB_OK) return s;
    cb_exec *e = calloc(1, sizeof *e);
    double *secs = calloc((size_t)g->n_layers + 1, sizeof(double));
    if (!e || !secs) {
        free(e);
        free(secs);
        cb_fast_plan_free(plan);
        return cb_fail(err, CB_ERR_NOMEM, "out of memory");
    }
    e->g = g;
    e->impl = CB_IMPL_FAST;
    e->plan = plan;
    e->layer_seconds = secs;
    *out = e;
    return CB_OK;
}
