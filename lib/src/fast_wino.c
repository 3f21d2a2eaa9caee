/* fast_wino.c — 3x3 stride-1 convolution by Winograd's minimal filtering, F(2x2, 3x3).
 *
 * A 3x3 conv makes each 2x2 block of outputs from a 4x4 patch of input
 * with 4 * 9 = 36 multiplies per (input channel, output channel). Winograd
 * (Lavin & Gray 2015, "Fast Algorithms for Convolutional Neural Networks")
 * gets the same 2x2 block from 16:
 *     Y = A^T [ (G g G^T) . (B^T d B) ] A
 * with g the 3x3 filter, d the 4x4 patch, "." the elementwise product and
 *     B^T = | 1  0 -1  0 |   G = | 1    0    0  |   A^T = | 1  1  1  0 |
 *           | 0  1  1  0 |       | 1/2  1/2  1/2 |         | 0  1 -1 -1 |
 *           | 0 -1  1  0 |       | 1/2 -1/2  1/2 |
 *           | 0  1  0 -1 |       | 0    0    1  |
 * Summed over input channels, the 16 elementwise products become 16
 * independent matrix products
 *     M_xi[cout x tiles] = U_xi[cout x cin] * V_xi[cin x tiles],  xi = 0..15,
 * which run on the same packed micro-kernel as every other conv here. So
 * the machine does 16/36 = 1/2.25 of the multiply-adds the cost model
 * counts (the model counts the textbook formula, which is what the
 * networks' papers count too) — the clearest case in this suite of time
 * and multiply-adds parting ways. The price: the input and output
 * transforms (additions only), a little more rounding (the 1/2s in G), and
 * working memory for V and M.
 *
 * Work is cut into bands of whole tile rows (independent of the thread
 * count, so results are bit-identical for any number of threads); per
 * band and thread: transform the band's input into V (8 tiles per vector),
 * run the 16 products into M, transform M into the output with the fused
 * epilogue (bias, ReLU, residual, ReLU); threads share each band, or with
 * many bands take whole bands each (solo_bands). Chosen for 3x3 stride-1 convs
 * with at least 16 input and output channels and a 14x14 or larger output
 * (cb_fast_wino_suits); CB_WINOGRAD=0 in the environment turns it off.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "fast_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CB_X86 1
#endif

enum { MR = CB_GEMM_MR, NC_MAX = CB_GEMM_NC + CB_GEMM_NC / 2 };

/* Band geometry: bt tile rows per band, each input channel's rows of the
 * band copied into a zero-padded scratch (prow x ldp) first so that every
 * transform reads without bounds checks. */
typedef struct {
    int C, M, H, W, OH, OW, TH, TW, ph, pw;
    int bt, nbands, prow, ldp;
    size_t vstride;              /* floats per V_xi (C x band tiles, plus slack) */
    size_t mstride;              /* floats per M_xi (M x band tiles) */
    size_t shared;               /* workspace floats for V and M (all threads) */
    size_t per_thread;           /* workspace floats per thread (padded rows, B buffer) */
} wgeom;

static int round8(int n) { return (n + 7) / 8 * 8; }
static wgeom geometry(const cb_fast_gemm *g) {
    wgeom w;
    w.C = g->in.c;
    w.M = g->M;
    w.H = g->in.h;
    w.W = g->in.w;
    w.OH = g->out.h;
    w.OW = g->out.w;
    w.TH = (w.OH + 1) / 2;
    w.TW = (w.OW + 1) / 2;
    w.ph = g->p.pad_h;
    w.pw = g->p.pad_w;
    /* At least ~160 tiles per band: every band reads all 16 transformed
     * weight matrices (16/9 the size of the filters) once, which costs
     * 4/tiles bytes per multiply-add; with 14 tiles per band the 512-channel
     * 14x14 layers were bound by that traffic. V and M of a band (16 x C
     * and 16 x M floats per tile) stay within the L3. */
    int bt = (160 + w.TW - 1) / w.TW;
    if (bt > w.TH) bt = w.TH;
    w.bt = bt;
    w.nbands = (w.TH + bt - 1) / bt;
    w.prow = 2 * bt + 2;
    /* vector groups of 8 tiles read 18 columns from 2*tj0, tj0 <= max(TW-8, 0) */
    int need = 2 * w.TW + 2 > 18 ? 2 * w.TW + 2 : 18;
    w.ldp = round8(need);
    /* every part of the workspace starts 64-byte aligned: the kernel's B
     * buffer (last) is read with aligned loads */
    size_t nb = (size_t)bt * w.TW;
    w.vstride = cb_fast_round16((size_t)w.C * nb);
    /* a last group reads up to 7 tiles past */
    w.mstride = cb_fast_round16((size_t)w.M * nb + 8);
    w.shared = 16 * w.vstride + 16 * w.mstride;
    w.per_thread = cb_fast_round16((size_t)w.prow * w.ldp + (size_t)CB_GEMM_KC * NC_MAX);
    return w;
}

