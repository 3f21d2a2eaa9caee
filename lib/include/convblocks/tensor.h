/* tensor.h — shapes and float32 tensors, the one data type of the library.
 *
 * Layout, stated once for the whole library: activations are NCHW with batch
 * 1, i.e. (C, H, W) with W fastest; element (c, i, j) is at (c*H + i)*W + j.
 * Weights are (O, I/groups, KH, KW) as in PyTorch.
 *
 * A cb_tensor owns its data (malloc'd, 64-byte aligned); cb_tensor_free
 * releases it. Every size is overflow-checked against CB_MAX_TENSOR_BYTES
 * before anything is allocated.
 */
#ifndef CONVBLOCKS_TENSOR_H
#define CONVBLOCKS_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "convblocks/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest tensor any tool accepts: 4 GiB of float32. Larger requests are
 * refused with this figure in the message, never attempted. */
#define CB_MAX_TENSOR_BYTES ((uint64_t)4 << 30)
#define CB_MAX_RANK 4

/* An activation shape: channels, height, width (batch 1). */
typedef struct {
    int c, h, w;
} cb_shape;

typedef struct {
    int rank;               /* 1..4 */
    int dims[CB_MAX_RANK];  /* dims[0] slowest */
    float *data;            /* owned; NULL for an empty tensor */
} cb_tensor;

/* Elements in a shape; 0 if any dimension is not positive. */
static inline uint64_t cb_shape_numel(cb_shape s) {
    if (s.c <= 0 || s.h <= 0 || s.w <= 0) return 0;
    return (uint64_t)s.c * (uint64_t)s.h * (uint64_t)s.w;
}

static inline int cb_shape_eq(cb_shape a, cb_shape b) {
    return a.c == b.c && a.h == b.h && a.w == b.w;
}

/* Elements in a tensor (product of its dims). */
uint64_t cb_tensor_numel(const cb_tensor *t);

/* Check that `rank` dims are all positive and their float32 bytes stay
 * within CB_MAX_TENSOR_BYTES; on success *numel holds the element count. */
cb_status cb_dims_check(int rank, const int *dims, uint64_t *numel, cb_error *err);

/* Allocate a zeroed tensor of the given dims. On failure *t is left empty. */
cb_status cb_tensor_alloc(cb_tensor *t, int rank, const int *dims, cb_error *err);
cb_status cb_tensor_alloc_shape(cb_tensor *t, cb_shape s, cb_error *err);
void cb_tensor_free(cb_tensor *t);

/* 64-byte aligned float buffer for activations and workspaces; free with cb_free. */
float *cb_alloc_floats(size_t n);
void cb_free(void *p);

/* "C,H,W" or "CxHxW" -> shape, with a message naming the bad part. */
cb_status cb_shape_parse(const char *text, cb_shape *s, cb_error *err);

/* "64x56x56" into buf (also used in benchmark names). */
const char *cb_shape_str(cb_shape s, char *buf, size_t n);

/* Deterministic pseudo-random numbers (splitmix64 + Box-Muller), so that
 * `--seed N` means the same tensor on every machine and thread count. */
typedef struct {
    uint64_t state;
} cb_rng;
void cb_rng_seed(cb_rng *r, uint64_t seed);
uint64_t cb_rng_u64(cb_rng *r);
float cb_rng_uniform(cb_rng *r);  /* [0, 1) */
float cb_rng_normal(cb_rng *r);   /* mean 0, variance 1 */

#ifdef __cplusplus
}
#endif
#endif
