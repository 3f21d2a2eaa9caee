/* fast_internal.h — the kernels behind the fast plan (fast.h), private to libconvblocks.
 *
 * fast_plan.c compiles a graph into steps; each step calls one of the
 * kernels below. Every kernel has an AVX2/FMA version and a portable C
 * version with the same result (up to float rounding); cb_fast_use_avx2()
 * picks one at run time.
 *
 * Layout everywhere: NCHW, batch 1 (tensor.h). "Epilogue" = what happens to
 * an output value after its multiply-adds, fused into the same pass so the
 * output is written once:
 *     v = acc + bias[channel]            (bias: folded conv bias + batch-norm)
 *     if (relu_pre)  v = max(v, 0)       (conv -> bn -> relu)
 *     if (res)       v += res[same index] (residual add fused into the conv)
 *     if (relu_post) v = max(v, 0)       (... -> add -> relu)
 */
#ifndef CONVBLOCKS_FAST_INTERNAL_H
#define CONVBLOCKS_FAST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "convblocks/fast.h"
#include "convblocks/ops.h"
#include "convblocks/tensor.h"

/* ---- CPU dispatch (fast_cpu.c) ---- */
int cb_fast_use_avx2(void);   /* AVX2+FMA present and CB_FORCE_PORTABLE not set */
int cb_fast_use_avx512(void); /* that, AVX-512F+VL present and CB_FORCE_AVX2 not set */

/* Threads worth starting for `work` (about one unit per multiply-add or
 * element moved): a parallel region costs microseconds to fork and join,
 * and on a shared 2-core machine an idle spinning thread steals the core
 * from someone else, so small ops run on the calling thread alone. */
static inline int cb_fast_threads_for(double work, int threads) {
    return threads <= 1 || work < 32768.0 ? 1 : threads;
}

/* n rounded up to a multiple of 16 floats (64 bytes): workspace parts laid
 * one after another each start on a cache line. */
static inline size_t cb_fast_round16(size_t n) { return (n + 15) / 16 * 16; }

/* ---- epilogue ---- */
typedef struct {
    const float *bias; /* per output channel, or NULL */
    const float *res;  /* same layout as the output, or NULL */
    int relu_pre, relu_post;
} cb_fast_epi;

/* ---- GEMM-based convolution (fast_gemm.c) ----
 *
 * A conv of groups g is, per group, the matrix product
 *     Y_g[M x N] = W_g[M x K] * B_g[K x N],  M = cout/g, K = cin/g*kh*kw, N = OH*OW,
 * where B_g is the im2col matrix of the group's input channels (for a 1x1
 * stride-1 conv, B_g is the input itself). W is packed once at plan time
 * into panels of CB_GEMM_MR rows; B is packed at run time, a block at a
 * time, into panels of CB_GEMM_NR columns (the im2col gather happens inside
 * that packing, so the full im2col matrix is never materialised). */
#define CB_GEMM_MR 6
#define CB_GEMM_NR 16
/* Blocking (overridable with -D for tuning experiments). A B block of
 * KC x NC floats (up to 240 KiB; up to 1.5 NC columns when that avoids a
 * thin last block) and an A block of MC x KC (120 KiB) share the 512 KiB
 * L2; the KC x NR micro-panel of B (20 KiB) stays in the 32 KiB L1. A K of
 * up to KC_ONE is one block all the same: the larger blocks overflow L2
 * into L3, which measured cheaper than passing partial sums through C. */
#ifndef CB_GEMM_KC
#define CB_GEMM_KC 320  /* max rows of K per block (the K loop is split evenly) */
#endif
#ifndef CB_GEMM_KC_ONE
#define CB_GEMM_KC_ONE 512 /* ...but a K up to this is one block (fast_gemm.c k_block) */
#endif
#ifndef CB_GEMM_NC
#define CB_GEMM_NC 192  /* columns of B per packed block */
#endif
#ifndef CB_GEMM_MC
#define CB_GEMM_MC 96   /* rows of A per pass over a B block */
#endif

typedef struct {
    cb_shape in, out;      /* whole-tensor shapes */
    cb_conv_params p;
    int groups;
    int M, K, N;           /* per group */
    int direct;            /* 1x1, stride 1, pad 0: B rows are input rows */
    int in_relu;           /* apply max(x, 0) to the input as it is packed */
    float *apack;          /* packed weights: groups x ceil(M/MR) panels x K x MR */
    float *wrow;           /* folded weights row-major (O x K) for the OpenBLAS backend, or NULL */
    float *bias;           /* cout folded biases (never NULL) */
    int wino;              /* run as Winograd F(2x2, 3x3) (fast_wino.c) */
    int rows;              /* few input channels: B read in place from phase planes (with AVX2) */
    int inplace;           /* 1x1 with few input channels: B read in place (with AVX2) */
    float *upack;          /* Winograd: 16 transformed weight matrices (M x K), packed */
} cb_fast_gemm;

/* Pack w (cout x K per group, PyTorch layout) into g->apack (allocated here). */
int cb_fast_gemm_pack(cb_fast_gemm *g, const float *w);
size_t cb_fast_gemm_workspace(int threads); /* floats of run-time workspace */
/* ...plus, for im2col (not direct), the floats of the input's zero-padded copy
 * that B is packed from (placed before the B buffers). */
size_t cb_fast_gemm_pad_workspace(const cb_fast_gemm *g);
/* y = conv(x) with the epilogue; ws: cb_fast_gemm_workspace floats. */
void cb_fast_gemm_run(const cb_fast_gemm *g, const float *x, float *y, const cb_fast_epi *e,
                      int threads, float *ws, cb_gemm_backend backend);

