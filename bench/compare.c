/* compare.c — convblocks-bench-compare: the benchmark regression gate.
 *
 *   convblocks-bench-compare BASE.json NEW.json [--threshold PCT] [--alpha A] [--json]
 *   convblocks-bench-compare --cost-only BASE.json NEW.json [--json]
 *
 * Reads two Google Benchmark JSON files (run with --benchmark_repetitions=N,
 * N >= 5 or so), pairs benchmarks by name and, for each pair:
 *   - the change of the median real time, new/base - 1;
 *   - p(diff): two-sided Mann–Whitney U test of the two sets of repetitions
 *     (is there any difference at all?);
 *   - p(slow): one-sided U test of "new is slower than base * (1 + PCT/100)"
 *     — the question the gate asks. A benchmark is a regression when
 *     p(slow) < alpha and both its median and its best (minimum) time grew
 *     by more than the threshold: a shift beyond the threshold that noise is
 *     unlikely to explain. Testing against the scaled base, not against base
 *     itself, keeps a noisy machine's small significant drifts (1-3 %) from
 *     failing the gate. The minimum guards against load from other
 *     processes, which only ever adds time: a slower kernel moves the best
 *     run too, a busy machine mostly moves the typical one;
 *   - a cost change when MACs, params or bytes differ: the work itself
 *     changed, so the times are not comparable as a speed change.
 * and a geometric mean of the median ratios over every pair.
 *
 * --cost-only compares nothing but the cost counters: the question "does
 * the code still do the same work?" has an exact answer, needs no
 * repetitions and does not care how busy the machine was, so `make
 * bench-check` asks it of a fresh run against the stored baseline, and asks
 * the timing question only of two builds run side by side (bench/check.sh).
 *
 * Exit status: 0 no significant regression, 1 regression, 2 usage error or an
 * unreadable/malformed input. With --cost-only: 0 same costs, 1 a cost
 * change or a benchmark that failed in NEW.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup */
#endif
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#define PROG "convblocks-bench-compare"

/* The cost counters every convblocks benchmark publishes; a change in any is a cost change. */
static const char *const cost_keys[] = {"MACs", "params", "bytes"};
enum { N_COST = 3 };

typedef struct {
    char *name;
    double *t;          /* real time of each repetition, ns */
    size_t n, cap;
    double cost[N_COST];
    bool has_cost[N_COST];
    bool error;         /* a run of it reported error_occurred */
    bool cost_mixed;    /* its rows (pooled runs) disagree on a cost counter */
    bool from_aggregate;/* no per-repetition rows: the median aggregate stands in */
} series;

typedef struct {
    series *s;
    size_t n, cap;
} bench_file;

static void usage(FILE *f) {
    fprintf(f,
            "usage: " PROG " BASE.json NEW.json [--threshold PCT] [--alpha A] [--time real|cpu] [--json]\n"
            "       " PROG " --cost-only BASE.json NEW.json [--json]\n"
            "Compare two Google Benchmark JSON files (with repetitions) benchmark by benchmark.\n"
            "Either side may be a comma-separated list of runs, whose repetitions are pooled.\n"
            "  --threshold PCT  slowdown that counts as a regression (default 5)\n"
            "  --alpha A        significance level of the U test (default 0.05)\n"
            "  --time cpu       compare cpu_time instead of real_time: steadier on a busy machine\n"
            "                   for one-thread benchmarks, meaningless for threaded ones\n"
            "  --json           machine-readable result on stdout instead of the table\n"
            "  --cost-only      compare only the cost counters (MACs, params, bytes; exact), not\n"
            "                   times: exit 1 on any change or a benchmark that failed in NEW\n"
            "Exit: 0 no significant regression, 1 regression, 2 usage or unreadable input.\n");
}

static void file_free(bench_file *f) {
    for (size_t i = 0; i < f->n; i++) {
        free(f->s[i].name);
        free(f->s[i].t);
    }
    free(f->s);
    f->s = NULL;
    f->n = f->cap = 0;
}

