/* test_bench_compare.c — convblocks-bench-compare on crafted Google Benchmark JSON.
 *
 * The files are written here in Google Benchmark's own layout: one
 * "iteration" row per repetition plus mean/median/stddev aggregates, times
 * in a time_unit, counters as top-level keys. Each repetition is a base time
 * times (1 + 2% pseudo-random noise), so the cases are realistic but
 * deterministic:
 *   20% slower, 10 repetitions  -> flagged, exit 1
 *   identical files, 1% slower  -> not flagged, exit 0
 *   median 20% slower but the best run as fast as before (a busy machine)
 *                               -> not flagged
 *   MACs changed                -> reported as a cost change
 *   missing, malformed, not GB  -> one error line, exit 2
 * and --cost-only (make bench-check's cost question):
 *   same costs, any times       -> exit 0
 *   MACs changed, even by one   -> exit 1, the change named
 *   a subset or an extra bench  -> reported, exit 0
 *   a benchmark that failed     -> exit 1
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#define DIR CB_BINARY_DIR "/test_bench_compare"
#define TOOL CB_BINARY_DIR "/convblocks-bench-compare"

typedef struct {
    const char *name;
    double ms;        /* median-ish time */
    double macs;
} bench_spec;

/* Deterministic noise in [-1, 1). */
static double noise(uint64_t *s) {
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(*s >> 11) / (double)(1ull << 52) - 1.0;
}

/* Write a GB-style JSON file: for each benchmark, reps rows of ms*scale*(1+0.02*noise);
 * with keep_best, the first repetition is not scaled (and 3% faster): a run that
 * escaped the load that slowed the others. */
static void write_file_ex(const char *path, const bench_spec *b, int nb, int reps, double scale,
                          uint64_t seed, bool keep_best) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\n  \"context\": {\"host_name\": \"test\", \"num_cpus\": 2},\n  \"benchmarks\": [\n");
    uint64_t s = seed;
    for (int i = 0; i < nb; i++) {
        double sum = 0;
        for (int r = 0; r < reps; r++) {
            double t = b[i].ms * scale * (1 + 0.02 * noise(&s));
            if (keep_best && r == 0) t = b[i].ms * 0.97;
            sum += t;
            fprintf(f,
                    "    {\"name\": \"%s/real_time\", \"family_index\": %d, \"run_name\": "
                    "\"%s/real_time\", \"run_type\": \"iteration\", \"repetitions\": %d, "
                    "\"repetition_index\": %d, \"threads\": 1, \"iterations\": 100, "
                    "\"real_time\": %.17g, \"cpu_time\": %.17g, \"time_unit\": \"ms\", "
                    "\"MACs\": %.17g, \"params\": 1000, \"bytes\": 4096},\n",
                    b[i].name, i, b[i].name, reps, r, t, t, b[i].macs);
        }
        /* the cv of a counter whose mean is 0 is NaN, which Google Benchmark
         * writes as a bare word (not JSON): the reader must cope */
        fprintf(f,
                "    {\"name\": \"%s/real_time_cv\", \"run_name\": \"%s/real_time\", "
                "\"run_type\": \"aggregate\", \"aggregate_name\": \"cv\", \"real_time\": 0.01, "
                "\"cpu_time\": 0.01, \"time_unit\": \"ms\", \"other_ops\": NaN, \"x\": -Infinity, "
                "\"label\": \"NaN inf\"},\n",
                b[i].name, b[i].name);
        const char *aggs[] = {"mean", "median", "stddev"};
        for (int a = 0; a < 3; a++)
            fprintf(f,
                    "    {\"name\": \"%s/real_time_%s\", \"run_name\": \"%s/real_time\", "
                    "\"run_type\": \"aggregate\", \"aggregate_name\": \"%s\", \"real_time\": %.17g, "
                    "\"cpu_time\": %.17g, \"time_unit\": \"ms\", \"MACs\": %.17g}%s\n",
                    b[i].name, aggs[a], b[i].name, aggs[a], a == 2 ? 0.01 : sum / reps,
                    a == 2 ? 0.01 : sum / reps, b[i].macs, (i == nb - 1 && a == 2) ? "" : ",");
    }
    fprintf(f, "  ]\n}\n");
    fclose(f);
}

static void write_file(const char *path, const bench_spec *b, int nb, int reps, double scale,
                       uint64_t seed) {
    write_file_ex(path, b, nb, reps, scale, seed, false);
}

static const bench_spec specs[] = {
    {"op/depthwise3x3/fast/64x112x112/t1", 0.5, 7225344},
    {"block/mobilenet/fast/64x56x56/t1", 2.0, 27901952},
    {"net/mobilenet_v1/fast/224/t1", 20.0, 568740352},
};
enum { NB = 3 };

