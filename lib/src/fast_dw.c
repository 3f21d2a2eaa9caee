/* fast_dw.c — depthwise convolution (one k x k filter per channel), vectorised along rows.
 *
 * A depthwise conv does only k*k multiply-adds per output, so unlike a
 * GEMM it is limited by loads, not FMAs: the aim is about one load per FMA
 * and no branches in the inner loop. Per channel (threads split channels):
 *   1. copy the input plane into a zero-padded scratch plane (thread-local,
 *      L1/L2-resident), applying a fused input ReLU if asked; for a
 *      horizontal stride of 2 each padded row is stored split into its even
 *      and odd columns, so that 8 outputs at stride 2 still read 8
 *      *contiguous* inputs per tap;
 *   2. slide along output rows 8 outputs (one ymm) at a time: for 3x3 the 9
 *      weights live in registers, the taps of each input row are summed
 *      into separate partial sums (3 independent FMA chains instead of one
 *      9-long chain), and for stride 1 two output rows are made together
 *      so the 2 inner input rows are loaded once for both;
 *   3. apply the epilogue (folded batch-norm bias, ReLU, residual) in
 *      registers and store (masked at the row end).
 * The padding copy is the price of branch-free loads; it touches each
 * input once while the convolution reads it k*k times.
 */
#include <string.h>

#include <omp.h>

#include "fast_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CB_X86 1
#endif

/* Scratch-plane geometry. Stride-1 layout: padded row r at P + r*ld,
 * column t at [t]. Split layout (horizontal stride 2): padded row r's even
 * columns at P + r*ld, odd columns at P + r*ld + ld/2. */
typedef struct {
    int rows, ld, split;
} plane_geom;

static int round8(int n) { return (n + 7) / 8 * 8; }

static plane_geom geometry(const cb_fast_dw *d, int avx2) {
    plane_geom g;
    int ow8 = round8(d->out.w);
    g.rows = d->in.h + 2 * d->p.pad_h;
    g.split = avx2 && d->p.stride_w == 2;
    if (g.split) {
        /* even/odd halves must hold index ow8 - 1 + (kw - 1)/2 and the whole padded row */
        int half = round8((d->in.w + 2 * d->p.pad_w + 1) / 2 + 1);
        int need = round8(ow8 + d->p.kw / 2 + 1);
        g.ld = 2 * (half > need ? half : need);
    } else {
        /* reads reach (ow8 - 1)*sw + kw - 1 */
        int need = (ow8 - 1) * d->p.stride_w + d->p.kw;
        int wp = d->in.w + 2 * d->p.pad_w;
        g.ld = round8((need > wp ? need : wp) + 1);
    }
    return g;
}

size_t cb_fast_dw_workspace(const cb_fast_dw *d) {
    plane_geom a = geometry(d, 0), b = geometry(d, 1);
    size_t na = (size_t)a.rows * a.ld, nb = (size_t)b.rows * b.ld;
    /* + one padded row (for splitting) and slack for the last vector loads */
    return (na > nb ? na : nb) + (size_t)b.ld + 32;
}

/* Fill the padded plane of one channel. */
static void fill_plane(const cb_fast_dw *d, plane_geom g, const float *xc, float *P) {
    const int H = d->in.h, W = d->in.w, ph = d->p.pad_h, pw = d->p.pad_w;
    for (int r = 0; r < g.rows; r++) {
        float *row = P + (size_t)r * g.ld;
        int ir = r - ph;
        if (ir < 0 || ir >= H) {
            memset(row, 0, (size_t)g.ld * sizeof(float));
            continue;
        }
        const float *src = xc + (size_t)ir * W;
        if (!g.split) {
            for (int t = 0; t < pw; t++) row[t] = 0.0f;
            if (d->in_relu)
                for (int t = 0; t < W; t++) row[pw + t] = src[t] > 0.0f ? src[t] : 0.0f;
            else
                memcpy(row + pw, src, (size_t)W * sizeof(float));
            for (int t = pw + W; t < g.ld; t++) row[t] = 0.0f;
        } else {
            int half = g.ld / 2;
            float *ev = row, *od = row + half;
            for (int q = 0; q < half; q++) {
                int c0 = 2 * q - pw, c1 = 2 * q + 1 - pw;
                float v0 = c0 >= 0 && c0 < W ? src[c0] : 0.0f;
                float v1 = c1 >= 0 && c1 < W ? src[c1] : 0.0f;
                if (d->in_relu) {
                    v0 = v0 > 0.0f ? v0 : 0.0f;
                    v1 = v1 > 0.0f ? v1 : 0.0f;
                }
                ev[q] = v0;
                od[q] = v1;
            }
        }
    }
}