static series *find_series(bench_file *f, const char *name) {
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->s[i].name, name) == 0) return &f->s[i];
    return NULL;
}

static series *get_series(bench_file *f, const char *name) {
    series *s = find_series(f, name);
    if (s) return s;
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        series *ns = realloc(f->s, cap * sizeof *ns);
        if (!ns) return NULL;
        f->s = ns;
        f->cap = cap;
    }
    s = &f->s[f->n];
    memset(s, 0, sizeof *s);
    s->name = strdup(name);
    if (!s->name) return NULL;
    f->n++;
    return s;
}

static int push_time(series *s, double t) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        double *nt = realloc(s->t, cap * sizeof *nt);
        if (!nt) return -1;
        s->t = nt;
        s->cap = cap;
    }
    s->t[s->n++] = t;
    return 0;
}

static double unit_ns(const char *u) {
    if (!u || strcmp(u, "ns") == 0) return 1;
    if (strcmp(u, "us") == 0) return 1e3;
    if (strcmp(u, "ms") == 0) return 1e6;
    if (strcmp(u, "s") == 0) return 1e9;
    return 0;
}

static char *read_all(const char *path, char *why, size_t whyn) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(why, whyn, "%s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (n < cap - 1) break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else
            buf = nb;
    }
    bool bad = ferror(fp);
    fclose(fp);
    if (!buf || bad) {
        free(buf);
        snprintf(why, whyn, "%s", bad ? "read error" : "out of memory");
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* Google Benchmark writes NaN (and infinities) as bare words — e.g. the
 * coefficient of variation of a counter whose mean is 0 — which JSON does
 * not allow and cJSON refuses. Outside strings, turn them into null. Returns
 * a new string (caller frees), or NULL on out-of-memory. */
static char *json_nonfinite_to_null(const char *in) {
    static const char *const words[] = {"-Infinity", "Infinity", "-NaN", "NaN", "-nan", "nan",
                                        "-inf", "inf"};
    size_t n = strlen(in);
    char *out = malloc(2 * n + 1); /* "inf" -> "null" grows by one per 3 bytes at most */
    if (!out) return NULL;
    size_t o = 0;
    bool in_string = false;
    for (size_t i = 0; i < n;) {
        char c = in[i];
        if (in_string) {
            out[o++] = c;
            if (c == '\\' && i + 1 < n) out[o++] = in[++i];
            else if (c == '"') in_string = false;
            i++;
            continue;
        }
        if (c == '"') in_string = true;
        bool replaced = false;
        if (c == 'N' || c == 'n' || c == 'I' || c == 'i' || c == '-')
            for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
                size_t len = strlen(words[w]);
                if (strncmp(in + i, words[w], len) == 0) {
                    memcpy(out + o, "null", 4);
                    o += 4;
                    i += len;
                    replaced = true;
                    break;
                }
            }
        if (!replaced) out[o++] = in[i++];
    }
    out[o] = '\0';
    return out;
}

/* Load the "benchmarks" of a Google Benchmark JSON file: per name, the real
 * time of each iteration row (one per repetition), and the cost counters. */
