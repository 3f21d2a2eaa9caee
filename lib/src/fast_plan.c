/* fast_plan.c — compile a graph into a list of fused, preallocated steps (fast.h).
 *
 * What the compilation does, and why each is faster than running the
 * graph layer by layer:
 *   - batch-norm after a conv is folded into the conv's weights and bias
 *     (w' = w * gamma/sqrt(var+eps), b' = (b - mean) * gamma/sqrt(var+eps) + beta),
 *     when the conv's output feeds only that batch-norm: zero run-time cost;
 *   - a ReLU, and a residual add (plus a ReLU after it), that follow are
 *     applied in the conv kernel's store, so the output is written once;
 *   - a ReLU whose output feeds only convs is applied while those convs pack
 *     their input (Xception's ReLU before each separable conv);
 *   - concat inputs are written by their producers straight into their
 *     channel slice of the concat output (NCHW makes a slice contiguous);
 *   - a depthwise conv and the 1x1 conv that alone reads its output (the
 *     two halves of a separable conv) run together by bands of rows, each
 *     band of the intermediate made and consumed while it is in L2
 *     (run_dwpw), so the intermediate tensor never exists in full;
 *   - every activation buffer is allocated here, once: values whose
 *     lifetimes do not overlap share a buffer (greedy by step order), which
 *     also keeps the working set small and cache-warm; run() allocates nothing.
 * Each step charges its wall time to the layer that leads it; fused layers
 * get 0 in layer_seconds. A depthwise + 1x1 pair's step splits its time
 * between the two convs by the time each half took (run_dwpw).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 (clang needs it) */

#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include "convblocks/fast.h"
#include "fast_internal.h"

typedef enum {
    S_GEMM,
    S_DW,
    S_DWPW, /* a depthwise conv and the 1x1 conv after it, by bands of rows (run_dwpw) */
    S_FC,
    S_AFFINE,
    S_MAXPOOL,
    S_AVGPOOL,
    S_GAP,
    S_ADD,
    S_COPY
} step_kind;

typedef struct {
    step_kind kind;
    int layer;          /* gets the step's time */
    int in, in2, out;   /* value ids; in2: residual (gemm/dw) or 2nd operand (add), else -1 */
    int relu_pre, relu_post;
    cb_shape in_shape, out_shape;
    cb_fast_gemm gemm;  /* S_GEMM, S_DWPW */
    cb_fast_dw dw;      /* S_DW, S_DWPW */
    int band;           /* S_DWPW: rows per band */
    int layer2;         /* S_DWPW: the 1x1 conv's layer (gets its share of the time) */
    int dw_relu_pre, dw_relu_post; /* S_DWPW: the depthwise conv's epilogue (relu_*: the 1x1's) */
    const float *fc_w, *fc_b; /* S_FC: the graph's own parameters (read only) */
    float *scale, *shift;     /* S_AFFINE (owned; NULL = identity) */
    cb_pool_params pool;
    size_t n;           /* S_ADD, S_COPY: elements */
    size_t out_off;     /* S_COPY: element offset in the output value */
} step;

struct cb_fast_plan {
    int n_layers, n_values, output;
    size_t in_numel;
    int threads;
    cb_gemm_backend gemm;
    step *steps;
    int n_steps, fused;
    int *root;          /* value -> the value whose storage holds it (itself unless in a concat) */
    size_t *off;        /* value -> element offset inside root's storage */
    int *buf;           /* root value -> buffer index; -1: the input x; -2: the output y; -3: none */
    float **bufs;
    int n_bufs;
    float **ptr;        /* value -> pointer, resolved at the start of each run */
    float *ws;          /* kernels' scratch, shared by all steps */
};

/* ---------------------------------------------------------------- options */

int cb_gemm_backend_parse(const char *text, cb_gemm_backend *b) {
    if (strcmp(text, "own") == 0) {
        *b = CB_GEMM_OWN;
        return 0;
    }
    if (strcmp(text, "openblas") == 0) {
        *b = CB_GEMM_OPENBLAS;
        return 0;
    }
    return -1;
}

const char *cb_gemm_backend_name(cb_gemm_backend b) {
    return b == CB_GEMM_OPENBLAS ? "openblas" : "own";
}

int cb_fast_plan_steps(const cb_fast_plan *p) { return p->n_steps; }
int cb_fast_plan_fused(const cb_fast_plan *p) { return p->fused; }

/* ---------------------------------------------------------------- helpers */

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const float *param(const cb_graph *g, const cb_layer *l, int which) {
    return l->param[which] < 0 ? NULL : g->params[l->param[which]].t.data;
}

