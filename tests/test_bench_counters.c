/* test_bench_counters.c — the counters convblocks-bench publishes are the
 * cost model's.
 *
 * Runs the real binary once over every fast one-thread op and block
 * benchmark (sweeps included) and mobilenet_v1, one repetition, then for
 * each result rebuilds what its name says through the public library API
 * alone — cb_block_build with the arguments in the name, cb_net_build, or a
 * one-layer graph from graph.h — and checks MACs, params and bytes against
 * cb_graph_cost, AI against 2*MACs/bytes, and the rates against MACs and
 * bytes over the reported real time. For the conv ops the MACs are also
 * checked against the textbook formula k*k*C_in/groups*C_out*H_out*W_out.
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "convblocks/block.h"
#include "convblocks/cost.h"
#include "convblocks/graph.h"
#include "convblocks/net.h"

#define OUT CB_BINARY_DIR "/test_bench_counters.json"

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(v)) print_error("missing counter '%s'\n", k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

/* Split "a/b/c" into at most max parts (in place). */
static int split(char *s, char **parts, int max) {
    int n = 0;
    for (char *tok = strtok(s, "/"); tok && n < max; tok = strtok(NULL, "/")) parts[n++] = tok;
    return n;
}

/* A one-layer graph for op name `op` on input shape s, with the textbook MACs in *want_macs
 * (UINT64_MAX when the op has no such formula here). */
static cb_graph *op_graph(const char *op, cb_shape s, uint64_t *want_macs) {
    cb_graph *g = cb_graph_new(op, s);
    assert_non_null(g);
    int k = 0, stride = 1;
    *want_macs = UINT64_MAX;
    uint64_t c = (uint64_t)s.c;
    if (sscanf(op, "conv%dx%*d", &k) == 1) {
        cb_graph_conv(g, "conv", 0, s.c, cb_conv_square(k, 1, k / 2, 1), false);
        *want_macs = (uint64_t)k * k * c * c * (uint64_t)s.h * (uint64_t)s.w;
    } else if (sscanf(op, "depthwise%dx%*ds%d", &k, &stride) >= 1) {
        cb_graph_conv(g, "dw", 0, s.c, cb_conv_square(k, stride, k / 2, s.c), false);
        uint64_t oh = (uint64_t)((s.h + 2 * (k / 2) - k) / stride + 1);
        uint64_t ow = (uint64_t)((s.w + 2 * (k / 2) - k) / stride + 1);
        *want_macs = (uint64_t)k * k * c * oh * ow;
    } else if (strcmp(op, "pointwise") == 0) {
        cb_graph_conv(g, "pw", 0, s.c, cb_conv_square(1, 1, 0, 1), false);
        *want_macs = c * c * (uint64_t)s.h * (uint64_t)s.w;
    } else if (strcmp(op, "fc") == 0) {
        cb_graph_fc(g, "fc", 0, 1000, true);
        *want_macs = c * (uint64_t)s.h * (uint64_t)s.w * 1000;
    } else if (strcmp(op, "bn") == 0) {
        cb_graph_bn(g, "bn", 0);
    } else if (strcmp(op, "relu") == 0) {
        cb_graph_relu(g, "relu", 0);
    } else if (sscanf(op, "maxpool%dx%*ds%d", &k, &stride) == 2) {
        cb_graph_maxpool(g, "pool", 0, k, stride, k / 2);
    } else if (sscanf(op, "avgpool%dx%*d", &k) == 1) {
        cb_graph_avgpool(g, "pool", 0, k, 1, k / 2);
    } else if (strcmp(op, "gap") == 0) {
        cb_graph_gap(g, "gap", 0);
    } else if (strcmp(op, "add") == 0) {
        cb_graph_add(g, "add", 0, 0);
    } else if (strcmp(op, "concat") == 0) {
        int xs[2] = {0, 0};
        cb_graph_concat(g, "cat", xs, 2);
    } else {
        print_error("unknown op '%s'\n", op);
        fail();
    }
    cb_error err;
    assert_int_equal(cb_graph_status(g, &err), CB_OK);
    return g;
}