/* Whether g (shape and conv filled in) reads B in place from phase-split
 * copies of its input instead of packing it (a network's first conv), and
 * the floats of workspace that copy needs (fast_gemm.c rows_run). */
int cb_fast_rows_suits(const cb_fast_gemm *g);
size_t cb_fast_rows_workspace(const cb_fast_gemm *g);
/* Whether g, a 1x1 conv, reads B straight from its input instead of
 * packing it (fast_gemm.c inplace_strips; CB_PW_INPLACE=0 in the
 * environment: never). */
int cb_fast_inplace_suits(const cb_fast_gemm *g);

/* Pack an M x K row-major matrix into MR-row panels (zero rows past M):
 * ceil(M/MR) * MR * K floats. */
void cb_fast_pack_a(const float *w, int M, int K, float *dst);
/* c[M x N] = A * b[K x N] (row-major, row stride N), A packed by
 * cb_fast_pack_a; one thread, no epilogue; bp: cb_fast_gemm_workspace(1)
 * floats; avx2: cb_fast_use_avx2() as the caller read it once per run. */
void cb_fast_gemm_plain(const float *apack, int M, int K, const float *b, int N, float *c,
                        float *bp, int avx2);
/* A 1x1 conv (direct, one group, no input ReLU) on nb columns only, on the
 * calling thread: y = columns [n0, n0 + nb) of the output, from b, those
 * columns of the input as their own K x nb matrix (row stride nb); y and
 * e->res point at column n0 (row stride g->N). bp: cb_fast_gemm_workspace(1)
 * floats; avx2: cb_fast_use_avx2() as the caller read it once per run. The
 * second half of a depthwise + 1x1 pair run by bands. */
int cb_fast_gemm_band_suits(const cb_fast_gemm *g);
void cb_fast_gemm_band(const cb_fast_gemm *g, const float *b, int nb, float *y,
                       const cb_fast_epi *e, float *bp, int avx2);

/* ---- 3x3 stride-1 convs by Winograd F(2x2, 3x3) (fast_wino.c) ---- */
/* Whether g (its shape and conv filled in) should run as Winograd. */
int cb_fast_wino_suits(const cb_fast_gemm *g);
/* Transform and pack the folded weights w (M x C x 3 x 3) into g->upack; sets g->wino. */
int cb_fast_wino_prepare(cb_fast_gemm *g, const float *w);
size_t cb_fast_wino_workspace(const cb_fast_gemm *g, int threads); /* floats, all threads */
void cb_fast_wino_run(const cb_fast_gemm *g, const float *x, float *y, const cb_fast_epi *e,
                      int threads, float *ws);

/* ---- fully connected (fast_gemm.c): y = W x + b, a matrix-vector product ---- */
void cb_fast_fc_run(const float *w, const float *b, int nin, int nout, const float *x, float *y,
                    int relu, int threads, cb_gemm_backend backend);

/* ---- depthwise conv (fast_dw.c) ---- */
typedef struct {
    cb_shape in, out;
    cb_conv_params p;
    int in_relu;
    float *w;    /* C x kh x kw, batch-norm folded */
    float *bias; /* C */
    float *wblk; /* 3x3: w and bias by groups of 8 channels (cb_fast_dw_block), or NULL */
    int sweep;     /* 3x3 stride 1 padding 1: the column sweep runs it (cb_fast_dw_block) */
} cb_fast_dw;

size_t cb_fast_dw_workspace(const cb_fast_dw *d); /* floats per thread */
/* For the channel-blocked 3x3 path: d->wblk = per group of 8 channels, the
 * 9 taps' weights of its channels (9 x 8) and their biases (8), zeros for
 * channels past C (allocated here; the plan frees it); and d->sweep, the
 * choice of the column sweep for stride 1, padding 1. CB_OK or NOMEM. */
cb_status cb_fast_dw_block(cb_fast_dw *d, cb_error *err);
void cb_fast_dw_run(const cb_fast_dw *d, const float *x, float *y, const cb_fast_epi *e,
                    int threads, float *ws);
/* A depthwise conv by bands of output rows, for running it fused with the
 * 1x1 conv after it (fast_plan.c). cb_fast_dw_band_suits: whether d can
 * (3x3 on the in-place row kernels, rows a whole number of vectors wide,
 * no input ReLU). cb_fast_dw_band: output rows [i0, i1) of every channel,
 * on the calling thread, into yb laid out [C][i1 - i0][out.w]; e carries
 * no residual; ws: cb_fast_dw_band_workspace(d) floats of scratch; avx2:
 * as for cb_fast_gemm_band. */
int cb_fast_dw_band_suits(const cb_fast_dw *d);
size_t cb_fast_dw_band_workspace(const cb_fast_dw *d);
void cb_fast_dw_band(const cb_fast_dw *d, const float *x, float *yb, const cb_fast_epi *e, int i0,
                     int i1, float *ws, int avx2);

/* ---- the rest (fast_misc.c) ---- */
size_t cb_fast_pool_workspace(cb_shape in, const cb_pool_params *p); /* floats per thread */
void cb_fast_maxpool(const float *x, cb_shape in, const cb_pool_params *p, cb_shape out, float *y,
                     int threads, float *ws);
void cb_fast_avgpool(const float *x, cb_shape in, const cb_pool_params *p, cb_shape out, float *y,
                     int threads, float *ws);
void cb_fast_gap(const float *x, cb_shape in, float *y, int threads);
/* y[c, :] = relu?(x[c, :] * scale[c] + shift[c]); scale NULL means identity. */
void cb_fast_affine(const float *x, cb_shape s, const float *scale, const float *shift, int relu,
                    float *y, int threads);
void cb_fast_add(const float *a, const float *b, size_t n, int relu, float *y, int threads);
void cb_fast_copy(const float *x, size_t n, float *y, int threads);

#endif