int cb_fast_wino_suits(const cb_fast_gemm *g) {
    const char *env = getenv("CB_WINOGRAD");
    if (env && strcmp(env, "0") == 0) return 0;
    return g->groups == 1 && g->p.kh == 3 && g->p.kw == 3 && g->p.stride_h == 1 &&
           g->p.stride_w == 1 && g->p.pad_h <= 2 && g->p.pad_w <= 2 && g->in.c >= 16 &&
           g->M >= 16 && g->out.h >= 14 && g->out.w >= 14;
}

/* How threads share the work: by default all threads work on each band
 * (three barriers a band), which keeps both busy however few bands there
 * are; with at least 4 bands per thread, each thread runs whole bands on its
 * own instead, taking the next free band when done, with V and M of its
 * own and no barrier. On a shared VM a barrier makes both threads wait
 * whenever the host preempts either: the VGG block (64 channels at
 * 112x112, 19 bands) measured 0.90-0.92 of the shared-band time at 2
 * threads; with 5 bands (64->128 @56x56) solo bands measured 1.07-1.11, and
 * 1.6 with 2. CB_WINO_SOLO=1 or =0 in the environment forces either (read
 * once, so that the plan's workspace and the run agree). */
static int solo_bands(const wgeom *w, int threads) {
    static atomic_int cached = -2; /* -2 unread, -1 unset, else the forced value */
    int forced = atomic_load_explicit(&cached, memory_order_relaxed);
    if (forced == -2) {
        const char *env = getenv("CB_WINO_SOLO");
        forced = env && *env ? atoi(env) != 0 : -1;
        atomic_store_explicit(&cached, forced, memory_order_relaxed);
    }
    if (threads <= 1) return 0;
    return forced >= 0 ? forced : w->nbands >= 4 * threads;
}

size_t cb_fast_wino_workspace(const cb_fast_gemm *g, int threads) {
    wgeom w = geometry(g);
    if (threads < 1) threads = 1;
    return w.shared * (size_t)(solo_bands(&w, threads) ? threads : 1) +
           (size_t)threads * w.per_thread;
}

/* U = G g G^T for one 3x3 filter, U[4i + j]. */
static void weight_tile(const float *f, float U[16]) {
    float t[4][3];
    for (int j = 0; j < 3; j++) {
        t[0][j] = f[j];
        t[1][j] = 0.5f * (f[j] + f[3 + j] + f[6 + j]);
        t[2][j] = 0.5f * (f[j] - f[3 + j] + f[6 + j]);
        t[3][j] = f[6 + j];
    }
    for (int i = 0; i < 4; i++) {
        U[4 * i + 0] = t[i][0];
        U[4 * i + 1] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
        U[4 * i + 2] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
        U[4 * i + 3] = t[i][2];
    }
}

int cb_fast_wino_prepare(cb_fast_gemm *g, const float *w) {
    const int M = g->M, C = g->in.c, mpan = (M + MR - 1) / MR;
    const size_t per = (size_t)mpan * MR * C;
    float *u = malloc(sizeof(float) * 16 * (size_t)M * C);
    g->upack = cb_alloc_floats(16 * per);
    if (!u || !g->upack) {
        free(u);
        cb_free(g->upack);
        g->upack = NULL;
        return -1;
    }
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++) {
            float U[16];
            weight_tile(w + ((size_t)m * C + c) * 9, U);
            for (int xi = 0; xi < 16; xi++) u[((size_t)xi * M + m) * C + c] = U[xi];
        }
    for (int xi = 0; xi < 16; xi++) cb_fast_pack_a(u + (size_t)xi * M * C, M, C, g->upack + xi * per);
    free(u);
    g->wino = 1;
    return 0;
}

/* ---------------------------------------------------------------- transforms, scalar */

