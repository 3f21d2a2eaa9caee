/* convblocks run — run a block or network forward, check its MACs, time it. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 (clang needs it) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "convblocks/block.h"
#include "convblocks/cost.h"
#include "convblocks/exec.h"
#include "convblocks/net.h"
#include "convblocks/npy.h"

static const char HELP[] =
    "usage: convblocks run TARGET [--shape C,H,W] [--set K=V]... [--alpha A] [--resolution R]\n"
    "                      [--params DIR | --seed N] [--save-params DIR] [--input X.npy | --image PHOTO]\n"
    "                      [--output Y.npy] [--impl ref|fast] [--gemm own|openblas] [--threads N] [--repeat N] [--profile]\n"
    "Runs TARGET forward on one input (batch 1) and prints, one per line:\n"
    "  output: 1xCxHxW     macs: N (cost model)     median: T ms over R runs\n"
    "With --impl ref it also prints the multiply-adds the reference kernels counted.\n"
    "  --params DIR       load DIR/KEY.npy for every parameter (keys as blocks.py's state_dict)\n"
    "  --seed N           make parameters (and, without --input, the input) from seed N (default 1)\n"
    "  --save-params DIR  write DIR/KEY.npy for every parameter and DIR/manifest.json\n"
    "  --image PHOTO      a PNG/JPEG as input: centre-cropped, resized to the network's resolution\n"
    "                     (a block takes it at its own size), scaled to [-1, 1]\n"
    "  --gemm own|openblas  the matrix multiply behind fast 1x1 convs and FC layers: our packed\n"
    "                     AVX2/FMA kernel (default) or OpenBLAS's sgemm, for comparison\n"
    "  --profile          per-layer table: time, share of time, MACs, GMAC/s\n"
    "Limits: at most 16 --set options, integer values 1 to 65536; tensors up to 4 GiB;\n"
    "kernels up to 31; --resolution up to 8192; --threads 0 to 1024; --repeat up to 100000.\n"
    "Example: convblocks run mobilenet --seed 1 --save-params p --input x.npy --output y.npy\n";

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_profile(const cb_graph *g, const double *sec, int repeat_runs) {
    (void)repeat_runs;
    double total = 0;
    for (int i = 0; i < g->n_layers; i++) total += sec[i];
    int w = 5;
    for (int i = 0; i < g->n_layers; i++) {
        int n = (int)strlen(g->layers[i].name);
        if (n > w) w = n;
    }
    if (w > 40) w = 40;
    printf("\n%-*s  %-12s  %10s  %7s  %14s  %8s\n", w, "layer", "type", "time ms", "% time", "MACs", "GMAC/s");
    uint64_t macs_sum = 0;
    for (int i = 0; i < g->n_layers; i++) {
        const cb_layer *l = &g->layers[i];
        cb_cost c = cb_layer_cost(g, i);
        macs_sum += c.macs;
        char rate[16] = "";
        if (c.macs && sec[i] > 0) snprintf(rate, sizeof rate, "%8.2f", (double)c.macs / sec[i] * 1e-9);
        printf("%-*.*s  %-12s  %10.4f  %6.2f%%  %14llu  %8s\n", w, w, l->name, cb_layer_type(g, l), sec[i] * 1e3,
               total > 0 ? 100.0 * sec[i] / total : 0.0, (unsigned long long)c.macs, rate);
    }
    printf("%-*s  %-12s  %10.4f  %6.2f%%  %14llu  %8.2f\n", w, "total", "", total * 1e3, 100.0,
           (unsigned long long)macs_sum, total > 0 ? (double)macs_sum / total * 1e-9 : 0.0);
}

int cmd_run(int argc, char **argv) {
    cli_target t = {0};
    const char *params_dir = NULL, *save_dir = NULL, *xin = NULL, *yout = NULL, *image = NULL;
    long seed = 1, repeat = 1;
    int profile = 0;
    cli_exec_opts xo = CLI_EXEC_DEFAULTS;
    cli_args a;
    cli_args_init(&a, argc, argv);
    while (cli_next(&a)) {
        int r = cli_target_flag("run", &a, &t);
        if (r == 0) r = cli_exec_flag("run", &a, &xo);
        if (r < 0) return 2;
        if (r > 0) continue;
        const char *v;
        if (cli_is(&a, "--help")) { fputs(HELP, stdout); return 0; }
        if (cli_is(&a, "--profile")) { profile = 1; continue; }
        if (!a.name) {
            if (t.target) return cli_fail("run", CB_ERR_ARG, "unexpected argument '%s'", a.argv[a.i]);
            t.target = a.argv[a.i];
            continue;
        }
        if (!(v = cli_value(&a))) return cli_fail("run", CB_ERR_ARG, "%s needs a value", a.name);
        if (cli_is(&a, "--params")) params_dir = v;
        else if (cli_is(&a, "--save-params")) save_dir = v;
        else if (cli_is(&a, "--input")) xin = v;
        else if (cli_is(&a, "--image")) image = v;
        else if (cli_is(&a, "--output")) yout = v;
        else if (cli_is(&a, "--seed")) {
            if (cli_parse_int(v, 0, 0x7fffffff, &seed)) return cli_fail("run", CB_ERR_ARG, "--seed '%s': a non-negative integer", v);
        } else if (cli_is(&a, "--repeat")) {
            if (cli_parse_int(v, 1, 100000, &repeat)) return cli_fail("run", CB_ERR_ARG, "--repeat '%s': 1 to 100000", v);
        } else return cli_fail("run", CB_ERR_ARG, "unknown option '%s'", a.name);
    }

    if (cli_exec_check("run", &xo)) return 2;
    cb_graph *g = NULL;
    cb_exec *e = NULL;
    cb_tensor x = {0};
    float *y = NULL;
    double *times = NULL, *layer_sum = NULL;
    cb_error err;
    cb_status s = CB_OK;
    cb_shape xs = {0, 0, 0};
    if (xin && image) return cli_fail("run", CB_ERR_ARG, "--input and --image are two inputs: give one");
    if (image) {
        const cb_net_info *net = t.target ? cb_net_find(t.target) : NULL;
        int r = net ? (t.resolution ? t.resolution : net->default_resolution) : 0;
        s = cli_load_image(image, r, r, &x, &err);
        xs = (cb_shape){3, x.rank == 3 ? x.dims[1] : 0, x.rank == 3 ? x.dims[2] : 0};
        xin = image;
        if (s == CB_OK && !t.has_shape && t.target && cb_block_find(t.target)) {
            t.has_shape = true;
            t.shape = xs;
        }
    } else if (xin) {
        s = cb_npy_read_activation(xin, &x, &xs, &err);
        /* a block with no --shape takes the shape of its input file */
        if (s == CB_OK && !t.has_shape && t.target && cb_block_find(t.target)) {
            t.has_shape = true;
            t.shape = xs;
        }
    }
    if (s == CB_OK) s = cli_build(&t, &g, &err);
    if (s == CB_OK) s = params_dir ? cb_graph_load_params(g, params_dir, &err) : cb_graph_init_params(g, (uint64_t)seed, &err);
    cb_shape in = s == CB_OK ? cb_graph_input_shape(g) : (cb_shape){1, 1, 1};
    if (s == CB_OK && xin) {
        if (!cb_shape_eq(xs, in))
            s = cb_fail(&err, CB_ERR_FORMAT, "%s: input is %dx%dx%d but %s takes %dx%dx%d", xin, xs.c, xs.h, xs.w,
                        g->name, in.c, in.h, in.w);
    } else if (s == CB_OK) {
        s = cb_tensor_alloc_shape(&x, in, &err);
        if (s == CB_OK) {
            cb_rng r;
            cb_rng_seed(&r, (uint64_t)seed + 1);
            for (uint64_t k = 0; k < cb_shape_numel(in); k++) x.data[k] = cb_rng_normal(&r);
        }
    }
    if (s == CB_OK) s = cli_exec_new(g, &xo, &e, &err);
    cb_shape out = s == CB_OK ? cb_graph_output_shape(g) : in;
    if (s == CB_OK) {
        y = cb_alloc_floats((size_t)cb_shape_numel(out));
        times = calloc((size_t)repeat, sizeof *times);
        layer_sum = calloc((size_t)g->n_layers + 1, sizeof *layer_sum);
        if (!y || !times || !layer_sum) s = cb_fail(&err, CB_ERR_NOMEM, "out of memory");
    }
    if (s == CB_OK) {
        if (repeat > 1) cb_exec_run(e, x.data, y);  /* warm-up: caches, page faults, thread pool */
        cb_exec_set_profile(e, profile);
        for (long r = 0; r < repeat; r++) {
            double t0 = now_seconds();
            cb_exec_run(e, x.data, y);
            times[r] = now_seconds() - t0;
            if (profile) {
                const double *ls = cb_exec_layer_seconds(e);
                for (int i = 0; i < g->n_layers; i++) layer_sum[i] += ls[i];
            }
        }
    }
    if (s == CB_OK && yout) s = cb_npy_write_activation(yout, out, y, &err);
    if (s == CB_OK && save_dir) s = cb_graph_save_params(g, save_dir, &err);
    if (s == CB_OK) {
        char shape[48];
        cb_cost total = cb_graph_cost(g, NULL);
        qsort(times, (size_t)repeat, sizeof *times, cmp_double);
        double median = repeat % 2 ? times[repeat / 2] : 0.5 * (times[repeat / 2 - 1] + times[repeat / 2]);
        printf("output: %s\n", cli_nchw(out, shape, sizeof shape));
        printf("macs: %llu\n", (unsigned long long)total.macs);
        printf("median: %.4f ms over %ld runs\n", median * 1e3, repeat);
        if (xo.impl == CB_IMPL_REF)
            printf("counted_macs: %llu (%s the cost model)\n", (unsigned long long)cb_exec_counted_macs(e),
                   cb_exec_counted_macs(e) == total.macs ? "equals" : "DIFFERS from");
        printf("impl: %s, min %.4f ms, max %.4f ms, %.2f GMAC/s at the median\n", cb_impl_name(xo.impl), times[0] * 1e3,
               times[repeat - 1] * 1e3, median > 0 ? (double)total.macs / median * 1e-9 : 0.0);
        if (profile) {
            for (int i = 0; i < g->n_layers; i++) layer_sum[i] /= (double)repeat;
            print_profile(g, layer_sum, (int)repeat);
        }
    }
    free(times);
    free(layer_sum);
    cb_free(y);
    cb_exec_free(e);
    cb_tensor_free(&x);
    cb_graph_free(g);
    if (s != CB_OK) return cli_fail("run", s, "%s", err.msg);
    return 0;
}
