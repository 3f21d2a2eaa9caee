/* ops_ref.c — reference kernels: the formulas of ops.h as plain loops.
 *
 * Written to be read, not to be fast. Zero padding is explicit: a tap that
 * falls outside the image reads 0 and is still a multiply-add, because
 * that is what the formula (and the cost model) counts. Every
 * multiply-accumulate increments `macs` right where it happens.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "convblocks/ops.h"

int cb_impl_parse(const char *text, cb_impl *impl) {
    if (strcmp(text, "ref") == 0) { *impl = CB_IMPL_REF; return 0; }
    if (strcmp(text, "fast") == 0) { *impl = CB_IMPL_FAST; return 0; }
    return -1;
}

const char *cb_impl_name(cb_impl impl) { return impl == CB_IMPL_REF ? "ref" : "fast"; }

/* floor((n + 2p - k) / s) + 1, or 0 if the window never fits. */
static int out_size(int n, int k, int s, int p) {
    int span = n + 2 * p - k;
    return span < 0 ? 0 : span / s + 1;
}

cb_status cb_conv_check(cb_shape in, int cout, const cb_conv_params *p, cb_shape *out,
                        cb_error *err) {
    if (cb_shape_numel(in) == 0)
        return cb_fail(err, CB_ERR_ARG, "input shape %dx%dx%d is empty", in.c, in.h, in.w);
    if (cout <= 0) return cb_fail(err, CB_ERR_ARG, "output channels %d must be positive", cout);
    if (p->kh <= 0 || p->kw <= 0 || p->kh > CB_MAX_KERNEL || p->kw > CB_MAX_KERNEL)
        return cb_fail(err, CB_ERR_ARG, "kernel %dx%d is not between 1 and %d", p->kh, p->kw,
                       CB_MAX_KERNEL);
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->stride_h > CB_MAX_KERNEL ||
        p->stride_w > CB_MAX_KERNEL)
        return cb_fail(err, CB_ERR_ARG, "stride %dx%d is not between 1 and %d", p->stride_h,
                       p->stride_w, CB_MAX_KERNEL);
    if (p->pad_h < 0 || p->pad_w < 0 || p->pad_h > CB_MAX_KERNEL || p->pad_w > CB_MAX_KERNEL)
        return cb_fail(err, CB_ERR_ARG, "padding %d,%d is not between 0 and %d", p->pad_h,
                       p->pad_w, CB_MAX_KERNEL);
    if (p->groups <= 0 || in.c % p->groups != 0 || cout % p->groups != 0)
        return cb_fail(err, CB_ERR_ARG, "groups %d must divide input channels %d and output channels %d",
                       p->groups, in.c, cout);
    int oh = out_size(in.h, p->kh, p->stride_h, p->pad_h);
    int ow = out_size(in.w, p->kw, p->stride_w, p->pad_w);
    if (oh <= 0 || ow <= 0)
        return cb_fail(err, CB_ERR_ARG, "kernel %dx%d with padding %d,%d does not fit input %dx%d",
                       p->kh, p->kw, p->pad_h, p->pad_w, in.h, in.w);
    cb_shape o = {cout, oh, ow};
    int dims[3] = {o.c, o.h, o.w};
    cb_status s = cb_dims_check(3, dims, NULL, err);
    if (s != CB_OK) return s;
    *out = o;
    return CB_OK;
}

cb_status cb_pool_check(cb_shape in, const cb_pool_params *p, cb_shape *out, cb_error *err) {
    if (cb_shape_numel(in) == 0)
        return cb_fail(err, CB_ERR_ARG, "input shape %dx%dx%d is empty", in.c, in.h, in.w);
    if (p->k <= 0 || p->k > CB_MAX_KERNEL || p->stride <= 0 || p->stride > CB_MAX_KERNEL)
        return cb_fail(err, CB_ERR_ARG, "pool kernel %d / stride %d out of range", p->k, p->stride);
    /* PyTorch's rule: padding at most half the kernel. */
    if (p->pad < 0 || 2 * p->pad > p->k)
        return cb_fail(err, CB_ERR_ARG, "pool padding %d must be between 0 and half the kernel %d",
                       p->pad, p->k);
    int oh = out_size(in.h, p->k, p->stride, p->pad);
    int ow = out_size(in.w, p->k, p->stride, p->pad);
    if (oh <= 0 || ow <= 0)
        return cb_fail(err, CB_ERR_ARG, "pool %dx%d does not fit input %dx%d", p->k, p->k, in.h,
                       in.w);
    out->c = in.c;
    out->h = oh;
    out->w = ow;
    return CB_OK;
}

/* x[c, i, j] with zero padding outside the image. */
static inline float x_at(const float *x, cb_shape s, int c, int i, int j) {
    if (i < 0 || i >= s.h || j < 0 || j >= s.w) return 0.0f;
    return x[((size_t)c * s.h + i) * s.w + j];
}

uint64_t cb_conv2d_ref(const float *x, cb_shape in, const float *w, const float *bias, int cout,
                       const cb_conv_params *p, float *y) {
    cb_shape out;
    if (cb_conv_check(in, cout, p, &out, NULL) != CB_OK) return 0;
    const int cin_g = in.c / p->groups;   /* input channels each filter sees */
    const int cout_g = cout / p->groups;  /* filters per group */
    uint64_t macs = 0;
    for (int o = 0; o < cout; o++) {
        const int c0 = (o / cout_g) * cin_g;  /* first input channel of o's group */
        for (int i = 0; i < out.h; i++) {
            for (int j = 0; j < out.w; j++) {
                float acc = bias ? bias[o] : 0.0f;
                for (int c = 0; c < cin_g; c++) {
                    for (int u = 0; u < p->kh; u++) {
                        for (int v = 0; v < p->kw; v++) {
                            float wv = w[(((size_t)o * cin_g + c) * p->kh + u) * p->kw + v];
                            acc += wv * x_at(x, in, c0 + c, i * p->stride_h - p->pad_h + u,
                                             j * p->stride_w - p->pad_w + v);
                            macs++;
                        }
                    }
                }
                y[((size_t)o * out.h + i) * out.w + j] = acc;
            }
        }
    }
    return macs;
}

