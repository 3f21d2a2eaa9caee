/* install_consumer.c — a program outside the tree, built against the
 * installed library by tests/install_test.sh with nothing but
 *   cc install_consumer.c $(pkg-config --cflags --libs convblocks)
 * It builds a MobileNet block, checks its cost against the MobileNet
 * paper's formula, and runs it with the reference and the fast kernels,
 * which must agree. Prints "ok" and exits 0, or says what failed and exits 1.
 */
#include <convblocks/block.h>
#include <convblocks/cost.h>
#include <convblocks/exec.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    cb_args args = cb_block_find("mobilenet")->defaults;
    cb_error err;
    cb_shape in = {4, 8, 8};
    cb_graph *g = NULL;
    if (cb_args_set(&args, "cout=6", &err) || cb_block_build("mobilenet", &args, &in, &g, &err) ||
        cb_graph_init_params(g, 1, &err)) {
        fprintf(stderr, "install_consumer: %s\n", err.msg);
        return 1;
    }
    cb_cost c = cb_graph_cost(g, NULL);
    uint64_t want = cb_formula_separable_macs(3, 4, 6, 8);
    if (c.macs != want) {
        fprintf(stderr, "install_consumer: %llu MACs, the formula says %llu\n",
                (unsigned long long)c.macs, (unsigned long long)want);
        return 1;
    }
    cb_shape out = cb_graph_output_shape(g);
    float *x = cb_alloc_floats(cb_shape_numel(in));
    float *y_ref = cb_alloc_floats(cb_shape_numel(out)), *y_fast = cb_alloc_floats(cb_shape_numel(out));
    cb_rng r;
    cb_rng_seed(&r, 2);
    for (uint64_t i = 0; i < cb_shape_numel(in); i++) x[i] = cb_rng_normal(&r);
    cb_exec *ref = NULL, *fast = NULL;
    if (cb_exec_new(g, CB_IMPL_REF, 1, &ref, &err) || cb_exec_new(g, CB_IMPL_FAST, 2, &fast, &err)) {
        fprintf(stderr, "install_consumer: %s\n", err.msg);
        return 1;
    }
    cb_exec_run(ref, x, y_ref);
    cb_exec_run(fast, x, y_fast);
    int bad = cb_exec_counted_macs(ref) != want;
    for (uint64_t i = 0; i < cb_shape_numel(out); i++)
        if (!(fabsf(y_ref[i] - y_fast[i]) <= 1e-4f * (1 + fabsf(y_ref[i])))) bad = 1;
    printf("%s: %dx%dx%d -> %dx%dx%d, %llu MACs\n", bad ? "FAILED" : "ok", in.c, in.h, in.w, out.c,
           out.h, out.w, (unsigned long long)c.macs);
    cb_exec_free(ref);
    cb_exec_free(fast);
    cb_free(x);
    cb_free(y_ref);
    cb_free(y_fast);
    cb_graph_free(g);
    return bad;
}
