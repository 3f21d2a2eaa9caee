/* test_bench_shim.c — the C shim over Google Benchmark (bench/shim/cb_bench.h).
 *
 * Registers two C benchmarks through the shim, runs it with Google Benchmark
 * flags in argv (filter, repetitions, min time, JSON output file), and reads
 * the JSON back: only the filtered benchmark ran, with the requested number
 * of repetitions and its aggregates; its plain, rate and per-iteration
 * counters, its label and the custom context are there; the rate counter is
 * divided by real (wall) time, not CPU time — the benchmark sleeps, so CPU
 * time would make the rate enormous.
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
#include <time.h>
#include <cmocka.h>

#include "cb_bench.h"

typedef struct {
    int calls;
    int64_t range0;
} probe;

static void bm_sleepy(cb_bench_state *st, void *arg) {
    probe *p = arg;
    p->calls++;
    p->range0 = cb_bench_range(st, 0);
    struct timespec ts = {0, 200000}; /* 0.2 ms of wall time, ~0 CPU time */
    while (cb_bench_keep_running(st)) nanosleep(&ts, NULL);
    cb_bench_counter(st, "plain", 42.0, CB_COUNTER_DEFAULT);
    cb_bench_counter(st, "per_second", 1000.0, CB_COUNTER_RATE_INVARIANT);
    cb_bench_counter(st, "per_iter", 6.0 * (double)cb_bench_iterations_done(st),
                     CB_COUNTER_AVG_ITERATIONS);
    cb_bench_label(st, "hello from C");
}

static void bm_never(cb_bench_state *st, void *arg) {
    probe *p = arg;
    p->calls++;
    while (cb_bench_keep_running(st)) {
    }
}

static const cJSON *get(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v) print_error("missing key '%s'\n", k);
    assert_non_null(v);
    return v;
}

static void test_shim_runs_and_reports(void **state) {
    (void)state;
    probe sleepy = {0, 0}, never = {0, 0};
    cb_bench *b = cb_bench_register("shim/sleepy", bm_sleepy, &sleepy);
    int64_t args[1] = {7};
    cb_bench_args(b, args, 1);
    cb_bench_use_real_time(b);
    cb_bench_unit(b, CB_UNIT_US);
    cb_bench *n = cb_bench_register("shim/never", bm_never, &never);
    cb_bench_use_real_time(n);

    char out[512], outflag[600];
    snprintf(out, sizeof out, "%s/test_bench_shim.json", CB_BINARY_DIR);
    snprintf(outflag, sizeof outflag, "--benchmark_out=%s", out);
    remove(out);
    char *argv[] = {"test_bench_shim", "--benchmark_filter=^shim/sleepy",
                    "--benchmark_repetitions=3", "--benchmark_min_time=0.005",
                    outflag, "--benchmark_out_format=json", NULL};
    int argc = 6;
    assert_int_equal(cb_bench_initialize(&argc, argv), 0);
    assert_int_equal(argc, 1); /* every flag was Google Benchmark's */
    cb_bench_add_context("cb_test_context", "from the shim");
    assert_int_equal(cb_bench_run(), 1);
    cb_bench_shutdown();

    assert_true(sleepy.calls >= 3);
    assert_int_equal(sleepy.range0, 7);
    assert_int_equal(never.calls, 0); /* the filter passed through */

    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    static char text[1 << 16];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);
    const cJSON *ctx = get(root, "context");
    assert_string_equal(get(ctx, "cb_test_context")->valuestring, "from the shim");

    int iteration_rows = 0, aggregates = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, get(root, "benchmarks")) {
        const char *name = get(e, "name")->valuestring;
        assert_non_null(strstr(name, "shim/sleepy/7"));
        assert_non_null(strstr(name, "real_time")); /* UseRealTime reached Google Benchmark */
        assert_string_equal(get(e, "time_unit")->valuestring, "us");
        if (strcmp(get(e, "run_type")->valuestring, "aggregate") == 0) {
            aggregates++;
            continue;
        }
        iteration_rows++;
        double real_us = get(e, "real_time")->valuedouble;
        double cpu_us = get(e, "cpu_time")->valuedouble;
        assert_true(real_us >= 200.0);   /* it slept 0.2 ms per iteration */
        assert_true(cpu_us < real_us);   /* and used less CPU than that */
        assert_string_equal(get(e, "label")->valuestring, "hello from C");
        assert_true(get(e, "plain")->valuedouble == 42.0);
        assert_true(fabs(get(e, "per_iter")->valuedouble - 6.0) < 1e-9);
        /* 1000 per iteration per real second */
        double want = 1000.0 / (real_us * 1e-6);
        double got = get(e, "per_second")->valuedouble;
        if (fabs(got - want) > 1e-6 * want) {
            print_error("rate %g, want %g (real time), cpu-based would be %g\n", got, want,
                        1000.0 / (cpu_us * 1e-6));
            fail();
        }
    }
    assert_int_equal(iteration_rows, 3);
    assert_int_equal(aggregates, 4); /* mean, median, stddev, cv */
    cJSON_Delete(root);
    remove(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_shim_runs_and_reports)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
