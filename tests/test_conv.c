/* test_conv — the reference conv2d against torch.nn.functional.conv2d golden
 * vectors, the named special cases against the general kernel, and counted
 * MACs against the cost model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "convblocks/cost.h"
#include "convblocks/exec.h"
#include "convblocks/npy.h"
#include "golden_util.h"

#define CONV_DIR CB_DATA_DIR "/golden/conv"

static void check_case(const char *name) {
    char dir[400], path[1024];
    snprintf(dir, sizeof dir, "%s/%.95s", CONV_DIR, name);
    snprintf(path, sizeof path, "%s/meta.json", dir);
    cJSON *meta = cbt_read_json(path);
    assert_non_null(meta);
    int stride = cJSON_GetObjectItem(meta, "stride")->valueint;
    int pad = cJSON_GetObjectItem(meta, "pad")->valueint;
    int groups = cJSON_GetObjectItem(meta, "groups")->valueint;
    int has_bias = cJSON_IsTrue(cJSON_GetObjectItem(meta, "bias"));
    cJSON_Delete(meta);

    cb_tensor x, w, b = {0}, want;
    cb_shape in, out;
    cb_error err;
    snprintf(path, sizeof path, "%s/input.npy", dir);
    assert_int_equal(cb_npy_read_activation(path, &x, &in, &err), CB_OK);
    snprintf(path, sizeof path, "%s/weight.npy", dir);
    assert_int_equal(cb_npy_read(path, &w, &err), CB_OK);
    if (has_bias) {
        snprintf(path, sizeof path, "%s/bias.npy", dir);
        assert_int_equal(cb_npy_read(path, &b, &err), CB_OK);
    }
    snprintf(path, sizeof path, "%s/output.npy", dir);
    assert_int_equal(cb_npy_read_activation(path, &want, &out, &err), CB_OK);

    cb_conv_params p = {w.dims[2], w.dims[3], stride, stride, pad, pad, groups};
    cb_shape got_shape;
    assert_int_equal(cb_conv_check(in, w.dims[0], &p, &got_shape, &err), CB_OK);
    assert_true(cb_shape_eq(got_shape, out));

    float *y = cb_alloc_floats((size_t)cb_shape_numel(out));
    uint64_t macs = cb_conv2d_ref(x.data, in, w.data, has_bias ? b.data : NULL, w.dims[0], &p, y);
    long bad = cbt_first_mismatch(y, want.data, (size_t)cb_shape_numel(out), 1e-5f, 1e-5f);
    if (bad >= 0) fail_msg("%s: element %ld is %g, torch says %g", name, bad, y[bad], want.data[bad]);

    /* the same conv as a one-layer graph: counted MACs equal the cost model */
    cb_graph *g = cb_graph_new("conv", in);
    cb_graph_conv(g, "conv", 0, w.dims[0], p, has_bias);
    assert_int_equal(cb_graph_status(g, &err), CB_OK);
    assert_int_equal(cb_graph_cost(g, NULL).macs, macs);
    assert_int_equal(macs, cb_shape_numel(out) * (uint64_t)(p.kh * p.kw * (in.c / groups)));

    /* depthwise and pointwise are special cases that must agree with the general kernel */
    float *y2 = cb_alloc_floats((size_t)cb_shape_numel(out));
    if (groups == in.c && w.dims[0] == in.c && !has_bias) {
        assert_int_equal(cb_depthwise_ref(x.data, in, w.data, &p, y2), macs);
        assert_memory_equal(y, y2, cb_shape_numel(out) * sizeof(float));
    }
    if (p.kh == 1 && p.kw == 1 && stride == 1 && pad == 0 && groups == 1 && !has_bias) {
        assert_int_equal(cb_pointwise_ref(x.data, in, w.data, w.dims[0], y2), macs);
        assert_memory_equal(y, y2, cb_shape_numel(out) * sizeof(float));
    }
    cb_free(y2);
    cb_free(y);
    cb_graph_free(g);
    cb_tensor_free(&x);
    cb_tensor_free(&w);
    cb_tensor_free(&b);
    cb_tensor_free(&want);
}

static void test_conv_golden(void **state) {
    (void)state;
    char names[64][96];
    int n = cbt_read_index(CONV_DIR, names, 64);
    assert_true(n >= 14);
    for (int i = 0; i < n; i++) check_case(names[i]);
}