static float epi_scalar(float v, float bias, const cb_fast_epi *e, const float *res) {
    v += bias;
    if (e->relu_pre && v < 0.0f) v = 0.0f;
    if (res) v += *res;
    if (e->relu_post && v < 0.0f) v = 0.0f;
    return v;
}

/* Portable: any kernel and stride, plain loops over the stride-1 layout plane. */
static void channel_c(const cb_fast_dw *d, plane_geom g, const float *P, const float *wc, float bias,
                      const cb_fast_epi *e, const float *resc, float *yc) {
    const int OH = d->out.h, OW = d->out.w, kh = d->p.kh, kw = d->p.kw;
    const int sh = d->p.stride_h, sw = d->p.stride_w;
    for (int i = 0; i < OH; i++) {
        float *yr = yc + (size_t)i * OW;
        for (int j = 0; j < OW; j++) yr[j] = 0.0f;
        for (int u = 0; u < kh; u++) {
            const float *pr = P + (size_t)(i * sh + u) * g.ld;
            for (int v = 0; v < kw; v++) {
                float wv = wc[u * kw + v];
                for (int j = 0; j < OW; j++) yr[j] += wv * pr[j * sw + v];
            }
        }
        for (int j = 0; j < OW; j++)
            yr[j] = epi_scalar(yr[j], bias, e, resc ? resc + (size_t)i * OW + j : NULL);
    }
}

#ifdef CB_X86
/* fill_plane with vector copies, writing only the interior of each row:
 * the zero border is the same for every channel, so the caller zeroes the
 * plane (and tmp) once per run. The split layout is made by copying a row
 * into tmp and separating even and odd lanes with two shuffles. */
__attribute__((target("avx2,fma"))) static void fill_plane_avx2(const cb_fast_dw *d, plane_geom g,
                                                                const float *xc, float *P,
                                                                float *tmp) {
    const int H = d->in.h, W = d->in.w, ph = d->p.pad_h, pw = d->p.pad_w;
    const __m256 zero = _mm256_setzero_ps();
    for (int ir = 0; ir < H; ir++) {
        float *row = P + (size_t)(ir + ph) * g.ld;
        const float *src = xc + (size_t)ir * W;
        float *dst = (g.split ? tmp : row) + pw;
        int t = 0;
        if (d->in_relu) {
            for (; t + 8 <= W; t += 8)
                _mm256_storeu_ps(dst + t, _mm256_max_ps(_mm256_loadu_ps(src + t), zero));
            for (; t < W; t++) dst[t] = src[t] > 0.0f ? src[t] : 0.0f;
        } else {
            for (; t + 8 <= W; t += 8) _mm256_storeu_ps(dst + t, _mm256_loadu_ps(src + t));
            for (; t < W; t++) dst[t] = src[t];
        }
        if (g.split) {
            const int half = g.ld / 2;
            for (int q = 0; q < half; q += 8) {
                __m256 a = _mm256_loadu_ps(tmp + 2 * q), b = _mm256_loadu_ps(tmp + 2 * q + 8);
                __m256 ev = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
                __m256 od = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
                /* lanes are (a0 a2 b0 b2 | a4 a6 b4 b6): put the 64-bit pairs in order */
                ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xD8));
                od = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(od), 0xD8));
                _mm256_storeu_ps(row + q, ev);
                _mm256_storeu_ps(row + half + q, od);
            }
        }
    }
}

__attribute__((target("avx2,fma"))) static inline __m256i tail_mask(int n) {
    static const int lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(lanes + 8 - n));
}

