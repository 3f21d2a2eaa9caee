/* graph.h — a block or a whole network as a list of named layers.
 *
 * Blocks (block.h) and networks (net.h) are both built into a cb_graph: a
 * list of layers in execution order, each reading one or more values and
 * writing one new value. Value 0 is the input. The graph knows every
 * value's shape, every parameter (named by its PyTorch state_dict key, e.g.
 * "towers.2.spatial.conv.weight"), and nothing about how it is computed:
 * the cost model (cost.h) reads it, the executors (exec.h) run it.
 *
 * Building: each cb_graph_* call appends a layer and returns its output
 * value id. Errors are sticky: after the first failure every call returns
 * -1 and cb_graph_status reports the first message, so builders read as
 * straight-line code and check once at the end.
 */
#ifndef CONVBLOCKS_GRAPH_H
#define CONVBLOCKS_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "convblocks/ops.h"
#include "convblocks/status.h"
#include "convblocks/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CB_NAME_MAX 96
#define CB_MAX_INPUTS 8

typedef enum {
    CB_OP_CONV,       /* conv2d (any kernel, stride, padding, groups) */
    CB_OP_BN,         /* inference batch-norm */
    CB_OP_RELU,
    CB_OP_MAXPOOL,
    CB_OP_AVGPOOL,
    CB_OP_GAP,        /* global average pooling */
    CB_OP_ADD,        /* residual add */
    CB_OP_CONCAT,     /* channel concat */
    CB_OP_FC,         /* fully connected */
    CB_OP_COUNT
} cb_op;

const char *cb_op_name(cb_op op); /* "conv", "bn", "relu", ... */

/* Indices of a layer's parameters in cb_graph.params (-1 where absent). */
enum { CB_P_WEIGHT = 0, CB_P_BIAS = 1, CB_P_MEAN = 2, CB_P_VAR = 3, CB_P_MAX = 4 };

typedef struct {
    cb_op op;
    char name[CB_NAME_MAX];   /* "branch5x5_1.conv", "conv_dw_3", ... */
    int in[CB_MAX_INPUTS];
    int n_in;
    int out;
    cb_conv_params conv;      /* CB_OP_CONV */
    int cout;                 /* CB_OP_CONV, CB_OP_FC: output channels / features */
    cb_pool_params pool;      /* CB_OP_MAXPOOL, CB_OP_AVGPOOL */
    int param[CB_P_MAX];      /* conv/fc: weight, bias; bn: weight(gamma), bias(beta), mean, var */
} cb_layer;

typedef struct {
    char key[CB_NAME_MAX];    /* state_dict key: "bn1.running_var" */
    cb_tensor t;              /* data is NULL until allocated by cb_graph_alloc_params */
    bool buffer;              /* BN running statistics: not learnable */
} cb_param;

typedef struct cb_graph {
    char name[CB_NAME_MAX];
    cb_layer *layers;
    int n_layers, cap_layers;
    cb_param *params;
    int n_params, cap_params;
    cb_shape *values;         /* values[v] is the shape of value v; value 0 is the input */
    int n_values, cap_values;
    int output;               /* the value the graph returns */
    cb_status status;         /* sticky build error */
    cb_error err;
} cb_graph;

/* A new graph whose input has shape `in`. NULL on out-of-memory. */
cb_graph *cb_graph_new(const char *name, cb_shape in);
void cb_graph_free(cb_graph *g);

/* The first build error (CB_OK if none), copied into err. */
cb_status cb_graph_status(const cb_graph *g, cb_error *err);

/* Builders. `name` is the layer's name and the prefix of its parameter keys
 * ("dw" gives "dw.weight"). Each returns the new value id, or -1. */
int cb_graph_conv(cb_graph *g, const char *name, int x, int cout, cb_conv_params p, bool bias);
int cb_graph_bn(cb_graph *g, const char *name, int x);
int cb_graph_relu(cb_graph *g, const char *name, int x);
int cb_graph_maxpool(cb_graph *g, const char *name, int x, int k, int stride, int pad);
int cb_graph_avgpool(cb_graph *g, const char *name, int x, int k, int stride, int pad);
int cb_graph_gap(cb_graph *g, const char *name, int x);
int cb_graph_add(cb_graph *g, const char *name, int a, int b);
int cb_graph_concat(cb_graph *g, const char *name, const int *xs, int n);
int cb_graph_fc(cb_graph *g, const char *name, int x, int nout, bool bias);

/* printf-style name helper for builders: cb_graph_namef(buf, "%s.conv", prefix). */
const char *cb_namef(char buf[CB_NAME_MAX], const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static inline cb_shape cb_graph_input_shape(const cb_graph *g) { return g->values[0]; }
static inline cb_shape cb_graph_output_shape(const cb_graph *g) { return g->values[g->output]; }

/* Allocate every parameter tensor (zeroed). Idempotent. */
cb_status cb_graph_alloc_params(cb_graph *g, cb_error *err);

/* Fill parameters like blocks.py's randomize(): conv/fc weights He-normal
 * (std sqrt(2/fan_in)), biases and running means N(0, 0.1^2), gammas and
 * running variances U[0.5, 1.5). Deterministic in `seed` (cb_rng). */
cb_status cb_graph_init_params(cb_graph *g, uint64_t seed, cb_error *err);

/* Load DIR/KEY.npy for every parameter; shapes must match exactly. */
cb_status cb_graph_load_params(cb_graph *g, const char *dir, cb_error *err);

/* Write DIR/KEY.npy for every parameter and DIR/manifest.json, the ordered
 * list of {"name", "shape"}. DIR is created if missing. */
cb_status cb_graph_save_params(const cb_graph *g, const char *dir, cb_error *err);

/* Find a parameter by key; -1 if none. */
int cb_graph_find_param(const cb_graph *g, const char *key);

/* True when a conv layer is depthwise (groups == C_in == C_out, C > 1). */
bool cb_layer_is_depthwise(const cb_graph *g, const cb_layer *l);

#ifdef __cplusplus
}
#endif
#endif
