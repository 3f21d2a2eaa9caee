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

/* ---- additions by the fast-kernel owner (issue 4) ---- */

/* Which matrix-multiply kernel 1x1 convs and fully connected layers use:
 * our own packed AVX2/FMA micro-kernel, or OpenBLAS (cblas_sgemm /
 * cblas_sgemv) as the comparison the report shows beside it. OpenBLAS
 * takes the plain 1x1 stride-1 convs (groups 1, no fused input ReLU) and
 * the fully connected layers, then a separate pass adds bias/ReLU/residual;
 * every other op keeps our kernels. Without OpenBLAS at build time the
 * option is accepted and our kernels run. */
typedef enum { CB_GEMM_OWN = 0, CB_GEMM_OPENBLAS = 1 } cb_gemm_backend;

/* "own" | "openblas" -> backend; 0 on success, -1 if unknown. */
int cb_gemm_backend_parse(const char *text, cb_gemm_backend *b);
const char *cb_gemm_backend_name(cb_gemm_backend b);

typedef struct {
    int threads;              /* 0 = all cores */
    cb_gemm_backend gemm;
} cb_fast_options;

/* cb_fast_plan_new with options; opts NULL = {0 threads, CB_GEMM_OWN}.
 * cb_fast_plan_new itself (what exec.h uses) takes the backend from the
 * environment variable CB_GEMM ("own", the default, or "openblas"), so the
 * command line and benchmarks can switch it without a new flag. */
cb_status cb_fast_plan_new_opts(const cb_graph *g, const cb_fast_options *opts, cb_fast_plan **out,
                                cb_error *err);

/* How many layers the plan computes as separate steps, and how many it fused
 * away (batch-norm folded, ReLU/add fused, concat written in place). */
int cb_fast_plan_steps(const cb_fast_plan *p);
int cb_fast_plan_fused(const cb_fast_plan *p);

/* CPU dispatch: AVX2+FMA kernels are used when the CPU has them and the
 * environment variable CB_FORCE_PORTABLE is not set to a non-zero value;
 * otherwise portable C kernels (same results up to float rounding). Where
 * the CPU also has AVX-512F+VL, the kernels that gain from it (the 3x3
 * stride-1 depthwise conv on wide rows) use it unless CB_FORCE_AVX2 is set. */
int cb_fast_cpu_has_avx2(void);
int cb_fast_cpu_has_avx512(void);
int cb_fast_portable_forced(void);
int cb_fast_avx2_forced(void);
/* "avx512vl+avx2+fma", "avx2+fma" or "portable": what runs now (checked per run) */
const char *cb_fast_isa(void);

#ifdef __cplusplus
}
#endif
#endif