uint64_t cb_depthwise_ref(const float *x, cb_shape in, const float *w, const cb_conv_params *p,
                          float *y) {
    cb_conv_params dp = *p;
    dp.groups = in.c;
    cb_shape out;
    if (cb_conv_check(in, in.c, &dp, &out, NULL) != CB_OK) return 0;
    uint64_t macs = 0;
    for (int c = 0; c < in.c; c++) {  /* each channel has its own kh x kw filter */
        for (int i = 0; i < out.h; i++) {
            for (int j = 0; j < out.w; j++) {
                float acc = 0.0f;
                for (int u = 0; u < p->kh; u++) {
                    for (int v = 0; v < p->kw; v++) {
                        acc += w[((size_t)c * p->kh + u) * p->kw + v] *
                               x_at(x, in, c, i * p->stride_h - p->pad_h + u,
                                    j * p->stride_w - p->pad_w + v);
                        macs++;
                    }
                }
                y[((size_t)c * out.h + i) * out.w + j] = acc;
            }
        }
    }
    return macs;
}

uint64_t cb_pointwise_ref(const float *x, cb_shape in, const float *w, int cout, float *y) {
    const size_t hw = (size_t)in.h * in.w;
    uint64_t macs = 0;
    for (int o = 0; o < cout; o++) {
        for (size_t pix = 0; pix < hw; pix++) {  /* at each pixel, mix the channels */
            float acc = 0.0f;
            for (int c = 0; c < in.c; c++) {
                acc += w[(size_t)o * in.c + c] * x[(size_t)c * hw + pix];
                macs++;
            }
            y[(size_t)o * hw + pix] = acc;
        }
    }
    return macs;
}

void cb_batchnorm_ref(const float *x, cb_shape s, const float *gamma, const float *beta,
                      const float *mean, const float *var, float eps, float *y) {
    const size_t hw = (size_t)s.h * s.w;
    for (int c = 0; c < s.c; c++) {
        const float inv_std = 1.0f / sqrtf(var[c] + eps);
        for (size_t k = 0; k < hw; k++) {
            size_t idx = (size_t)c * hw + k;
            y[idx] = gamma[c] * (x[idx] - mean[c]) * inv_std + beta[c];
        }
    }
}

void cb_relu_ref(const float *x, size_t n, float *y) {
    for (size_t k = 0; k < n; k++) y[k] = x[k] > 0.0f ? x[k] : 0.0f;
}

void cb_maxpool_ref(const float *x, cb_shape in, const cb_pool_params *p, float *y) {
    cb_shape out;
    if (cb_pool_check(in, p, &out, NULL) != CB_OK) return;
    for (int c = 0; c < in.c; c++)
        for (int i = 0; i < out.h; i++)
            for (int j = 0; j < out.w; j++) {
                float m = -INFINITY;
                for (int u = 0; u < p->k; u++)
                    for (int v = 0; v < p->k; v++) {
                        int r = i * p->stride - p->pad + u, q = j * p->stride - p->pad + v;
                        if (r >= 0 && r < in.h && q >= 0 && q < in.w) {
                            float xv = x[((size_t)c * in.h + r) * in.w + q];
                            if (xv > m) m = xv;
                        }
                    }
                y[((size_t)c * out.h + i) * out.w + j] = m;
            }
}

void cb_avgpool_ref(const float *x, cb_shape in, const cb_pool_params *p, float *y) {
    cb_shape out;
    if (cb_pool_check(in, p, &out, NULL) != CB_OK) return;
    const float inv_area = 1.0f / (float)(p->k * p->k);  /* padding counts in the divisor */
    for (int c = 0; c < in.c; c++)
        for (int i = 0; i < out.h; i++)
            for (int j = 0; j < out.w; j++) {
                float sum = 0.0f;
                for (int u = 0; u < p->k; u++)
                    for (int v = 0; v < p->k; v++)
                        sum += x_at(x, in, c, i * p->stride - p->pad + u,
                                    j * p->stride - p->pad + v);
                y[((size_t)c * out.h + i) * out.w + j] = sum * inv_area;
            }
}

void cb_global_avgpool_ref(const float *x, cb_shape in, float *y) {
    const size_t hw = (size_t)in.h * in.w;
    for (int c = 0; c < in.c; c++) {
        double sum = 0.0;
        for (size_t k = 0; k < hw; k++) sum += x[(size_t)c * hw + k];
        y[c] = (float)(sum / (double)hw);
    }
}

void cb_add_ref(const float *a, const float *b, size_t n, float *y) {
    for (size_t k = 0; k < n; k++) y[k] = a[k] + b[k];
}

void cb_concat_ref(const float *const *xs, const int *channels, int n, size_t hw, float *y) {
    for (int i = 0; i < n; i++) {
        size_t count = (size_t)channels[i] * hw;
        memcpy(y, xs[i], count * sizeof(float));
        y += count;
    }
}

uint64_t cb_fc_ref(const float *x, int nin, const float *w, const float *bias, int nout, float *y) {
    uint64_t macs = 0;
    for (int o = 0; o < nout; o++) {
        float acc = bias ? bias[o] : 0.0f;
        for (int i = 0; i < nin; i++) {
            acc += w[(size_t)o * nin + i] * x[i];
            macs++;
        }
        y[o] = acc;
    }
    return macs;
}
