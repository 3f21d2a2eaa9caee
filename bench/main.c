/* main.c — convblocks-bench: every op, block and network of convblocks as a
 * Google Benchmark, with the machine's own ceilings in the JSON context.
 *
 *   convblocks-bench [--quick] [--cold] [--threads LIST] [--no-probe] [--benchmark_* ...]
 *
 * Our flags are taken out of argv; everything else goes to Google Benchmark,
 * so --benchmark_filter, --benchmark_repetitions, --benchmark_min_time,
 * --benchmark_out=FILE --benchmark_out_format=json, --benchmark_list_tests ...
 * all work as in any Google Benchmark binary. Defaults put in front of the
 * user's flags (which win): 5 repetitions (3 with --quick) of at least
 * 0.05 s (0.02 s), so medians and the compare tool's U test have samples.
 */
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cb_bench.h"
#include "convblocks/machine.h"
#include "graph_bench.h"

#ifndef CB_BUILD_TYPE
#define CB_BUILD_TYPE "unknown"
#endif

static void usage(void) {
    printf("usage: convblocks-bench [--quick] [--cold] [--threads LIST] [--no-probe] "
           "[--benchmark_* flags]\n"
           "Benchmarks of convblocks' ops, blocks and networks (Google Benchmark).\n"
           "  --quick         a < 1 minute preset: fast kernels, first shapes, mobilenet_v1, 3 repetitions\n"
           "  --cold          also run memory-bound ops with inputs rotated through a buffer\n"
           "                  twice the last-level cache (names end in /cold)\n"
           "  --threads LIST  thread counts for the fast kernels, e.g. 1,2 (default: 1 and all cores)\n"
           "  --no-probe      do not measure the FMA peak and memory bandwidth for the context\n"
           "Names: op/<op>/<impl>/<CxHxW>/t<N>, block/<block>/<impl>/<CxHxW>[/args]/t<N>,\n"
           "       net/<net>/<impl>/<resolution>/t<N> (Google Benchmark appends /real_time).\n"
           "Google Benchmark's own flags follow.\n\n");
}

static int parse_threads(const char *text) {
    const char *p = text;
    cbb_cfg.n_threads = 0;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 256 || (*end && *end != ',') ||
            cbb_cfg.n_threads == 4) {
            fprintf(stderr, "convblocks-bench: --threads: '%s' is not a list of up to 4 counts "
                            "in 1..256\n", text);
            return -1;
        }
        cbb_cfg.threads[cbb_cfg.n_threads++] = (int)v;
        p = *end ? end + 1 : end;
    }
    return cbb_cfg.n_threads ? 0 : -1;
}

static void ctx_num(const char *key, double v, const char *fmt) {
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    cb_bench_add_context(key, buf);
}

static void add_context(const cb_machine_info *m, bool probed) {
    cb_bench_add_context("cb_cpu_model", m->cpu_model[0] ? m->cpu_model : "unknown");
    ctx_num("cb_logical_cpus", m->logical_cpus, "%.0f");
    ctx_num("cb_omp_max_threads", m->max_threads, "%.0f");
    ctx_num("cb_l1d_bytes", (double)m->l1d_bytes, "%.0f");
    ctx_num("cb_l2_bytes", (double)m->l2_bytes, "%.0f");
    ctx_num("cb_l3_bytes", (double)m->l3_bytes, "%.0f");
    cb_bench_add_context("cb_cpu_governor", m->governor[0] ? m->governor : "none");
    const char *warn = cb_machine_frequency_warning(m);
    cb_bench_add_context("cb_frequency_warning", warn ? warn : "");
    cb_bench_add_context("cb_avx2_fma", m->avx2_fma ? "true" : "false");
    cb_bench_add_context("cb_build_type", CB_BUILD_TYPE);
    /* the fast kernels' GEMM backend (fast_plan.c reads CB_GEMM; default: own) */
    const char *gemm = getenv("CB_GEMM");
    cb_bench_add_context("cb_gemm_backend", gemm && *gemm ? gemm : "own");
    const char *portable = getenv("CB_FORCE_PORTABLE");
    cb_bench_add_context("cb_force_portable", portable && *portable ? portable : "");
    char list[64] = "";
    size_t len = 0;
    for (int i = 0; i < cbb_cfg.n_threads; i++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%d", i ? "," : "",
                                cbb_cfg.threads[i]);
    cb_bench_add_context("cb_bench_threads", list);
    cb_bench_add_context("cb_preset", cbb_cfg.quick ? "quick" : "default");
    cb_bench_add_context("cb_cold_cache", cbb_cfg.cold ? "true" : "false");
    cb_bench_add_context("cb_machine_probed", probed ? "true" : "false");
    if (!probed) return;
    /* Roofline ceilings, measured now (machine.h): FLOP/s with FMA = 2 flop,
     * and the same in MAC/s (= GFLOP/s / 2) to sit beside the GMAC/s counters. */
    ctx_num("cb_peak_threads", m->threads_all, "%.0f");
    ctx_num("cb_fma_peak_gflops_1t", m->fma_gflops_1t, "%.2f");
    ctx_num("cb_fma_peak_gflops_all", m->fma_gflops_all, "%.2f");
    ctx_num("cb_fma_peak_gmacs_1t", m->fma_gflops_1t / 2, "%.2f");
    ctx_num("cb_fma_peak_gmacs_all", m->fma_gflops_all / 2, "%.2f");
    ctx_num("cb_dram_triad_gbs_1t", m->dram_triad_gbs_1t, "%.2f");
    ctx_num("cb_dram_triad_gbs_all", m->dram_triad_gbs_all, "%.2f");
    ctx_num("cb_l3_triad_gbs_1t", m->l3_triad_gbs_1t, "%.2f");
    ctx_num("cb_l3_triad_gbs_all", m->l3_triad_gbs_all, "%.2f");
    ctx_num("cb_dram_triad_array_bytes", (double)m->dram_array_bytes, "%.0f");
    ctx_num("cb_l3_triad_array_bytes", (double)m->l3_array_bytes, "%.0f");
}

