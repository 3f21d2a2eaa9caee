/* fast_gemm.c — convolution as matrix multiplication, with our own packed micro-kernel.
 *
 * Every non-depthwise conv runs here: a 1x1 conv is exactly a GEMM
 * (Y[M x N] = W[M x K] * X[K x N] with M = cout, K = cin, N = H*W), and a
 * k x k conv is a GEMM with the im2col matrix (K = cin*k*k rows, one per
 * (channel, tap)) as the right-hand side.
 *
 * Why im2col + GEMM for the general conv (rather than direct): one
 * well-tuned micro-kernel then serves every conv shape, groups and stride,
 * and the im2col gather is folded into the packing of B that a fast GEMM
 * does anyway — B is copied block by block into small contiguous panels,
 * so the full im2col matrix (9x the input for 3x3) is never written out,
 * and each packed element is reused by all M output channels (>= 32 FMAs
 * per gathered float in every canonical block). 3x3 stride-1 convs with
 * enough channels go one step further: Winograd F(2x2, 3x3) (fast_wino.c)
 * turns them into 16 smaller GEMMs on the same kernel with 2.25x fewer
 * multiplies, at the price of transforms and slightly more rounding
 * (well inside the tests' tolerance against the exact reference).
 *
 * (Tried and dropped: an implicit GEMM reading B straight from a padded
 * copy of the input through a table of per-row offsets, which skips the
 * packing; on this machine it measured no faster — its B rows then come
 * from L2 rather than from a contiguous L1-resident panel.)
 *
 * The GEMM follows the BLIS/GotoBLAS structure:
 *   for each work item (a range of columns of C, or of rows when N is
 *   small), handed to threads dynamically:
 *    for each block of NC columns of B
 *     for each block of KC rows of K
 *       pack B[KC x NC] into NR-column panels   (L2-resident)
 *       for each block of MC rows of A          (A packed once at plan time)
 *         for each NR panel of B                (KC x NR panel stays in L1)
 *           for each MR panel of A: micro-kernel C[MR x NR] += A_panel * B_panel
 * The micro-kernel holds a 6 x 16 tile of C in 12 ymm registers; per k it
 * loads 2 vectors of B, broadcasts 6 values of A and issues 12 FMAs, so the
 * two FMA pipes are fed with 1 load per 1.5 FMAs — the classic Haswell/Zen
 * shape. Batch-norm (folded bias), ReLU and a residual add happen in the
 * kernel's store after the last K block ("epilogue"), so Y is written once.
 *
 * Around that core: smaller kernels for the last 5-8 and 1-4 columns of B
 * (the 14x14 and 7x7 layers end in such panels; a lone last column rides
 * along with the last full panel, kernel_col1_avx2) and for a last panel of A
 * with at most 4 rows; one call per column of tiles rather than per tile
 * (with small K the per-tile overhead shows); the next block of A is
 * fetched into L2 while the current one is in use (in a network a layer's
 * weights are never in cache when it starts; the same for the next block
 * of a 1x1 conv's B source rows measured 0.98-1.05 at 64->128 @56, 256 @28
 * and 728 @19, session 9, and was not kept); convs with few input
 * channels (a network's first conv, K = 27) skip packing altogether, their
 * B read in place from a phase-split copy of the input (rows_run); and so
 * do 1x1 convs with K <= 256, whose B is the input itself (inplace_strips).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "fast_internal.h"

#ifdef CB_HAVE_OPENBLAS
#include <cblas.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CB_X86 1
#endif

enum {
    MR = CB_GEMM_MR,
    NR = CB_GEMM_NR,
    NC_MAX = CB_GEMM_NC + CB_GEMM_NC / 2,
    KC_BUF = CB_GEMM_KC > CB_GEMM_KC_ONE ? CB_GEMM_KC : CB_GEMM_KC_ONE /* rows of a B buffer */
};

/* ---------------------------------------------------------------- packing A */

void cb_fast_pack_a(const float *w, int M, int K, float *dst) {
    /* panel p: K steps of MR consecutive rows (zero past M), so the kernel
     * reads A strictly sequentially. */
    const int mpan = (M + MR - 1) / MR;
    for (int p = 0; p < mpan; p++) {
        float *d = dst + (size_t)p * K * MR;
        for (int k = 0; k < K; k++)
            for (int r = 0; r < MR; r++) {
                int m = p * MR + r;
                d[(size_t)k * MR + r] = m < M ? w[(size_t)m * K + k] : 0.0f;
            }
    }
}

int cb_fast_gemm_pack(cb_fast_gemm *g, const float *w) {
    int mpan = (g->M + MR - 1) / MR;
    size_t per_group = (size_t)mpan * MR * (size_t)g->K;
    g->apack = cb_alloc_floats((size_t)g->groups * per_group);
    if (g->apack == NULL) return -1;
    for (int grp = 0; grp < g->groups; grp++)
        cb_fast_pack_a(w + (size_t)grp * g->M * g->K, g->M, g->K, g->apack + grp * per_group);
    return 0;
}

size_t cb_fast_gemm_workspace(int threads) {
    return (size_t)(threads > 0 ? threads : 1) * KC_BUF * NC_MAX;
}

/* Slack after the padded copy: the packing's whole-vector copies read up
 * to 32 floats past a segment's start (16, or 32 with stride 2). */
enum { PAD_SLACK = 2 * NR };

/* Floats of one channel of the zero-padded copy. */
static size_t padded_plane(const cb_fast_gemm *g) {
    return (size_t)(g->in.h + 2 * g->p.pad_h) * (size_t)(g->in.w + 2 * g->p.pad_w);
}

size_t cb_fast_gemm_pad_workspace(const cb_fast_gemm *g) {
    if (g->direct) return 0;
    const size_t n = (size_t)g->in.c * padded_plane(g) + PAD_SLACK;
    return (n + 15) / 16 * 16; /* the B buffers after it stay 64-byte aligned */
}

/* The input zero-padded by the conv's padding (and ReLU'd, when the conv
 * applies one to its input) into P: im2col then copies whole vectors with
 * no bounds checks. Packing used to be ~30% of a 5x5 conv with 64 output
 * channels (Inception's), mostly short copies and zero fills at the row ends. */
static void pad_input(const cb_fast_gemm *g, const float *x, float *P, int threads) {
    const int C = g->in.c, H = g->in.h, W = g->in.w, ph = g->p.pad_h, pw = g->p.pad_w;
    const int Hp = H + 2 * ph, Wp = W + 2 * pw, relu = g->in_relu;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int c = 0; c < C; c++) {
        float *pc = P + (size_t)c * Hp * Wp;
        const float *xc = x + (size_t)c * H * W;
        memset(pc, 0, sizeof(float) * (size_t)ph * Wp);
        for (int i = 0; i < H; i++) {
            float *d = pc + (size_t)(i + ph) * Wp;
            const float *src = xc + (size_t)i * W;
            memset(d, 0, sizeof(float) * (size_t)pw);
            if (relu)
                for (int j = 0; j < W; j++) d[pw + j] = src[j] > 0.0f ? src[j] : 0.0f;
            else
                memcpy(d + pw, src, sizeof(float) * (size_t)W);
            memset(d + pw + W, 0, sizeof(float) * (size_t)pw);
        }
        memset(pc + (size_t)(ph + H) * Wp, 0, sizeof(float) * (size_t)ph * Wp);
    }
    memset(P + (size_t)C * Hp * Wp, 0, sizeof(float) * PAD_SLACK);
}

/* ---------------------------------------------------------------- packing B */

/* Packing is pure data movement, so one portable version serves both
 * kernel paths; what matters is no per-element branches or divisions and
 * no library call per 16 floats: full rows of a panel are fixed-size copies
 * the compiler turns into vector moves, and the (channel, tap) of each row
 * of K is looked up in a table built once per K block. */
/* n <= 16 floats in fixed-size pieces: the compiler turns each piece into
 * vector moves, where a plain loop would become a memmove call that costs
 * more than the copy at these lengths. */
__attribute__((always_inline)) static inline void copy_n(float *restrict d, const float *restrict s, int n, int relu) {
    int t = 0;
    for (; t + 8 <= n; t += 8)
        for (int l = 0; l < 8; l++) d[t + l] = relu && s[t + l] < 0.0f ? 0.0f : s[t + l];
    if (t + 4 <= n) {
        for (int l = 0; l < 4; l++) d[t + l] = relu && s[t + l] < 0.0f ? 0.0f : s[t + l];
        t += 4;
    }
    for (int l = 0; l < 3; l++)
        if (t + l < n) d[t + l] = relu && s[t + l] < 0.0f ? 0.0f : s[t + l];
}

__attribute__((always_inline)) static inline void copy16(float *restrict d, const float *restrict s, int relu) {
    float v[NR];
    for (int t = 0; t < NR; t++) v[t] = s[t];
    if (relu)
        for (int t = 0; t < NR; t++) v[t] = v[t] > 0.0f ? v[t] : 0.0f;
    for (int t = 0; t < NR; t++) d[t] = v[t];
}

/* Every other float of s[0..31] (stride-2 convs, e.g. every network's
 * first layer), as the even halves of four vectors; reading s[31] too keeps
 * it to whole vectors (the caller makes sure s[31] is readable). */
#ifdef CB_X86
__attribute__((target("avx2"), noinline)) static void copy16_s2_avx2(float *restrict d,
                                                                     const float *restrict s,
                                                                     int relu) {
    for (int h = 0; h < 2; h++, s += 16, d += 8) {
        __m256 t = _mm256_shuffle_ps(_mm256_loadu_ps(s), _mm256_loadu_ps(s + 8),
                                     _MM_SHUFFLE(2, 0, 2, 0));
        t = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
        if (relu) t = _mm256_max_ps(t, _mm256_setzero_ps());
        _mm256_storeu_ps(d, t);
    }
}
#endif

__attribute__((always_inline)) static inline void zero_n(float *d, int n) {
    for (int t = 0; t < n; t++) d[t] = 0.0f;
}

