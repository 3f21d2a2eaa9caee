/* tensor.c — allocation, shape parsing and the deterministic RNG (tensor.h). */
#include "convblocks/tensor.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t cb_tensor_numel(const cb_tensor *t) {
    uint64_t n = 1;
    for (int i = 0; i < t->rank; i++) n *= (uint64_t)t->dims[i];
    return t->rank > 0 ? n : 0;
}

cb_status cb_dims_check(int rank, const int *dims, uint64_t *numel, cb_error *err) {
    if (rank < 1 || rank > CB_MAX_RANK)
        return cb_fail(err, CB_ERR_ARG, "rank %d is not between 1 and %d", rank, CB_MAX_RANK);
    uint64_t n = 1;
    const uint64_t cap = CB_MAX_TENSOR_BYTES / sizeof(float);
    for (int i = 0; i < rank; i++) {
        if (dims[i] <= 0)
            return cb_fail(err, CB_ERR_ARG, "dimension %d is %d, must be positive", i, dims[i]);
        /* n * dims[i] > cap, tested without overflowing */
        if ((uint64_t)dims[i] > cap / n)
            return cb_fail(err, CB_ERR_ARG, "tensor too large: more than the %llu-byte limit",
                           (unsigned long long)CB_MAX_TENSOR_BYTES);
        n *= (uint64_t)dims[i];
    }
    if (numel) *numel = n;
    return CB_OK;
}

float *cb_alloc_floats(size_t n) {
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    if (bytes == 0) bytes = 64;
    float *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void cb_free(void *p) { free(p); }

cb_status cb_tensor_alloc(cb_tensor *t, int rank, const int *dims, cb_error *err) {
    memset(t, 0, sizeof *t);
    uint64_t n = 0;
    cb_status s = cb_dims_check(rank, dims, &n, err);
    if (s != CB_OK) return s;
    float *data = cb_alloc_floats((size_t)n);
    if (!data)
        return cb_fail(err, CB_ERR_NOMEM, "cannot allocate %llu bytes",
                       (unsigned long long)(n * sizeof(float)));
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
    t->data = data;
    return CB_OK;
}

cb_status cb_tensor_alloc_shape(cb_tensor *t, cb_shape s, cb_error *err) {
    int dims[3] = {s.c, s.h, s.w};
    return cb_tensor_alloc(t, 3, dims, err);
}

void cb_tensor_free(cb_tensor *t) {
    if (!t) return;
    cb_free(t->data);
    memset(t, 0, sizeof *t);
}

/* One positive decimal integer of at most 9 digits; advances *p past it.
 * Returns -2 for a longer number (a dimension past any size limit). */
static int parse_dim(const char **p, int *out) {
    const char *s = *p;
    long v = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
        if (++digits > 9) return -2;
        v = v * 10 + (*s - '0');
        s++;
    }
    if (digits == 0 || v <= 0) return -1;
    *out = (int)v;
    *p = s;
    return 0;
}

cb_status cb_shape_parse(const char *text, cb_shape *out, cb_error *err) {
    int d[3];
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        int r = parse_dim(&p, &d[i]);
        if (r == -2)
            return cb_fail(err, CB_ERR_ARG, "shape '%s': tensor too large: more than the %llu-byte limit",
                           text, (unsigned long long)CB_MAX_TENSOR_BYTES);
        if (r != 0)
            return cb_fail(err, CB_ERR_ARG,
                           "shape '%s': expected three positive integers C,H,W", text);
        if (i < 2) {
            if (*p != ',' && *p != 'x')
                return cb_fail(err, CB_ERR_ARG,
                               "shape '%s': expected three positive integers C,H,W", text);
            p++;
        }
    }
    if (*p != '\0')
        return cb_fail(err, CB_ERR_ARG, "shape '%s': unexpected '%s' after C,H,W", text, p);
    cb_shape s = {d[0], d[1], d[2]};
    int dims[3] = {s.c, s.h, s.w};
    cb_error e2;
    if (cb_dims_check(3, dims, NULL, &e2) != CB_OK)
        return cb_fail(err, CB_ERR_ARG, "shape '%s': %s", text, e2.msg);
    *out = s;
    return CB_OK;
}

const char *cb_shape_str(cb_shape s, char *buf, size_t n) {
    snprintf(buf, n, "%dx%dx%d", s.c, s.h, s.w);
    return buf;
}

void cb_rng_seed(cb_rng *r, uint64_t seed) { r->state = seed * 0x9E3779B97F4A7C15ull + 1; }

/* splitmix64: small, fast, and the same numbers on every platform. */
uint64_t cb_rng_u64(cb_rng *r) {
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float cb_rng_uniform(cb_rng *r) { return (float)(cb_rng_u64(r) >> 40) * (1.0f / 16777216.0f); }

float cb_rng_normal(cb_rng *r) {
    /* Box-Muller with one of the pair discarded: simple and deterministic. */
    double u1 = ((double)(cb_rng_u64(r) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (double)(cb_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
