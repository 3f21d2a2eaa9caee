/* fast_misc.c — the memory-bound ops of the fast plan: pooling (max pools,
 * and average pools other than 3x3, which the plan runs as depthwise convs
 * with weights 1/9), global average pooling, stand-alone batch-norm/ReLU,
 * add, copy.
 *
 * These do O(1) arithmetic per element, so the only aims are: one pass over
 * memory, no branches in inner loops (pooling reads a padded copy of each
 * plane, as the depthwise kernel does), threads split channels. In a fused
 * plan most of these ops disappear into the convs anyway (fast_plan.c).
 *
 * Each inner loop has an AVX2 version written with intrinsics beside the
 * plain C one (the portable path). Left to gcc, these loops became 16-byte
 * SSE loops whose speed hung on where the linker put them (the same ReLU of
 * 64x112x112 ran 86 or 115 us in two builds that differed only in unrelated
 * code), and the stride-2 max pool was not vectorised at all (its loads are
 * strided). Against those: ReLU 0.8x, batch-norm 0.6x, add 0.8x, 3x3/2 max
 * pool of 64x112x112 0.4x the time (1 thread, convblocks-bench).
 */
#include <float.h>
#include <string.h>

#include <omp.h>

#include "fast_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CB_X86 1
#define CB_AVX2 __attribute__((target("avx2,fma")))
#define CB_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline
#endif

static int pool_ld(cb_shape in, const cb_pool_params *p) { return in.w + 2 * p->pad + p->k + 8; }

size_t cb_fast_pool_workspace(cb_shape in, const cb_pool_params *p) {
    /* the padded plane, then the row-pooled plane (rows x at most W + 2 pad) */
    size_t rows = (size_t)(in.h + 2 * p->pad + 1);
    return rows * (size_t)pool_ld(in, p) + rows * (size_t)(in.w + 2 * p->pad);
}

/* ---- row primitives, each in plain C and AVX2 ----
 *
 * Pool rows are short (7 to 150 floats), so a pool is thousands of calls
 * per channel: each pass over a row is one call doing all of its operands
 * (a library memcpy of a short row measured slower than the vector loop,
 * as its "rep movsb" start-up costs more than the copy). */

enum { CB_COMBINE_MAX = 8 }; /* operands per combine_row pass */

static inline float pool_op(float a, float q, int is_max) {
    return is_max ? (a > q ? a : q) : a + q;
}

/* y[j] = max or sum over i < ns of s[i][j], j < n; `acc`: y[j] is one more operand */
static void combine_row_c(float *y, const float *const *s, int ns, int n, int is_max, int acc) {
    for (int j = 0; j < n; j++) {
        float a = acc ? y[j] : s[0][j];
        for (int i = acc ? 0 : 1; i < ns; i++) a = pool_op(a, s[i][j], is_max);
        y[j] = a;
    }
}

/* hr[j] = op of pr[j*s + v] over v < k, for j0 <= j < n */
static void pool_row_c(const float *pr, int j0, int n, int k, int s, int is_max, float *hr) {
    for (int j = j0; j < n; j++) {
        float a = pr[j * s];
        for (int v = 1; v < k; v++) a = pool_op(a, pr[j * s + v], is_max);
        hr[j] = a;
    }
}

static void copy_row_c(float *y, const float *x, int n) {
    for (int j = 0; j < n; j++) y[j] = x[j];
}

#ifdef CB_X86
CB_AVX2_INLINE void combine_row_k(float *y, const float *const *s, int ns, int n, int acc,
                                  const int is_max) {
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 a = _mm256_loadu_ps(acc ? y + j : s[0] + j);
        for (int i = acc ? 0 : 1; i < ns; i++) {
            __m256 q = _mm256_loadu_ps(s[i] + j);
            a = is_max ? _mm256_max_ps(a, q) : _mm256_add_ps(a, q);
        }
        _mm256_storeu_ps(y + j, a);
    }
    const float *t[CB_COMBINE_MAX];
    for (int i = 0; i < ns; i++) t[i] = s[i] + j;
    combine_row_c(y + j, t, ns, n - j, is_max, acc);
}

/* 3x3 max pools (nearly every max pool; a 3x3 average pool runs as a
 * depthwise conv) get their own instance with the operand count fixed, so
 * the loop over operands unrolls. */