/* V = B^T d B for the tile whose patch starts at P[r0][c0]; V[xi * vs]. */
static void in_tile(const float *P, int ldp, int r0, int c0, float *V, size_t vs) {
    float d[4][4], t[4][4];
    for (int r = 0; r < 4; r++)
        for (int v = 0; v < 4; v++) d[r][v] = P[(size_t)(r0 + r) * ldp + c0 + v];
    for (int v = 0; v < 4; v++) {
        t[0][v] = d[0][v] - d[2][v];
        t[1][v] = d[1][v] + d[2][v];
        t[2][v] = d[2][v] - d[1][v];
        t[3][v] = d[1][v] - d[3][v];
    }
    for (int i = 0; i < 4; i++) {
        V[(size_t)(4 * i + 0) * vs] = t[i][0] - t[i][2];
        V[(size_t)(4 * i + 1) * vs] = t[i][1] + t[i][2];
        V[(size_t)(4 * i + 2) * vs] = t[i][2] - t[i][1];
        V[(size_t)(4 * i + 3) * vs] = t[i][1] - t[i][3];
    }
}

/* Y = A^T m A from m[xi * ms]. */
static void out_tile(const float *m, size_t ms, float y[2][2]) {
    float s[2][4];
    for (int j = 0; j < 4; j++) {
        s[0][j] = m[j * ms] + m[(4 + j) * ms] + m[(8 + j) * ms];
        s[1][j] = m[(4 + j) * ms] - m[(8 + j) * ms] - m[(12 + j) * ms];
    }
    for (int i = 0; i < 2; i++) {
        y[i][0] = s[i][0] + s[i][1] + s[i][2];
        y[i][1] = s[i][1] - s[i][2] - s[i][3];
    }
}

static inline float epi(float v, float bias, const cb_fast_epi *e, const float *res) {
    v += bias;
    if (e->relu_pre && v < 0.0f) v = 0.0f;
    if (res) v += *res;
    if (e->relu_post && v < 0.0f) v = 0.0f;
    return v;
}

/* ---------------------------------------------------------------- transforms, AVX2 (8 tiles) */

