/* test_net_forward.c — mobilenet_v1 (alpha 0.25, 96x96) run forward against
 * the PyTorch golden output of scripts/make-golden-net, with the reference
 * and the fast executors (1 and 2 threads). The parameters are loaded from
 * the golden params/KEY.npy files by their state_dict keys, so this also
 * checks that our keys and shapes are PyTorch's.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "convblocks/cost.h"
#include "convblocks/exec.h"
#include "convblocks/net.h"
#include "convblocks/npy.h"
#include "net_test_util.h"

#define GOLDEN CB_DATA_DIR "/golden/net/mobilenet_v1_a025_r96"

/* ---- 1. MobileNet v1 against PyTorch ------------------------------------- */

static void test_mobilenet_golden(void **state) {
    (void)state;
    cb_graph *g;
    cb_error e;
    assert_int_equal(cb_net_build("mobilenet_v1", 0.25, 96, &g, &e), CB_OK);

    /* the graph's parameter keys and shapes are the state_dict's, in its order */
    FILE *f = fopen(GOLDEN "/params.txt", "r");
    assert_non_null(f);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char key[CB_NAME_MAX], dims[64], ours[64] = "";
        assert_int_equal(sscanf(line, "%95s %63s", key, dims), 2);
        assert_true(n < g->n_params);
        assert_string_equal(g->params[n].key, key);
        for (int d = 0; d < g->params[n].t.rank; d++)
            snprintf(ours + strlen(ours), sizeof ours - strlen(ours), d ? ",%d" : "%d",
                     g->params[n].t.dims[d]);
        assert_string_equal(ours, dims);
        n++;
    }
    fclose(f);
    assert_int_equal(n, g->n_params);

    cb_status s = cb_graph_load_params(g, GOLDEN "/params", &e);
    if (s != CB_OK) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(s, CB_OK);
    cb_tensor x, want;
    cb_shape xs, ys;
    assert_int_equal(cb_npy_read_activation(GOLDEN "/input.npy", &x, &xs, &e), CB_OK);
    assert_int_equal(cb_npy_read_activation(GOLDEN "/output.npy", &want, &ys, &e), CB_OK);
    assert_true(cb_shape_eq(xs, cb_graph_input_shape(g)));
    assert_true(cb_shape_eq(ys, cb_graph_output_shape(g)));

    /* logits of std ~0.5 after 28 convs: float32 summation order differs
     * from PyTorch's, so allow 1e-4 absolute + 1e-3 relative */
    uint64_t macs;
    float *y = run(g, CB_IMPL_REF, 1, x.data, &macs);
    expect_close(y, want.data, 1000, 1e-4f, 1e-3f, "mobilenet_v1 ref");
    assert_int_equal(macs, cb_graph_cost(g, NULL).macs); /* counted = analytic */
    /* the checker can fail: one logit off by 1e-2 is caught */
    y[517] += 1e-2f;
    assert_int_equal(net_first_mismatch(y, want.data, 1000, 1e-4f, 1e-3f), 517);
    free(y);
    for (int threads = 1; threads <= 2; threads++) {
        y = run(g, CB_IMPL_FAST, threads, x.data, NULL);
        expect_close(y, want.data, 1000, 1e-4f, 1e-3f, "mobilenet_v1 fast");
        free(y);
    }
    cb_tensor_free(&x);
    cb_tensor_free(&want);
    cb_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mobilenet_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