/* Rows [k0, k0+kc) and columns [n0, n0+nb) of the group's B into panels:
 * dst[(jp*kc + k)*NR + c] = B[k0+k][n0 + jp*NR + c], zero past N.
 * The loops run row of K outermost, so the input is read as long
 * sequential runs (one input row after another), which the hardware
 * prefetcher follows; going panel by panel instead would touch a new cache
 * line of every channel for each 16 columns. */
__attribute__((always_inline)) static inline void pack_b_body(const cb_fast_gemm *g,
                                                             const float *xg, int k0, int kc,
                                                             int n0, int nb, float *dst,
                                                             const int avx2) {
    const int N = g->N, relu = g->in_relu;
    const int npan = (nb + NR - 1) / NR, full = nb / NR, rest = nb - full * NR;
    const size_t pstride = (size_t)kc * NR; /* floats between panels */
    if (g->direct) {
        for (int k = 0; k < kc; k++) {
            const float *src = xg + (size_t)(k0 + k) * N + n0;
            float *d = dst + (size_t)k * NR;
            for (int jp = 0; jp < full; jp++) copy16(d + jp * pstride, src + jp * NR, relu);
            if (rest) {
                copy_n(d + full * pstride, src + full * NR, rest, relu);
                zero_n(d + full * pstride + rest, NR - rest);
            }
        }
        return;
    }
    /* im2col, from the zero-padded copy of the input (pad_input): row k is
     * (channel c, tap u, v), column n is output pixel (i, j), and
     * B[k][n] = xpad[c][i*sh + u][j*sw + v]. A panel's 16 columns are at
     * most a few runs along output rows ("segments"), each every sw-th
     * float of one padded row; every segment lies inside the copy, so each
     * is copied as one whole 16-float piece whose tail (past the segment)
     * the next segment, or the next row of K, overwrites. The last row of K
     * copies exact lengths: its tail would land in the next panel, already
     * packed. */
    const int OW = g->out.w, kh = g->p.kh, kw = g->p.kw, sh = g->p.stride_h, sw = g->p.stride_w;
    const int Wp = g->in.w + 2 * g->p.pad_w, taps = kh * kw;
    const size_t plane = padded_plane(g);
    /* segments of the whole block: at most one per column plus one per panel */
    enum { MAXSEG = NC_MAX + NC_MAX / NR };
    size_t seg_src[MAXSEG], seg_at[MAXSEG]; /* offset of tap (0, 0) in a plane; in dst */
    int seg_len[MAXSEG];
    int nseg = 0;
    for (int jp = 0; jp < npan; jp++) {
        int n = n0 + jp * NR, cols = nb - jp * NR < NR ? nb - jp * NR : NR;
        for (int done = 0; done < cols; nseg++) {
            int nn = n + done, i = nn / OW, j = nn % OW;
            seg_src[nseg] = (size_t)i * sh * Wp + (size_t)j * sw;
            seg_len[nseg] = OW - j < cols - done ? OW - j : cols - done;
            seg_at[nseg] = (size_t)jp * pstride + (size_t)done;
            done += seg_len[nseg];
        }
    }
    for (int k = 0; k < kc; k++) {
        const int kk = k0 + k, c = kk / taps, u = kk / kw % kh, v = kk % kw;
        const float *xc = xg + (size_t)c * plane + (size_t)u * Wp + v;
        float *d = dst + (size_t)k * NR;
        const int exact = k == kc - 1;
        for (int sg = 0; sg < nseg; sg++) {
            const float *src = xc + seg_src[sg];
            float *ds = d + seg_at[sg];
            const int len = seg_len[sg], whole = !(exact && len < NR);
            if (sw == 1 && whole) {
                copy16(ds, src, 0);
                continue;
            }
#ifdef CB_X86
            if (avx2 && sw == 2 && whole) {
                copy16_s2_avx2(ds, src, 0);
                continue;
            }
#endif
            for (int t = 0; t < len; t++) ds[t] = src[t * sw];
        }
        if (rest) zero_n(d + (size_t)(npan - 1) * pstride + rest, NR - rest);
    }
}

/* The same packing compiled twice: with AVX2 each 16-float copy is two
 * vector moves instead of four SSE ones (packing is ~20% of a 3x3 conv
 * with 64 output channels, where each packed float feeds only 64 FMAs). */
static void pack_b_c(const cb_fast_gemm *g, const float *xg, int k0, int kc, int n0, int nb,
                     float *dst) {
    pack_b_body(g, xg, k0, kc, n0, nb, dst, 0);
}

#ifdef CB_X86
__attribute__((target("avx2,fma"))) static void pack_b_avx2(const cb_fast_gemm *g, const float *xg,
                                                            int k0, int kc, int n0, int nb,
                                                            float *dst) {
    pack_b_body(g, xg, k0, kc, n0, nb, dst, 1);
}
#endif

/* The packed panel of a lone last column of B, widened in place to MR
 * copies of each value, the layout kernel_col1_avx2 reads. In place,
 * forward: step k reads pan[16k] and writes pan[6k..6k+5], which lie below
 * every later step's source (16k' >= 6k + 6). */
static void widen_col1(float *pan, int kc) {
    for (int k = 0; k < kc; k++) {
        const float v = pan[(size_t)k * NR];
        for (int r = 0; r < MR; r++) pan[(size_t)k * MR + r] = v;
    }
}

/* The block of packed A that a work item reads after the current one,
 * fetched into cache a few lines per micro-kernel call while the current
 * block is in use. Why: A is read from memory once per K block and then
 * reused from L2 by every panel of B, but its first pass runs at memory
 * speed; when the weights are not in cache (in a network every layer's
 * weights have been evicted by the time it runs again) a 1x1 conv with
 * 1 MB of weights measured 6-9% slower and one with 4 MB 20-35%. */
typedef struct {
    const char *pan;    /* the panel being fetched, or NULL when nothing is */
    const char *line;   /* its next line */
    const char *end;    /* the end of its slice */
    size_t pan_stride;  /* bytes between consecutive panels of A */
    size_t pan_bytes;   /* bytes in one panel's slice */
    int pans_left;      /* panels after this one */
    int per_call;       /* lines to fetch per micro-kernel call */
} a_ahead;

static void a_ahead_set(a_ahead *p, const float *ag, int K, int mb, int mbe, int k0, int kc,
                        int calls) {
    p->pan = (const char *)(ag + ((size_t)mb * K + k0) * MR);
    p->line = p->pan;
    p->pan_bytes = (size_t)kc * MR * sizeof(float);
    p->end = p->pan + p->pan_bytes;
    p->pan_stride = (size_t)K * MR * sizeof(float);
    p->pans_left = mbe - mb - 1;
    size_t lines = (p->pan_bytes + 63) / 64 * (size_t)(mbe - mb);
    p->per_call = (int)((lines + (size_t)calls - 1) / (size_t)calls);
}

static inline void a_ahead_step(a_ahead *p) {
    for (int i = 0; i < p->per_call && p->pan != NULL; i++) {
        __builtin_prefetch(p->line, 0, 2);
        p->line += 64;
        if (p->line >= p->end) {
            if (p->pans_left-- == 0) {
                p->pan = NULL;
                break;
            }
            p->pan += p->pan_stride;
            p->line = p->pan;
            p->end = p->pan + p->pan_bytes;
        }
    }
}

/* ---------------------------------------------------------------- micro-kernels */

/* The epilogue of one tile: bias points at the tile's first row, res at its
 * first element (row stride ldr). */
typedef struct {
    const float *bias;
    const float *res;
    int ldr;
    int relu_pre, relu_post;
    int mr, nr; /* the part of the tile that exists in C (edge tiles are smaller) */
} tile_epi;

typedef void (*kernel_fn)(int kc, const float *a, const float *b, float *c, int ldc, int first,
                          int last, const tile_epi *e);

/* A column of np tiles: np consecutive panels of A (astride floats apart)
 * against one panel of B with e->nr (9-16) of its columns in C, into rows
 * of C MR apart, e->mr being the rows of C from the first tile on (the
 * last tile may have fewer than MR). One call per column rather
 * than per tile: with K = 64 a tile is only ~400 cycles of FMAs, and the
 * call, the epilogue's setup and the dispatch around it cost 4% of a
 * 1x1 conv 64->128 @56x56 (same-process medians 0.626 vs 0.642 ms). */
typedef void (*column_fn)(int np, int kc, const float *a, size_t astride, const float *b,
                          const float *b1, float *c, int ldc, int first, int last,
                          const tile_epi *e0, a_ahead *ahead);

/* Move a tile's epilogue to the tile below it (the next panel of A). */
static inline void epi_down(tile_epi *e) {
    if (e->bias) e->bias += MR;
    if (e->res) e->res += (size_t)MR * e->ldr;
}

/* The epilogue of element (r, t) of a finished tile, in scalar code: bias,
 * ReLU, residual add, ReLU (the order the plan fused them in). */
static inline float epi_scalar(const tile_epi *e, int r, int t, float v) {
    if (e->bias) v += e->bias[r];
    if (e->relu_pre && v < 0.0f) v = 0.0f;
    if (e->res) v += e->res[(size_t)r * e->ldr + t];
    if (e->relu_post && v < 0.0f) v = 0.0f;
    return v;
}

/* Portable: the same 6 x 16 tile in plain C (the compiler vectorises the
 * inner 16-wide loops with whatever the baseline ISA offers). */
static void kernel_c(int kc, const float *a, const float *b, float *c, int ldc, int first, int last,
                     const tile_epi *e) {
    float acc[MR][NR] = {{0.0f}};
    for (int k = 0; k < kc; k++, a += MR, b += NR)
        for (int r = 0; r < MR; r++)
            for (int t = 0; t < NR; t++) acc[r][t] += a[r] * b[t];
    for (int r = 0; r < e->mr; r++) {
        for (int t = 0; t < e->nr; t++) {
            if (!first) acc[r][t] += c[(size_t)r * ldc + t];
            c[(size_t)r * ldc + t] = last ? epi_scalar(e, r, t, acc[r][t]) : acc[r][t];
        }
    }
}