#ifdef CB_X86
__attribute__((target("avx2"))) static inline __m256 evens(__m256 lo, __m256 hi) {
    __m256 t = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

__attribute__((target("avx2"))) static inline __m256 odds(__m256 lo, __m256 hi) {
    __m256 t = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* 8 tiles side by side, patches from P[r0][c0 + 2k]: column v of tile k is
 * padded column c0 + 2k + v, so the 4 columns are the even and odd halves
 * of two 16-float runs. Only the first n tiles are stored. */
__attribute__((target("avx2"))) static void in_tiles8(const float *P, int ldp, int r0, int c0,
                                                      float *V, size_t vs, int n) {
    __m256 t[4][4];
    for (int r = 0; r < 4; r++) {
        const float *s = P + (size_t)(r0 + r) * ldp + c0;
        __m256 a = _mm256_loadu_ps(s), b = _mm256_loadu_ps(s + 8);
        __m256 c = _mm256_loadu_ps(s + 2), d = _mm256_loadu_ps(s + 10);
        __m256 d0 = evens(a, b), d1 = odds(a, b), d2 = evens(c, d), d3 = odds(c, d);
        t[r][0] = _mm256_sub_ps(d0, d2);
        t[r][1] = _mm256_add_ps(d1, d2);
        t[r][2] = _mm256_sub_ps(d2, d1);
        t[r][3] = _mm256_sub_ps(d1, d3);
    }
    __m256 v[16];
    for (int j = 0; j < 4; j++) {
        v[0 + j] = _mm256_sub_ps(t[0][j], t[2][j]);
        v[4 + j] = _mm256_add_ps(t[1][j], t[2][j]);
        v[8 + j] = _mm256_sub_ps(t[2][j], t[1][j]);
        v[12 + j] = _mm256_sub_ps(t[1][j], t[3][j]);
    }
    if (n == 8) {
        for (int xi = 0; xi < 16; xi++) _mm256_storeu_ps(V + (size_t)xi * vs, v[xi]);
    } else {
        const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        for (int xi = 0; xi < 16; xi++) _mm256_maskstore_ps(V + (size_t)xi * vs, m, v[xi]);
    }
}

/* A mask of the first n of 8 lanes (none for n <= 0, all for n >= 8). */
__attribute__((target("avx2"))) static inline __m256i lanes(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* One output row of 8 tiles: interleave their left (a) and right (b)
 * outputs into 16 consecutive floats, add the residual, store the first
 * `cols` (16 unless the row ends). */
__attribute__((target("avx2"))) static inline void store_row16(float *y, const float *res,
                                                               __m256 a, __m256 b, int relu_post,
                                                               int cols) {
    __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
    __m256 o0 = _mm256_permute2f128_ps(lo, hi, 0x20), o1 = _mm256_permute2f128_ps(lo, hi, 0x31);
    const __m256i m0 = lanes(cols), m1 = lanes(cols - 8);
    if (res) {
        o0 = _mm256_add_ps(o0, cols >= 16 ? _mm256_loadu_ps(res) : _mm256_maskload_ps(res, m0));
        o1 = _mm256_add_ps(o1, cols >= 16 ? _mm256_loadu_ps(res + 8)
                                          : _mm256_maskload_ps(res + 8, m1));
    }
    if (relu_post) {
        o0 = _mm256_max_ps(o0, _mm256_setzero_ps());
        o1 = _mm256_max_ps(o1, _mm256_setzero_ps());
    }
    if (cols >= 16) {
        _mm256_storeu_ps(y, o0);
        _mm256_storeu_ps(y + 8, o1);
    } else {
        _mm256_maskstore_ps(y, m0, o0);
        _mm256_maskstore_ps(y + 8, m1, o1);
    }
}

/* Up to 8 tiles of one output channel: m[xi * ms] -> the 2 x 16 outputs at
 * y (row stride ow), of which the first `cols` columns exist; the second
 * row only when it exists. */
__attribute__((target("avx2"))) static void out_tiles8(const float *m, size_t ms, float bias,
                                                       const cb_fast_epi *e, float *y,
                                                       const float *res, int ow, int two_rows,
                                                       int cols) {
    __m256 s0[4], s1[4];
    for (int j = 0; j < 4; j++) {
        __m256 m0 = _mm256_loadu_ps(m + (size_t)j * ms), m1 = _mm256_loadu_ps(m + (size_t)(4 + j) * ms);
        __m256 m2 = _mm256_loadu_ps(m + (size_t)(8 + j) * ms);
        __m256 m3 = _mm256_loadu_ps(m + (size_t)(12 + j) * ms);
        s0[j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        s1[j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
    }
    const __m256 bb = _mm256_set1_ps(bias), zero = _mm256_setzero_ps();
    __m256 y00 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0[0], s0[1]), s0[2]), bb);
    __m256 y01 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s0[1], s0[2]), s0[3]), bb);
    __m256 y10 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s1[0], s1[1]), s1[2]), bb);
    __m256 y11 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s1[1], s1[2]), s1[3]), bb);
    if (e->relu_pre) {
        y00 = _mm256_max_ps(y00, zero);
        y01 = _mm256_max_ps(y01, zero);
        y10 = _mm256_max_ps(y10, zero);
        y11 = _mm256_max_ps(y11, zero);
    }
    store_row16(y, res, y00, y01, e->relu_post, cols);
    if (two_rows) store_row16(y + ow, res ? res + ow : NULL, y10, y11, e->relu_post, cols);
}
#endif

/* ---------------------------------------------------------------- one band */

/* Each band runs in three phases shared by all threads of the enclosing
 * parallel region (a barrier after each): input transform split by input
 * channel, the 16 products split by xi, output transform split by output
 * channel. Every value is computed the same way whatever the thread count. */
