/* fast_misc.c — the memory-bound ops of the fast plan: pooling (max pools,
 * and average pools other than 3x3, which the plan runs as depthwise convs
 * with weights 1/9), global average pooling, stand-alone batch-norm/ReLU,
 * add, copy.
 *
 * These do O(1) arithmetic per element, so the only aims are: one pass over
 * memory, no branches in inner loops (pooling reads a padded copy of each
 * plane, as the depthwise kernel does), threads split channels. The loops
 * are plain C written so that gcc vectorises them; in a fused plan most of
 * these ops disappear into the convs anyway (fast_plan.c).
 */
#include <float.h>
#include <string.h>

#include <omp.h>

#include "fast_internal.h"

static int pool_ld(cb_shape in, const cb_pool_params *p) { return in.w + 2 * p->pad + p->k + 8; }

size_t cb_fast_pool_workspace(cb_shape in, const cb_pool_params *p) {
    /* the padded plane, then the row-pooled plane (rows x at most W + 2 pad) */
    size_t rows = (size_t)(in.h + 2 * p->pad + 1);
    return rows * (size_t)pool_ld(in, p) + rows * (size_t)(in.w + 2 * p->pad);
}

/* Padded copy of one plane: border = fill. */
static void pad_plane(const float *xc, cb_shape in, int pad, int ld, float fill, float *P) {
    int rows = in.h + 2 * pad;
    for (int r = 0; r < rows; r++) {
        float *row = P + (size_t)r * ld;
        int ir = r - pad;
        if (ir < 0 || ir >= in.h) {
            for (int t = 0; t < ld; t++) row[t] = fill;
            continue;
        }
        for (int t = 0; t < pad; t++) row[t] = fill;
        memcpy(row + pad, xc + (size_t)ir * in.w, (size_t)in.w * sizeof(float));
        for (int t = pad + in.w; t < ld; t++) row[t] = fill;
    }
}

static void pool(const float *x, cb_shape in, const cb_pool_params *p, cb_shape out, float *y,
                 int threads, float *ws, int is_max) {
    const int ld = pool_ld(in, p), k = p->k, s = p->stride;
    const size_t per_thread = cb_fast_pool_workspace(in, p);
    const float inv = 1.0f / (float)(k * k);
    threads = cb_fast_threads_for((double)out.c * out.h * out.w * k * k, threads);
#pragma omp parallel num_threads(threads)
    {
        float *P = ws + (size_t)omp_get_thread_num() * per_thread;
        float *Hs = P + (size_t)(in.h + 2 * p->pad + 1) * ld;
#pragma omp for schedule(static)
        for (int c = 0; c < in.c; c++) {
            pad_plane(x + (size_t)c * in.h * in.w, in, p->pad, ld, is_max ? -FLT_MAX : 0.0f, P);
            float *yc = y + (size_t)c * out.h * out.w;
            /* separable: pool each row over the k columns of a window, then
             * those row results over k rows (2k operations per output
             * instead of k*k; max and sum are both associative) */
            const int rows = (out.h - 1) * s + k, OW = out.w;
            for (int r = 0; r < rows; r++) {
                const float *pr = P + (size_t)r * ld;
                float *hr = Hs + (size_t)r * OW;
                if (s == 1) {
                    for (int j = 0; j < OW; j++) hr[j] = pr[j];
                    for (int v = 1; v < k; v++) {
                        const float *q = pr + v;
                        if (is_max)
                            for (int j = 0; j < OW; j++) hr[j] = hr[j] > q[j] ? hr[j] : q[j];
                        else
                            for (int j = 0; j < OW; j++) hr[j] += q[j];
                    }
                } else {
                    for (int j = 0; j < OW; j++) {
                        float a = pr[j * s];
                        for (int v = 1; v < k; v++) {
                            float q = pr[j * s + v];
                            a = is_max ? (a > q ? a : q) : a + q;
                        }
                        hr[j] = a;
                    }
                }
            }
            for (int i = 0; i < out.h; i++) {
                float *yr = yc + (size_t)i * OW;
                const float *h0 = Hs + (size_t)i * s * OW;
                for (int j = 0; j < OW; j++) yr[j] = h0[j];
                for (int u = 1; u < k; u++) {
                    const float *q = h0 + (size_t)u * OW;
                    if (is_max)
                        for (int j = 0; j < OW; j++) yr[j] = yr[j] > q[j] ? yr[j] : q[j];
                    else
                        for (int j = 0; j < OW; j++) yr[j] += q[j];
                }
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

void cb_fast_affine(const float *x, cb_shape s, const float *scale, const float *shift, int relu,
                    float *y, int threads) {
    const size_t hw = (size_t)s.h * s.w;
    threads = cb_fast_threads_for((double)s.c * hw, threads);
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int c = 0; c < s.c; c++) {
        const float *xc = x + (size_t)c * hw;
        float *yc = y + (size_t)c * hw;
        float a = scale ? scale[c] : 1.0f, b = shift ? shift[c] : 0.0f;
        if (relu)
            for (size_t t = 0; t < hw; t++) {
                float v = xc[t] * a + b;
                yc[t] = v > 0.0f ? v : 0.0f;
            }
        else
            for (size_t t = 0; t < hw; t++) yc[t] = xc[t] * a + b;
    }
}

/* Elementwise ops split the flat array into one contiguous chunk per thread. */
#define CB_CHUNK(n, tid, nt) ((size_t)((double)(n) * (tid) / (nt)) / 16 * 16)

void cb_fast_add(const float *a, const float *b, size_t n, int relu, float *y, int threads) {
    threads = cb_fast_threads_for((double)n, threads);
#pragma omp parallel num_threads(threads)
    {
        int tid = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t lo = CB_CHUNK(n, tid, nt), hi = tid == nt - 1 ? n : CB_CHUNK(n, tid + 1, nt);
        if (relu)
            for (size_t t = lo; t < hi; t++) {
                float v = a[t] + b[t];
                y[t] = v > 0.0f ? v : 0.0f;
            }
        else
            for (size_t t = lo; t < hi; t++) y[t] = a[t] + b[t];
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