/* Graph analysis shared by the compile steps. */
typedef struct {
    const cb_graph *g;
    int *n_cons;     /* value -> number of layer inputs reading it */
    int *cons;       /* value -> a consumer layer (the only one when n_cons == 1) */
    int *producer;   /* value -> layer writing it (-1 for the input) */
    int *done;       /* layer -> already covered by a step (fused) */
    int *in_relu;    /* conv layer -> apply ReLU to its input while packing */
    int *in_value;   /* conv layer -> value it reads (after ReLU fusion) */
    int *made;       /* value -> 1 once a step has produced it (or it is the input) */
} analysis;

/* The layer that alone consumes v with operation op, or -1. */
static int sole_consumer(const analysis *a, int v, cb_op op) {
    const cb_graph *g = a->g;
    if (v == g->output || a->n_cons[v] != 1) return -1;
    int c = a->cons[v];
    if (a->done[c] || g->layers[c].op != op) return -1;
    return c;
}

static cb_status nomem(cb_error *err, const cb_graph *g) {
    return cb_fail(err, CB_ERR_NOMEM, "%s: out of memory compiling the fast plan", g->name);
}

/* Extend a step over the ReLU that alone follows value v (sets *flag); returns the new output value. */
static int fuse_relu(analysis *a, cb_fast_plan *p, int v, int *flag) {
    int r = sole_consumer(a, v, CB_OP_RELU);
    if (r < 0) return v;
    a->done[r] = 1;
    p->fused++;
    *flag = 1;
    return a->g->layers[r].out;
}

/* Conv (+ bn) (+ relu) (+ add (+ relu)) as one step. */
static cb_status compile_conv(analysis *a, cb_fast_plan *p, int li, step *s, cb_error *err) {
    const cb_graph *g = a->g;
    const cb_layer *l = &g->layers[li];
    const int x = a->in_value[li];
    const cb_shape in = g->values[x], out = g->values[l->out];
    const int cout = l->cout, groups = l->conv.groups;
    const size_t K = (size_t)(in.c / groups) * l->conv.kh * l->conv.kw;
    float *w = malloc(sizeof(float) * (size_t)cout * K);
    float *b = malloc(sizeof(float) * (size_t)cout);
    if (!w || !b) {
        free(w);
        free(b);
        return nomem(err, g);
    }
    memcpy(w, param(g, l, CB_P_WEIGHT), sizeof(float) * (size_t)cout * K);
    const float *bias = param(g, l, CB_P_BIAS);
    for (int o = 0; o < cout; o++) b[o] = bias ? bias[o] : 0.0f;

    int cur = l->out;
    int bn = sole_consumer(a, cur, CB_OP_BN);
    if (bn >= 0) {
        const cb_layer *bl = &g->layers[bn];
        const float *gamma = param(g, bl, CB_P_WEIGHT), *beta = param(g, bl, CB_P_BIAS);
        const float *mean = param(g, bl, CB_P_MEAN), *var = param(g, bl, CB_P_VAR);
        for (int o = 0; o < cout; o++) {
            float sc = gamma[o] / sqrtf(var[o] + CB_BN_EPS);
            for (size_t k = 0; k < K; k++) w[(size_t)o * K + k] *= sc;
            b[o] = (b[o] - mean[o]) * sc + beta[o];
        }
        a->done[bn] = 1;
        p->fused++;
        cur = bl->out;
    }
    cur = fuse_relu(a, p, cur, &s->relu_pre);
    int add = sole_consumer(a, cur, CB_OP_ADD);
    if (add >= 0) {
        const cb_layer *al = &g->layers[add];
        int other = al->in[0] == cur ? al->in[1] : al->in[0];
        if (a->made[other]) { /* the residual exists before this step runs */
            s->in2 = other;
            a->done[add] = 1;
            p->fused++;
            cur = al->out;
            cur = fuse_relu(a, p, cur, &s->relu_post);
        }
    }
    s->layer = li;
    s->in = x;
    s->out = cur;
    s->in_shape = in;
    s->out_shape = out;

    if (cb_layer_is_depthwise(g, l)) {
        s->kind = S_DW;
        s->dw.in = in;
        s->dw.out = out;
        s->dw.p = l->conv;
        s->dw.in_relu = a->in_relu[li];
        s->dw.w = w;
        s->dw.bias = b;
        return cb_fast_dw_block(&s->dw, err);
    }
    s->kind = S_GEMM;
    cb_fast_gemm *gm = &s->gemm;
    gm->in = in;
    gm->out = out;
    gm->p = l->conv;
    gm->groups = groups;
    gm->M = cout / groups;
    gm->K = (int)K;
    gm->N = out.h * out.w;
    gm->direct = l->conv.kh == 1 && l->conv.kw == 1 && l->conv.stride_h == 1 &&
                 l->conv.stride_w == 1 && l->conv.pad_h == 0 && l->conv.pad_w == 0;
    gm->in_relu = a->in_relu[li];
    gm->bias = b;
    if (cb_fast_wino_suits(gm)) {
        int bad = cb_fast_wino_prepare(gm, w);
        free(w);
        return bad ? nomem(err, g) : CB_OK;
    }
    if (cb_fast_gemm_pack(gm, w) != 0) {
        free(w);
        return nomem(err, g);
    }
    gm->rows = cb_fast_rows_suits(gm);
    gm->inplace = cb_fast_inplace_suits(gm);
    if (p->gemm == CB_GEMM_OPENBLAS && gm->direct && groups == 1)
        gm->wrow = w; /* the comparison backend multiplies the plain folded matrix */
    else
        free(w);
    return CB_OK;
}