static int load(const char *path, const char *time_key, bench_file *f, char *why, size_t whyn) {
    char *raw = read_all(path, why, whyn);
    if (!raw) return -1;
    char *text = json_nonfinite_to_null(raw);
    free(raw);
    if (!text) {
        snprintf(why, whyn, "out of memory");
        return -1;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root) {
        snprintf(why, whyn, "not valid JSON");
        return -1;
    }
    int rc = -1;
    const cJSON *benches = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
    if (!cJSON_IsArray(benches)) {
        snprintf(why, whyn, "no \"benchmarks\" array (not Google Benchmark JSON output)");
        goto out;
    }
    int idx = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, benches) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
        const cJSON *run_name = cJSON_GetObjectItemCaseSensitive(b, "run_name");
        const cJSON *run_type = cJSON_GetObjectItemCaseSensitive(b, "run_type");
        const cJSON *agg = cJSON_GetObjectItemCaseSensitive(b, "aggregate_name");
        const cJSON *rt = cJSON_GetObjectItemCaseSensitive(b, time_key);
        const cJSON *tu = cJSON_GetObjectItemCaseSensitive(b, "time_unit");
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(b, "error_occurred");
        const char *key = cJSON_IsString(run_name) ? run_name->valuestring
                          : cJSON_IsString(name)   ? name->valuestring
                                                   : NULL;
        if (!key) {
            snprintf(why, whyn, "benchmark #%d has no name", idx);
            goto out;
        }
        bool aggregate = cJSON_IsString(run_type) && strcmp(run_type->valuestring, "aggregate") == 0;
        series *s = get_series(f, key);
        if (!s) {
            snprintf(why, whyn, "out of memory");
            goto out;
        }
        if (cJSON_IsTrue(err)) {
            s->error = true;
            idx++;
            continue;
        }
        if (!cJSON_IsNumber(rt) || !(rt->valuedouble >= 0)) {
            snprintf(why, whyn, "benchmark '%s' has no numeric %s", key, time_key);
            goto out;
        }
        double scale = unit_ns(cJSON_IsString(tu) ? tu->valuestring : NULL);
        if (scale == 0) {
            snprintf(why, whyn, "benchmark '%s': unknown time_unit '%s'", key, tu->valuestring);
            goto out;
        }
        if (aggregate) {
            /* Only a stand-in when the file holds aggregates alone
             * (--benchmark_report_aggregates_only). */
            if (cJSON_IsString(agg) && strcmp(agg->valuestring, "median") == 0 && s->n == 0) {
                if (push_time(s, rt->valuedouble * scale)) goto oom;
                s->from_aggregate = true;
            }
        } else {
            if (s->from_aggregate) { /* iteration rows after an aggregate: use the rows */
                s->n = 0;
                s->from_aggregate = false;
            }
            if (push_time(s, rt->valuedouble * scale)) goto oom;
            for (int k = 0; k < N_COST; k++) {
                const cJSON *c = cJSON_GetObjectItemCaseSensitive(b, cost_keys[k]);
                if (!cJSON_IsNumber(c)) continue;
                if (!s->has_cost[k]) {
                    s->cost[k] = c->valuedouble;
                    s->has_cost[k] = true;
                } else if (c->valuedouble != s->cost[k]) {
                    s->cost_mixed = true; /* pooled runs of different work */
                }
            }
        }
        idx++;
    }
    rc = 0;
    goto out;
oom:
    snprintf(why, whyn, "out of memory");
out:
    cJSON_Delete(root);
    return rc;
}

