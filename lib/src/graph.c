/* graph.c — building graphs, their parameters, and loading/saving them (graph.h). */
#include "convblocks/graph.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convblocks/npy.h"

const char *cb_op_name(cb_op op) {
    static const char *names[CB_OP_COUNT] = {"conv", "bn", "relu", "maxpool", "avgpool",
                                             "gap", "add", "concat", "fc"};
    return (op >= 0 && op < CB_OP_COUNT) ? names[op] : "?";
}

const char *cb_namef(char buf[CB_NAME_MAX], const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, CB_NAME_MAX, fmt, ap);
    va_end(ap);
    return buf;
}

/* Grow *arr (of *cap elements of size sz) to hold at least need elements. */
static int grow(void **arr, int *cap, int need, size_t sz) {
    if (need <= *cap) return 0;
    int ncap = *cap ? *cap * 2 : 16;
    while (ncap < need) ncap *= 2;
    void *p = realloc(*arr, (size_t)ncap * sz);
    if (!p) return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

static int add_value(cb_graph *g, cb_shape s) {
    if (grow((void **)&g->values, &g->cap_values, g->n_values + 1, sizeof(cb_shape)) != 0) {
        g->status = cb_fail(&g->err, CB_ERR_NOMEM, "out of memory building %s", g->name);
        return -1;
    }
    g->values[g->n_values] = s;
    return g->n_values++;
}

cb_graph *cb_graph_new(const char *name, cb_shape in) {
    cb_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    snprintf(g->name, sizeof g->name, "%s", name);
    if (add_value(g, in) != 0) {
        free(g);
        return NULL;
    }
    g->output = 0;
    int dims[3] = {in.c, in.h, in.w};
    g->status = cb_dims_check(3, dims, NULL, &g->err);
    return g;
}

void cb_graph_free(cb_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_params; i++) cb_tensor_free(&g->params[i].t);
    free(g->params);
    free(g->layers);
    free(g->values);
    free(g);
}

cb_status cb_graph_status(const cb_graph *g, cb_error *err) {
    if (g->status != CB_OK && err) *err = g->err;
    return g->status;
}

/* Declare a parameter "<layer>.<suffix>" of the given dims; its data is
 * allocated later (cb_graph_alloc_params) so that costing a network never
 * touches hundreds of megabytes. */
static int add_param(cb_graph *g, const char *layer, const char *suffix, int rank, const int *dims,
                     bool buffer) {
    if (grow((void **)&g->params, &g->cap_params, g->n_params + 1, sizeof(cb_param)) != 0) {
        g->status = cb_fail(&g->err, CB_ERR_NOMEM, "out of memory building %s", g->name);
        return -1;
    }
    cb_param *p = &g->params[g->n_params];
    memset(p, 0, sizeof *p);
    int n = snprintf(p->key, sizeof p->key, "%s.%s", layer, suffix);
    if (n < 0 || n >= (int)sizeof p->key) {
        g->status = cb_fail(&g->err, CB_ERR_ARG, "parameter name too long: %s.%s", layer, suffix);
        return -1;
    }
    uint64_t numel;
    cb_status s = cb_dims_check(rank, dims, &numel, &g->err);
    if (s != CB_OK) {
        g->status = s;
        return -1;
    }
    p->t.rank = rank;
    memcpy(p->t.dims, dims, sizeof(int) * (size_t)rank);
    p->buffer = buffer;
    return g->n_params++;
}

/* Append a layer reading inputs xs[0..n) and producing a value of shape out. */
static cb_layer *add_layer(cb_graph *g, cb_op op, const char *name, const int *xs, int n,
                           cb_shape out) {
    if (g->status != CB_OK) return NULL;
    if (grow((void **)&g->layers, &g->cap_layers, g->n_layers + 1, sizeof(cb_layer)) != 0) {
        g->status = cb_fail(&g->err, CB_ERR_NOMEM, "out of memory building %s", g->name);
        return NULL;
    }
    int v = add_value(g, out);
    if (v < 0) return NULL;
    cb_layer *l = &g->layers[g->n_layers++];
    memset(l, 0, sizeof *l);
    l->op = op;
    snprintf(l->name, sizeof l->name, "%s", name);
    for (int i = 0; i < n; i++) l->in[i] = xs[i];
    l->n_in = n;
    l->out = v;
    for (int i = 0; i < CB_P_MAX; i++) l->param[i] = -1;
    g->output = v;
    return l;
}