/* Portable: the column tile by tile. */
static void column_c(int np, int kc, const float *a, size_t astride, const float *b,
                     const float *b1, float *c, int ldc, int first, int last, const tile_epi *e0,
                     a_ahead *ahead) {
    (void)b1; /* always NULL: the portable kernels have no col1 (see kernels) */
    tile_epi e = *e0;
    for (int p = 0, rows = e0->mr; p < np;
         p++, a += astride, c += (size_t)MR * ldc, rows -= MR, epi_down(&e)) {
        e.mr = rows < MR ? rows : MR;
        if (ahead->pan) a_ahead_step(ahead);
        kernel_c(kc, a, b, c, ldc, first, last, &e);
    }
}

#ifdef CB_X86
/* A mask of the first n of 8 lanes (none for n <= 0, all for n >= 8). */
__attribute__((target("avx2"))) static inline __m256i lanes(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Store a finished MR x NR tile into C with the epilogue, straight from
 * the registers the k loop left it in (acc[2r], acc[2r + 1] = row r).
 * Only the e->mr x e->nr part of the tile exists in C: at the edges the
 * rows beyond mr are skipped and the columns beyond nr masked, so edge
 * tiles cost what full ones do instead of a scalar detour. */
__attribute__((always_inline, target("avx2,fma"))) static inline void
tile_store_avx2(const __m256 *acc, float *c, int ldc, int first, int last, const tile_epi *e) {
    const __m256 zero = _mm256_setzero_ps();
    const int full = e->nr == NR;
    const __m256i m0 = lanes(e->nr), m1 = lanes(e->nr - 8);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        if (r >= e->mr) break;
        float *cr = c + (size_t)r * ldc;
        __m256 v0 = acc[2 * r], v1 = acc[2 * r + 1];
        if (!first) {
            v0 = _mm256_add_ps(v0, full ? _mm256_loadu_ps(cr) : _mm256_maskload_ps(cr, m0));
            v1 = _mm256_add_ps(v1, full ? _mm256_loadu_ps(cr + 8) : _mm256_maskload_ps(cr + 8, m1));
        }
        if (last) {
            if (e->bias) {
                __m256 bb = _mm256_broadcast_ss(e->bias + r);
                v0 = _mm256_add_ps(v0, bb);
                v1 = _mm256_add_ps(v1, bb);
            }
            if (e->relu_pre) {
                v0 = _mm256_max_ps(v0, zero);
                v1 = _mm256_max_ps(v1, zero);
            }
            if (e->res) {
                const float *rr = e->res + (size_t)r * e->ldr;
                v0 = _mm256_add_ps(v0, full ? _mm256_loadu_ps(rr) : _mm256_maskload_ps(rr, m0));
                v1 = _mm256_add_ps(v1,
                                   full ? _mm256_loadu_ps(rr + 8) : _mm256_maskload_ps(rr + 8, m1));
            }
            if (e->relu_post) {
                v0 = _mm256_max_ps(v0, zero);
                v1 = _mm256_max_ps(v1, zero);
            }
        }
        if (full) {
            _mm256_storeu_ps(cr, v0);
            _mm256_storeu_ps(cr + 8, v1);
        } else {
            _mm256_maskstore_ps(cr, m0, v0);
            _mm256_maskstore_ps(cr + 8, m1, v1);
        }
    }
}

/* The k loop is inline assembly because gcc 12, given the same loop in
 * intrinsics, shuffles the 12 accumulators between registers and spills
 * some to the stack every iteration (about 60% of peak instead of ~90%).
 * Register use: ymm4..ymm15 = the 6 x 16 tile of C (row r in ymm(4+2r),
 * ymm(5+2r)), ymm0/ymm1 = 16 values of B, ymm2/ymm3 = broadcast A values.
 * The tile leaves the asm in register variables bound to ymm4..ymm15, so
 * the epilogue works on it where it is (a round trip through a stack
 * buffer measured 0-2% slower: conv1 1.8%, 1x1 convs with K = 32-128 up
 * to 1.5%, none with K = 256-512). */
/* Clear the accumulators of the first 4 rows (ymm4..ymm11), or all 6. */
#define CB_TILE4_ZERO                                                                      \
    "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"                                                    \
    "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"                                                    \
    "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"                                                    \
    "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"                                                    \
    "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"                                                    \
    "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"                                                    \
    "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"                                                 \
    "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
#define CB_TILE_ZERO                                                                       \
    CB_TILE4_ZERO                                                                          \
    "vxorps %%ymm12, %%ymm12, %%ymm12\n\t"                                                 \
    "vxorps %%ymm13, %%ymm13, %%ymm13\n\t"                                                 \
    "vxorps %%ymm14, %%ymm14, %%ymm14\n\t"                                                 \
    "vxorps %%ymm15, %%ymm15, %%ymm15\n\t"

/* Two rows of one k once ymm0/ymm1 hold row k of B: 2 broadcasts of A (at
 * byte offset ao) and 4 FMAs into ymm(r0)..ymm(r3). */
#define CB_ROW_PAIR(ao, r0, r1, r2, r3)                                                    \
    "vbroadcastss " #ao "(%[a]), %%ymm2\n\t"                                               \
    "vbroadcastss " #ao "+4(%[a]), %%ymm3\n\t"                                             \
    "vfmadd231ps %%ymm0, %%ymm2, %%ymm" #r0 "\n\t"                                         \
    "vfmadd231ps %%ymm1, %%ymm2, %%ymm" #r1 "\n\t"                                         \
    "vfmadd231ps %%ymm0, %%ymm3, %%ymm" #r2 "\n\t"                                         \
    "vfmadd231ps %%ymm1, %%ymm3, %%ymm" #r3 "\n\t"
/* One k of the first 4 rows of the tile (8 FMAs), or of all 6 (12). */
#define CB_TILE4_FMAS(ao) CB_ROW_PAIR(ao, 4, 5, 6, 7) CB_ROW_PAIR(ao + 8, 8, 9, 10, 11)
#define CB_TILE_FMAS(ao) CB_TILE4_FMAS(ao) CB_ROW_PAIR(ao + 16, 12, 13, 14, 15)

/* The k loop of a tile: k4 = kc / 4 steps of STEP0..STEP3 (one k each)
 * and NEXT4 (B to the next 4 rows), then k1 = kc % 4 of STEP0 and NEXT1. */
#define CB_K_LOOP_OF(STEP0, STEP1, STEP2, STEP3, NEXT4, NEXT1)                             \
    "test %[k4], %[k4]\n\t"                                                                \
    "jz 2f\n\t"                                                                            \
    ".p2align 5\n"                                                                         \
    "1:\n\t"                                                                               \
    "prefetcht0 384(%[a])\n\t"                                                             \
    STEP0 STEP1 STEP2 STEP3                                                                \
    "add $96, %[a]\n\t"                                                                    \
    NEXT4                                                                                  \
    "dec %[k4]\n\t"                                                                        \
    "jnz 1b\n"                                                                             \
    "2:\n\t"                                                                               \
    "test %[k1], %[k1]\n\t"                                                                \
    "jz 4f\n"                                                                              \
    "3:\n\t"                                                                               \
    STEP0                                                                                  \
    "add $24, %[a]\n\t"                                                                    \
    NEXT1                                                                                  \
    "dec %[k1]\n\t"                                                                        \
    "jnz 3b\n"                                                                             \
    "4:\n\t"
/* ...on packed B, whose rows of one k are ROWS(a offset, b offset) */
#define CB_K_LOOP(ROWS)                                                                    \
    CB_K_LOOP_OF(ROWS(0, 0), ROWS(24, 64), ROWS(48, 128), ROWS(72, 192),                    \
                 "add $256, %[b]\n\t", "add $64, %[b]\n\t")

/* The accumulators of a 6 x 16 tile (or of its first 4 rows) as register
 * variables bound to ymm4..ymm15, and the array they are copied to. */
#define CB_TILE4_REGS                                                                      \
    register __m256 c0 __asm__("ymm4"), c1 __asm__("ymm5"), c2 __asm__("ymm6"),            \
        c3 __asm__("ymm7"), c4 __asm__("ymm8"), c5 __asm__("ymm9"), c6 __asm__("ymm10"),   \
        c7 __asm__("ymm11");                                                               \
    __m256 acc[12] /* declared before the asm: see CB_TILE_OUT */
#define CB_TILE_REGS                                                                       \
    CB_TILE4_REGS;                                                                         \
    register __m256 c8 __asm__("ymm12"), c9 __asm__("ymm13"), c10 __asm__("ymm14"),        \
        c11 __asm__("ymm15")
/* ...as the asm's outputs */
#define CB_TILE4_OUTPUTS                                                                   \
    "=x"(c0), "=x"(c1), "=x"(c2), "=x"(c3), "=x"(c4), "=x"(c5), "=x"(c6), "=x"(c7)
#define CB_TILE_OUTPUTS CB_TILE4_OUTPUTS, "=x"(c8), "=x"(c9), "=x"(c10), "=x"(c11)

/* Copy the tile out of the registers the asm left it in, first thing
 * after the asm. Those are local register variables, which the compiler
 * does not save across calls: the copy must come before any call, and
 * an instrumented build (ASan) calls to unpoison a local array where its
 * scope starts, so the array it goes to is declared before the asm. */
#define CB_TILE_OUT(acc, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11)                \
    do {                                                                                   \
        acc[0] = r0, acc[1] = r1, acc[2] = r2, acc[3] = r3, acc[4] = r4, acc[5] = r5;      \
        acc[6] = r6, acc[7] = r7, acc[8] = r8, acc[9] = r9, acc[10] = r10, acc[11] = r11;  \
    } while (0)

/* C (read back after the first K block, and written anyway) and the
 * residual are usually not in L1: start fetching a tile's rows of them
 * before its k loop so they arrive during it instead of stalling the
 * epilogue. */