/* Epilogue and store of 8 outputs (n valid, 1..8) at y; res at the same index. */
__attribute__((target("avx2,fma"))) static inline void store8(float *y, __m256 v, __m256 bias,
                                                              const cb_fast_epi *e, const float *res,
                                                              int n) {
    const __m256 zero = _mm256_setzero_ps();
    v = _mm256_add_ps(v, bias);
    if (e->relu_pre) v = _mm256_max_ps(v, zero);
    if (n == 8) {
        if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res));
        if (e->relu_post) v = _mm256_max_ps(v, zero);
        _mm256_storeu_ps(y, v);
    } else {
        __m256i m = tail_mask(n);
        if (res) v = _mm256_add_ps(v, _mm256_maskload_ps(res, m));
        if (e->relu_post) v = _mm256_max_ps(v, zero);
        _mm256_maskstore_ps(y, m, v);
    }
}

/* 3x3, stride 1 (both directions): two output rows per pass. */
__attribute__((target("avx2,fma"))) static void channel_3x3s1(const cb_fast_dw *d, plane_geom g,
                                                              const float *P, const float *wc,
                                                              float bias, const cb_fast_epi *e,
                                                              const float *resc, float *yc) {
    const int OH = d->out.h, OW = d->out.w;
    const size_t ld = (size_t)g.ld;
    const __m256 w0 = _mm256_set1_ps(wc[0]), w1 = _mm256_set1_ps(wc[1]), w2 = _mm256_set1_ps(wc[2]);
    const __m256 w3 = _mm256_set1_ps(wc[3]), w4 = _mm256_set1_ps(wc[4]), w5 = _mm256_set1_ps(wc[5]);
    const __m256 w6 = _mm256_set1_ps(wc[6]), w7 = _mm256_set1_ps(wc[7]), w8 = _mm256_set1_ps(wc[8]);
    const __m256 vb = _mm256_set1_ps(bias);
    int i = 0;
    for (; i + 2 <= OH; i += 2) {
        const float *r0 = P + (size_t)i * ld, *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
        float *y0 = yc + (size_t)i * OW, *y1 = y0 + OW;
        const float *q0 = resc ? resc + (size_t)i * OW : NULL, *q1 = resc ? q0 + OW : NULL;
        for (int j = 0; j < OW; j += 8) {
            __m256 a0 = _mm256_loadu_ps(r0 + j), a1 = _mm256_loadu_ps(r0 + j + 1),
                   a2 = _mm256_loadu_ps(r0 + j + 2);
            __m256 b0 = _mm256_loadu_ps(r1 + j), b1 = _mm256_loadu_ps(r1 + j + 1),
                   b2 = _mm256_loadu_ps(r1 + j + 2);
            __m256 s0 = _mm256_mul_ps(w0, a0);
            __m256 s1 = _mm256_mul_ps(w3, b0);
            __m256 t0 = _mm256_mul_ps(w0, b0);
            s0 = _mm256_fmadd_ps(w1, a1, s0);
            s1 = _mm256_fmadd_ps(w4, b1, s1);
            t0 = _mm256_fmadd_ps(w1, b1, t0);
            s0 = _mm256_fmadd_ps(w2, a2, s0);
            s1 = _mm256_fmadd_ps(w5, b2, s1);
            t0 = _mm256_fmadd_ps(w2, b2, t0);
            __m256 c0 = _mm256_loadu_ps(r2 + j), c1 = _mm256_loadu_ps(r2 + j + 1),
                   c2 = _mm256_loadu_ps(r2 + j + 2);
            __m256 s2 = _mm256_mul_ps(w6, c0);
            __m256 t1 = _mm256_mul_ps(w3, c0);
            s2 = _mm256_fmadd_ps(w7, c1, s2);
            t1 = _mm256_fmadd_ps(w4, c1, t1);
            s2 = _mm256_fmadd_ps(w8, c2, s2);
            t1 = _mm256_fmadd_ps(w5, c2, t1);
            __m256 e0 = _mm256_loadu_ps(r3 + j), e1 = _mm256_loadu_ps(r3 + j + 1),
                   e2 = _mm256_loadu_ps(r3 + j + 2);
            __m256 t2 = _mm256_mul_ps(w6, e0);
            t2 = _mm256_fmadd_ps(w7, e1, t2);
            t2 = _mm256_fmadd_ps(w8, e2, t2);
            int n = OW - j < 8 ? OW - j : 8;
            store8(y0 + j, _mm256_add_ps(_mm256_add_ps(s0, s1), s2), vb, e, q0 ? q0 + j : NULL, n);
            store8(y1 + j, _mm256_add_ps(_mm256_add_ps(t0, t1), t2), vb, e, q1 ? q1 + j : NULL, n);
        }
    }
    for (; i < OH; i++) {
        const float *r0 = P + (size_t)i * ld, *r1 = r0 + ld, *r2 = r1 + ld;
        float *y0 = yc + (size_t)i * OW;
        const float *q0 = resc ? resc + (size_t)i * OW : NULL;
        for (int j = 0; j < OW; j += 8) {
            __m256 s0 = _mm256_mul_ps(w0, _mm256_loadu_ps(r0 + j));
            __m256 s1 = _mm256_mul_ps(w3, _mm256_loadu_ps(r1 + j));
            __m256 s2 = _mm256_mul_ps(w6, _mm256_loadu_ps(r2 + j));
            s0 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(r0 + j + 1), s0);
            s1 = _mm256_fmadd_ps(w4, _mm256_loadu_ps(r1 + j + 1), s1);
            s2 = _mm256_fmadd_ps(w7, _mm256_loadu_ps(r2 + j + 1), s2);
            s0 = _mm256_fmadd_ps(w2, _mm256_loadu_ps(r0 + j + 2), s0);
            s1 = _mm256_fmadd_ps(w5, _mm256_loadu_ps(r1 + j + 2), s1);
            s2 = _mm256_fmadd_ps(w8, _mm256_loadu_ps(r2 + j + 2), s2);
            int n = OW - j < 8 ? OW - j : 8;
            store8(y0 + j, _mm256_add_ps(_mm256_add_ps(s0, s1), s2), vb, e, q0 ? q0 + j : NULL, n);
        }
    }
}

