/* exec.h — run a graph forward, with reference or fast kernels.
 *
 * An executor is made once per graph: it allocates every activation and
 * workspace up front (and, for fast kernels, packs weights and folds
 * batch-norm), so cb_exec_run does no allocation at all — on a small VM a
 * page fault inside a timed loop costs more than the convolution.
 */
#ifndef CONVBLOCKS_EXEC_H
#define CONVBLOCKS_EXEC_H

#include <stdint.h>

#include "convblocks/fast.h"
#include "convblocks/graph.h"
#include "convblocks/ops.h"
#include "convblocks/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cb_exec cb_exec;

/* threads: 0 = all cores. The graph's parameters must be filled and must
 * not change while the executor lives (fast plans copy and pack them). */
cb_status cb_exec_new(const cb_graph *g, cb_impl impl, int threads, cb_exec **out, cb_error *err);
void cb_exec_free(cb_exec *e);

/* x has the graph's input shape, y its output shape. */
void cb_exec_run(cb_exec *e, const float *x, float *y);

/* Multiply-adds counted by the reference kernels in the last run (0 for fast). */
uint64_t cb_exec_counted_macs(const cb_exec *e);

/* Turn per-layer timing on or off; when on, each run records the wall
 * seconds of every layer (fused layers' time goes to the conv that leads them). */
void cb_exec_set_profile(cb_exec *e, int on);
const double *cb_exec_layer_seconds(const cb_exec *e);

/* A fast executor with plan options (fast.h: threads, GEMM backend own or
 * OpenBLAS); cb_exec_new(g, CB_IMPL_FAST, t, ...) equals opts {t, CB_GEMM_OWN}
 * unless the environment variable CB_GEMM says otherwise. */
cb_status cb_exec_new_fast(const cb_graph *g, const cb_fast_options *opts, cb_exec **out,
                           cb_error *err);

#ifdef __cplusplus
}
#endif
#endif