/* Run the tool; return its exit status, with stdout in out (if not NULL). */
static int run(const char *args, char *out, size_t n) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>%s/stderr.txt", TOOL, args, DIR);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = 0;
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, p)) > 0)
        if (out && len + got < n) {
            memcpy(out + len, buf, got);
            len += got;
        }
    if (out) out[len] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void read_stderr(char *buf, size_t n) {
    FILE *f = fopen(DIR "/stderr.txt", "r");
    assert_non_null(f);
    size_t len = fread(buf, 1, n - 1, f);
    buf[len] = '\0';
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    mkdir(DIR, 0755);
    write_file(DIR "/base.json", specs, NB, 10, 1.0, 1);
    write_file(DIR "/same.json", specs, NB, 10, 1.0, 1);
    write_file(DIR "/plus1.json", specs, NB, 10, 1.01, 2);
    write_file(DIR "/plus20.json", specs, NB, 10, 1.20, 3);
    bench_spec changed[NB];
    memcpy(changed, specs, sizeof changed);
    changed[1].macs *= 2;
    write_file(DIR "/cost.json", changed, NB, 10, 1.0, 4);
    write_file_ex(DIR "/loaded.json", specs, NB, 10, 1.20, 7, true);
    /* 2 repetitions only */
    write_file(DIR "/few.json", specs, NB, 2, 1.0, 5);
    write_file(DIR "/few20.json", specs, NB, 2, 1.20, 6);
    FILE *f = fopen(DIR "/malformed.json", "w");
    fputs("{\"benchmarks\": [ {\"name\": \"x\", \"real_time\": 1.0", f);
    fclose(f);
    /* --cost-only cases: one MAC more; the first benchmark alone, once; an
     * extra benchmark; the second benchmark failed (error_occurred, no times) */
    memcpy(changed, specs, sizeof changed);
    changed[2].macs += 1;
    write_file(DIR "/one_mac.json", changed, NB, 10, 1.0, 8);
    write_file(DIR "/subset.json", specs, 1, 1, 1.0, 9);
    bench_spec extra[NB + 1];
    memcpy(extra, specs, sizeof specs);
    extra[NB] = (bench_spec){"op/relu/fast/64x112x112/t1", 0.1, 0};
    write_file(DIR "/extra.json", extra, NB + 1, 3, 1.0, 10);
    f = fopen(DIR "/failed.json", "w");
    fprintf(f, "{\"benchmarks\": [\n");
    for (int i = 0; i < NB; i++) {
        if (i == 1)
            fprintf(f, "  {\"name\": \"%s/real_time\", \"run_name\": \"%s/real_time\", "
                       "\"run_type\": \"iteration\", \"error_occurred\": true, "
                       "\"error_message\": \"out of memory\"},\n", specs[i].name, specs[i].name);
        else
            fprintf(f, "  {\"name\": \"%s/real_time\", \"run_name\": \"%s/real_time\", "
                       "\"run_type\": \"iteration\", \"real_time\": 1.0, \"time_unit\": \"ms\", "
                       "\"MACs\": %.17g, \"params\": 1000, \"bytes\": 4096}%s\n",
                    specs[i].name, specs[i].name, specs[i].macs, i == NB - 1 ? "" : ",");
    }
    fprintf(f, "]}\n");
    fclose(f);
    f = fopen(DIR "/notgb.json", "w");
    fputs("{\"hello\": 1}", f);
    fclose(f);
    return 0;
}

static cJSON *run_json(const char *args, int *code) {
    static char out[1 << 16];
    char full[1024];
    snprintf(full, sizeof full, "--json %s", args);
    *code = run(full, out, sizeof out);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    return j;
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

static void test_slowdown_20pct_flagged(void **state) {
    (void)state;
    int code;
    cJSON *j = run_json(DIR "/base.json " DIR "/plus20.json", &code);
    assert_int_equal(code, 1);
    assert_int_equal((int)num(j, "regressions"), NB);
    assert_int_equal((int)num(j, "compared"), NB);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "benchmarks")) {
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(e, "regression")));
        double ch = num(e, "change_pct");
        assert_true(ch > 15 && ch < 25);
        assert_true(num(e, "p_slow") < 0.05);
        assert_false(cJSON_IsTrue(cJSON_GetObjectItem(e, "cost_change")));
    }
    double gm = num(j, "geomean_change_pct");
    assert_true(gm > 15 && gm < 25);
    cJSON_Delete(j);
    /* the readable table says so too */
    char out[8192];
    assert_int_equal(run(DIR "/base.json " DIR "/plus20.json", out, sizeof out), 1);
    assert_non_null(strstr(out, "SLOWER"));
    assert_non_null(strstr(out, "REGRESSION"));
    /* a 30% threshold lets it pass */
    assert_int_equal(run("--threshold 30 " DIR "/base.json " DIR "/plus20.json", NULL, 0), 0);
}