/* 3x3, horizontal stride 2 (any vertical stride), split plane: tap v of
 * output j reads padded column 2j + v = even[j], odd[j], even[j+1]. */
__attribute__((target("avx2,fma"))) static void channel_3x3s2(const cb_fast_dw *d, plane_geom g,
                                                              const float *P, const float *wc,
                                                              float bias, const cb_fast_epi *e,
                                                              const float *resc, float *yc) {
    const int OH = d->out.h, OW = d->out.w, sh = d->p.stride_h;
    const size_t ld = (size_t)g.ld, half = ld / 2;
    const __m256 w0 = _mm256_set1_ps(wc[0]), w1 = _mm256_set1_ps(wc[1]), w2 = _mm256_set1_ps(wc[2]);
    const __m256 w3 = _mm256_set1_ps(wc[3]), w4 = _mm256_set1_ps(wc[4]), w5 = _mm256_set1_ps(wc[5]);
    const __m256 w6 = _mm256_set1_ps(wc[6]), w7 = _mm256_set1_ps(wc[7]), w8 = _mm256_set1_ps(wc[8]);
    const __m256 vb = _mm256_set1_ps(bias);
    for (int i = 0; i < OH; i++) {
        const float *r0 = P + (size_t)i * sh * ld, *r1 = r0 + ld, *r2 = r1 + ld;
        float *y0 = yc + (size_t)i * OW;
        const float *q0 = resc ? resc + (size_t)i * OW : NULL;
        for (int j = 0; j < OW; j += 8) {
            __m256 s0 = _mm256_mul_ps(w0, _mm256_loadu_ps(r0 + j));
            __m256 s1 = _mm256_mul_ps(w3, _mm256_loadu_ps(r1 + j));
            __m256 s2 = _mm256_mul_ps(w6, _mm256_loadu_ps(r2 + j));
            s0 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(r0 + half + j), s0);
            s1 = _mm256_fmadd_ps(w4, _mm256_loadu_ps(r1 + half + j), s1);
            s2 = _mm256_fmadd_ps(w7, _mm256_loadu_ps(r2 + half + j), s2);
            s0 = _mm256_fmadd_ps(w2, _mm256_loadu_ps(r0 + j + 1), s0);
            s1 = _mm256_fmadd_ps(w5, _mm256_loadu_ps(r1 + j + 1), s1);
            s2 = _mm256_fmadd_ps(w8, _mm256_loadu_ps(r2 + j + 1), s2);
            int n = OW - j < 8 ? OW - j : 8;
            store8(y0 + j, _mm256_add_ps(_mm256_add_ps(s0, s1), s2), vb, e, q0 ? q0 + j : NULL, n);
        }
    }
}

