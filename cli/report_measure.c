/* report_measure.c — time one graph through the library's executors (report.h).
 *
 * Everything is allocated before the clock starts: the executor (which for
 * fast kernels packs weights and folds batch-norm), the input and the output.
 * A warm-up run pages in buffers and starts the thread pool; then the median
 * of up to `repeat` runs, fewer when a run is long (`budget_s`), because on a
 * 2-core VM shared with other jobs the median is what stays put.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convblocks/cost.h"
#include "convblocks/exec.h"
#include "report.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

rp_time rp_time_graph(const cb_graph *g, cb_impl impl, int threads, const rp_timing *tm,
                      double *layer_s) {
    rp_time r;
    memset(&r, 0, sizeof r);
    cb_cost c = cb_graph_cost(g, NULL);
    if (impl == CB_IMPL_REF && c.macs > tm->ref_max_macs) {
        snprintf(r.why, sizeof r.why, "reference kernels not timed above %llu MACs (too slow)",
                 (unsigned long long)tm->ref_max_macs);
        return r;
    }
    cb_exec *e = NULL;
    cb_error err;
    if (cb_exec_new(g, impl, threads, &e, &err) != CB_OK) {
        snprintf(r.why, sizeof r.why, "%s", err.msg);
        return r;
    }
    cb_shape in = cb_graph_input_shape(g), out = cb_graph_output_shape(g);
    float *x = cb_alloc_floats((size_t)cb_shape_numel(in));
    float *y = cb_alloc_floats((size_t)cb_shape_numel(out));
    int max_runs = tm->repeat > 0 ? tm->repeat : 1;
    double *t = calloc((size_t)max_runs, sizeof *t);
    if (!x || !y || !t) {
        snprintf(r.why, sizeof r.why, "out of memory for the input and output of %s", g->name);
        goto done;
    }
    cb_rng rng;
    cb_rng_seed(&rng, 2);
    for (uint64_t i = 0; i < cb_shape_numel(in); i++) x[i] = cb_rng_normal(&rng);

    double spent = 0;
    int n = 0;
    if (max_runs > 1 && !layer_s) {
        double t0 = rp_now();
        cb_exec_run(e, x, y);
        spent = rp_now() - t0;
        /* A run that long (the reference loops on big graphs: seconds) is not
         * changed by a warm-up: a few page faults are lost in it. Keep it as
         * the measurement instead of paying for it twice. */
        if (spent >= 2 * tm->budget_s) t[n++] = spent;
    } else if (max_runs > 1) {
        cb_exec_run(e, x, y);
    }
    if (layer_s) {
        cb_exec_set_profile(e, 1);
        memset(layer_s, 0, (size_t)g->n_layers * sizeof *layer_s);
    }
    while (n < max_runs && !(n > 0 && spent >= tm->budget_s)) {
        double t0 = rp_now();
        cb_exec_run(e, x, y);
        t[n] = rp_now() - t0;
        spent += t[n];
        if (layer_s) {
            const double *ls = cb_exec_layer_seconds(e);
            for (int i = 0; i < g->n_layers; i++) layer_s[i] += ls[i];
        }
        n++;
    }
    if (layer_s)
        for (int i = 0; i < g->n_layers; i++) layer_s[i] /= n;
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    r.median_s = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    r.runs = n;
    r.ok = r.median_s > 0;
    if (!r.ok) snprintf(r.why, sizeof r.why, "run too short for the clock");
    if (impl == CB_IMPL_REF) r.counted_macs = cb_exec_counted_macs(e);
done:
    free(t);
    cb_free(x);
    cb_free(y);
    cb_exec_free(e);
    return r;
}