static void test_identical_and_1pct_pass(void **state) {
    (void)state;
    int code;
    cJSON *j = run_json(DIR "/base.json " DIR "/same.json", &code);
    assert_int_equal(code, 0);
    assert_int_equal((int)num(j, "regressions"), 0);
    assert_true(num(j, "geomean_change_pct") == 0);
    cJSON_Delete(j);
    j = run_json(DIR "/base.json " DIR "/plus1.json", &code);
    assert_int_equal(code, 0);
    assert_int_equal((int)num(j, "regressions"), 0);
    assert_int_equal((int)num(j, "cost_changes"), 0);
    cJSON_Delete(j);
    /* and faster is never a regression */
    assert_int_equal(run(DIR "/plus20.json " DIR "/base.json", NULL, 0), 0);
}

static void test_cost_change_reported(void **state) {
    (void)state;
    int code;
    cJSON *j = run_json(DIR "/base.json " DIR "/cost.json", &code);
    assert_int_equal(code, 0); /* not slower, but the work changed */
    assert_int_equal((int)num(j, "cost_changes"), 1);
    const cJSON *e;
    int seen = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "benchmarks")) {
        bool cc = cJSON_IsTrue(cJSON_GetObjectItem(e, "cost_change"));
        const char *name = cJSON_GetObjectItem(e, "name")->valuestring;
        assert_int_equal(cc, strstr(name, "block/mobilenet") != NULL);
        if (cc) {
            seen++;
            assert_true(num(cJSON_GetObjectItem(e, "base_cost"), "MACs") == specs[1].macs);
            assert_true(num(cJSON_GetObjectItem(e, "new_cost"), "MACs") == 2 * specs[1].macs);
        }
    }
    assert_int_equal(seen, 1);
    cJSON_Delete(j);
    char out[8192];
    run(DIR "/base.json " DIR "/cost.json", out, sizeof out);
    assert_non_null(strstr(out, "COST CHANGE"));
    assert_non_null(strstr(out, "MACs 27901952 -> 55803904"));
}

/* 9 of 10 repetitions 20% slower but the best one as fast as before: the
 * machine was busy, the kernel did not change. Significant, not a regression. */
static void test_load_like_slowdown_not_flagged(void **state) {
    (void)state;
    int code;
    cJSON *j = run_json(DIR "/base.json " DIR "/loaded.json", &code);
    assert_int_equal(code, 0);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "benchmarks")) {
        assert_true(num(e, "change_pct") > 15);
        assert_true(num(e, "p_slow") < 0.05);
        assert_true(num(e, "min_change_pct") < 5);
        assert_false(cJSON_IsTrue(cJSON_GetObjectItem(e, "regression")));
    }
    cJSON_Delete(j);
}

/* "a.json,b.json" pools the repetitions of both runs; --time cpu reads cpu_time. */
static void test_pooled_runs_and_cpu_time(void **state) {
    (void)state;
    int code;
    cJSON *j = run_json(DIR "/base.json," DIR "/plus1.json " DIR "/plus20.json", &code);
    assert_int_equal(code, 1);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "benchmarks")) {
        assert_int_equal((int)num(e, "n_base"), 20);
        assert_int_equal((int)num(e, "n_new"), 10);
    }
    cJSON_Delete(j);
    j = run_json("--time cpu " DIR "/base.json " DIR "/plus20.json", &code);
    assert_int_equal(code, 1);
    assert_string_equal(cJSON_GetObjectItem(j, "time")->valuestring, "cpu_time");
    cJSON_Delete(j);
    assert_int_equal(run("--time wall " DIR "/base.json " DIR "/plus20.json", NULL, 0), 2);
    assert_int_equal(run(DIR "/base.json," DIR "/missing.json " DIR "/plus20.json", NULL, 0), 2);
}

static void test_too_few_repetitions_not_flagged(void **state) {
    (void)state;
    char out[8192];
    /* 2 against 2 repetitions: the smallest one-sided p is 1/C(4,2) = 1/6, so even
     * a clear 20% slowdown cannot be significant, and the tool says why */
    assert_int_equal(run(DIR "/few.json " DIR "/few20.json", out, sizeof out), 0);
    assert_non_null(strstr(out, "too few repetitions"));
}