/* Is x a value of g? Sets the sticky error if not. */
static int valid_input(cb_graph *g, const char *name, int x) {
    if (g->status != CB_OK) return 0;
    if (x < 0 || x >= g->n_values) {
        g->status = cb_fail(&g->err, CB_ERR_ARG, "%s: input value %d does not exist", name, x);
        return 0;
    }
    return 1;
}

int cb_graph_conv(cb_graph *g, const char *name, int x, int cout, cb_conv_params p, bool bias) {
    if (!valid_input(g, name, x)) return -1;
    cb_shape out;
    cb_error e;
    cb_status s = cb_conv_check(g->values[x], cout, &p, &out, &e);
    if (s != CB_OK) {
        g->status = cb_fail(&g->err, s, "%s: %s", name, e.msg);
        return -1;
    }
    cb_layer *l = add_layer(g, CB_OP_CONV, name, &x, 1, out);
    if (!l) return -1;
    l->conv = p;
    l->cout = cout;
    int wd[4] = {cout, g->values[x].c / p.groups, p.kh, p.kw};
    l->param[CB_P_WEIGHT] = add_param(g, name, "weight", 4, wd, false);
    if (bias) l->param[CB_P_BIAS] = add_param(g, name, "bias", 1, &cout, false);
    return g->status == CB_OK ? l->out : -1;
}

int cb_graph_bn(cb_graph *g, const char *name, int x) {
    if (!valid_input(g, name, x)) return -1;
    cb_shape s = g->values[x];
    cb_layer *l = add_layer(g, CB_OP_BN, name, &x, 1, s);
    if (!l) return -1;
    l->param[CB_P_WEIGHT] = add_param(g, name, "weight", 1, &s.c, false);
    l->param[CB_P_BIAS] = add_param(g, name, "bias", 1, &s.c, false);
    l->param[CB_P_MEAN] = add_param(g, name, "running_mean", 1, &s.c, true);
    l->param[CB_P_VAR] = add_param(g, name, "running_var", 1, &s.c, true);
    return g->status == CB_OK ? l->out : -1;
}

int cb_graph_relu(cb_graph *g, const char *name, int x) {
    if (!valid_input(g, name, x)) return -1;
    cb_layer *l = add_layer(g, CB_OP_RELU, name, &x, 1, g->values[x]);
    return l ? l->out : -1;
}

static int pool(cb_graph *g, cb_op op, const char *name, int x, int k, int stride, int pad) {
    if (!valid_input(g, name, x)) return -1;
    cb_pool_params p = {k, stride, pad};
    cb_shape out;
    cb_error e;
    cb_status s = cb_pool_check(g->values[x], &p, &out, &e);
    if (s != CB_OK) {
        g->status = cb_fail(&g->err, s, "%s: %s", name, e.msg);
        return -1;
    }
    cb_layer *l = add_layer(g, op, name, &x, 1, out);
    if (!l) return -1;
    l->pool = p;
    return l->out;
}

int cb_graph_maxpool(cb_graph *g, const char *name, int x, int k, int stride, int pad) {
    return pool(g, CB_OP_MAXPOOL, name, x, k, stride, pad);
}

int cb_graph_avgpool(cb_graph *g, const char *name, int x, int k, int stride, int pad) {
    return pool(g, CB_OP_AVGPOOL, name, x, k, stride, pad);
}

int cb_graph_gap(cb_graph *g, const char *name, int x) {
    if (!valid_input(g, name, x)) return -1;
    cb_shape out = {g->values[x].c, 1, 1};
    cb_layer *l = add_layer(g, CB_OP_GAP, name, &x, 1, out);
    return l ? l->out : -1;
}