static const char *fmt_time(double ns, char *buf, size_t n) {
    if (!isfinite(ns))
        snprintf(buf, n, "-");
    else if (ns < 1e3)
        snprintf(buf, n, "%.1f ns", ns);
    else if (ns < 1e6)
        snprintf(buf, n, "%.2f us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, n, "%.3f ms", ns / 1e6);
    else
        snprintf(buf, n, "%.3f s", ns / 1e9);
    return buf;
}

typedef struct {
    const series *base, *new_;
    double med_base, med_new, ratio;
    double min_ratio;   /* best new / best base */
    double p_diff, p_slow;
    bool regression, faster, cost_change, testable;
} result;

/* Exact: the counters are integers far below 2^53, and Google Benchmark
 * writes them with 17 significant digits, so they survive the JSON intact
 * and a difference of one MAC is a difference. */
static bool cost_differs(double a, double b) {
    return a != b;
}

static bool series_cost_differs(const series *b, const series *n) {
    if (b->cost_mixed || n->cost_mixed) return true;
    for (int k = 0; k < N_COST; k++)
        if (b->has_cost[k] != n->has_cost[k] ||
            (b->has_cost[k] && cost_differs(b->cost[k], n->cost[k])))
            return true;
    return false;
}

static double min_of(const double *x, size_t n) {
    double m = x[0];
    for (size_t i = 1; i < n; i++)
        if (x[i] < m) m = x[i];
    return m;
}

static int compare_pair(const series *b, const series *n, double thr, double alpha, result *r) {
    memset(r, 0, sizeof *r);
    r->base = b;
    r->new_ = n;
    r->med_base = cb_median(b->t, b->n);
    r->med_new = cb_median(n->t, n->n);
    r->ratio = r->med_new / r->med_base;
    r->min_ratio = min_of(n->t, n->n) / min_of(b->t, b->n);
    r->p_diff = r->p_slow = 1;
    r->testable = cb_mwu_min_p(n->n, b->n, CB_ALT_GREATER) < alpha;
    cb_mwu_result m;
    if (cb_mwu_test(n->t, n->n, b->t, b->n, CB_ALT_TWO_SIDED, CB_MWU_AUTO, &m)) return -1;
    r->p_diff = m.p;
    double *scaled = malloc(b->n * sizeof *scaled);
    if (!scaled) return -1;
    for (size_t i = 0; i < b->n; i++) scaled[i] = b->t[i] * (1 + thr);
    int rc = cb_mwu_test(n->t, n->n, scaled, b->n, CB_ALT_GREATER, CB_MWU_AUTO, &m);
    free(scaled);
    if (rc) return -1;
    r->p_slow = m.p;
    r->regression = r->p_slow < alpha && r->ratio > 1 + thr && r->min_ratio > 1 + thr;
    r->faster = r->p_diff < alpha && r->ratio < 1 - thr;
    r->cost_change = series_cost_differs(b, n);
    return 0;
}

static double parse_num(const char *opt, const char *s, double lo, double hi, bool *ok) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, PROG ": %s: '%s' is not a number in [%g, %g]\n", opt, s, lo, hi);
        *ok = false;
    }
    return v;
}

static void print_cost_detail(const series *b, const series *n) {
    if (b->cost_mixed || n->cost_mixed)
        printf("    cost change: the pooled runs of %s disagree on the costs\n",
               b->cost_mixed ? "BASE" : "NEW");
    for (int k = 0; k < N_COST; k++) {
        if (b->has_cost[k] && n->has_cost[k] && cost_differs(b->cost[k], n->cost[k]))
            printf("    cost change: %s %.17g -> %.17g\n", cost_keys[k], b->cost[k], n->cost[k]);
        else if (b->has_cost[k] != n->has_cost[k])
            printf("    cost change: %s %s\n", cost_keys[k],
                   b->has_cost[k] ? "no longer published" : "newly published");
    }
}

static cJSON *cost_json(const series *s) {
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; k < N_COST; k++)
        if (s->has_cost[k]) cJSON_AddNumberToObject(o, cost_keys[k], s->cost[k]);
    return o;
}

/* --cost-only: the cost counters of every benchmark in both files, exactly.
 * Benchmarks on one side only are reported, not failed: the new run may be
 * a subset (the gate times fewer benchmarks than the baseline holds), and a
 * new benchmark has nothing to be compared with. A benchmark that failed in
 * NEW (error_occurred) fails the check: its work could not be counted.
 * Returns the exit status. */