static void test_bad_input_exit_2(void **state) {
    (void)state;
    char err[1024];
    assert_int_equal(run(DIR "/base.json " DIR "/does-not-exist.json", NULL, 0), 2);
    read_stderr(err, sizeof err);
    assert_non_null(strstr(err, "convblocks-bench-compare: "));
    assert_non_null(strstr(err, "does-not-exist.json: No such file"));
    assert_int_equal(run(DIR "/malformed.json " DIR "/base.json", NULL, 0), 2);
    read_stderr(err, sizeof err);
    assert_non_null(strstr(err, "malformed.json: not valid JSON"));
    assert_int_equal(run(DIR "/base.json " DIR "/notgb.json", NULL, 0), 2);
    read_stderr(err, sizeof err);
    assert_non_null(strstr(err, "no \"benchmarks\" array"));
    assert_int_equal(run(DIR "/base.json", NULL, 0), 2);
    assert_int_equal(run("--threshold abc " DIR "/base.json " DIR "/base.json", NULL, 0), 2);
    assert_int_equal(run("--bogus " DIR "/base.json " DIR "/base.json", NULL, 0), 2);
    /* one line each */
    read_stderr(err, sizeof err);
    int lines = 0;
    for (const char *c = err; *c; c++) lines += *c == '\n';
    assert_int_equal(lines, 1);
}

/* --cost-only: exact costs, times ignored, one-sided benchmarks reported. */
static void test_cost_only(void **state) {
    (void)state;
    char out[8192];
    /* the same work 20% slower is no cost change */
    assert_int_equal(run("--cost-only " DIR "/base.json " DIR "/plus20.json", out, sizeof out), 0);
    assert_non_null(strstr(out, "3 compared: 0 cost changes"));
    assert_non_null(strstr(out, "\nOK\n"));
    /* twice the MACs: named, exit 1 */
    assert_int_equal(run("--cost-only " DIR "/base.json " DIR "/cost.json", out, sizeof out), 1);
    assert_non_null(strstr(out, "COST CHANGE  block/mobilenet/fast/64x56x56/t1/real_time"));
    assert_non_null(strstr(out, "MACs 27901952 -> 55803904"));
    assert_null(strstr(out, "net/mobilenet_v1"));
    /* one MAC in 568 million is a change: exact, not within a tolerance */
    assert_int_equal(run("--cost-only " DIR "/base.json " DIR "/one_mac.json", out, sizeof out), 1);
    assert_non_null(strstr(out, "MACs 568740352 -> 568740353"));
    int code;
    cJSON *j = run_json("--cost-only " DIR "/base.json " DIR "/one_mac.json", &code);
    assert_int_equal(code, 1);
    assert_int_equal((int)num(j, "cost_changes"), 1);
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "changes"), 0);
    assert_string_equal(cJSON_GetObjectItem(c, "name")->valuestring, "net/mobilenet_v1/fast/224/t1/real_time");
    assert_true(num(cJSON_GetObjectItem(c, "new_cost"), "MACs") == 568740353.0);
    cJSON_Delete(j);
    /* a subset with one repetition: checked as far as it goes, the rest counted */
    assert_int_equal(run("--cost-only " DIR "/base.json " DIR "/subset.json", out, sizeof out), 0);
    assert_non_null(strstr(out, "1 compared: 0 cost changes"));
    assert_non_null(strstr(out, "2 of the base not in the new run: not checked"));
    j = run_json("--cost-only " DIR "/base.json " DIR "/subset.json", &code);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "only_in_base")), 2);
    cJSON_Delete(j);
    /* a new benchmark has nothing to be compared with: named, not failed */
    assert_int_equal(run("--cost-only " DIR "/base.json " DIR "/extra.json", out, sizeof out), 0);
    assert_non_null(strstr(out, "only in new: op/relu/fast/64x112x112/t1/real_time"));
    /* a benchmark that failed in the new run: its work is unknown, exit 1 */
    assert_int_equal(run("--cost-only " DIR "/base.json " DIR "/failed.json", out, sizeof out), 1);
    assert_non_null(strstr(out, "ERROR        block/mobilenet/fast/64x56x56/t1/real_time"));
    /* pooled runs work as in the timing comparison */
    assert_int_equal(run("--cost-only " DIR "/base.json " DIR "/same.json," DIR "/plus1.json", NULL, 0), 0);
    assert_int_equal(run("--cost-only " DIR "/base.json " DIR "/same.json," DIR "/cost.json", NULL, 0), 1);
    /* and the timing comparison is unchanged by it: one MAC is a cost change there too */
    j = run_json(DIR "/base.json " DIR "/one_mac.json", &code);
    assert_int_equal(code, 0);
    assert_int_equal((int)num(j, "cost_changes"), 1);
    cJSON_Delete(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slowdown_20pct_flagged),
        cmocka_unit_test(test_identical_and_1pct_pass),
        cmocka_unit_test(test_cost_change_reported),
        cmocka_unit_test(test_load_like_slowdown_not_flagged),
        cmocka_unit_test(test_pooled_runs_and_cpu_time),
        cmocka_unit_test(test_too_few_repetitions_not_flagged),
        cmocka_unit_test(test_bad_input_exit_2),
        cmocka_unit_test(test_cost_only),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