/* A 3x3 average pool (padding counted as zeros, in the divisor too, as the
 * reference and PyTorch's default count it) is a depthwise conv whose
 * weights are all 1/9, so it runs on the depthwise kernels, vectorised
 * across whole planes (fast_dw.c), instead of the pooling loops
 * (fast_misc.c), plain C over short rows: Inception's pool, 192 x 35x35,
 * took 0.6-0.8 ms that way. */
static cb_status avgpool_as_dw(step *s, const cb_layer *l, cb_shape in, cb_shape out,
                               const cb_graph *g, cb_error *err) {
    const int C = in.c, k = l->pool.k;
    s->in = l->in[0];
    s->out = l->out;
    s->in_shape = in;
    s->out_shape = out;
    s->dw.in = in;
    s->dw.out = out;
    s->dw.p = cb_conv_square(k, l->pool.stride, l->pool.pad, C);
    s->dw.w = malloc(sizeof(float) * (size_t)C * k * k);
    s->dw.bias = calloc((size_t)C, sizeof(float));
    if (!s->dw.w || !s->dw.bias) return nomem(err, g);
    for (size_t i = 0; i < (size_t)C * k * k; i++) s->dw.w[i] = 1.0f / (float)(k * k);
    return cb_fast_dw_block(&s->dw, err);
}

/* Decide which concat inputs are written in place: value v goes straight
 * into its slice when it is produced by a layer (not the graph input), is
 * concatenated exactly once, and is not the graph's output. A concat input
 * that is itself a concat output nests (its own members follow it). */
static void plan_concats(const analysis *a, cb_fast_plan *p, int *parent, size_t *poff) {
    const cb_graph *g = a->g;
    int *times = calloc((size_t)g->n_values, sizeof(int));
    if (!times) return; /* no aliasing: every input gets copied; still correct */
    for (int li = 0; li < g->n_layers; li++)
        if (g->layers[li].op == CB_OP_CONCAT)
            for (int k = 0; k < g->layers[li].n_in; k++) times[g->layers[li].in[k]]++;
    for (int li = 0; li < g->n_layers; li++) {
        const cb_layer *l = &g->layers[li];
        if (l->op != CB_OP_CONCAT) continue;
        size_t hw = (size_t)g->values[l->out].h * g->values[l->out].w, c_off = 0;
        for (int k = 0; k < l->n_in; k++) {
            int v = l->in[k];
            if (v != 0 && times[v] == 1 && v != g->output) {
                parent[v] = l->out;
                poff[v] = c_off * hw;
            }
            c_off += (size_t)g->values[v].c;
        }
    }
    free(times);
    (void)p;
}