__attribute__((always_inline)) static inline void tile_prefetch(const float *c, int ldc, int rows,
                                                                int last, const tile_epi *e) {
    for (int r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + (size_t)r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + (size_t)r * ldc + NR - 1), _MM_HINT_T0);
        if (last && e->res) {
            _mm_prefetch((const char *)(e->res + (size_t)r * e->ldr), _MM_HINT_T0);
            _mm_prefetch((const char *)(e->res + (size_t)r * e->ldr + NR - 1), _MM_HINT_T0);
        }
    }
}

#define CB_ROWS(ao, bo)                                                                    \
    "vmovaps " #bo "(%[b]), %%ymm0\n\t"                                                    \
    "vmovaps " #bo "+32(%[b]), %%ymm1\n\t"                                                 \
    CB_TILE_FMAS(ao)

__attribute__((always_inline, target("avx2,fma"))) static inline void kernel_avx2(
    int kc, const float *a, const float *b, float *c, int ldc, int first, int last, const tile_epi *e) {
    CB_TILE_REGS;
    long k4 = kc / 4, k1 = kc % 4;
    tile_prefetch(c, ldc, MR, last, e);
    __asm__ volatile(
        CB_TILE_ZERO
        CB_K_LOOP(CB_ROWS)
        : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1), CB_TILE_OUTPUTS
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "memory", "cc");
    CB_TILE_OUT(acc, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11);
    tile_store_avx2(acc, c, ldc, first, last, e);
}
#undef CB_ROWS

/* The last panel of A when it has at most 4 rows (M = 32, 64, 128, 256,
 * 512... leave 2 or 4): a 4 x 16 tile in 8 registers, whose 8 FMA chains
 * still fill both pipes, so it takes 4 cycles per k where the 6-row kernel
 * takes 6 over rows that are mostly zero padding. Same-process medians
 * against the 6-row kernel there: 1x1 128->32 @56 0.97, 3x3 64->64 @56
 * (Winograd, M = 64) 0.97, 1x1 64->128 @56 0.99. */
#define CB_ROWS4(ao, bo)                                                                   \
    "vmovaps " #bo "(%[b]), %%ymm0\n\t"                                                    \
    "vmovaps " #bo "+32(%[b]), %%ymm1\n\t"                                                 \
    CB_TILE4_FMAS(ao)

__attribute__((always_inline, target("avx2,fma"))) static inline void kernel4_avx2(
    int kc, const float *a, const float *b, float *c, int ldc, int first, int last, const tile_epi *e) {
    CB_TILE4_REGS;
    const __m256 zero = _mm256_setzero_ps();
    long k4 = kc / 4, k1 = kc % 4;
    tile_prefetch(c, ldc, e->mr, last, e);
    __asm__ volatile(
        CB_TILE4_ZERO
        CB_K_LOOP(CB_ROWS4)
        : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1), CB_TILE4_OUTPUTS
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "memory", "cc");
    CB_TILE_OUT(acc, c0, c1, c2, c3, c4, c5, c6, c7, zero, zero, zero, zero);
    tile_store_avx2(acc, c, ldc, first, last, e);
}
#undef CB_ROWS4

__attribute__((target("avx2,fma"))) static void kernel_col1_avx2(int kc, const float *a,
                                                                 const float *b, float *c,
                                                                 int ldc, int first, int last,
                                                                 const tile_epi *e);

/* A column of tiles: np panels of A by one panel b of B. b1, when not NULL,
 * is the widened panel of a lone column of B just after b (widen_col1),
 * done panel by panel right after b's tile, while the A panel is still in
 * L1 (same-process medians against a separate pass after the full panels,
 * 1x1 1024->1024 @7x7: 0.97-0.99). */
__attribute__((target("avx2,fma"))) static void column_avx2(int np, int kc, const float *a,
                                                            size_t astride, const float *b,
                                                            const float *b1, float *c, int ldc,
                                                            int first, int last,
                                                            const tile_epi *e0, a_ahead *ahead) {
    tile_epi e = *e0;
    for (int p = 0, rows = e0->mr; p < np;
         p++, a += astride, c += (size_t)MR * ldc, rows -= MR, epi_down(&e)) {
        e.mr = rows < MR ? rows : MR;
        if (ahead->pan) a_ahead_step(ahead);
        if (rows > 4)
            kernel_avx2(kc, a, b, c, ldc, first, last, &e);
        else
            kernel4_avx2(kc, a, b, c, ldc, first, last, &e);
        if (b1) {
            tile_epi e1 = e;
            e1.res = e.res ? e.res + NR : NULL;
            e1.nr = 1;
            kernel_col1_avx2(kc, a, b1, c + NR, ldc, first, last, &e1);
        }
    }
}

/* The same 6 x 16 tile for convs with few input channels (rows_run): row
 * k of B is not a packed panel but 16 floats at t[k] + x of a prepared
 * copy of the input, so nothing is packed. One more load per k (the row
 * pointer) still leaves the loads under the FMAs (9 per 12). */
#define CB_ROWS_T(ao, to)                                                                  \
    "mov " #to "(%[t]), %%rax\n\t"                                                         \
    "vmovups (%%rax,%[x]), %%ymm0\n\t"                                                     \
    "vmovups 32(%%rax,%[x]), %%ymm1\n\t"                                                   \
    CB_TILE_FMAS(ao)

__attribute__((target("avx2,fma"))) static void kernel_rows_avx2(int kc, const float *a,
                                                                 const float *const *t, int x,
                                                                 float *c, int ldc,
                                                                 const tile_epi *e) {
    CB_TILE_REGS;
    long k2 = kc / 2, k1 = kc % 2, xb = (long)x * (long)sizeof(float);
    /* The output here is large (a whole 224x224 layer) and leaves cache
     * between tiles; fetch the lines of this tile's rows for the next 16
     * outputs, which the x loop reaches after all M rows at this x. */
    for (int r = 0; r < e->mr; r++) _mm_prefetch((const char *)(c + (size_t)r * ldc + NR), _MM_HINT_T0);
    __asm__ volatile(
        CB_TILE_ZERO
        "test %[k2], %[k2]\n\t"
        "jz 2f\n\t"
        ".p2align 5\n"
        "1:\n\t"
        CB_ROWS_T(0, 0)
        CB_ROWS_T(24, 8)
        "add $48, %[a]\n\t"
        "add $16, %[t]\n\t"
        "dec %[k2]\n\t"
        "jnz 1b\n"
        "2:\n\t"
        "test %[k1], %[k1]\n\t"
        "jz 4f\n\t"
        CB_ROWS_T(0, 0)
        "4:\n\t"
        : [a] "+r"(a), [t] "+r"(t), [k2] "+r"(k2), "=x"(c0), "=x"(c1), "=x"(c2), "=x"(c3),
          "=x"(c4), "=x"(c5), "=x"(c6), "=x"(c7), "=x"(c8), "=x"(c9), "=x"(c10), "=x"(c11)
        : [k1] "r"(k1), [x] "r"(xb)
        : "rax", "xmm0", "xmm1", "xmm2", "xmm3", "memory", "cc");
    CB_TILE_OUT(acc, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11);
    tile_store_avx2(acc, c, ldc, 1, 1, e);
}
#undef CB_ROWS_T

/* The 6 x 16 tile (and the 4 x 16 one for a last panel of A with at most
 * 4 rows) reading B in place: row k of B is 16 floats at b + k*ldb, a 1x1
 * conv's input rows, so nothing is packed (see inplace_strips). */
#define CB_ROWS_S(FMAS, ao, addr, addr32)                                                  \
    "vmovups " addr ", %%ymm0\n\t"                                                         \
    "vmovups " addr32 ", %%ymm1\n\t"                                                       \
    FMAS(ao)
#define CB_K_LOOP_S(FMAS)                                                                  \
    CB_K_LOOP_OF(CB_ROWS_S(FMAS, 0, "(%[b])", "32(%[b])"),                                  \
                 CB_ROWS_S(FMAS, 24, "(%[b],%[lb],1)", "32(%[b],%[lb],1)"),                 \
                 CB_ROWS_S(FMAS, 48, "(%[b],%[lb],2)", "32(%[b],%[lb],2)"),                 \
                 CB_ROWS_S(FMAS, 72, "(%[b],%[lb3],1)", "32(%[b],%[lb3],1)"),               \
                 "lea (%[b],%[lb],4), %[b]\n\t", "add %[lb], %[b]\n\t")

#define CB_STRIDED_KERNEL(name, REGS, ZERO, FMAS, OUTPUTS, ...)                            \
    __attribute__((target("avx2,fma"))) static void name(int kc, const float *a,           \
                                                         const float *b, long ldb,         \
                                                         float *c, int ldc,                \
                                                         const tile_epi *e) {              \
        REGS;                                                                              \
        long k4 = kc / 4, k1 = kc % 4, lb = ldb * (long)sizeof(float), lb3 = 3 * lb;       \
        tile_prefetch(c, ldc, e->mr, 1, e);                                                \
        __asm__ volatile(ZERO CB_K_LOOP_S(FMAS)                                            \
                         : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1), OUTPUTS \
                         : [lb] "r"(lb), [lb3] "r"(lb3)                                    \
                         : "xmm0", "xmm1", "xmm2", "xmm3", "memory", "cc");                \
        CB_TILE_OUT(acc, __VA_ARGS__);                                                     \
        tile_store_avx2(acc, c, ldc, 1, 1, e);                                             \
    }
CB_STRIDED_KERNEL(kernel_strided_avx2, CB_TILE_REGS, CB_TILE_ZERO, CB_TILE_FMAS, CB_TILE_OUTPUTS,
                  c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11)
CB_STRIDED_KERNEL(kernel4_strided_avx2, CB_TILE4_REGS, CB_TILE4_ZERO, CB_TILE4_FMAS,
                  CB_TILE4_OUTPUTS, c0, c1, c2, c3, c4, c5, c6, c7, _mm256_setzero_ps(),
                  _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps())
