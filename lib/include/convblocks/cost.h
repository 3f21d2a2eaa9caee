/* cost.h — the exact cost model: MACs, parameters and bytes of every layer.
 *
 * The one place where cost formulas live; the CLI, benchmarks, report and
 * viewer all read their numbers from here. Conventions (DESIGN.md):
 *   macs      multiply-accumulates of conv and FC layers only: a kh x kw conv
 *             producing one value costs kh*kw*C_in/groups MACs.
 *   params    learnable: conv/FC weights and biases, BN gamma and beta.
 *   weights   conv/FC weights alone (the MobileNet paper's tables).
 *   buffers   BN running mean and variance (params + buffers = Keras "Total").
 *   other_ops everything else, per output element: conv/FC bias 1, BN 2
 *             (scale and shift, folded), ReLU 1, residual add 1, max pool
 *             k*k-1 compares, average pool k*k (adds and one scale), global
 *             average pool H*W, concat 0.
 *   bytes     minimum float32 traffic: read inputs and parameters once,
 *             write the output once. Arithmetic intensity = 2*macs/bytes.
 */
#ifndef CONVBLOCKS_COST_H
#define CONVBLOCKS_COST_H

#include <stddef.h>
#include <stdint.h>

#include "convblocks/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t macs, params, weights, buffers, other_ops, bytes;
} cb_cost;

/* Cost of layer i of g. */
cb_cost cb_layer_cost(const cb_graph *g, int i);

/* Total cost of g; if per_layer is not NULL it receives g->n_layers entries. */
cb_cost cb_graph_cost(const cb_graph *g, cb_cost *per_layer);

void cb_cost_add(cb_cost *sum, cb_cost c);

/* 2*macs / bytes (FLOP per byte); 0 when bytes is 0. */
double cb_cost_intensity(cb_cost c);

/* The kind of a layer for grouping (MobileNet paper Table 2 and `cost --group-by type`):
 * "conv 1x1", "conv dw", "conv grouped", "conv", "fc", "bn", "relu", "pool", "add", "concat". */
const char *cb_layer_type(const cb_graph *g, const cb_layer *l);

/* An exact count with thousands separators, as the tables print them:
 * 22855952 -> "22,855,952". Returns buf. */
const char *cb_format_count(uint64_t v, char *buf, size_t n);

/* The MobileNet paper's section 3.2 formulas for a DF x DF feature map,
 * M input and N output channels, DK x DK kernel (stride 1, 'same'):
 *   standard:  DK*DK*M*N*DF*DF
 *   separable: DK*DK*M*DF*DF + M*N*DF*DF     (ratio 1/N + 1/DK^2) */
static inline uint64_t cb_formula_standard_macs(uint64_t dk, uint64_t m, uint64_t n, uint64_t df) {
    return dk * dk * m * n * df * df;
}
static inline uint64_t cb_formula_separable_macs(uint64_t dk, uint64_t m, uint64_t n, uint64_t df) {
    return dk * dk * m * df * df + m * n * df * df;
}

#ifdef __cplusplus
}
#endif
#endif