CB_AVX2 static void combine_row_avx2(float *y, const float *const *s, int ns, int n, int is_max,
                                     int acc) {
    if (is_max && ns == 3 && !acc)
        combine_row_k(y, s, 3, n, 0, 1);
    else if (is_max)
        combine_row_k(y, s, ns, n, acc, 1);
    else
        combine_row_k(y, s, ns, n, acc, 0);
}

CB_AVX2 static void copy_row_avx2(float *y, const float *x, int n) {
    int j = 0;
    for (; j + 8 <= n; j += 8) _mm256_storeu_ps(y + j, _mm256_loadu_ps(x + j));
    copy_row_c(y + j, x + j, n - j);
}

/* Stride 2: u[i] = op of x[i .. i+k-1] for 16 consecutive i, then the even
 * lanes of u. Computing the odd windows too costs less than first splitting
 * the row into even and odd halves and pooling those at stride 1: reading a
 * half back straight after writing it (at an offset of one float) defeats
 * store-to-load forwarding (3x3/2 max pool of 64x112x112: 250 us this way,
 * 345-360 us split). */
CB_AVX2 static void pool_row_s2_avx2(const float *x, int n, int k, int is_max, float *y) {
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        const float *p = x + 2 * j;
        __m256 u0 = _mm256_loadu_ps(p), u1 = _mm256_loadu_ps(p + 8);
        for (int v = 1; v < k; v++) {
            __m256 q0 = _mm256_loadu_ps(p + v), q1 = _mm256_loadu_ps(p + 8 + v);
            u0 = is_max ? _mm256_max_ps(u0, q0) : _mm256_add_ps(u0, q0);
            u1 = is_max ? _mm256_max_ps(u1, q1) : _mm256_add_ps(u1, q1);
        }
        /* the even lanes come out as (u0[0] u0[2] u1[0] u1[2] | u0[4] u0[6] u1[4]
         * u1[6]): put the 64-bit pairs in order */
        __m256 ev = _mm256_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0));
        ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xD8));
        _mm256_storeu_ps(y + j, ev);
    }
    pool_row_c(x, j, n, k, 2, is_max, y);
}
#endif

/* y = op over all ns rows in s, CB_COMBINE_MAX at a time */
static void combine_row(float *y, const float *const *s, int ns, int n, int is_max, int avx2) {
    for (int i0 = 0; i0 < ns; i0 += CB_COMBINE_MAX) {
        int m = ns - i0 < CB_COMBINE_MAX ? ns - i0 : CB_COMBINE_MAX;
#ifdef CB_X86
        if (avx2) {
            combine_row_avx2(y, s + i0, m, n, is_max, i0 > 0);
            continue;
        }
#endif
        combine_row_c(y, s + i0, m, n, is_max, i0 > 0);
    }
    (void)avx2;
}

static void copy_row(float *y, const float *x, int n, int avx2) {
#ifdef CB_X86
    if (avx2) {
        copy_row_avx2(y, x, n);
        return;
    }
#endif
    (void)avx2;
    copy_row_c(y, x, n);
}

/* Padded copy of one plane: border = fill. */
static void pad_plane(const float *xc, cb_shape in, int pad, int ld, float fill, float *P,
                      int avx2) {
    int rows = in.h + 2 * pad;
    for (int r = 0; r < rows; r++) {
        float *row = P + (size_t)r * ld;
        int ir = r - pad;
        if (ir < 0 || ir >= in.h) {
            for (int t = 0; t < ld; t++) row[t] = fill;
            continue;
        }
        for (int t = 0; t < pad; t++) row[t] = fill;
        copy_row(row + pad, xc + (size_t)ir * in.w, in.w, avx2);
        for (int t = pad + in.w; t < ld; t++) row[t] = fill;
    }
}

/* hr[j] = max (or sum) of pr[j*s + v] over v < k, for j < n; src: room for
 * k row pointers. */
static void pool_row(const float *pr, int n, int k, int s, int is_max, float *hr,
                     const float **src, int avx2) {
    if (s == 1) {
        for (int v = 0; v < k; v++) src[v] = pr + v;
        combine_row(hr, src, k, n, is_max, avx2);
        return;
    }
#ifdef CB_X86
    if (s == 2 && avx2) {
        pool_row_s2_avx2(pr, n, k, is_max, hr);
        return;
    }
#endif
    pool_row_c(pr, 0, n, k, s, is_max, hr);
}