/* Print a JSON report and free it. */
static void emit_json(cJSON *o) {
    char *text = cJSON_Print(o);
    if (text) puts(text);
    cJSON_free(text);
    cJSON_Delete(o);
}
static int cost_only(bench_file *base, bench_file *new_, const char *const paths[2], bool json) {
    size_t compared = 0, changed = 0, errors = 0, only_base = 0, only_new = 0;
    cJSON *o = json ? cJSON_CreateObject() : NULL, *changes = NULL, *errs = NULL;
    if (json) {
        cJSON_AddStringToObject(o, "base", paths[0]);
        cJSON_AddStringToObject(o, "new", paths[1]);
        cJSON_AddStringToObject(o, "mode", "cost-only");
        changes = cJSON_AddArrayToObject(o, "changes");
        errs = cJSON_AddArrayToObject(o, "errors_in_new");
    } else {
        char side[2][64];
        for (int k = 0; k < 2; k++) {
            size_t runs = 1;
            for (const char *c = paths[k]; *c; c++) runs += *c == ',';
            snprintf(side[k], sizeof side[k], "%zu pooled runs", runs);
        }
        printf("cost check (MACs, params, bytes; exact): %s against %s\n",
               strchr(paths[1], ',') ? side[1] : paths[1], strchr(paths[0], ',') ? side[0] : paths[0]);
    }
    for (size_t i = 0; i < base->n; i++) {
        const series *b = &base->s[i];
        const series *n = find_series(new_, b->name);
        if (!n) {
            only_base++;
            continue;
        }
        if (n->error && n->n == 0) {
            errors++;
            if (json)
                cJSON_AddItemToArray(errs, cJSON_CreateString(n->name));
            else
                printf("ERROR        %s: failed in the new run, its cost is unknown\n", n->name);
            continue;
        }
        compared++;
        if (!series_cost_differs(b, n)) continue;
        changed++;
        if (json) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", b->name);
            cJSON_AddItemToObject(e, "base_cost", cost_json(b));
            cJSON_AddItemToObject(e, "new_cost", cost_json(n));
            cJSON_AddItemToArray(changes, e);
        } else {
            printf("COST CHANGE  %s\n", b->name);
            print_cost_detail(b, n);
        }
    }
    cJSON *ob = json ? cJSON_AddArrayToObject(o, "only_in_base") : NULL;
    for (size_t i = 0; i < base->n; i++)
        if (json && !find_series(new_, base->s[i].name))
            cJSON_AddItemToArray(ob, cJSON_CreateString(base->s[i].name));
    cJSON *on = json ? cJSON_AddArrayToObject(o, "only_in_new") : NULL;
    for (size_t i = 0; i < new_->n; i++) {
        if (find_series(base, new_->s[i].name)) continue;
        only_new++;
        if (json)
            cJSON_AddItemToArray(on, cJSON_CreateString(new_->s[i].name));
        else
            printf("only in new: %s (not in the base: nothing to compare)\n", new_->s[i].name);
    }
    bool fail = changed || errors;
    if (json) {
        cJSON_AddNumberToObject(o, "compared", (double)compared);
        cJSON_AddNumberToObject(o, "cost_changes", (double)changed);
        cJSON_AddNumberToObject(o, "errors", (double)errors);
        emit_json(o);
    } else {
        printf("\n%zu compared: %zu cost change%s, %zu failed in new; %zu only in new\n", compared,
               changed, changed == 1 ? "" : "s", errors, only_new);
        /* Named one by one they would bury the verdict when NEW is a subset. */
        if (only_base)
            printf("%zu of the base not in the new run: not checked (--json lists them)\n", only_base);
        printf("%s\n", changed ? "COST CHANGE" : errors ? "ERROR" : "OK");
    }
    return fail ? 1 : 0;
}