#undef CB_STRIDED_KERNEL
#undef CB_ROWS_S
#undef CB_K_LOOP_S
#undef CB_TILE_FMAS
#undef CB_TILE4_FMAS
#undef CB_ROW_PAIR
#undef CB_K_LOOP
#undef CB_K_LOOP_OF
#undef CB_TILE_ZERO
#undef CB_TILE_REGS
#undef CB_TILE4_REGS
#undef CB_TILE_OUTPUTS
#undef CB_TILE4_OUTPUTS
#undef CB_TILE4_ZERO

/* 6 x 8: the last panel of B when at most 8 of its 16 columns exist (N = 49
 * at 7x7 has one such column), so half the FMAs are not wasted on zeros.
 * B keeps its 16-wide panel layout; only the first 8 columns are read. */
#define CB_ROWS8(ao, bo)                                                                   \
    "vmovaps " #bo "(%[b]), %%ymm0\n\t"                                                    \
    "vbroadcastss " #ao "(%[a]), %%ymm2\n\t"                                               \
    "vbroadcastss " #ao "+4(%[a]), %%ymm3\n\t"                                             \
    "vfmadd231ps %%ymm0, %%ymm2, %%ymm4\n\t"                                               \
    "vfmadd231ps %%ymm0, %%ymm3, %%ymm5\n\t"                                               \
    "vbroadcastss " #ao "+8(%[a]), %%ymm2\n\t"                                             \
    "vbroadcastss " #ao "+12(%[a]), %%ymm3\n\t"                                            \
    "vfmadd231ps %%ymm0, %%ymm2, %%ymm6\n\t"                                               \
    "vfmadd231ps %%ymm0, %%ymm3, %%ymm7\n\t"                                               \
    "vbroadcastss " #ao "+16(%[a]), %%ymm2\n\t"                                            \
    "vbroadcastss " #ao "+20(%[a]), %%ymm3\n\t"                                            \
    "vfmadd231ps %%ymm0, %%ymm2, %%ymm8\n\t"                                               \
    "vfmadd231ps %%ymm0, %%ymm3, %%ymm9\n\t"

__attribute__((target("avx2,fma"))) static void kernel8_avx2(int kc, const float *a, const float *b,
                                                             float *c, int ldc, int first, int last,
                                                             const tile_epi *e) {
    float acc[MR * 8] __attribute__((aligned(32)));
    long k = kc;
    __asm__ volatile(
        "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
        "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
        "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
        "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
        "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
        "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
        "test %[k], %[k]\n\t"
        "jz 2f\n"
        "1:\n\t"
        CB_ROWS8(0, 0)
        "add $24, %[a]\n\t"
        "add $64, %[b]\n\t"
        "dec %[k]\n\t"
        "jnz 1b\n"
        "2:\n\t"
        "vmovaps %%ymm4, (%[acc])\n\t"
        "vmovaps %%ymm5, 32(%[acc])\n\t"
        "vmovaps %%ymm6, 64(%[acc])\n\t"
        "vmovaps %%ymm7, 96(%[acc])\n\t"
        "vmovaps %%ymm8, 128(%[acc])\n\t"
        "vmovaps %%ymm9, 160(%[acc])\n\t"
        : [a] "+r"(a), [b] "+r"(b), [k] "+r"(k)
        : [acc] "r"(acc)
        : "xmm0", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "memory", "cc");
    const __m256 zero = _mm256_setzero_ps();
    const __m256i m = lanes(e->nr);
    for (int r = 0; r < e->mr; r++) {
        float *cr = c + (size_t)r * ldc;
        __m256 v = _mm256_load_ps(acc + r * 8);
        if (!first) v = _mm256_add_ps(v, _mm256_maskload_ps(cr, m));
        if (last) {
            if (e->bias) v = _mm256_add_ps(v, _mm256_broadcast_ss(e->bias + r));
            if (e->relu_pre) v = _mm256_max_ps(v, zero);
            if (e->res) v = _mm256_add_ps(v, _mm256_maskload_ps(e->res + (size_t)r * e->ldr, m));
            if (e->relu_post) v = _mm256_max_ps(v, zero);
        }
        _mm256_maskstore_ps(cr, m, v);
    }
}
#undef CB_ROWS8

/* At most 4 columns of B (N = 49 at 7x7 leaves one after three full
 * panels): run the vectors down the 6 rows of each A panel instead, so
 * each FMA does 6 useful multiply-adds and the k loop costs one A load per
 * panel plus one broadcast per column; the 6 x 8 kernel would spend 6 FMAs
 * per k on one useful column. np = 2 panels at once share each broadcast
 * of B, so 4 columns cost 6 loads per 8 FMAs instead of 5 per 4 (the 14x14
 * layers' last 4 columns: 1x1 512->512 @14x14 1.25 -> 1.19 ms). u
 * independent partial sums per column hide the FMA latency; u depends on
 * the column count only, so a panel sums in the same order whether it is
 * paired or not (the pairing depends on how threads split the rows, and
 * results must not). nrc, np and u are constants after inlining. */
__attribute__((always_inline, target("avx2,fma"))) static inline void
narrow_sums(int kc, const float *const a[2], const int np, const float *b, const int nrc,
            float out[2][4][8]) {
    const int u = nrc == 1 ? 4 : nrc == 2 ? 2 : 1;
    const __m256i six = _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0);
    __m256 acc[4][2][4];
    for (int j = 0; j < u; j++)
        for (int p = 0; p < np; p++)
            for (int c = 0; c < nrc; c++) acc[j][p][c] = _mm256_setzero_ps();
    int k = 0;
    for (; k + u <= kc; k += u) {
        for (int j = 0; j < u; j++) {
            __m256 av[2];
            for (int p = 0; p < np; p++) av[p] = _mm256_maskload_ps(a[p] + (size_t)(k + j) * MR, six);
            for (int c = 0; c < nrc; c++) {
                __m256 bb = _mm256_broadcast_ss(b + (size_t)(k + j) * NR + c);
                for (int p = 0; p < np; p++) acc[j][p][c] = _mm256_fmadd_ps(av[p], bb, acc[j][p][c]);
            }
        }
    }
    for (; k < kc; k++) {
        __m256 av[2];
        for (int p = 0; p < np; p++) av[p] = _mm256_maskload_ps(a[p] + (size_t)k * MR, six);
        for (int c = 0; c < nrc; c++) {
            __m256 bb = _mm256_broadcast_ss(b + (size_t)k * NR + c);
            for (int p = 0; p < np; p++) acc[0][p][c] = _mm256_fmadd_ps(av[p], bb, acc[0][p][c]);
        }
    }
    for (int p = 0; p < np; p++)
        for (int c = 0; c < nrc; c++) {
            __m256 s = acc[0][p][c];
            for (int j = 1; j < u; j++) s = _mm256_add_ps(s, acc[j][p][c]);
            _mm256_storeu_ps(out[p][c], s);
        }
}

/* The 1-4 column tile of np panels (e->mr counts the rows of all of them). */
__attribute__((always_inline, target("avx2,fma"))) static inline void
narrow_tile(int kc, const float *const a[2], const int np, const float *b, float *c, int ldc,
            int first, int last, const tile_epi *e) {
    float out[2][4][8];
    switch (e->nr) {
    case 1: narrow_sums(kc, a, np, b, 1, out); break;
    case 2: narrow_sums(kc, a, np, b, 2, out); break;
    case 3: narrow_sums(kc, a, np, b, 3, out); break;
    default: narrow_sums(kc, a, np, b, 4, out); break;
    }
    for (int r = 0; r < e->mr; r++) {
        for (int t = 0; t < e->nr; t++) {
            float v = out[r / MR][t][r % MR] + (first ? 0.0f : c[(size_t)r * ldc + t]);
            c[(size_t)r * ldc + t] = last ? epi_scalar(e, r, t, v) : v;
        }
    }
}

__attribute__((target("avx2,fma"))) static void kernel_narrow_avx2(int kc, const float *a,
                                                                   const float *b, float *c,
                                                                   int ldc, int first, int last,
                                                                   const tile_epi *e) {
    const float *const ap[2] = {a, NULL};
    narrow_tile(kc, ap, 1, b, c, ldc, first, last, e);
}

/* One column of B (N = 49 at 7x7 and 289 at 17x17 leave one after the
 * full panels). narrow_sums spends a masked load of A and a broadcast of B
 * on every FMA there, and measured 8% of a 1x1 1024->1024 @7x7 conv for 2%
 * of its multiply-adds. Here the packed B of that column is first widened
 * in place to MR copies of each value (widen_col1), so that B is laid out
 * exactly like the A panel: 4 steps of k are 24 consecutive floats in
 * both, and 3 plain loads of each plus 3 FMAs do 24 useful multiply-adds.
 * Lane l of the 24 holds row l % 6 of step l / 6, so the rows are summed
 * out of the lanes once at the end. Two sets of accumulators (8 steps per
 * iteration) cover the FMA latency. Same-process medians against
 * narrow_sums, 1 thread: 1x1 1024->1024 @7x7 0.95-0.97 (0.975 at 2
 * threads), 512->1024 @7x7 0.94, 768->192 @17x17 1.00 (one column in 289).
 * What is left of the column's 5% there is mostly each call's fixed cost
 * (summing the lanes, the scalar epilogue) against only kc / 8 iterations. */
