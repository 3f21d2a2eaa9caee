/* fast.h — the fast implementation of a whole graph.
 *
 * A plan is the graph compiled for speed: batch-norm folded into the
 * preceding conv's weights, ReLU fused, weights packed for the micro-kernels,
 * activations allocated once. exec.h uses it for CB_IMPL_FAST.
 */
#ifndef CONVBLOCKS_FAST_H
#define CONVBLOCKS_FAST_H

#include "convblocks/graph.h"
#include "convblocks/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cb_fast_plan cb_fast_plan;

cb_status cb_fast_plan_new(const cb_graph *g, int threads, cb_fast_plan **out, cb_error *err);
/* layer_seconds: NULL, or g->n_layers entries to receive per-layer wall time. */
void cb_fast_plan_run(cb_fast_plan *p, const float *x, float *y, double *layer_seconds);
void cb_fast_plan_free(cb_fast_plan *p);

#ifdef __cplusplus
}
#endif
#endif