static void band(const cb_fast_gemm *g, const wgeom *w, int b, const float *x, float *y,
                 const cb_fast_epi *e, float *V, float *Mo, float *mine, int avx2) {
    const int ti0 = b * w->bt, nbr = ti0 + w->bt <= w->TH ? w->bt : w->TH - ti0;
    const int TW = w->TW, nba = nbr * TW; /* tiles in this band */
    float *P = mine, *bp = mine + (size_t)w->prow * w->ldp;
    const int row0 = 2 * ti0 - w->ph; /* input row of padded row 0 */

    /* 1. input transform: V_xi[c][tile] */
#pragma omp for schedule(static)
    for (int c = 0; c < w->C; c++) {
        const float *xc = x + (size_t)c * w->H * w->W;
        for (int r = 0; r < 2 * nbr + 2; r++) {
            float *pr = P + (size_t)r * w->ldp;
            int ir = row0 + r;
            if (ir < 0 || ir >= w->H) {
                memset(pr, 0, sizeof(float) * (size_t)w->ldp);
                continue;
            }
            const float *src = xc + (size_t)ir * w->W;
            memset(pr, 0, sizeof(float) * (size_t)w->pw);
            if (g->in_relu)
                for (int ic = 0; ic < w->W; ic++) pr[w->pw + ic] = src[ic] > 0.0f ? src[ic] : 0.0f;
            else
                memcpy(pr + w->pw, src, sizeof(float) * (size_t)w->W);
            memset(pr + w->pw + w->W, 0, sizeof(float) * (size_t)(w->ldp - w->pw - w->W));
        }
        float *vc = V + (size_t)c * nba;
        for (int br = 0; br < nbr; br++) {
            float *vr = vc + (size_t)br * TW;
            int tj = 0;
#ifdef CB_X86
            if (avx2) {
                /* groups of 8; the last group overlaps the one before it
                 * (TW >= 8, recomputing a few tiles) or is masked (TW < 8) */
                for (; tj < TW; tj += 8) {
                    int t0 = tj + 8 <= TW || TW < 8 ? tj : TW - 8;
                    in_tiles8(P, w->ldp, 2 * br, 2 * t0, vr + t0, w->vstride, TW < 8 ? TW : 8);
                }
            }
#endif
            for (; tj < TW; tj++) in_tile(P, w->ldp, 2 * br, 2 * tj, vr + tj, w->vstride);
        }
    }

    /* 2. the 16 products M_xi = U_xi V_xi */
    const size_t per = (size_t)((w->M + MR - 1) / MR) * MR * w->C;
#pragma omp for schedule(dynamic, 1)
    for (int xi = 0; xi < 16; xi++)
        cb_fast_gemm_plain(g->upack + xi * per, w->M, w->C, V + xi * w->vstride, nba,
                           Mo + xi * w->mstride, bp, avx2);

    /* 3. output transform with the epilogue */
    const size_t oplane = (size_t)w->OH * w->OW;
#pragma omp for schedule(static)
    for (int m = 0; m < w->M; m++) {
        const float bias = g->bias[m];
        const float *mm = Mo + (size_t)m * nba;
        float *ym = y + (size_t)m * oplane;
        const float *rm = e->res ? e->res + (size_t)m * oplane : NULL;
        for (int br = 0; br < nbr; br++) {
            const int oy = 2 * (ti0 + br), two = oy + 1 < w->OH;
            const float *mr = mm + (size_t)br * TW;
            int tj = 0;
#ifdef CB_X86
            if (avx2)
                /* the last group's stores are masked at the row's end (M has
                 * room: reading a few tiles past the row is harmless) */
                for (; tj < TW; tj += 8)
                    out_tiles8(mr + tj, w->mstride, bias, e, ym + (size_t)oy * w->OW + 2 * tj,
                               rm ? rm + (size_t)oy * w->OW + 2 * tj : NULL, w->OW, two,
                               w->OW - 2 * tj);
#endif
            for (; tj < TW; tj++) {
                float t[2][2];
                out_tile(mr + tj, w->mstride, t);
                for (int i = 0; i < 1 + two; i++)
                    for (int j = 0; j < 2 && 2 * tj + j < w->OW; j++) {
                        size_t at = (size_t)(oy + i) * w->OW + 2 * tj + j;
                        ym[at] = epi(t[i][j], bias, e, rm ? rm + at : NULL);
                    }
            }
        }
    }
}

void cb_fast_wino_run(const cb_fast_gemm *g, const float *x, float *y, const cb_fast_epi *e,
                      int threads, float *ws) {
    const wgeom w = geometry(g);
    const int avx2 = cb_fast_use_avx2();
    const int planned = threads < 1 ? 1 : threads;
    threads = cb_fast_threads_for((double)w.M * w.C * w.TH * w.TW * 16, threads);
    if (solo_bands(&w, threads)) {
        float *rest = ws + w.shared * (size_t)planned;
#pragma omp parallel num_threads(threads)
        {
            const int tid = omp_get_thread_num();
            float *V = ws + w.shared * (size_t)tid, *Mo = V + 16 * w.vstride;
            float *mine = rest + (size_t)tid * w.per_thread;
#pragma omp for schedule(dynamic, 1)
            for (int b = 0; b < w.nbands; b++) {
                /* a team of one, for band()'s worksharing loops to bind to */
#pragma omp parallel num_threads(1)
                band(g, &w, b, x, y, e, V, Mo, mine, avx2);
            }
        }
        return;
    }
    float *V = ws, *Mo = ws + 16 * w.vstride, *rest = ws + w.shared;
#pragma omp parallel num_threads(threads)
    {
        float *mine = rest + (size_t)omp_get_thread_num() * w.per_thread;
        for (int b = 0; b < w.nbands; b++) band(g, &w, b, x, y, e, V, Mo, mine, avx2);
    }
}