__attribute__((target("avx2,fma"))) static void kernel_col1_avx2(int kc, const float *a,
                                                                 const float *b, float *c,
                                                                 int ldc, int first, int last,
                                                                 const tile_epi *e) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, t0 = s0, t1 = s0, t2 = s0;
    int k = 0;
    for (; k + 8 <= kc; k += 8, a += 8 * MR, b += 8 * MR) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 8), _mm256_loadu_ps(b + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 16), _mm256_loadu_ps(b + 16), s2);
        t0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 24), _mm256_loadu_ps(b + 24), t0);
        t1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 32), _mm256_loadu_ps(b + 32), t1);
        t2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 40), _mm256_loadu_ps(b + 40), t2);
    }
    if (k + 4 <= kc) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 8), _mm256_loadu_ps(b + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + 16), _mm256_loadu_ps(b + 16), s2);
        k += 4, a += 4 * MR, b += 4 * MR;
    }
    float lane[4 * MR] __attribute__((aligned(32)));
    _mm256_store_ps(lane, _mm256_add_ps(s0, t0));
    _mm256_store_ps(lane + 8, _mm256_add_ps(s1, t1));
    _mm256_store_ps(lane + 16, _mm256_add_ps(s2, t2));
    float sum[MR];
    for (int r = 0; r < MR; r++) sum[r] = (lane[r] + lane[MR + r]) + (lane[2 * MR + r] + lane[3 * MR + r]);
    for (; k < kc; k++, a += MR, b += MR) /* the last 0-3 steps */
        for (int r = 0; r < MR; r++) sum[r] += a[r] * b[0];
    for (int r = 0; r < e->mr; r++) {
        float v = sum[r] + (first ? 0.0f : c[(size_t)r * ldc]);
        c[(size_t)r * ldc] = last ? epi_scalar(e, r, 0, v) : v;
    }
}

/* Two A panels (12 rows) at once; a1 is the second panel. */
__attribute__((target("avx2,fma"))) static void kernel_narrow2_avx2(int kc, const float *a0,
                                                                    const float *a1,
                                                                    const float *b, float *c,
                                                                    int ldc, int first, int last,
                                                                    const tile_epi *e) {
    const float *const ap[2] = {a0, a1};
    narrow_tile(kc, ap, 2, b, c, ldc, first, last, e);
}
#endif

/* ---------------------------------------------------------------- few input channels */

/* A network's first conv reads 3 channels: K = 27 for 3x3, so each packed
 * float of B feeds only M (32 or 64) multiply-adds and packing the
 * strided im2col panels cost about as much as the FMAs (30% of MobileNet's
 * first conv, 0.5 ms). For K <= CB_ROWS_MAX_K the input is instead copied
 * once into zero-padded planes split by column phase (for stride 2: even
 * and odd columns), where every tap of 16 neighbouring outputs is 16
 * contiguous floats: P[c][v % s][y*s + u][x + v/s] = xpad[c][y*s + u][x*s + v].
 * The micro-kernel then reads row k of B straight from there through a
 * table of K row pointers per output row. */
#ifndef CB_ROWS_MAX_K
#define CB_ROWS_MAX_K 32
#endif

typedef struct {
    int s;             /* stride (both directions) */
    int hp, wq;        /* padded rows; columns per phase row */
    size_t phase, chan; /* floats per phase plane, per channel */
} rows_geom;

static int round_up(int n, int m) { return (n + m - 1) / m * m; }

static rows_geom rows_geometry(const cb_fast_gemm *g) {
    rows_geom r;
    r.s = g->p.stride_w;
    r.hp = g->in.h + 2 * g->p.pad_h;
    /* the kernel reads q up to round16(OW) - 1 + (kw - 1)/s */
    int need = round_up(g->out.w, NR) + (g->p.kw - 1) / r.s;
    int whole = (g->in.w + 2 * g->p.pad_w + r.s - 1) / r.s;
    r.wq = round_up(need > whole ? need : whole, 8);
    r.phase = (size_t)r.hp * r.wq;
    r.chan = (size_t)r.s * r.phase;
    return r;
}

int cb_fast_rows_suits(const cb_fast_gemm *g) {
    const cb_conv_params *p = &g->p;
    return g->groups == 1 && !g->direct && g->K <= CB_ROWS_MAX_K && p->kh * p->kw > 1 &&
           p->stride_h == p->stride_w && (p->stride_w == 1 || p->stride_w == 2) &&
           g->out.w >= NR;
}

size_t cb_fast_rows_workspace(const cb_fast_gemm *g) {
    rows_geom r = rows_geometry(g);
    return (size_t)g->in.c * r.chan;
}

#ifdef CB_X86
/* Padded row r of channel xc into its s phase rows (dst, phase apart). */
__attribute__((target("avx2"))) static void rows_prepare_row(const cb_fast_gemm *g,
                                                             const rows_geom *G, const float *xc,
                                                             int r, float *dst, int relu) {
    const int W = g->in.w, i = r - g->p.pad_h, pw = g->p.pad_w, s = G->s;
    for (int ph = 0; ph < s; ph++) {
        float *d = dst + (size_t)ph * G->phase;
        if (i < 0 || i >= g->in.h) {
            memset(d, 0, sizeof(float) * (size_t)G->wq);
            continue;
        }
        const float *src = xc + (size_t)i * W;
        /* column q reads input column q*s + ph - pw: inside for q in [lo, hi) */
        int lo = pw - ph > 0 ? (pw - ph + s - 1) / s : 0;
        int hi = (W + pw - ph + s - 1) / s;
        if (hi > G->wq) hi = G->wq;
        if (hi < 0) hi = 0;
        if (lo > hi) lo = hi;
        memset(d, 0, sizeof(float) * (size_t)lo);
        int q = lo;
        if (s == 2)
            for (; q + 16 <= hi && q * 2 + ph - pw + 32 <= W; q += 16)
                copy16_s2_avx2(d + q, src + q * 2 + ph - pw, relu);
        for (; q < hi; q++) {
            float v = src[q * s + ph - pw];
            d[q] = relu && v < 0.0f ? 0.0f : v;
        }
        memset(d + hi, 0, sizeof(float) * (size_t)(G->wq - hi));
    }
}

static void rows_run(const cb_fast_gemm *g, const float *x, float *y, const cb_fast_epi *e,
                     int threads, float *ws) {
    const rows_geom G = rows_geometry(g);
    const int C = g->in.c, M = g->M, K = g->K, N = g->N, OH = g->out.h, OW = g->out.w;
    const int kh = g->p.kh, kw = g->p.kw, s = G.s, mpan = (M + MR - 1) / MR;
    threads = cb_fast_threads_for((double)M * N * K, threads);
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(static)
        for (int cr = 0; cr < C * G.hp; cr++) {
            int c = cr / G.hp, r = cr % G.hp;
            rows_prepare_row(g, &G, x + (size_t)c * g->in.h * g->in.w, r,
                             ws + (size_t)c * G.chan + (size_t)r * G.wq, g->in_relu);
        }
        /* (the implicit barrier: every plane is ready) */
        const float *tab[CB_ROWS_MAX_K];
#pragma omp for schedule(static)
        for (int oy = 0; oy < OH; oy++) {
            for (int c = 0, k = 0; c < C; c++)
                for (int u = 0; u < kh; u++)
                    for (int v = 0; v < kw; v++, k++)
                        tab[k] = ws + (size_t)c * G.chan + (size_t)(v % s) * G.phase +
                                 (size_t)(oy * s + u) * G.wq + v / s;
            for (int x0 = 0; x0 < OW; x0 += NR) {
                const int nr = OW - x0 < NR ? OW - x0 : NR;
                for (int mp = 0; mp < mpan; mp++) {
                    const int m = mp * MR, mr = M - m < MR ? M - m : MR;
                    const size_t at = (size_t)m * N + (size_t)oy * OW + x0;
                    tile_epi te = {g->bias + m, e->res ? e->res + at : NULL, N, e->relu_pre,
                                   e->relu_post, mr, nr};
                    kernel_rows_avx2(K, g->apack + (size_t)mp * K * MR, tab, x0, y + at, N, &te);
                }
            }
        }
    }
}
#endif

/* ---------------------------------------------------------------- driver */

#ifdef CB_HAVE_OPENBLAS
/* Comparison backend for plain 1x1 convs: cblas_sgemm, then the epilogue
 * as a separate pass (OpenBLAS cannot fuse it). */
static void run_openblas(const cb_fast_gemm *g, const float *x, float *y, const cb_fast_epi *e,
                         int threads) {
    openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->M, g->N, g->K, 1.0f, g->wrow, g->K,
                x, g->N, 0.0f, y, g->N);
    const int N = g->N;
    threads = cb_fast_threads_for((double)g->M * N, threads);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int m = 0; m < g->M; m++) {
        float *ym = y + (size_t)m * N;
        const float *rm = e->res ? e->res + (size_t)m * N : NULL;
        float b = g->bias[m];
        for (int n = 0; n < N; n++) {
            float v = ym[n] + b;
            if (e->relu_pre && v < 0.0f) v = 0.0f;
            if (rm) v += rm[n];
            if (e->relu_post && v < 0.0f) v = 0.0f;
            ym[n] = v;
        }
    }
}
#endif

/* The micro-kernels and packing this CPU runs (chosen per call: tests flip
 * the portable switch at run time). */
typedef struct {
    column_fn column;        /* tiles with 9-16 columns, a column of A panels per call */
    kernel_fn kern8, narrow; /* tiles with 5-8 and 1-4 columns */
    kernel_fn col1;          /* 1 column, B widened by widen_col1; or NULL (narrow does it) */
    /* 1-4 columns of two A panels at once, or NULL */
    void (*narrow2)(int, const float *, const float *, const float *, float *, int, int, int,
                    const tile_epi *);
    void (*pack)(const cb_fast_gemm *, const float *, int, int, int, int, float *);
} kernels;

static kernels pick_kernels(int avx2) {
    kernels k = {column_c, kernel_c, kernel_c, NULL, NULL, pack_b_c};
#ifdef CB_X86
    if (avx2) {
        k.column = column_avx2;
        k.kern8 = kernel8_avx2;
        k.narrow = kernel_narrow_avx2;
        k.col1 = kernel_col1_avx2;
        k.narrow2 = kernel_narrow2_avx2;
        k.pack = pack_b_avx2;
    }
#endif
    return k;
}

