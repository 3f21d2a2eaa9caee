/* net_test_util.h — what the network forward tests share: run a graph once,
 * and compare two outputs within a tolerance. Header-only so each test stays
 * one file. */
#ifndef CB_NET_TEST_UTIL_H
#define CB_NET_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "convblocks/exec.h"

/* Index of the first element with |got - want| > atol + rtol*|want| (NaN
 * fails too), or -1 if all agree. */
static long net_first_mismatch(const float *got, const float *want, size_t n, float atol,
                               float rtol) {
    for (size_t i = 0; i < n; i++) {
        float err = fabsf(got[i] - want[i]);
        if (!(err <= atol + rtol * fabsf(want[i]))) return (long)i;
    }
    return -1;
}

/* Run g once on x (g's input shape) into a new buffer of its output size. */
static float *run(const cb_graph *g, cb_impl impl, int threads, const float *x, uint64_t *macs) {
    cb_exec *e;
    cb_error err;
    cb_status s = cb_exec_new(g, impl, threads, &e, &err);
    if (s != CB_OK) fprintf(stderr, "%s: %s\n", g->name, err.msg);
    assert_int_equal(s, CB_OK);
    float *y = malloc(sizeof(float) * (size_t)cb_shape_numel(cb_graph_output_shape(g)));
    assert_non_null(y);
    cb_exec_run(e, x, y);
    if (macs) *macs = cb_exec_counted_macs(e);
    cb_exec_free(e);
    return y;
}

static void expect_close(const float *got, const float *want, size_t n, float atol, float rtol,
                         const char *what) {
    long bad = net_first_mismatch(got, want, n, atol, rtol);
    if (bad >= 0)
        fprintf(stderr, "%s: element %ld is %.7g, expected %.7g\n", what, bad, got[bad], want[bad]);
    assert_int_equal(bad, -1);
}

#endif
