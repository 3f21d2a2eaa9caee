/* test_blocks — every canonical block against PyTorch golden vectors, the
 * multiply-adds the reference kernels counted against the cost model, and
 * the identities that the course teaches, checked in exact integers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "convblocks/block.h"
#include "convblocks/cost.h"
#include "convblocks/exec.h"
#include "convblocks/npy.h"
#include "golden_util.h"

#define BLOCK_DIR CB_DATA_DIR "/golden/blocks"

/* Build the block a golden case describes (meta.json args, input's shape). */
static cb_graph *build_case(const char *dir, cb_tensor *x, cb_shape *in) {
    char path[700];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    cJSON *meta = cbt_read_json(path);
    assert_non_null(meta);
    const char *block = cJSON_GetObjectItem(meta, "block")->valuestring;
    const cb_block_info *info = cb_block_find(block);
    assert_non_null(info);
    cb_args args = info->defaults;
    cJSON *kv;
    cJSON_ArrayForEach(kv, cJSON_GetObjectItem(meta, "args")) {
        char set[128];
        if (cJSON_IsBool(kv)) snprintf(set, sizeof set, "%s=%s", kv->string, cJSON_IsTrue(kv) ? "true" : "false");
        else snprintf(set, sizeof set, "%s=%d", kv->string, kv->valueint);
        cb_error err;
        if (cb_args_set(&args, set, &err) != CB_OK) fail_msg("%s: %s", dir, err.msg);
    }
    snprintf(path, sizeof path, "%s/input.npy", dir);
    cb_error err;
    assert_int_equal(cb_npy_read_activation(path, x, in, &err), CB_OK);
    cb_graph *g;
    if (cb_block_build(block, &args, in, &g, &err) != CB_OK) fail_msg("%s: %s", dir, err.msg);
    cJSON_Delete(meta);
    return g;
}