int main(int argc, char **argv) {
    cb_machine_short_spin(argv); /* before any OpenMP region: see machine.h */
    bool no_probe = false, listing = false, help = false;
    const char *threads_arg = NULL;
    /* Our flags out, Google Benchmark's defaults in front, the user's flags after them. */
    char **gb_argv = calloc((size_t)argc + 4, sizeof *gb_argv);
    if (!gb_argv) return 1;
    int gb_argc = 0;
    gb_argv[gb_argc++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0) cbb_cfg.quick = true;
        else if (strcmp(a, "--cold") == 0) cbb_cfg.cold = true;
        else if (strcmp(a, "--no-probe") == 0) no_probe = true;
        else if (strncmp(a, "--threads=", 10) == 0) threads_arg = a + 10;
        else if (strcmp(a, "--threads") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "convblocks-bench: --threads: needs a value (e.g. 1,2)\n");
                return 2;
            }
            threads_arg = argv[++i];
        }
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) help = true;
        else if (strncmp(a, "--benchmark_list_tests", 22) == 0 &&
                 strcmp(a, "--benchmark_list_tests=false") != 0) listing = true;
    }
    gb_argv[gb_argc++] = cbb_cfg.quick ? "--benchmark_repetitions=3" : "--benchmark_repetitions=5";
    gb_argv[gb_argc++] = cbb_cfg.quick ? "--benchmark_min_time=0.02" : "--benchmark_min_time=0.05";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--quick") == 0 || strcmp(a, "--cold") == 0 || strcmp(a, "--no-probe") == 0 ||
            strncmp(a, "--threads=", 10) == 0)
            continue;
        if (strcmp(a, "--threads") == 0) {
            i++;
            continue;
        }
        gb_argv[gb_argc++] = strcmp(a, "-h") == 0 ? (char *)"--help" : argv[i];
    }
    gb_argv[gb_argc] = NULL;
    if (help) usage();

    if (threads_arg) {
        if (parse_threads(threads_arg)) return 2;
    } else {
        int all = omp_get_max_threads();
        cbb_cfg.threads[cbb_cfg.n_threads++] = 1;
        if (all > 1) cbb_cfg.threads[cbb_cfg.n_threads++] = all;
    }

    if (cb_bench_initialize(&gb_argc, gb_argv)) {
        /* Google Benchmark has printed "<prog>: error: unrecognized command-line flag: ..." */
        free(gb_argv);
        return 2;
    }

    cb_machine_info m;
    cb_machine_describe(&m);
    cbb_cfg.llc_bytes = m.l3_bytes ? m.l3_bytes : m.l2_bytes ? m.l2_bytes : (32u << 20);

    cbb_register_ops();
    cbb_register_blocks();
    cbb_register_sweeps();
    cbb_register_nets();

    bool probe = !no_probe && !listing;
    if (probe) {
        cb_error err;
        if (cb_machine_probe(&m, cbb_cfg.quick, &err)) {
            fprintf(stderr, "convblocks-bench: machine probe: %s\n", err.msg);
            probe = false;
        }
    }
    add_context(&m, probe);
    const char *warn = cb_machine_frequency_warning(&m);
    if (warn && !listing) fprintf(stderr, "convblocks-bench: note: %s\n", warn);
    /* Other work on the machine takes cores from the kernels: with a load
     * near the core count, wall times grow by whole scheduler slices. */
    double load = 0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1) load = 0;
        fclose(lf);
    }
    if (load > 0.5 * m.logical_cpus) {
        char msg[160];
        snprintf(msg, sizeof msg, "1-minute load average %.2f on %d CPUs before the run: other "
                 "processes compete for the cores, timings are inflated and noisy", load,
                 m.logical_cpus);
        cb_bench_add_context("cb_load_warning", msg);
        if (!listing) fprintf(stderr, "convblocks-bench: note: %s\n", msg);
    } else {
        cb_bench_add_context("cb_load_warning", "");
    }

    size_t ran = cb_bench_run();
    cb_bench_shutdown();
    cbb_release();
    free(gb_argv);
    if (ran == 0) {
        fprintf(stderr, "convblocks-bench: filter: no benchmark matched\n");
        return 1;
    }
    return 0;
}