int main(int argc, char **argv) {
    const char *paths[2] = {NULL, NULL};
    int npaths = 0;
    double thr_pct = 5, alpha = 0.05;
    bool json = false, ok = true, costs = false;
    const char *time_key = "real_time";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--cost-only") == 0) {
            costs = true;
        } else if (strcmp(a, "--time") == 0) {
            if (i + 1 >= argc || (strcmp(argv[i + 1], "real") && strcmp(argv[i + 1], "cpu"))) {
                fprintf(stderr, PROG ": --time: expected 'real' or 'cpu'\n");
                return 2;
            }
            time_key = strcmp(argv[++i], "cpu") == 0 ? "cpu_time" : "real_time";
        } else if (strcmp(a, "--threshold") == 0 || strcmp(a, "--alpha") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, PROG ": %s: needs a value\n", a);
                return 2;
            }
            if (a[2] == 't')
                thr_pct = parse_num(a, argv[++i], 0, 1000, &ok);
            else
                alpha = parse_num(a, argv[++i], 1e-12, 1, &ok);
            if (!ok) return 2;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, PROG ": %s: unknown option (try --help)\n", a);
            return 2;
        } else if (npaths < 2) {
            paths[npaths++] = a;
        } else {
            fprintf(stderr, PROG ": %s: too many files (expected BASE.json NEW.json)\n", a);
            return 2;
        }
    }
    if (npaths != 2) {
        fprintf(stderr, PROG ": arguments: expected BASE.json NEW.json (try --help)\n");
        return 2;
    }
    double thr = thr_pct / 100;

    bench_file files[2] = {{0}, {0}};
    char why[512];
    /* Each side may be several runs, "a.json,b.json": their repetitions are
     * pooled (e.g. A/B runs interleaved in one sitting, bench/ab.sh). */
    for (int k = 0; k < 2; k++) {
        char *list = strdup(paths[k]); /* bench/check.sh pools hundreds of runs */
        if (!list) {
            fprintf(stderr, PROG ": arguments: out of memory\n");
            file_free(&files[0]);
            return 1;
        }
        char *save = NULL;
        for (char *one = strtok_r(list, ",", &save); one; one = strtok_r(NULL, ",", &save))
            if (load(one, time_key, &files[k], why, sizeof why)) {
                fprintf(stderr, PROG ": %s: %s\n", one, why);
                free(list);
                file_free(&files[0]);
                file_free(&files[1]);
                return 2;
            }
        free(list);
    }
    bench_file *base = &files[0], *new_ = &files[1];
    if (costs) {
        int rc = cost_only(base, new_, paths, json);
        file_free(base);
        file_free(new_);
        return rc;
    }

    result *res = calloc(base->n ? base->n : 1, sizeof *res);
    double *ratios = calloc(base->n ? base->n : 1, sizeof *ratios);
    if (!res || !ratios) {
        fprintf(stderr, PROG ": compare: out of memory\n");
        return 1;
    }
    size_t nres = 0, nratio = 0, nreg = 0, ncost = 0, nfast = 0, nuntestable = 0;
    for (size_t i = 0; i < base->n; i++) {
        const series *b = &base->s[i];
        const series *n = find_series(new_, b->name);
        if (!n || b->n == 0 || n->n == 0) continue;
        if (compare_pair(b, n, thr, alpha, &res[nres])) {
            fprintf(stderr, PROG ": compare: out of memory\n");
            return 1;
        }
        result *r = &res[nres++];
        if (isfinite(r->ratio) && r->ratio > 0) ratios[nratio++] = r->ratio;
        nreg += r->regression;
        ncost += r->cost_change;
        nfast += r->faster;
        nuntestable += !r->testable;
    }
    double gm = cb_geomean(ratios, nratio);

    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "base", paths[0]);
        cJSON_AddStringToObject(o, "new", paths[1]);
        cJSON_AddNumberToObject(o, "threshold_pct", thr_pct);
        cJSON_AddNumberToObject(o, "alpha", alpha);
        cJSON_AddStringToObject(o, "time", time_key);
        cJSON *arr = cJSON_AddArrayToObject(o, "benchmarks");
        for (size_t i = 0; i < nres; i++) {
            const result *r = &res[i];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", r->base->name);
            cJSON_AddNumberToObject(e, "base_median_ns", r->med_base);
            cJSON_AddNumberToObject(e, "new_median_ns", r->med_new);
            cJSON_AddNumberToObject(e, "change_pct", 100 * (r->ratio - 1));
            cJSON_AddNumberToObject(e, "min_change_pct", 100 * (r->min_ratio - 1));
            cJSON_AddNumberToObject(e, "n_base", (double)r->base->n);
            cJSON_AddNumberToObject(e, "n_new", (double)r->new_->n);
            cJSON_AddNumberToObject(e, "p_diff", r->p_diff);
            cJSON_AddNumberToObject(e, "p_slow", r->p_slow);
            cJSON_AddBoolToObject(e, "testable", r->testable);
            cJSON_AddBoolToObject(e, "regression", r->regression);
            cJSON_AddBoolToObject(e, "faster", r->faster);
            cJSON_AddBoolToObject(e, "cost_change", r->cost_change);
            if (r->cost_change) {
                cJSON_AddItemToObject(e, "base_cost", cost_json(r->base));
                cJSON_AddItemToObject(e, "new_cost", cost_json(r->new_));
            }
            cJSON_AddItemToArray(arr, e);
        }
        cJSON *ob = cJSON_AddArrayToObject(o, "only_in_base");
        for (size_t i = 0; i < base->n; i++)
            if (!find_series(new_, base->s[i].name))
                cJSON_AddItemToArray(ob, cJSON_CreateString(base->s[i].name));
        cJSON *on = cJSON_AddArrayToObject(o, "only_in_new");
        for (size_t i = 0; i < new_->n; i++)
            if (!find_series(base, new_->s[i].name))
                cJSON_AddItemToArray(on, cJSON_CreateString(new_->s[i].name));
        if (nratio)
            cJSON_AddNumberToObject(o, "geomean_change_pct", 100 * (gm - 1));
        else
            cJSON_AddNullToObject(o, "geomean_change_pct");
        cJSON_AddNumberToObject(o, "compared", (double)nres);
        cJSON_AddNumberToObject(o, "regressions", (double)nreg);
        cJSON_AddNumberToObject(o, "faster", (double)nfast);
        cJSON_AddNumberToObject(o, "cost_changes", (double)ncost);
        emit_json(o);
    } else {
        size_t w = 9;
        for (size_t i = 0; i < nres; i++) {
            size_t l = strlen(res[i].base->name);
            if (l > w) w = l;
        }
        printf("%-*s  %12s  %12s  %8s  %8s  %7s  %7s  %5s  %s\n", (int)w, "benchmark",
               "base median", "new median", "change", "min chg", "p(diff)", "p(slow)", "n", "verdict");
        for (size_t i = 0; i < nres; i++) {
            const result *r = &res[i];
            char tb[32], tn[32], nn[16];
            snprintf(nn, sizeof nn, "%zu/%zu", r->base->n, r->new_->n);
            const char *verdict = r->regression ? "SLOWER"
                                  : r->faster   ? "faster"
                                  : !r->testable ? "too few repetitions"
                                                 : "same";
            printf("%-*s  %12s  %12s  %+7.1f%%  %+7.1f%%  %7.4f  %7.4f  %5s  %s%s\n", (int)w,
                   r->base->name, fmt_time(r->med_base, tb, sizeof tb),
                   fmt_time(r->med_new, tn, sizeof tn), 100 * (r->ratio - 1),
                   100 * (r->min_ratio - 1), r->p_diff, r->p_slow, nn, verdict,
                   r->cost_change ? ", COST CHANGE" : "");
            if (r->cost_change) print_cost_detail(r->base, r->new_);
        }
        for (size_t i = 0; i < base->n; i++)
            if (!find_series(new_, base->s[i].name))
                printf("only in base: %s\n", base->s[i].name);
        for (size_t i = 0; i < new_->n; i++)
            if (!find_series(base, new_->s[i].name))
                printf("only in new:  %s\n", new_->s[i].name);
        for (size_t i = 0; i < new_->n; i++)
            if (new_->s[i].error) printf("error in new run: %s\n", new_->s[i].name);
        printf("\n%zu compared", nres);
        if (nratio) printf(", geometric mean of median ratios %.4f (%+.1f%%)", gm, 100 * (gm - 1));
        printf("\n%s, threshold %g%%, alpha %g: %zu slower, %zu faster, %zu cost change%s\n",
               time_key, thr_pct, alpha, nreg, nfast, ncost, ncost == 1 ? "" : "s");
        if (nuntestable)
            printf("note: %zu benchmark%s had too few repetitions to reach p < %g "
                   "(use --benchmark_repetitions=5 or more)\n",
                   nuntestable, nuntestable == 1 ? "" : "s", alpha);
        if (ncost) printf("note: cost changes mean the work changed; their times are not a speed comparison\n");
        printf("%s\n", nreg ? "REGRESSION" : "OK");
    }
    free(res);
    free(ratios);
    file_free(base);
    file_free(new_);
    return nreg ? 1 : 0;
}