static void check_block_case(const char *name) {
    char dir[400], path[1024];
    snprintf(dir, sizeof dir, "%s/%.95s", BLOCK_DIR, name);
    cb_tensor x, want;
    cb_shape in, out;
    cb_error err;
    cb_graph *g = build_case(dir, &x, &in);
    snprintf(path, sizeof path, "%s/params", dir);
    if (cb_graph_load_params(g, path, &err) != CB_OK) fail_msg("%s: %s", name, err.msg);
    snprintf(path, sizeof path, "%s/output.npy", dir);
    assert_int_equal(cb_npy_read_activation(path, &want, &out, &err), CB_OK);
    assert_true(cb_shape_eq(out, cb_graph_output_shape(g)));

    /* parameters come in state_dict order with state_dict shapes (params.txt) */
    snprintf(path, sizeof path, "%s/params.txt", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char key[CB_NAME_MAX], dims[64];
    int k = 0;
    while (fscanf(f, "%95s %63s", key, dims) == 2) {
        assert_true(k < g->n_params);
        assert_string_equal(g->params[k].key, key);
        char ours[64] = "";
        for (int d = 0; d < g->params[k].t.rank; d++)
            snprintf(ours + strlen(ours), sizeof ours - strlen(ours), d ? ",%d" : "%d", g->params[k].t.dims[d]);
        assert_string_equal(ours, dims);
        k++;
    }
    fclose(f);
    assert_int_equal(k, g->n_params);

    cb_exec *e;
    assert_int_equal(cb_exec_new(g, CB_IMPL_REF, 1, &e, &err), CB_OK);
    float *y = cb_alloc_floats((size_t)cb_shape_numel(out));
    cb_exec_run(e, x.data, y);
    long bad = cbt_first_mismatch(y, want.data, (size_t)cb_shape_numel(out), 1e-4f, 1e-4f);
    if (bad >= 0) fail_msg("%s: element %ld is %g, PyTorch says %g", name, bad, y[bad], want.data[bad]);
    /* what the kernels counted is what the cost model predicts */
    assert_int_equal(cb_exec_counted_macs(e), cb_graph_cost(g, NULL).macs);
    cb_free(y);
    cb_exec_free(e);
    cb_graph_free(g);
    cb_tensor_free(&x);
    cb_tensor_free(&want);
}

/* The tables' thousands separators (cost.h), against hand-written strings;
 * a buffer too small keeps whole digits and stays terminated. */
static void test_format_count(void **state) {
    (void)state;
    char buf[32];
    assert_string_equal(cb_format_count(0, buf, sizeof buf), "0");
    assert_string_equal(cb_format_count(999, buf, sizeof buf), "999");
    assert_string_equal(cb_format_count(1000, buf, sizeof buf), "1,000");
    assert_string_equal(cb_format_count(22855952, buf, sizeof buf), "22,855,952");
    assert_string_equal(cb_format_count(UINT64_MAX, buf, sizeof buf), "18,446,744,073,709,551,615");
    char small[6];
    cb_format_count(1234567, small, sizeof small);
    assert_int_equal(strlen(small), 4);
    assert_string_equal(small, "1,23");
}

static void test_blocks_golden(void **state) {
    (void)state;
    char names[64][96];
    int n = cbt_read_index(BLOCK_DIR, names, 64);
    assert_true(n >= 18);
    int seen[16] = {0};
    for (int i = 0; i < n; i++) {
        check_block_case(names[i]);
        for (int b = 0; b < cb_block_count(); b++)
            if (strncmp(names[i], cb_block_at(b)->name, strlen(cb_block_at(b)->name)) == 0) seen[b] = 1;
    }
    for (int b = 0; b < cb_block_count(); b++)
        if (!seen[b]) fail_msg("no golden case for block %s", cb_block_at(b)->name);
}

/* A run of the block with seeded parameters on a small shape. */
static cb_graph *seeded(const char *block, const char *const *sets, int n_sets, cb_shape in, uint64_t seed) {
    const cb_block_info *info = cb_block_find(block);
    cb_args args = info->defaults;
    cb_error err;
    for (int i = 0; i < n_sets; i++) assert_int_equal(cb_args_set(&args, sets[i], &err), CB_OK);
    cb_graph *g;
    if (cb_block_build(block, &args, &in, &g, &err) != CB_OK) fail_msg("%s: %s", block, err.msg);
    assert_int_equal(cb_graph_init_params(g, seed, &err), CB_OK);
    return g;
}

static float *run_ref(cb_graph *g, const float *x, uint64_t *macs) {
    cb_exec *e;
    cb_error err;
    assert_int_equal(cb_exec_new(g, CB_IMPL_REF, 1, &e, &err), CB_OK);
    float *y = cb_alloc_floats((size_t)cb_shape_numel(cb_graph_output_shape(g)));
    cb_exec_run(e, x, y);
    if (macs) *macs = cb_exec_counted_macs(e);
    cb_exec_free(e);
    return y;
}

/* Every block at its default arguments on a small input: counted MACs equal
 * the cost model (the golden cases cover other arguments). */
static void test_counted_macs_every_block(void **state) {
    (void)state;
    for (int b = 0; b < cb_block_count(); b++) {
        const cb_block_info *info = cb_block_at(b);
        char set[64];
        snprintf(set, sizeof set, "%s=%d", info->channels_arg, 6);
        cb_shape in = {6, 9, 11};
        /* keep the blocks small: shrink the output channels where there are some */
        cb_args args = info->defaults;
        cb_error err;
        assert_int_equal(cb_args_set(&args, set, &err), CB_OK);
        if (cb_args_get(&args, "cout")) cb_args_set(&args, "cout=9", &err);
        if (cb_args_get(&args, "m")) cb_args_set(&args, "m=6", &err);
        if (cb_args_get(&args, "c") && strcmp(info->channels_arg, "c") != 0) cb_args_set(&args, "c=4", &err);
        cb_graph *g;
        if (cb_block_build(info->name, &args, &in, &g, &err) != CB_OK) fail_msg("%s: %s", info->name, err.msg);
        assert_int_equal(cb_graph_init_params(g, 3, &err), CB_OK);
        float x[6 * 9 * 11];
        cb_rng r;
        cb_rng_seed(&r, 4);
        for (int i = 0; i < 6 * 9 * 11; i++) x[i] = cb_rng_normal(&r);
        uint64_t counted;
        float *y = run_ref(g, x, &counted);
        if (counted != cb_graph_cost(g, NULL).macs)
            fail_msg("%s: counted %llu MACs, cost model %llu", info->name, (unsigned long long)counted,
                     (unsigned long long)cb_graph_cost(g, NULL).macs);
        cb_free(y);
        cb_graph_free(g);
    }
}

/* Copy src's parameter `from` into rows [row0, row0 + rows) of dst's `to`. */
static void copy_rows(cb_graph *dst, const char *to, const cb_graph *src, const char *from, int row0) {
    int di = cb_graph_find_param(dst, to), si = cb_graph_find_param(src, from);
    assert_true(di >= 0 && si >= 0);
    const cb_tensor *s = &src->params[si].t;
    size_t row = (size_t)cb_tensor_numel(s) / (size_t)s->dims[0];
    memcpy(dst->params[di].t.data + (size_t)row0 * row, s->data, cb_tensor_numel(s) * sizeof(float));
}

/* inception_simple(cin, c) is inception_grouped(cin, 3c, groups=3) with its
 * three reduce convs stacked into one: the Xception paper's Fig. 2 -> Fig. 3. */
static void test_inception_simple_is_grouped_with_3_groups(void **state) {
    (void)state;
    const int cin = 6, c = 4;
    cb_shape in = {cin, 7, 9};
    const char *s1[] = {"c=4"};
    cb_graph *simple = seeded("inception_simple", s1, 1, in, 11);
    const char *s2[] = {"m=12", "groups=3"};
    cb_graph *grouped = seeded("inception_grouped", s2, 2, in, 0);
    static const char *suffix[] = {"conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"};
    for (int t = 0; t < 3; t++)
        for (int part = 0; part < 2; part++)
            for (int k = 0; k < 5; k++) {
                char from[96], to[96];
                const char *stage = part ? "spatial" : "reduce";
                snprintf(from, sizeof from, "towers.%d.%s.%s", t, stage, suffix[k]);
                snprintf(to, sizeof to, "%s.%s", stage, suffix[k]);
                copy_rows(grouped, to, simple, from, t * c);
            }
    float x[6 * 7 * 9];
    cb_rng r;
    cb_rng_seed(&r, 5);
    for (int i = 0; i < cin * 7 * 9; i++) x[i] = cb_rng_normal(&r);
    uint64_t m1, m2;
    float *y1 = run_ref(simple, x, &m1), *y2 = run_ref(grouped, x, &m2);
    size_t n = (size_t)cb_shape_numel(cb_graph_output_shape(simple));
    assert_true(cb_shape_eq(cb_graph_output_shape(simple), cb_graph_output_shape(grouped)));
    assert_int_equal(cbt_first_mismatch(y1, y2, n, 1e-5f, 1e-5f), -1);
    assert_int_equal(m1, m2);  /* the same work, just organised differently */
    assert_int_equal(cb_graph_cost(simple, NULL).weights, cb_graph_cost(grouped, NULL).weights);
    cb_free(y1);
    cb_free(y2);
    cb_graph_free(simple);
    cb_graph_free(grouped);
}

static cb_cost block_cost(const char *block, const char *const *sets, int n, cb_shape in) {
    const cb_block_info *info = cb_block_find(block);
    cb_args args = info->defaults;
    for (int i = 0; i < n; i++) assert_int_equal(cb_args_set(&args, sets[i], NULL), CB_OK);
    cb_graph *g;
    cb_error err;
    if (cb_block_build(block, &args, &in, &g, &err) != CB_OK) fail_msg("%s: %s", block, err.msg);
    cb_cost c = cb_graph_cost(g, NULL);
    cb_graph_free(g);
    return c;
}

/* MACs(mobilenet) / MACs(standard) = 1/N + 1/9 exactly, i.e.
 * 9N * MACs(separable) == (9 + N) * MACs(standard), for many shapes. */
static void test_separable_ratio_exact(void **state) {
    (void)state;
    const int ns[] = {1, 2, 16, 33, 128, 1024};
    const int ms[] = {3, 32, 64};
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (size_t j = 0; j < sizeof ms / sizeof ms[0]; j++) {
            char cout[32];
            snprintf(cout, sizeof cout, "cout=%d", ns[i]);
            const char *sets[] = {cout};
            cb_shape in = {ms[j], 14, 14};
            uint64_t sep = block_cost("mobilenet", sets, 1, in).macs;
            uint64_t std = block_cost("standard", sets, 1, in).macs;
            uint64_t N = (uint64_t)ns[i];
            assert_int_equal(9 * N * sep, (9 + N) * std);
            /* and both equal the paper's section 3.2 formulas */
            assert_int_equal(sep, cb_formula_separable_macs(3, (uint64_t)ms[j], N, 14));
            assert_int_equal(std, cb_formula_standard_macs(3, (uint64_t)ms[j], N, 14));
        }
}

/* n stacked 3x3 convs C->C: n*9*C^2 weights; one (2n+1)x(2n+1) kernel: (2n+1)^2*C^2. */
static void test_vgg_stack_vs_large_kernel(void **state) {
    (void)state;
    for (int n = 1; n <= 4; n++)
        for (int C = 8; C <= 64; C *= 2) {
            char cin[32], cout[32], nn[32], k[32];
            snprintf(cin, sizeof cin, "cin=%d", C);
            snprintf(cout, sizeof cout, "cout=%d", C);
            snprintf(nn, sizeof nn, "n=%d", n);
            snprintf(k, sizeof k, "k=%d", 2 * n + 1);
            const char *vs[] = {cin, cout, nn}, *ks[] = {cin, cout, k};
            cb_shape in = {C, 20, 20};
            cb_cost v = block_cost("vgg", vs, 3, in), big = block_cost("conv_kxk", ks, 3, in);
            uint64_t C2 = (uint64_t)C * C;
            assert_int_equal(v.weights, (uint64_t)n * 9 * C2);
            assert_int_equal(big.weights, (uint64_t)(2 * n + 1) * (2 * n + 1) * C2);
            assert_int_equal(v.params, v.weights + (uint64_t)n * C);  /* plus one bias per conv */
            assert_int_equal(v.macs, v.weights * 400);                 /* stride 1, 'same': one window per pixel */
        }
}

/* groups walks inception_grouped from a regular 3x3 (g=1) to one filter per channel (g=m). */
static void test_grouped_spectrum(void **state) {
    (void)state;
    const int m = 12;
    cb_shape in = {8, 10, 10};
    for (int g = 1; g <= m; g++) {
        if (m % g) continue;
        char gs[32];
        snprintf(gs, sizeof gs, "groups=%d", g);
        const char *sets[] = {"m=12", gs};
        cb_cost c = block_cost("inception_grouped", sets, 2, in);
        uint64_t reduce = 8 * m, spatial = 9 * (uint64_t)m * (m / g);
        assert_int_equal(c.weights, reduce + spatial);
        assert_int_equal(c.macs, (reduce + spatial) * 100);
    }
}

/* Bad block arguments come back as usage errors naming the problem. */
static void test_bad_arguments(void **state) {
    (void)state;
    cb_graph *g;
    cb_error err;
    assert_int_equal(cb_block_build("nope", NULL, NULL, &g, &err), CB_ERR_ARG);
    assert_non_null(strstr(err.msg, "nope"));
    cb_args a = cb_block_find("mobilenet")->defaults;
    assert_int_equal(cb_args_set(&a, "colour=3", &err), CB_ERR_ARG);
    assert_non_null(strstr(err.msg, "colour"));
    assert_int_equal(cb_args_set(&a, "cout=abc", &err), CB_ERR_ARG);
    assert_int_equal(cb_args_set(&a, "cout=0", &err), CB_ERR_ARG);
    assert_int_equal(cb_args_set(&a, "cout", &err), CB_ERR_ARG);
    assert_int_equal(cb_args_set(&a, "stride=true", &err), CB_ERR_ARG);
    cb_args xe = cb_block_find("xception_entry")->defaults;
    assert_int_equal(cb_args_set(&xe, "start_relu=1", &err), CB_ERR_ARG);
    assert_int_equal(cb_args_set(&xe, "start_relu=false", &err), CB_OK);
    /* groups that do not divide the channels */
    cb_args ig = cb_block_find("inception_grouped")->defaults;
    assert_int_equal(cb_args_set(&ig, "groups=5", &err), CB_OK);
    assert_int_equal(cb_block_build("inception_grouped", &ig, NULL, &g, &err), CB_ERR_ARG);
    assert_non_null(strstr(err.msg, "groups"));
    /* channels argument that contradicts the shape */
    cb_args mb = cb_block_find("mobilenet")->defaults;
    assert_int_equal(cb_args_set(&mb, "cin=32", &err), CB_OK);
    cb_shape s = {16, 8, 8};
    assert_int_equal(cb_block_build("mobilenet", &mb, &s, &g, &err), CB_ERR_ARG);
    /* a stride larger than the kernel's limit */
    cb_args st = cb_block_find("standard")->defaults;
    assert_int_equal(cb_args_set(&st, "stride=64", &err), CB_OK);
    assert_int_equal(cb_block_build("standard", &st, NULL, &g, &err), CB_ERR_ARG);
    assert_non_null(strstr(err.msg, "stride"));
}

/* Parameter keys are blocks.py's state_dict keys. */
static void test_parameter_keys(void **state) {
    (void)state;
    cb_graph *g;
    assert_int_equal(cb_block_build("inception_simple", NULL, NULL, &g, NULL), CB_OK);
    assert_true(cb_graph_find_param(g, "towers.2.spatial.conv.weight") >= 0);
    assert_true(cb_graph_find_param(g, "towers.0.reduce.bn.running_var") >= 0);
    assert_int_equal(g->n_params, 3 * 2 * 5);
    cb_graph_free(g);
    assert_int_equal(cb_block_build("xception_entry", NULL, NULL, &g, NULL), CB_OK);
    const char *keys[] = {"sep1.dw.weight", "sep1.pw.weight", "bn1.weight", "sep2.dw.weight", "skip.weight",
                          "skipbn.running_mean"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) assert_true(cb_graph_find_param(g, keys[i]) >= 0);
    cb_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_count),
        cmocka_unit_test(test_blocks_golden),
        cmocka_unit_test(test_counted_macs_every_block),
        cmocka_unit_test(test_inception_simple_is_grouped_with_3_groups),
        cmocka_unit_test(test_separable_ratio_exact),
        cmocka_unit_test(test_vgg_stack_vs_large_kernel),
        cmocka_unit_test(test_grouped_spectrum),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_parameter_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