int cb_graph_add(cb_graph *g, const char *name, int a, int b) {
    if (!valid_input(g, name, a) || !valid_input(g, name, b)) return -1;
    if (!cb_shape_eq(g->values[a], g->values[b])) {
        cb_shape sa = g->values[a], sb = g->values[b];
        g->status = cb_fail(&g->err, CB_ERR_ARG, "%s: cannot add %dx%dx%d and %dx%dx%d", name,
                            sa.c, sa.h, sa.w, sb.c, sb.h, sb.w);
        return -1;
    }
    int xs[2] = {a, b};
    cb_layer *l = add_layer(g, CB_OP_ADD, name, xs, 2, g->values[a]);
    return l ? l->out : -1;
}

int cb_graph_concat(cb_graph *g, const char *name, const int *xs, int n) {
    if (g->status != CB_OK) return -1;
    if (n < 1 || n > CB_MAX_INPUTS) {
        g->status = cb_fail(&g->err, CB_ERR_ARG, "%s: concat of %d inputs (1..%d)", name, n,
                            CB_MAX_INPUTS);
        return -1;
    }
    cb_shape out = {0, 0, 0};
    for (int i = 0; i < n; i++) {
        if (!valid_input(g, name, xs[i])) return -1;
        cb_shape s = g->values[xs[i]];
        if (i > 0 && (s.h != out.h || s.w != out.w)) {
            g->status = cb_fail(&g->err, CB_ERR_ARG, "%s: cannot concat %dx%d with %dx%d maps",
                                name, out.h, out.w, s.h, s.w);
            return -1;
        }
        out.c += s.c;
        out.h = s.h;
        out.w = s.w;
    }
    cb_layer *l = add_layer(g, CB_OP_CONCAT, name, xs, n, out);
    return l ? l->out : -1;
}

int cb_graph_fc(cb_graph *g, const char *name, int x, int nout, bool bias) {
    if (!valid_input(g, name, x)) return -1;
    if (nout <= 0) {
        g->status = cb_fail(&g->err, CB_ERR_ARG, "%s: %d output features", name, nout);
        return -1;
    }
    cb_shape in = g->values[x];
    int nin = (int)cb_shape_numel(in);
    cb_shape out = {nout, 1, 1};
    cb_layer *l = add_layer(g, CB_OP_FC, name, &x, 1, out);
    if (!l) return -1;
    l->cout = nout;
    int wd[2] = {nout, nin};
    l->param[CB_P_WEIGHT] = add_param(g, name, "weight", 2, wd, false);
    if (bias) l->param[CB_P_BIAS] = add_param(g, name, "bias", 1, &nout, false);
    return g->status == CB_OK ? l->out : -1;
}

cb_status cb_graph_alloc_params(cb_graph *g, cb_error *err) {
    for (int i = 0; i < g->n_params; i++) {
        cb_param *p = &g->params[i];
        if (p->t.data) continue;
        cb_tensor t;
        cb_status s = cb_tensor_alloc(&t, p->t.rank, p->t.dims, err);
        if (s != CB_OK) return s;
        p->t.data = t.data;
    }
    return CB_OK;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

cb_status cb_graph_init_params(cb_graph *g, uint64_t seed, cb_error *err) {
    cb_status s = cb_graph_alloc_params(g, err);
    if (s != CB_OK) return s;
    cb_rng r;
    cb_rng_seed(&r, seed);
    for (int i = 0; i < g->n_params; i++) {
        cb_param *p = &g->params[i];
        size_t n = (size_t)cb_tensor_numel(&p->t);
        float *d = p->t.data;
        if (ends_with(p->key, ".running_var")) {
            for (size_t k = 0; k < n; k++) d[k] = cb_rng_uniform(&r) + 0.5f;
        } else if (ends_with(p->key, ".running_mean") || ends_with(p->key, ".bias")) {
            for (size_t k = 0; k < n; k++) d[k] = cb_rng_normal(&r) * 0.1f;
        } else if (p->t.rank == 1) {  /* BN gamma */
            for (size_t k = 0; k < n; k++) d[k] = cb_rng_uniform(&r) + 0.5f;
        } else {  /* conv / fc weight, He-normal over fan_in = numel / out */
            float std = sqrtf(2.0f * (float)p->t.dims[0] / (float)n);
            for (size_t k = 0; k < n; k++) d[k] = cb_rng_normal(&r) * std;
        }
    }
    return CB_OK;
}

static void shape_text(const cb_tensor *t, char *buf, size_t n) {
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->rank && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, i ? ", %d" : "%d", t->dims[i]);
}