static cb_graph *graph_for(const char *bench_name, uint64_t *want_macs) {
    char buf[256], *p[8];
    snprintf(buf, sizeof buf, "%s", bench_name);
    int n = split(buf, p, 8);
    assert_true(n >= 5);
    cb_error err;
    cb_graph *g = NULL;
    *want_macs = UINT64_MAX;
    if (strcmp(p[0], "net") == 0) {
        assert_int_equal(cb_net_build(p[1], 1.0, atoi(p[3]), &g, &err), CB_OK);
        return g;
    }
    cb_shape s;
    assert_int_equal(cb_shape_parse(p[3], &s, &err), CB_OK);
    if (strcmp(p[0], "op") == 0) return op_graph(p[1], s, want_macs);
    assert_string_equal(p[0], "block");
    const cb_block_info *info = cb_block_find(p[1]);
    assert_non_null(info);
    cb_args a = info->defaults;
    bool has_args = strchr(p[4], '=') != NULL;
    if (has_args) {
        char *save = NULL;
        for (char *kv = strtok_r(p[4], ",", &save); kv; kv = strtok_r(NULL, ",", &save))
            assert_int_equal(cb_args_set(&a, kv, &err), CB_OK);
    }
    if (cb_block_build(p[1], has_args ? &a : NULL, &s, &g, &err) != CB_OK) {
        print_error("%s: %s\n", bench_name, err.msg);
        fail();
    }
    return g;
}

static void test_counters_equal_cost_model(void **state) {
    (void)state;
    remove(OUT);
    const char *cmd =
        CB_BINARY_DIR "/convblocks-bench --no-probe --threads 1"
        " '--benchmark_filter=^(op|block)/[^/]*/fast/.*/t1/|^net/mobilenet_v1/fast/'"
        " --benchmark_repetitions=1 --benchmark_min_time=0.000001"
        " --benchmark_out=" OUT " --benchmark_out_format=json > /dev/null";
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    FILE *f = fopen(OUT, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *text = malloc((size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    cJSON *root = cJSON_Parse(text);
    free(text);
    assert_non_null(root);

    int seen_op = 0, seen_block = 0, seen_net = 0, formula_checked = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, "benchmarks")) {
        const char *name = cJSON_GetObjectItemCaseSensitive(e, "name")->valuestring;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "error_occurred"))) {
            print_error("%s: %s\n", name,
                        cJSON_GetObjectItemCaseSensitive(e, "error_message")->valuestring);
            fail();
        }
        uint64_t want_macs;
        cb_graph *g = graph_for(name, &want_macs);
        cb_cost c = cb_graph_cost(g, NULL);
        cb_graph_free(g);
        double macs = num(e, "MACs"), params = num(e, "params"), bytes = num(e, "bytes");
        if (macs != (double)c.macs || params != (double)c.params || bytes != (double)c.bytes) {
            print_error("%s: published MACs %.0f params %.0f bytes %.0f, cost model %llu %llu %llu\n",
                        name, macs, params, bytes, (unsigned long long)c.macs,
                        (unsigned long long)c.params, (unsigned long long)c.bytes);
            fail();
        }
        if (want_macs != UINT64_MAX) {
            assert_true(macs == (double)want_macs);
            formula_checked++;
        }
        assert_true(fabs(num(e, "AI") - 2 * macs / bytes) <= 1e-9 * num(e, "AI"));
        /* rates: per wall second (real_time is per iteration, in time_unit) */
        const char *unit = cJSON_GetObjectItemCaseSensitive(e, "time_unit")->valuestring;
        double scale = strcmp(unit, "us") == 0 ? 1e-6 : strcmp(unit, "ms") == 0 ? 1e-3
                       : strcmp(unit, "ns") == 0 ? 1e-9 : 1;
        double seconds = num(e, "real_time") * scale;
        assert_true(fabs(num(e, "GMAC/s") - macs * 1e-9 / seconds) <= 1e-6 * (num(e, "GMAC/s") + 1e-12));
        assert_true(fabs(num(e, "GB/s") - bytes * 1e-9 / seconds) <= 1e-6 * num(e, "GB/s"));
        assert_true(num(e, "threads") == 1);
        seen_op += strncmp(name, "op/", 3) == 0;
        seen_block += strncmp(name, "block/", 6) == 0;
        seen_net += strncmp(name, "net/", 4) == 0;
    }
    cJSON_Delete(root);
    remove(OUT);
    /* every canonical block ran, and a fair number of ops */
    assert_true(seen_block >= cb_block_count());
    assert_true(seen_op >= 12);
    assert_true(formula_checked >= 10);
    if (cb_net_find("mobilenet_v1")) assert_true(seen_net >= 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_counters_equal_cost_model)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