static void pool(const float *x, cb_shape in, const cb_pool_params *p, cb_shape out, float *y,
                 int threads, float *ws, int is_max) {
    const int ld = pool_ld(in, p), k = p->k, s = p->stride, avx2 = cb_fast_use_avx2();
    const size_t per_thread = cb_fast_pool_workspace(in, p);
    const size_t plane_rows = (size_t)(in.h + 2 * p->pad + 1);
    const float inv = 1.0f / (float)(k * k);
    threads = cb_fast_threads_for((double)out.c * out.h * out.w * k * k, threads);
#pragma omp parallel num_threads(threads)
    {
        float *P = ws + (size_t)omp_get_thread_num() * per_thread;
        float *Hs = P + plane_rows * ld;
        const float *src[CB_MAX_KERNEL]; /* k <= CB_MAX_KERNEL: cb_pool_check */
#pragma omp for schedule(static)
        for (int c = 0; c < in.c; c++) {
            pad_plane(x + (size_t)c * in.h * in.w, in, p->pad, ld, is_max ? -FLT_MAX : 0.0f, P,
                      avx2);
            float *yc = y + (size_t)c * out.h * out.w;
            /* separable: pool each row over the k columns of a window, then
             * those row results over k rows (2k operations per output
             * instead of k*k; max and sum are both associative) */
            const int rows = (out.h - 1) * s + k, OW = out.w;
            for (int r = 0; r < rows; r++)
                pool_row(P + (size_t)r * ld, OW, k, s, is_max, Hs + (size_t)r * OW, src, avx2);
            for (int i = 0; i < out.h; i++) {
                float *yr = yc + (size_t)i * OW;
                for (int u = 0; u < k; u++) src[u] = Hs + (size_t)(i * s + u) * OW;
                combine_row(yr, src, k, OW, is_max, avx2);
                if (!is_max)
                    for (int j = 0; j < OW; j++) yr[j] *= inv;
            }
        }
    }
}

void cb_fast_maxpool(const float *x, cb_shape in, const cb_pool_params *p, cb_shape out, float *y,
                     int threads, float *ws) {
    pool(x, in, p, out, y, threads, ws, 1);
}

void cb_fast_avgpool(const float *x, cb_shape in, const cb_pool_params *p, cb_shape out, float *y,
                     int threads, float *ws) {
    pool(x, in, p, out, y, threads, ws, 0);
}

void cb_fast_gap(const float *x, cb_shape in, float *y, int threads) {
    const size_t hw = (size_t)in.h * in.w;
    threads = cb_fast_threads_for((double)in.c * hw, threads);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int c = 0; c < in.c; c++) {
        const float *xc = x + (size_t)c * hw;
        float s[8] = {0};
        size_t t = 0;
        for (; t + 8 <= hw; t += 8)
            for (int l = 0; l < 8; l++) s[l] += xc[t + l];
        float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (; t < hw; t++) r += xc[t];
        y[c] = r / (float)hw;
    }
}

/* y[t] = relu?(x[t] * a + b) and y[t] = relu?(x[t] + z[t]), t < n */
static void affine_row_c(const float *x, size_t n, float a, float b, int relu, float *y) {
    if (relu)
        for (size_t t = 0; t < n; t++) {
            float v = x[t] * a + b;
            y[t] = v > 0.0f ? v : 0.0f;
        }
    else
        for (size_t t = 0; t < n; t++) y[t] = x[t] * a + b;
}

static void add_row_c(const float *x, const float *z, size_t n, int relu, float *y) {
    if (relu)
        for (size_t t = 0; t < n; t++) {
            float v = x[t] + z[t];
            y[t] = v > 0.0f ? v : 0.0f;
        }
    else
        for (size_t t = 0; t < n; t++) y[t] = x[t] + z[t];
}

#ifdef CB_X86
/* Four vectors an iteration: these loops are bound by loads and stores,
 * and four independent ones keep both load ports and the store port busy.
 * The ReLU flag is a constant in each instantiation (always_inline), so
 * the loops carry no branch. */
CB_AVX2_INLINE __m256 relu_if(__m256 v, const int relu) {
    return relu ? _mm256_max_ps(v, _mm256_setzero_ps()) : v;
}