#ifndef CB_GEMM_FETCH_A_MIN
#define CB_GEMM_FETCH_A_MIN (256 * 1024) /* bytes of packed A above which it is fetched ahead */
#endif

/* Rows of K per block: K split evenly into blocks of at most KC rows, or
 * (one_max > 0) a single block when K <= one_max. One block saves the
 * round trip of the partial sums through C between K blocks: a 1x1 conv
 * 512->512 @14x14 measured 3-4% faster as one block of 512 than as two of
 * 256 (K = 1024 as two blocks of 512 measured 5% slower than four of 256,
 * so larger K keep the KC limit; K = 728, Xception's, as one block
 * instead of two of 364 measured the same, 1.00, in session 12). */
static int k_block(int K, int one_max) {
    if (one_max > 0 && K <= one_max) return K;
    int nkb = (K + CB_GEMM_KC - 1) / CB_GEMM_KC;
    return (K + nkb - 1) / nkb;
}

/* One work item on one group: rows [q0, q1) of MR-row panels of A by
 * columns [p0, p1) of NR-column panels of B, with the epilogue after the
 * last K block. xg: the group's input (B, row stride g->N), yg/res: its
 * output and residual (row stride ldc), bias: its M biases or NULL, kcb:
 * rows of K per block (k_block), bp: this thread's B buffer. */
static void gemm_part(const cb_fast_gemm *g, const kernels *kz, const float *xg, float *yg,
                      const float *ag, const float *bias, const float *res, int relu_pre,
                      int relu_post, int p0, int p1, int q0, int q1, int kcb, float *bp,
                      const int ldc) {
    const int M = g->M, K = g->K, N = g->N;
    const int mcp = CB_GEMM_MC / MR; /* A panels per block */
    /* Weights that fit in half of L2 stay there from one block to the next:
     * fetching them ahead would only cost instructions. */
    const int fetch_a = (size_t)((M + MR - 1) / MR) * MR * K * sizeof(float) > CB_GEMM_FETCH_A_MIN;
    const int nend = p1 * NR < N ? p1 * NR : N;
    for (int n0 = p0 * NR, nb; n0 < nend; n0 += nb) {
        /* NC columns, or all that is left when that is under 1.5 NC:
         * a thin last block would stream all of A for little work */
        nb = nend - n0 <= NC_MAX ? nend - n0 : CB_GEMM_NC;
        const int njp = (nb + NR - 1) / NR;
        /* a lone last column rides along with the last full panel (column_avx2) */
        const int col1 = kz->col1 && nb % NR == 1, ride = col1 && njp > 1;
        for (int k0 = 0; k0 < K; k0 += kcb) {
            int kc = K - k0 < kcb ? K - k0 : kcb;
            int first = k0 == 0, last = k0 + kc == K;
            kz->pack(g, xg, k0, kc, n0, nb, bp);
            float *const b1 = bp + (size_t)(njp - 1) * kc * NR;
            if (col1) widen_col1(b1, kc);
            for (int mb = q0; mb < q1; mb += mcp) {
                int mbe = mb + mcp < q1 ? mb + mcp : q1;
                /* the next block of A: the next rows, else the next K
                 * block's first rows, else (a next column block) the first */
                a_ahead ahead = {0};
                const int nmb = mbe < q1 ? mbe : q0;
                const int nk0 = mbe < q1 ? k0 : k0 + kc < K ? k0 + kc : 0;
                if (fetch_a && (mbe < q1 || k0 + kc < K || n0 + nb < nend))
                    a_ahead_set(&ahead, ag, K, nmb, nmb + mcp < q1 ? nmb + mcp : q1, nk0,
                                K - nk0 < kcb ? K - nk0 : kcb, (njp - ride) * (mbe - mb));
                for (int jp = 0; jp < njp - ride; jp++) {
                    int n = n0 + jp * NR, nr = nb - jp * NR < NR ? nb - jp * NR : NR;
                    const float *bpan = bp + (size_t)jp * kc * NR;
                    /* the epilogue of the column's first tile, with the rows of C from there on */
                    const int m0 = mb * MR;
                    const tile_epi te0 = {bias ? bias + m0 : NULL,
                                          res ? res + (size_t)m0 * ldc + n : NULL,
                                          ldc,
                                          relu_pre,
                                          relu_post,
                                          M - m0,
                                          nr};
                    if (nr > 8) {
                        kz->column(mbe - mb, kc, ag + ((size_t)mb * K + k0) * MR, (size_t)K * MR,
                                   bpan, ride && jp == njp - 2 ? b1 : NULL,
                                   yg + (size_t)m0 * ldc + n, ldc, first, last, &te0, &ahead);
                        continue;
                    }
                    kernel_fn kf = nr > 4 ? kz->kern8 : nr == 1 && col1 ? kz->col1 : kz->narrow;
                    tile_epi te = te0;
                    for (int mp = mb, rows = M - m0; mp < mbe; mp++, rows -= MR, epi_down(&te)) {
                        const int m = mp * MR;
                        a_ahead_step(&ahead);
                        /* (one column stays on the single-panel kernel, whose
                         * 4 chains per panel measured faster at 7x7) */
                        if (nr <= 4 && nr >= 2 && kz->narrow2 && mp + 1 < mbe) {
                            te.mr = rows < 2 * MR ? rows : 2 * MR;
                            kz->narrow2(kc, ag + ((size_t)mp * K + k0) * MR,
                                        ag + ((size_t)(mp + 1) * K + k0) * MR, bpan,
                                        yg + (size_t)m * ldc + n, ldc, first, last, &te);
                            mp++, rows -= MR, epi_down(&te); /* two panels done */
                            continue;
                        }
                        te.mr = rows < MR ? rows : MR;
                        kf(kc, ag + ((size_t)mp * K + k0) * MR, bpan, yg + (size_t)m * ldc + n,
                           ldc, first, last, &te);
                    }
                }
            }
        }
    }
}

#ifndef CB_GEMM_INPLACE_MAX_K
#define CB_GEMM_INPLACE_MAX_K 256
#endif

/* A 1x1 conv with at most 256 input channels reads B in place instead of
 * packing it (when the kernels are AVX2's: the portable ones take packed
 * panels only). Packing copies B once more (9% of a 1x1 conv 128->128
 * @56x56); in place, each 16-column strip of B is K rows N floats apart,
 * which costs more L1 and TLB misses the more rows there are. Against
 * packing (1 thread, same-process medians): 64->64 @56x56 0.93-0.95,
 * 256->256 @28x28 0.96-0.97, 128->128 and 64->128 @56x56 0.99-1.00;
 * 512->512 @14x14 1.02, 728->728 @19x19 1.03-1.04, 1024->1024 @7x7 1.13.
 * One loss under the limit: 32->64 @112x112 on its own, 1.07 (best of 5
 * runs); MobileNet runs that conv in bands with its depthwise conv (B a
 * band in L2, rows a band apart), where in place measured faster (per-band
 * profile: 0.59-0.65 against 0.70-0.80 ms), and the whole network 0.96-0.99
 * of its time packing every 1x1 conv. */
int cb_fast_inplace_suits(const cb_fast_gemm *g) {
    const char *env = getenv("CB_PW_INPLACE"); /* "0": always pack (for comparison, and tests) */
    return g->direct && g->groups == 1 && !g->in_relu && g->K <= CB_GEMM_INPLACE_MAX_K &&
           !(env && strcmp(env, "0") == 0);
}

#ifdef CB_X86

/* Strips [s0, s1) of NR columns of a 1x1 conv, B read in place: x is B
 * (rows ldx floats apart), y and res are C and the residual (rows ldc
 * apart), both at the strips' first column. For each strip every panel
 * of A in turn: the strip's K rows of B (K x 64 bytes) stay in L1 across
 * them, while the next strip's rows are fetched a slice per panel. */
static void inplace_strips(const cb_fast_gemm *g, const float *x, int ldx, float *y,
                           const float *res, int ldc, int relu_pre, int relu_post, int s0,
                           int s1) {
    const int M = g->M, K = g->K, mpan = (M + MR - 1) / MR, per = (K + mpan - 1) / mpan;
    for (int sp = s0; sp < s1; sp++) {
        const size_t n = (size_t)(sp - s0) * NR;
        const float *next = sp + 1 < s1 ? x + n + NR : NULL;
        for (int mp = 0, k = 0; mp < mpan; mp++) {
            const int m = mp * MR;
            for (int i = 0; next && i < per && k < K; i++, k++) {
                _mm_prefetch((const char *)(next + (size_t)k * ldx), _MM_HINT_T0);
                _mm_prefetch((const char *)(next + (size_t)k * ldx + NR - 1), _MM_HINT_T0);
            }
            const tile_epi te = {g->bias ? g->bias + m : NULL,
                                 res ? res + (size_t)m * ldc + n : NULL,
                                 ldc,
                                 relu_pre,
                                 relu_post,
                                 M - m < MR ? M - m : MR,
                                 NR};
            (te.mr > 4 ? kernel_strided_avx2 : kernel4_strided_avx2)(
                K, g->apack + (size_t)mp * K * MR, x + n, ldx, y + (size_t)m * ldc + n, ldc, &te);
        }
    }
}

/* Strips [s0, s1) of a 1x1 conv whose B rows are g->N floats apart (in
 * cb_fast_gemm_band, a band's width) in place, then, with tail, the
 * columns past strip s1 packed as usual (bp: a B buffer). C and the
 * residual have rows ldc floats apart. */
static void inplace_part(const cb_fast_gemm *g, const kernels *kz, const float *x, float *y,
                         const cb_fast_epi *e, int ldc, int s0, int s1, int tail, float *bp) {
    const size_t n0 = (size_t)s0 * NR;
    inplace_strips(g, x + n0, g->N, y + n0, e->res ? e->res + n0 : NULL, ldc, e->relu_pre,
                   e->relu_post, s0, s1);
    if (tail && s1 * NR < g->N)
        gemm_part(g, kz, x, y, g->apack, g->bias, e->res, e->relu_pre, e->relu_post, s1,
                  (g->N + NR - 1) / NR, 0, (g->M + MR - 1) / MR, k_block(g->K, CB_GEMM_KC_ONE),
                  bp, ldc);
}
#endif

