/* ops.h — the operators of a CNN, in their reference form.
 *
 * Each reference kernel is plain loops that read like the textbook formula;
 * it is the oracle for the fast kernels (fast.h), the tests and the viewer.
 * Kernels that multiply-accumulate return the number of multiply-adds they
 * actually performed, counted in the innermost loop, so tests can check the
 * analytic cost model (cost.h) against what really ran.
 *
 * Shapes: x is (C, H, W); conv weights are (O, I/groups, KH, KW); every
 * kernel writes a caller-allocated output whose shape comes from
 * cb_conv_check / cb_pool_check. Kernels assume checked arguments.
 */
#ifndef CONVBLOCKS_OPS_H
#define CONVBLOCKS_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "convblocks/status.h"
#include "convblocks/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Batch-norm epsilon of every canonical block (Keras/Inception convention). */
#define CB_BN_EPS 1e-3f

typedef enum { CB_IMPL_REF = 0, CB_IMPL_FAST = 1 } cb_impl;

/* "ref" | "fast" -> impl; returns 0 on success, -1 if unknown. */
int cb_impl_parse(const char *text, cb_impl *impl);
const char *cb_impl_name(cb_impl impl);

typedef struct {
    int kh, kw;              /* kernel height, width */
    int stride_h, stride_w;
    int pad_h, pad_w;        /* zero padding on each side */
    int groups;              /* 1 = standard, C = depthwise */
} cb_conv_params;

/* A square k x k conv with the same stride and padding in both directions. */
static inline cb_conv_params cb_conv_square(int k, int stride, int pad, int groups) {
    cb_conv_params p = {k, k, stride, stride, pad, pad, groups};
    return p;
}

/* The largest kernel side the tools accept. */
#define CB_MAX_KERNEL 31

/* Validate a conv and compute its output shape:
 *   OH = floor((H + 2*pad_h - kh) / stride_h) + 1, likewise OW.
 * Refuses groups that do not divide C and cout, empty outputs, and
 * kernels larger than CB_MAX_KERNEL. */
cb_status cb_conv_check(cb_shape in, int cout, const cb_conv_params *p, cb_shape *out,
                        cb_error *err);

typedef struct {
    int k, stride, pad;
} cb_pool_params;

cb_status cb_pool_check(cb_shape in, const cb_pool_params *p, cb_shape *out, cb_error *err);

/* y[o,i,j] = b[o] + sum_{c in group(o)} sum_{u,v} w[o, c - c0, u, v] * x[c, i*s - p + u, j*s - p + v]
 * (out-of-range x are zero). bias may be NULL. Returns the MACs performed. */
uint64_t cb_conv2d_ref(const float *x, cb_shape in, const float *w, const float *bias, int cout,
                       const cb_conv_params *p, float *y);

/* Depthwise: one kh x kw filter per channel, y[c,i,j] = sum_{u,v} w[c,0,u,v] * x[c, ...].
 * The same as cb_conv2d_ref with groups = cout = C; p->groups is ignored. */
uint64_t cb_depthwise_ref(const float *x, cb_shape in, const float *w, const cb_conv_params *p,
                          float *y);

/* Pointwise (1x1): y[o,i,j] = sum_c w[o,c] * x[c,i,j] — a matrix product of
 * the (O x C) weights with the (C x HW) input. */
uint64_t cb_pointwise_ref(const float *x, cb_shape in, const float *w, int cout, float *y);

/* Inference batch-norm: y = gamma * (x - mean) / sqrt(var + eps) + beta per channel.
 * y may equal x. */
void cb_batchnorm_ref(const float *x, cb_shape s, const float *gamma, const float *beta,
                      const float *mean, const float *var, float eps, float *y);

/* y = max(x, 0), elementwise; y may equal x. */
void cb_relu_ref(const float *x, size_t n, float *y);

/* Max pooling; padding never wins (it is -inf). */
void cb_maxpool_ref(const float *x, cb_shape in, const cb_pool_params *p, float *y);

/* Average pooling counting the zero padding in the divisor (k*k), as
 * PyTorch's avg_pool2d default count_include_pad=True. */
void cb_avgpool_ref(const float *x, cb_shape in, const cb_pool_params *p, float *y);

/* y[c] = mean over (i,j) of x[c,i,j]; y has C elements. */
void cb_global_avgpool_ref(const float *x, cb_shape in, float *y);

/* y = a + b, elementwise (the residual connection); y may equal a or b. */
void cb_add_ref(const float *a, const float *b, size_t n, float *y);

/* Concatenate n inputs of channels[i] x hw along channels into y. */
void cb_concat_ref(const float *const *xs, const int *channels, int n, size_t hw, float *y);

/* Fully connected: y[o] = b[o] + sum_i w[o,i] * x[i]; w is (nout, nin). Returns MACs. */
uint64_t cb_fc_ref(const float *x, int nin, const float *w, const float *bias, int nout, float *y);

#ifdef __cplusplus
}
#endif
#endif