static int dims_equal(const cb_tensor *a, const cb_tensor *b) {
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return 0;
    return 1;
}

cb_status cb_graph_load_params(cb_graph *g, const char *dir, cb_error *err) {
    cb_status s = cb_graph_alloc_params(g, err);
    if (s != CB_OK) return s;
    for (int i = 0; i < g->n_params; i++) {
        cb_param *p = &g->params[i];
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s.npy", dir, p->key) >= (int)sizeof path)
            return cb_fail(err, CB_ERR_ARG, "%s: path too long", dir);
        struct stat st;
        if (stat(path, &st) != 0)
            return cb_fail(err, CB_ERR_IO, "%s: missing parameter %s (%s)", dir, p->key,
                           strerror(errno));
        cb_tensor t;
        s = cb_npy_read(path, &t, err);
        if (s != CB_OK) return s;
        if (!dims_equal(&t, &p->t)) {
            char want[64], got[64];
            shape_text(&p->t, want, sizeof want);
            shape_text(&t, got, sizeof got);
            cb_tensor_free(&t);
            return cb_fail(err, CB_ERR_FORMAT, "%s: shape (%s), expected (%s) for %s", path, got,
                           want, g->name);
        }
        memcpy(p->t.data, t.data, (size_t)cb_tensor_numel(&t) * sizeof(float));
        cb_tensor_free(&t);
    }
    return CB_OK;
}

static cb_status make_dir(const char *dir, cb_error *err) {
    if (mkdir(dir, 0777) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return CB_OK;
        return cb_fail(err, CB_ERR_IO, "%s: exists and is not a directory", dir);
    }
    return cb_fail(err, CB_ERR_IO, "%s: cannot create directory: %s", dir, strerror(errno));
}

cb_status cb_graph_save_params(const cb_graph *g, const char *dir, cb_error *err) {
    cb_status s = make_dir(dir, err);
    if (s != CB_OK) return s;
    /* manifest.json: small, so build it in memory and write it atomically last */
    size_t cap = 256 + (size_t)g->n_params * (CB_NAME_MAX + 64), len = 0;
    char *json = malloc(cap);
    if (!json) return cb_fail(err, CB_ERR_NOMEM, "out of memory writing manifest");
    len += (size_t)snprintf(json + len, cap - len, "[\n");
    for (int i = 0; i < g->n_params; i++) {
        const cb_param *p = &g->params[i];
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s.npy", dir, p->key) >= (int)sizeof path) {
            free(json);
            return cb_fail(err, CB_ERR_ARG, "%s: path too long", dir);
        }
        if (!p->t.data) {
            free(json);
            return cb_fail(err, CB_ERR_ARG, "%s: parameters are not allocated", g->name);
        }
        s = cb_npy_write(path, p->t.rank, p->t.dims, p->t.data, err);
        if (s != CB_OK) {
            free(json);
            return s;
        }
        char shp[64];
        shape_text(&p->t, shp, sizeof shp);
        len += (size_t)snprintf(json + len, cap - len, "  {\"name\": \"%s\", \"shape\": [%s]}%s\n",
                                p->key, shp, i + 1 < g->n_params ? "," : "");
    }
    len += (size_t)snprintf(json + len, cap - len, "]\n");
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", dir);
    s = cb_write_file_atomic(mpath, json, len, err);
    free(json);
    return s;
}

int cb_graph_find_param(const cb_graph *g, const char *key) {
    for (int i = 0; i < g->n_params; i++)
        if (strcmp(g->params[i].key, key) == 0) return i;
    return -1;
}

bool cb_layer_is_depthwise(const cb_graph *g, const cb_layer *l) {
    if (l->op != CB_OP_CONV) return false;
    int cin = g->values[l->in[0]].c;
    return l->conv.groups == cin && l->cout == cin && cin > 1;
}