void cb_fast_gemm_plain(const float *apack, int M, int K, const float *b, int N, float *c,
                        float *bp, int avx2) {
    cb_fast_gemm g;
    memset(&g, 0, sizeof g);
    g.M = M;
    g.K = K;
    g.N = N;
    g.groups = 1;
    g.direct = 1;
    g.in = (cb_shape){K, 1, N};
    const kernels kz = pick_kernels(avx2);
    gemm_part(&g, &kz, b, c, apack, NULL, NULL, 0, 0, 0, (N + NR - 1) / NR, 0, (M + MR - 1) / MR,
              k_block(K, 0), bp, N);
}

int cb_fast_gemm_band_suits(const cb_fast_gemm *g) {
    return g->direct && g->groups == 1 && !g->in_relu && !g->wino && !g->rows;
}

void cb_fast_gemm_band(const cb_fast_gemm *g, const float *b, int nb, float *y,
                       const cb_fast_epi *e, float *bp, int avx2) {
    /* B is the band itself: to the packing, a conv nb columns wide */
    cb_fast_gemm gb = *g;
    gb.N = nb;
    const kernels kz = pick_kernels(avx2);
#ifdef CB_X86
    if (g->inplace && avx2) {
        inplace_part(&gb, &kz, b, y, e, g->N, 0, nb / NR, 1, bp);
        return;
    }
#endif
    gemm_part(&gb, &kz, b, y, g->apack, g->bias, e->res, e->relu_pre, e->relu_post, 0,
              (nb + NR - 1) / NR, 0, (g->M + MR - 1) / MR, k_block(g->K, CB_GEMM_KC_ONE), bp, g->N);
}

void cb_fast_gemm_run(const cb_fast_gemm *g, const float *x, float *y, const cb_fast_epi *e,
                      int threads, float *ws, cb_gemm_backend backend) {
#ifdef CB_HAVE_OPENBLAS
    if (backend == CB_GEMM_OPENBLAS && g->direct && g->groups == 1 && !g->in_relu && g->wrow) {
        run_openblas(g, x, y, e, threads);
        return;
    }
#else
    (void)backend;
#endif
    if (g->wino) {
        cb_fast_wino_run(g, x, y, e, threads, ws);
        return;
    }
    const int avx2 = cb_fast_use_avx2();
#ifdef CB_X86
    if (g->rows && avx2) {
        rows_run(g, x, y, e, threads, ws);
        return;
    }
#endif
    const kernels kz = pick_kernels(avx2);
    const int M = g->M, K = g->K, N = g->N;
#ifdef CB_X86
    if (g->inplace && avx2) {
        /* strips split evenly; the last thread also takes the columns past
         * the last whole strip */
        const int full = N / NR;
        threads = cb_fast_threads_for((double)M * N * K, threads);
#pragma omp parallel num_threads(threads)
        {
            const int t = omp_get_thread_num(), nt = omp_get_num_threads();
            inplace_part(g, &kz, x, y, e, N, (int)((long)full * t / nt),
                         (int)((long)full * (t + 1) / nt), t == nt - 1,
                         ws + (size_t)t * KC_BUF * NC_MAX);
        }
        return;
    }
#endif
    const int mpan = (M + MR - 1) / MR, npan = (N + NR - 1) / NR;
    size_t in_plane = (size_t)g->in.h * g->in.w;
    const size_t out_plane = (size_t)N;
    const int cin_g = g->in.c / g->groups;
    threads = cb_fast_threads_for((double)M * N * K * g->groups, threads);
    if (!g->direct) {
        /* im2col packs from a padded copy: the copy first, the B buffers after it */
        pad_input(g, x, ws, threads);
        x = ws;
        in_plane = padded_plane(g);
        ws += cb_fast_gemm_pad_workspace(g);
    }

    /* Work items: disjoint column ranges of C (each item packs only its own
     * part of B, but streams all of A) or disjoint row ranges (each packs
     * all of B itself, so no barrier is needed, and A is read once).
     * Columns cost (items - 1) extra passes over A, rows (threads - 1)
     * extra packings of B; a packing reads and writes, where A's pass is
     * a prefetched read, so rows win when the extra A traffic is more than
     * twice the extra B traffic. At 2 threads (min of 5 alternations): the
     * 1x1 convs at 14x14 and 7x7, 728 @19x19 (2.38 -> 2.32 ms) and
     * 1024->1536 @10x10 (2.16 -> 1.85) are faster by rows, 768->192
     * @17x17 and the 56x56 layers by columns. Column items are two per
     * thread, handed out dynamically: on a shared VM a descheduled thread
     * then holds up at most one item rather than its whole half. Row items
     * are one per thread, since every extra one packs B again (5-10%
     * slower at 14x14 with two). */
    const int col_items = threads == 1 ? 1 : 2 * threads;
    const double extra_a = (double)(col_items - 1) * M * K, extra_b = 2.0 * (threads - 1) * K * N;
    const int by_cols = mpan < 2 * threads || extra_a <= extra_b;
    const int span = by_cols ? npan : mpan;
    int items = by_cols ? col_items : threads;
    if (items > span) items = span;

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int it = 0; it < items * g->groups; it++) {
        float *bp = ws + (size_t)omp_get_thread_num() * KC_BUF * NC_MAX;
        const int grp = it / items, part = it % items;
        const int lo = (int)((long)span * part / items), hi = (int)((long)span * (part + 1) / items);
        gemm_part(g, &kz, x + (size_t)grp * cin_g * in_plane, y + (size_t)grp * M * out_plane,
                  g->apack + (size_t)grp * mpan * MR * K, g->bias + (size_t)grp * M,
                  e->res ? e->res + (size_t)grp * M * out_plane : NULL, e->relu_pre, e->relu_post,
                  by_cols ? lo : 0, by_cols ? hi : npan, by_cols ? 0 : lo, by_cols ? mpan : hi,
                  k_block(K, CB_GEMM_KC_ONE), bp, N);
    }
}

/* ---------------------------------------------------------------- fully connected */

/* Batch 1 makes a fully connected layer a matrix-vector product: every
 * weight is used once, so it is bound by reading W from memory, and a GEMM
 * micro-kernel would waste 15 of its 16 columns. Four rows at a time share
 * each load of x. */
#ifdef CB_X86
__attribute__((target("avx2,fma"))) static float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static void fc_rows_avx2(const float *w, int nin, const float *x,
                                                             int o0, int o1, float *y) {
    int o = o0;
    for (; o + 4 <= o1; o += 4) {
        const float *w0 = w + (size_t)o * nin, *w1 = w0 + nin, *w2 = w1 + nin, *w3 = w2 + nin;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (; i + 8 <= nin; i += 8) {
            __m256 xv = _mm256_loadu_ps(x + i);
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), xv, s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), xv, s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i), xv, s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i), xv, s3);
        }
        float r0 = hsum256(s0), r1 = hsum256(s1), r2 = hsum256(s2), r3 = hsum256(s3);
        for (; i < nin; i++) {
            r0 += w0[i] * x[i];
            r1 += w1[i] * x[i];
            r2 += w2[i] * x[i];
            r3 += w3[i] * x[i];
        }
        y[o] = r0;
        y[o + 1] = r1;
        y[o + 2] = r2;
        y[o + 3] = r3;
    }
    for (; o < o1; o++) {
        const float *wo = w + (size_t)o * nin;
        __m256 s = _mm256_setzero_ps();
        int i = 0;
        for (; i + 8 <= nin; i += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(wo + i), _mm256_loadu_ps(x + i), s);
        float r = hsum256(s);
        for (; i < nin; i++) r += wo[i] * x[i];
        y[o] = r;
    }
}
#endif

static void fc_rows_c(const float *w, int nin, const float *x, int o0, int o1, float *y) {
    for (int o = o0; o < o1; o++) {
        const float *wo = w + (size_t)o * nin;
        float s[8] = {0};
        int i = 0;
        for (; i + 8 <= nin; i += 8)
            for (int t = 0; t < 8; t++) s[t] += wo[i + t] * x[i + t];
        float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (; i < nin; i++) r += wo[i] * x[i];
        y[o] = r;
    }
}

void cb_fast_fc_run(const float *w, const float *b, int nin, int nout, const float *x, float *y,
                    int relu, int threads, cb_gemm_backend backend) {
#ifdef CB_HAVE_OPENBLAS
    if (backend == CB_GEMM_OPENBLAS) {
        openblas_set_num_threads(threads);
        cblas_sgemv(CblasRowMajor, CblasNoTrans, nout, nin, 1.0f, w, nin, x, 1, 0.0f, y, 1);
        for (int o = 0; o < nout; o++) {
            float v = y[o] + (b ? b[o] : 0.0f);
            y[o] = relu && v < 0.0f ? 0.0f : v;
        }
        return;
    }
#else
    (void)backend;
#endif
    int avx2 = cb_fast_use_avx2();
    threads = cb_fast_threads_for((double)nin * nout, threads);
#pragma omp parallel num_threads(threads)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        /* Chunks of 4 rows so each thread's range suits the 4-row kernel. */
        int chunks = (nout + 3) / 4;
        int o0 = 4 * (int)((long)chunks * tid / nt), o1 = 4 * (int)((long)chunks * (tid + 1) / nt);
        if (o1 > nout) o1 = nout;
        if (o0 < o1) {
#ifdef CB_X86
            if (avx2)
                fc_rows_avx2(w, nin, x, o0, o1, y);
            else
#endif
                fc_rows_c(w, nin, x, o0, o1, y);
            for (int o = o0; o < o1; o++) {
                float v = y[o] + (b ? b[o] : 0.0f);
                y[o] = relu && v < 0.0f ? 0.0f : v;
            }
        }
    }
    (void)avx2;
}