CB_AVX2_INLINE void affine_row_k(const float *x, size_t n, float a, float b, float *y,
                                 const int relu) {
    const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
    size_t t = 0;
    for (; t + 32 <= n; t += 32)
        for (int u = 0; u < 32; u += 8)
            _mm256_storeu_ps(y + t + u,
                             relu_if(_mm256_fmadd_ps(_mm256_loadu_ps(x + t + u), va, vb), relu));
    for (; t + 8 <= n; t += 8)
        _mm256_storeu_ps(y + t, relu_if(_mm256_fmadd_ps(_mm256_loadu_ps(x + t), va, vb), relu));
    affine_row_c(x + t, n - t, a, b, relu, y + t);
}

CB_AVX2_INLINE void add_row_k(const float *x, const float *z, size_t n, float *y, const int relu) {
    size_t t = 0;
    for (; t + 32 <= n; t += 32)
        for (int u = 0; u < 32; u += 8)
            _mm256_storeu_ps(y + t + u, relu_if(_mm256_add_ps(_mm256_loadu_ps(x + t + u),
                                                              _mm256_loadu_ps(z + t + u)),
                                                relu));
    for (; t + 8 <= n; t += 8)
        _mm256_storeu_ps(
            y + t, relu_if(_mm256_add_ps(_mm256_loadu_ps(x + t), _mm256_loadu_ps(z + t)), relu));
    add_row_c(x + t, z + t, n - t, relu, y + t);
}

CB_AVX2 static void affine_row_avx2(const float *x, size_t n, float a, float b, int relu,
                                    float *y) {
    if (relu)
        affine_row_k(x, n, a, b, y, 1);
    else
        affine_row_k(x, n, a, b, y, 0);
}

CB_AVX2 static void add_row_avx2(const float *x, const float *z, size_t n, int relu, float *y) {
    if (relu)
        add_row_k(x, z, n, y, 1);
    else
        add_row_k(x, z, n, y, 0);
}
#endif

static void affine_row(const float *x, size_t n, float a, float b, int relu, float *y, int avx2) {
#ifdef CB_X86
    if (avx2) {
        affine_row_avx2(x, n, a, b, relu, y);
        return;
    }
#endif
    (void)avx2;
    affine_row_c(x, n, a, b, relu, y);
}

static void add_row(const float *x, const float *z, size_t n, int relu, float *y, int avx2) {
#ifdef CB_X86
    if (avx2) {
        add_row_avx2(x, z, n, relu, y);
        return;
    }
#endif
    (void)avx2;
    add_row_c(x, z, n, relu, y);
}

void cb_fast_affine(const float *x, cb_shape s, const float *scale, const float *shift, int relu,
                    float *y, int threads) {
    const size_t hw = (size_t)s.h * s.w;
    const int avx2 = cb_fast_use_avx2();
    threads = cb_fast_threads_for((double)s.c * hw, threads);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int c = 0; c < s.c; c++) {
        const float *xc = x + (size_t)c * hw;
        float *yc = y + (size_t)c * hw;
        affine_row(xc, hw, scale ? scale[c] : 1.0f, shift ? shift[c] : 0.0f, relu, yc, avx2);
    }
}

/* Elementwise ops split the flat array into one contiguous chunk per thread. */
#define CB_CHUNK(n, tid, nt) ((size_t)((double)(n) * (tid) / (nt)) / 16 * 16)

void cb_fast_add(const float *a, const float *b, size_t n, int relu, float *y, int threads) {
    const int avx2 = cb_fast_use_avx2();
    threads = cb_fast_threads_for((double)n, threads);
#pragma omp parallel num_threads(threads)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t lo = CB_CHUNK(n, tid, nt), hi = tid == nt - 1 ? n : CB_CHUNK(n, tid + 1, nt);
        add_row(a + lo, b + lo, hi - lo, relu, y + lo, avx2);
    }
}

void cb_fast_copy(const float *x, size_t n, float *y, int threads) {
    threads = cb_fast_threads_for((double)n, threads);
#pragma omp parallel num_threads(threads)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t lo = CB_CHUNK(n, tid, nt), hi = tid == nt - 1 ? n : CB_CHUNK(n, tid + 1, nt);
        if (hi > lo) memcpy(y + lo, x + lo, (hi - lo) * sizeof(float));
    }
}