static step *new_step(cb_fast_plan *p, step_kind kind, int layer) {
    step *s = &p->steps[p->n_steps++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->layer = layer;
    s->in = s->in2 = s->out = -1;
    return s;
}

/* Assign buffers to root values by lifetime (first write .. last access). */
static cb_status plan_buffers(cb_fast_plan *p, const cb_graph *g, cb_error *err) {
    const int nv = g->n_values;
    int *first = malloc(sizeof(int) * (size_t)nv), *last = malloc(sizeof(int) * (size_t)nv);
    size_t *cap = calloc((size_t)nv + 1, sizeof(size_t));
    int *busy = calloc((size_t)nv + 1, sizeof(int));
    cb_status st = CB_OK;
    if (!first || !last || !cap || !busy) {
        st = nomem(err, g);
        goto out;
    }
    for (int v = 0; v < nv; v++) first[v] = last[v] = -1;
    for (int si = 0; si < p->n_steps; si++) {
        const step *s = &p->steps[si];
        int vs[3] = {s->in, s->in2, s->out};
        for (int k = 0; k < 3; k++) {
            if (vs[k] < 0) continue;
            int r = p->root[vs[k]];
            if (first[r] < 0) first[r] = si;
            last[r] = si;
        }
    }
    for (int v = 0; v < nv; v++) p->buf[v] = -3;
    p->buf[0] = -1;
    if (p->root[g->output] != 0) p->buf[p->root[g->output]] = -2;
    for (int si = 0; si < p->n_steps; si++) {
        for (int v = 1; v < nv; v++) {
            if (p->root[v] != v || first[v] != si || p->buf[v] != -3) continue;
            size_t need = (size_t)cb_shape_numel(g->values[v]);
            int best = -1;
            for (int b = 0; b < p->n_bufs; b++) {
                if (busy[b]) continue;
                /* smallest free buffer that fits, else the largest free one (grown) */
                if (best < 0) {
                    best = b;
                } else if (cap[b] >= need) {
                    if (cap[best] < need || cap[b] < cap[best]) best = b;
                } else if (cap[best] < need && cap[b] > cap[best]) {
                    best = b;
                }
            }
            if (best < 0) best = p->n_bufs++;
            if (cap[best] < need) cap[best] = need;
            busy[best] = 1;
            p->buf[v] = best;
        }
        for (int v = 1; v < nv; v++)
            if (p->root[v] == v && last[v] == si && p->buf[v] >= 0) busy[p->buf[v]] = 0;
    }
    p->bufs = calloc((size_t)p->n_bufs + 1, sizeof(float *));
    if (!p->bufs) {
        st = nomem(err, g);
        goto out;
    }
    for (int b = 0; b < p->n_bufs; b++) {
        p->bufs[b] = cb_alloc_floats(cap[b] ? cap[b] : 1);
        if (!p->bufs[b]) {
            st = cb_fail(err, CB_ERR_NOMEM, "%s: cannot allocate %zu activation floats", g->name,
                         cap[b]);
            goto out;
        }
        /* touch every page now, not in the first timed run */
        memset(p->bufs[b], 0, cap[b] * sizeof(float));
    }
out:
    free(first);
    free(last);
    free(cap);
    free(busy);
    return st;
}

/* ---------------------------------------------------------------- depthwise + 1x1 by bands */

#ifndef CB_DWPW_BAND_BYTES
#define CB_DWPW_BAND_BYTES (128 * 1024)
#endif

/* Rows per band of a fused depthwise + 1x1 pair. A band of the depthwise
 * output (C x rows x OW floats) stays under CB_DWPW_BAND_BYTES, so that
 * it, its packed copy and the 1x1 conv's weights stay in L2 (1 MB per core here)
 * from being written to being read; and each thread gets about 4 bands,
 * which dynamic hand-out evens out. Even, so that (OW being a multiple of
 * 8) a band is whole 16-column panels of the 1x1 conv's B; from 4 on a
 * multiple of 4, the stride-1 depthwise kernel's pass. */
static int band_rows(const cb_fast_dw *d, int threads) {
    const size_t row = (size_t)d->out.c * d->out.w * sizeof(float);
    int r = (int)(CB_DWPW_BAND_BYTES / row);
    const int spread = d->out.h / (4 * threads);
    if (r > spread) r = spread;
    r = r >= 4 ? r / 4 * 4 : 2;
    return r < d->out.h ? r : d->out.h;
}

/* Floats of workspace per thread of an S_DWPW step: the depthwise kernels'
 * zero row, the band, the 1x1 conv's B buffer (each 64-byte aligned). */
static size_t dwpw_per_thread(const step *s) {
    return cb_fast_round16(cb_fast_dw_band_workspace(&s->dw)) +
           cb_fast_round16((size_t)s->dw.out.c * s->band * s->dw.out.w) +
           cb_fast_gemm_workspace(1);
}

/* Merge each depthwise conv step with the 1x1 conv step right after it,
 * when that conv alone reads its output and both can run by bands
 * (S_DWPW; CB_FUSE_DWPW=0 in the environment keeps them apart). Returns
 * the workspace floats the merged steps need. */
static size_t fuse_dwpw(cb_fast_plan *p, const analysis *a, const int *parent) {
    const char *env = getenv("CB_FUSE_DWPW");
    if ((env && strcmp(env, "0") == 0) || p->gemm != CB_GEMM_OWN) return 0;
    size_t need = 0;
    for (int i = 0; i + 1 < p->n_steps; i++) {
        step *s = &p->steps[i], *t = &p->steps[i + 1];
        const int v = s->out;
        if (s->kind != S_DW || t->kind != S_GEMM || t->in != v || s->in2 >= 0) continue;
        if (v == a->g->output || a->n_cons[v] != 1 || parent[v] >= 0) continue;
        if (!cb_fast_dw_band_suits(&s->dw) || !cb_fast_gemm_band_suits(&t->gemm)) continue;
        s->kind = S_DWPW;
        s->gemm = t->gemm; /* s now owns the 1x1 conv's packed weights */
        s->dw_relu_pre = s->relu_pre;
        s->dw_relu_post = s->relu_post;
        s->relu_pre = t->relu_pre;
        s->relu_post = t->relu_post;
        s->in2 = t->in2;
        s->out = t->out;
        s->out_shape = t->out_shape;
        s->band = band_rows(&s->dw, p->threads);
        s->layer2 = t->layer;
        memmove(t, t + 1, sizeof(step) * (size_t)(p->n_steps - i - 2));
        p->n_steps--;
        const size_t n = (size_t)p->threads * dwpw_per_thread(s);
        if (n > need) need = n;
    }
    return need;
}

/* ---------------------------------------------------------------- compile */

cb_status cb_fast_plan_new(const cb_graph *g, int threads, cb_fast_plan **out, cb_error *err) {
    cb_fast_options o = {threads, CB_GEMM_OWN};
    const char *env = getenv("CB_GEMM");
    if (env && *env && cb_gemm_backend_parse(env, &o.gemm) != 0)
        return cb_fail(err, CB_ERR_ARG, "CB_GEMM='%s': expected own or openblas", env);
    return cb_fast_plan_new_opts(g, &o, out, err);
}

cb_status cb_fast_plan_new_opts(const cb_graph *g, const cb_fast_options *opts, cb_fast_plan **out,
                                cb_error *err) {
    *out = NULL;
    if (g->status != CB_OK) return cb_fail(err, g->status, "%s", g->err.msg);
    for (int i = 0; i < g->n_params; i++)
        if (!g->params[i].t.data)
            return cb_fail(err, CB_ERR_ARG, "%s: parameters are not filled", g->name);
    if (opts && opts->threads < 0)
        return cb_fail(err, CB_ERR_ARG, "threads must be >= 0, not %d", opts->threads);

    const int nv = g->n_values, nl = g->n_layers;
    cb_fast_plan *p = calloc(1, sizeof *p);
    if (!p) return nomem(err, g);
    p->n_layers = nl;
    p->n_values = nv;
    p->output = g->output;
    p->in_numel = (size_t)cb_shape_numel(g->values[0]);
    p->threads = opts && opts->threads > 0 ? opts->threads : omp_get_num_procs();
    p->gemm = opts ? opts->gemm : CB_GEMM_OWN;

    analysis a = {g, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    int *parent = NULL;
    size_t *poff = NULL;
    cb_status st = CB_OK;
    a.n_cons = calloc((size_t)nv, sizeof(int));
    a.cons = calloc((size_t)nv, sizeof(int));
    a.producer = calloc((size_t)nv, sizeof(int));
    a.made = calloc((size_t)nv, sizeof(int));
    a.done = calloc((size_t)nl + 1, sizeof(int));
    a.in_relu = calloc((size_t)nl + 1, sizeof(int));
    a.in_value = calloc((size_t)nl + 1, sizeof(int));
    parent = malloc(sizeof(int) * (size_t)nv);
    poff = calloc((size_t)nv, sizeof(size_t));
    /* at most one step per layer, plus one copy per concat input */
    int max_steps = nl;
    for (int li = 0; li < nl; li++)
        if (g->layers[li].op == CB_OP_CONCAT) max_steps += g->layers[li].n_in;
    p->steps = calloc((size_t)max_steps + 1, sizeof(step));
    p->root = malloc(sizeof(int) * (size_t)nv);
    p->off = calloc((size_t)nv, sizeof(size_t));
    p->buf = malloc(sizeof(int) * (size_t)nv);
    p->ptr = calloc((size_t)nv, sizeof(float *));
    if (!a.n_cons || !a.cons || !a.producer || !a.made || !a.done || !a.in_relu || !a.in_value ||
        !parent || !poff || !p->steps || !p->root || !p->off || !p->buf || !p->ptr) {
        st = nomem(err, g);
        goto out;
    }
    for (int v = 0; v < nv; v++) {
        a.producer[v] = -1;
        parent[v] = -1;
    }
    for (int li = 0; li < nl; li++) {
        const cb_layer *l = &g->layers[li];
        a.producer[l->out] = li;
        a.in_value[li] = l->in[0];
        for (int k = 0; k < l->n_in; k++) {
            a.n_cons[l->in[k]]++;
            a.cons[l->in[k]] = li;
        }
    }
    a.made[0] = 1;
    plan_concats(&a, p, parent, poff);

    size_t ws_need = 0;
    for (int li = 0; li < nl; li++) {
        if (a.done[li]) continue;
        const cb_layer *l = &g->layers[li];
        const cb_shape in = g->values[l->in[0]], lout = g->values[l->out];
        step *s = NULL;
        switch (l->op) {
        case CB_OP_CONV:
            s = new_step(p, S_GEMM, li);
            st = compile_conv(&a, p, li, s, err);
            if (st != CB_OK) goto out;
            if (s->kind == S_DW) {
                size_t need = (size_t)p->threads * cb_fast_dw_workspace(&s->dw);
                if (need > ws_need) ws_need = need;
            } else {
                size_t need = s->gemm.wino ? cb_fast_wino_workspace(&s->gemm, p->threads)
                                           : cb_fast_gemm_workspace(p->threads) +
                                                 cb_fast_gemm_pad_workspace(&s->gemm);
                if (s->gemm.rows && cb_fast_rows_workspace(&s->gemm) > need)
                    need = cb_fast_rows_workspace(&s->gemm);
                if (need > ws_need) ws_need = need;
            }
            break;
        case CB_OP_BN: {
            s = new_step(p, S_AFFINE, li);
            s->scale = malloc(sizeof(float) * (size_t)in.c);
            s->shift = malloc(sizeof(float) * (size_t)in.c);
            if (!s->scale || !s->shift) {
                st = nomem(err, g);
                goto out;
            }
            const float *gamma = param(g, l, CB_P_WEIGHT), *beta = param(g, l, CB_P_BIAS);
            const float *mean = param(g, l, CB_P_MEAN), *var = param(g, l, CB_P_VAR);
            for (int c = 0; c < in.c; c++) {
                s->scale[c] = gamma[c] / sqrtf(var[c] + CB_BN_EPS);
                s->shift[c] = beta[c] - mean[c] * s->scale[c];
            }
            s->in = l->in[0];
            s->out = fuse_relu(&a, p, l->out, &s->relu_pre);
            break;
        }
        case CB_OP_RELU: {
            /* fused into the input packing of the convs that alone read it? */
            int all_conv = l->out != g->output && a.n_cons[l->out] > 0;
            for (int lj = li + 1; lj < nl && all_conv; lj++)
                for (int k = 0; k < g->layers[lj].n_in; k++)
                    if (g->layers[lj].in[k] == l->out && g->layers[lj].op != CB_OP_CONV)
                        all_conv = 0;
            if (all_conv) {
                for (int lj = li + 1; lj < nl; lj++) {
                    if (g->layers[lj].in[0] == l->out && g->layers[lj].op == CB_OP_CONV) {
                        a.in_relu[lj] = 1;
                        a.in_value[lj] = l->in[0];
                    }
                }
                a.done[li] = 1;
                p->fused++;
                continue;
            }
            s = new_step(p, S_AFFINE, li);
            s->in = l->in[0];
            s->out = l->out;
            s->relu_pre = 1;
            break;
        }
        case CB_OP_MAXPOOL:
        case CB_OP_AVGPOOL: {
            if (l->op == CB_OP_AVGPOOL && l->pool.k == 3) {
                s = new_step(p, S_DW, li);
                st = avgpool_as_dw(s, l, in, lout, g, err);
                if (st != CB_OK) goto out;
                size_t need = (size_t)p->threads * cb_fast_dw_workspace(&s->dw);
                if (need > ws_need) ws_need = need;
                break;
            }
            s = new_step(p, l->op == CB_OP_MAXPOOL ? S_MAXPOOL : S_AVGPOOL, li);
            s->in = l->in[0];
            s->out = l->out;
            s->pool = l->pool;
            size_t need = (size_t)p->threads * cb_fast_pool_workspace(in, &l->pool);
            if (need > ws_need) ws_need = need;
            break;
        }
        case CB_OP_GAP:
            s = new_step(p, S_GAP, li);
            s->in = l->in[0];
            s->out = l->out;
            break;
        case CB_OP_ADD:
            s = new_step(p, S_ADD, li);
            s->in = l->in[0];
            s->in2 = l->in[1];
            s->n = (size_t)cb_shape_numel(lout);
            s->out = fuse_relu(&a, p, l->out, &s->relu_pre);
            break;
        case CB_OP_FC:
            s = new_step(p, S_FC, li);
            s->in = l->in[0];
            s->fc_w = param(g, l, CB_P_WEIGHT);
            s->fc_b = param(g, l, CB_P_BIAS);
            s->out = fuse_relu(&a, p, l->out, &s->relu_pre);
            break;
        case CB_OP_CONCAT: {
            size_t hw = (size_t)lout.h * lout.w, c_off = 0;
            int copies = 0;
            for (int k = 0; k < l->n_in; k++) {
                int v = l->in[k];
                if (parent[v] != l->out) {
                    step *c = new_step(p, S_COPY, li);
                    c->in = v;
                    c->out = l->out;
                    c->n = (size_t)cb_shape_numel(g->values[v]);
                    c->out_off = c_off * hw;
                    copies++;
                }
                c_off += (size_t)g->values[v].c;
            }
            if (copies == 0) p->fused++; /* written in place by its producers */
            a.made[l->out] = 1;
            continue;
        }
        case CB_OP_COUNT:
            break;
        }
        if (s) {
            s->in_shape = g->values[s->in];
            s->out_shape = g->values[s->out];
            a.made[s->out] = 1;
        }
    }

    const size_t dwpw_need = fuse_dwpw(p, &a, parent);
    if (dwpw_need > ws_need) ws_need = dwpw_need;

    /* Storage: follow concat nesting to the outermost value. */
    for (int v = 0; v < nv; v++) {
        int r = v;
        size_t o = 0;
        while (parent[r] >= 0) {
            o += poff[r];
            r = parent[r];
        }
        p->root[v] = r;
        p->off[v] = o;
    }
    st = plan_buffers(p, g, err);
    if (st != CB_OK) goto out;
    if (ws_need > 0) {
        p->ws = cb_alloc_floats(ws_need);
        if (!p->ws) {
            st = nomem(err, g);
            goto out;
        }
        memset(p->ws, 0, ws_need * sizeof(float));
    }
out:
    free(a.n_cons);
    free(a.cons);
    free(a.producer);
    free(a.made);
    free(a.done);
    free(a.in_relu);
    free(a.in_value);
    free(parent);
    free(poff);
    if (st != CB_OK) {
        cb_fast_plan_free(p);
        return st;
    }
    *out = p;
    return CB_OK;
}

void cb_fast_plan_free(cb_fast_plan *p) {
    if (!p) return;
    for (int i = 0; i < p->n_steps; i++) {
        step *s = &p->steps[i];
        cb_free(s->gemm.apack);
        cb_free(s->gemm.upack);
        free(s->gemm.wrow);
        free(s->gemm.bias);
        free(s->dw.w);
        free(s->dw.bias);
        cb_free(s->dw.wblk);
        free(s->scale);
        free(s->shift);
    }
    for (int b = 0; b < p->n_bufs; b++) cb_free(p->bufs[b]);
    free(p->bufs);
    cb_free(p->ws);
    free(p->steps);
    free(p->root);
    free(p->off);
    free(p->buf);
    free(p->ptr);
    free(p);
}

/* ---------------------------------------------------------------- run */

/* A depthwise conv and the 1x1 conv that alone reads it, by bands of rows:
 * each thread makes a band of the depthwise output into its own small
 * buffer and multiplies it at once, while it is in L2, so the
 * intermediate tensor never goes through L3 (there it costs its write,
 * that write's read for ownership, and the 1x1 conv's read: 3 x 1.6 MB for
 * MobileNet's 128 x 56 x 56). Bands are independent, so the threads need
 * no barrier but the last. Measured against the two steps (session 10,
 * same process, interleaved medians): at 1 thread no gain this host's
 * noise lets through (MobileNet's three pairs 0.90-1.07, the mobilenet
 * block 128->256 @56 0.96-0.98, mobilenet_v1 0.98-1.02: this host's L3 streams
 * the intermediate well enough); at 2 threads the pairs 0.81-1.01, the
 * block 0.87-0.88, mobilenet_v1 0.97-0.99, from the barriers saved and
 * from bands being easier to share out than either conv alone. With
 * timed != 0 it returns the share of the threads' time spent in the
 * depthwise half, so that a profile can still show depthwise and 1x1 convs
 * apart (the report's time-by-layer-type plots compare exactly those);
 * otherwise 1. */
static double run_dwpw(cb_fast_plan *p, const step *s, int timed) {
    float *const *v = p->ptr;
    const cb_fast_dw *d = &s->dw;
    const int OH = d->out.h, OW = d->out.w, rows = s->band, nbands = (OH + rows - 1) / rows;
    const size_t per = dwpw_per_thread(s), zn = cb_fast_round16(cb_fast_dw_band_workspace(d));
    const size_t bandn = cb_fast_round16((size_t)d->out.c * rows * OW);
    const cb_fast_epi ed = {d->bias, NULL, s->dw_relu_pre, s->dw_relu_post};
    const float *x = v[s->in], *res = s->in2 >= 0 ? v[s->in2] : NULL;
    float *y = v[s->out];
    const int threads = p->threads < nbands ? p->threads : nbands, avx2 = cb_fast_use_avx2();
    double t_dw = 0.0, t_pw = 0.0;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) reduction(+ : t_dw, t_pw)
    for (int b = 0; b < nbands; b++) {
        float *tw = p->ws + (size_t)omp_get_thread_num() * per, *yb = tw + zn, *bp = yb + bandn;
        const int i0 = b * rows, i1 = i0 + rows < OH ? i0 + rows : OH;
        const size_t col0 = (size_t)i0 * OW;
        const double t0 = timed ? now_seconds() : 0.0;
        cb_fast_dw_band(d, x, yb, &ed, i0, i1, tw, avx2);
        const double t1 = timed ? now_seconds() : 0.0;
        const cb_fast_epi eg = {s->gemm.bias, res ? res + col0 : NULL, s->relu_pre, s->relu_post};
        cb_fast_gemm_band(&s->gemm, yb, (i1 - i0) * OW, y + col0, &eg, bp, avx2);
        if (timed) {
            t_dw += t1 - t0;
            t_pw += now_seconds() - t1;
        }
    }
    return timed && t_dw + t_pw > 0.0 ? t_dw / (t_dw + t_pw) : 1.0;
}

/* Runs step s; returns the share of its time that goes to s->layer (1
 * except for S_DWPW, whose rest goes to s->layer2; computed when timed). */
static double run_step(cb_fast_plan *p, const step *s, int timed) {
    float *const *v = p->ptr;
    const int t = p->threads;
    cb_fast_epi e = {NULL, s->in2 >= 0 ? v[s->in2] : NULL, s->relu_pre, s->relu_post};
    switch (s->kind) {
    case S_GEMM:
        e.bias = s->gemm.bias;
        cb_fast_gemm_run(&s->gemm, v[s->in], v[s->out], &e, t, p->ws, p->gemm);
        break;
    case S_DW:
        e.bias = s->dw.bias;
        cb_fast_dw_run(&s->dw, v[s->in], v[s->out], &e, t, p->ws);
        break;
    case S_DWPW:
        return run_dwpw(p, s, timed);
    case S_FC:
        cb_fast_fc_run(s->fc_w, s->fc_b, (int)cb_shape_numel(s->in_shape), s->out_shape.c, v[s->in],
                       v[s->out], s->relu_pre, t, p->gemm);
        break;
    case S_AFFINE:
        cb_fast_affine(v[s->in], s->in_shape, s->scale, s->shift, s->relu_pre, v[s->out], t);
        break;
    case S_MAXPOOL:
        cb_fast_maxpool(v[s->in], s->in_shape, &s->pool, s->out_shape, v[s->out], t, p->ws);
        break;
    case S_AVGPOOL:
        cb_fast_avgpool(v[s->in], s->in_shape, &s->pool, s->out_shape, v[s->out], t, p->ws);
        break;
    case S_GAP:
        cb_fast_gap(v[s->in], s->in_shape, v[s->out], t);
        break;
    case S_ADD:
        cb_fast_add(v[s->in], v[s->in2], s->n, s->relu_pre, v[s->out], t);
        break;
    case S_COPY:
        cb_fast_copy(v[s->in], s->n, v[s->out] + s->out_off, t);
        break;
    }
    return 1.0;
}

void cb_fast_plan_run(cb_fast_plan *p, const float *x, float *y, double *layer_seconds) {
    for (int v = 0; v < p->n_values; v++) {
        int b = p->buf[p->root[v]];
        float *base = b == -1 ? (float *)x : b == -2 ? y : b >= 0 ? p->bufs[b] : NULL;
        p->ptr[v] = base ? base + p->off[v] : NULL;
    }
    if (layer_seconds)
        for (int l = 0; l < p->n_layers; l++) layer_seconds[l] = 0.0;
    for (int i = 0; i < p->n_steps; i++) {
        const step *s = &p->steps[i];
        if (layer_seconds) {
            double t0 = now_seconds();
            const double share = run_step(p, s, 1), dt = now_seconds() - t0;
            layer_seconds[s->layer] += dt * share;
            if (s->kind == S_DWPW) layer_seconds[s->layer2] += dt * (1.0 - share);
        } else {
            run_step(p, s, 0);
        }
    }
    if (p->output == 0) /* a graph without layers: y = x */
        memcpy(y, x, sizeof(float) * p->in_numel);
}