/* Depthwise and pointwise on random data with no bias, every stride/pad mix. */
static void test_special_cases_match_general(void **state) {
    (void)state;
    cb_rng r;
    cb_rng_seed(&r, 7);
    cb_shape in = {5, 9, 7};
    float x[5 * 9 * 7], w[8 * 5 * 9], y1[8 * 9 * 7], y2[8 * 9 * 7];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = cb_rng_normal(&r);
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) w[i] = cb_rng_normal(&r);
    for (int stride = 1; stride <= 2; stride++)
        for (int pad = 0; pad <= 2; pad++) {
            cb_conv_params p = cb_conv_square(3, stride, pad, 5);
            cb_shape out;
            assert_int_equal(cb_conv_check(in, 5, &p, &out, NULL), CB_OK);
            uint64_t m1 = cb_conv2d_ref(x, in, w, NULL, 5, &p, y1);
            uint64_t m2 = cb_depthwise_ref(x, in, w, &p, y2);
            assert_int_equal(m1, m2);
            assert_memory_equal(y1, y2, cb_shape_numel(out) * sizeof(float));
        }
    cb_conv_params p1 = cb_conv_square(1, 1, 0, 1);
    uint64_t m1 = cb_conv2d_ref(x, in, w, NULL, 8, &p1, y1);
    uint64_t m2 = cb_pointwise_ref(x, in, w, 8, y2);
    assert_int_equal(m1, m2);
    assert_int_equal(m1, 8u * 5 * 9 * 7);
    assert_memory_equal(y1, y2, 8 * 9 * 7 * sizeof(float));
}

/* The checker itself must be able to fail: corrupt one value. */
static void test_checker_catches_one_bad_value(void **state) {
    (void)state;
    float a[100], b[100];
    for (int i = 0; i < 100; i++) a[i] = b[i] = (float)i * 0.37f - 5.0f;
    assert_int_equal(cbt_first_mismatch(a, b, 100, 1e-4f, 1e-4f), -1);
    b[42] += 0.01f;
    assert_int_equal(cbt_first_mismatch(a, b, 100, 1e-4f, 1e-4f), 42);
    b[42] = NAN;
    assert_int_equal(cbt_first_mismatch(a, b, 100, 1e-4f, 1e-4f), 42);
}

static void test_conv_check_refuses(void **state) {
    (void)state;
    cb_shape in = {6, 7, 9}, out;
    cb_error err;
    cb_conv_params p = cb_conv_square(3, 1, 1, 4);
    assert_int_equal(cb_conv_check(in, 8, &p, &out, &err), CB_ERR_ARG);  /* 4 does not divide 6 */
    assert_non_null(strstr(err.msg, "groups"));
    p = cb_conv_square(11, 1, 0, 1);
    assert_int_equal(cb_conv_check(in, 8, &p, &out, &err), CB_ERR_ARG);  /* kernel larger than input */
    p = cb_conv_square(3, 0, 1, 1);
    assert_int_equal(cb_conv_check(in, 8, &p, &out, &err), CB_ERR_ARG);  /* stride 0 */
    p = cb_conv_square(3, 2, 1, 1);
    assert_int_equal(cb_conv_check(in, 8, &p, &out, &err), CB_OK);
    assert_int_equal(out.h, 4);  /* floor((7 + 2 - 3) / 2) + 1 */
    assert_int_equal(out.w, 5);  /* floor((9 + 2 - 3) / 2) + 1 */
}

/* Pooling follows PyTorch: avg counts padding, max ignores it. */
static void test_pooling_conventions(void **state) {
    (void)state;
    cb_shape in = {1, 2, 2};
    float x[4] = {1, 2, 3, 4}, y[4];
    cb_pool_params p = {3, 1, 1};
    cb_avgpool_ref(x, in, &p, y);
    for (int i = 0; i < 4; i++) assert_float_equal(y[i], 10.0f / 9.0f, 1e-6f);  /* all 4 values, divided by 9 */
    cb_maxpool_ref(x, in, &p, y);
    for (int i = 0; i < 4; i++) assert_float_equal(y[i], 4.0f, 0.0f);
    float neg[4] = {-1, -2, -3, -4};
    cb_maxpool_ref(neg, in, &p, y);
    assert_float_equal(y[0], -1.0f, 0.0f);  /* padding is -inf, never 0 */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_golden),
        cmocka_unit_test(test_special_cases_match_general),
        cmocka_unit_test(test_checker_catches_one_bad_value),
        cmocka_unit_test(test_conv_check_refuses),
        cmocka_unit_test(test_pooling_conventions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