/* Any kernel size, horizontal stride 1 or 2 (split plane for 2). */
__attribute__((target("avx2,fma"))) static void channel_generic(const cb_fast_dw *d, plane_geom g,
                                                                const float *P, const float *wc,
                                                                float bias, const cb_fast_epi *e,
                                                                const float *resc, float *yc) {
    const int OH = d->out.h, OW = d->out.w, kh = d->p.kh, kw = d->p.kw, sh = d->p.stride_h;
    const size_t ld = (size_t)g.ld, half = ld / 2;
    const __m256 vb = _mm256_set1_ps(bias);
    for (int i = 0; i < OH; i++) {
        float *y0 = yc + (size_t)i * OW;
        const float *q0 = resc ? resc + (size_t)i * OW : NULL;
        for (int j = 0; j < OW; j += 8) {
            __m256 s = _mm256_setzero_ps();
            for (int u = 0; u < kh; u++) {
                const float *pr = P + (size_t)(i * sh + u) * ld;
                for (int v = 0; v < kw; v++) {
                    const float *src = g.split ? pr + (v & 1) * half + j + v / 2 : pr + j + v;
                    s = _mm256_fmadd_ps(_mm256_set1_ps(wc[u * kw + v]), _mm256_loadu_ps(src), s);
                }
            }
            int n = OW - j < 8 ? OW - j : 8;
            store8(y0 + j, s, vb, e, q0 ? q0 + j : NULL, n);
        }
    }
}
#endif

void cb_fast_dw_run(const cb_fast_dw *d, const float *x, float *y, const cb_fast_epi *e,
                    int threads, float *ws) {
    const int C = d->in.c, kh = d->p.kh, kw = d->p.kw;
    int avx2 = 0;
#ifdef CB_X86
    avx2 = cb_fast_use_avx2() && (d->p.stride_w == 1 || d->p.stride_w == 2);
#endif
    const plane_geom g = geometry(d, avx2);
    const size_t in_plane = (size_t)d->in.h * d->in.w, out_plane = (size_t)d->out.h * d->out.w;
    const size_t per_thread = cb_fast_dw_workspace(d);
    threads = cb_fast_threads_for((double)C * out_plane * kh * kw, threads);
#pragma omp parallel num_threads(threads)
    {
        float *P = ws + (size_t)omp_get_thread_num() * per_thread;
        float *tmp = P + (size_t)g.rows * g.ld;
        if (avx2) memset(P, 0, sizeof(float) * ((size_t)g.rows * g.ld + (size_t)g.ld));
#pragma omp for schedule(static)
        for (int c = 0; c < C; c++) {
            const float *wc = d->w + (size_t)c * kh * kw;
            const float *resc = e->res ? e->res + (size_t)c * out_plane : NULL;
            float *yc = y + (size_t)c * out_plane;
#ifdef CB_X86
            if (avx2) {
                fill_plane_avx2(d, g, x + (size_t)c * in_plane, P, tmp);
                if (kh == 3 && kw == 3 && d->p.stride_w == 1 && d->p.stride_h == 1)
                    channel_3x3s1(d, g, P, wc, d->bias[c], e, resc, yc);
                else if (kh == 3 && kw == 3 && d->p.stride_w == 2)
                    channel_3x3s2(d, g, P, wc, d->bias[c], e, resc, yc);
                else
                    channel_generic(d, g, P, wc, d->bias[c], e, resc, yc);
                continue;
            }
#else
            (void)tmp;
#endif
            fill_plane(d, g, x + (size_t)c * in_plane, P);
            channel_c(d, g, P, wc, d->bias[c], e, resc, yc);
        }
    }
}
