/* convblocks report — the main job: costs, timings, plots and the report page.
 *
 *   convblocks report [--out DIR] [--quick] [--repeat N]
 *
 * Costs come from the cost model (cost.h) of graphs built with the library
 * (block.h, net.h, or graph.h directly for the sweeps); times from the
 * library's executors (exec.h: reference loops and fast kernels, 1 and all
 * threads); the machine's ceilings from machine.h. Every table is written as
 * CSV and into report.json, the reports/<plot>.gp gnuplot scripts draw them as PNG
 * and SVG, and DIR/index.html puts it all on one self-contained page.
 *
 * What could not be measured (no fast kernels, no networks, reference loops
 * too slow for a size) is left empty in the data, named on the page, and
 * never replaced by a guess. A missing gnuplot is an error before anything
 * runs: a report without its plots is not the report.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "convblocks/block.h"
#include "convblocks/cost.h"
#include "convblocks/exec.h"
#include "convblocks/fast.h"
#include "convblocks/machine.h"
#include "convblocks/net.h"
#include "convblocks/paper.h"
#include "report.h"

#ifndef CB_REPORTS_DIR
#define CB_REPORTS_DIR "reports"
#endif

static const char HELP[] =
    "usage: convblocks report [--out DIR] [--quick] [--repeat N]\n"
    "The main job: costs every canonical block and network with the cost model, times them\n"
    "with the reference and fast kernels on 1 and all threads, measures the machine's FMA peak\n"
    "and memory bandwidth, draws the plots with gnuplot (PNG and SVG) and writes one\n"
    "self-contained page DIR/index.html, with the same data as CSV and JSON beside it.\n"
    "  --out DIR    where to write (default reports/out); created if missing\n"
    "  --quick      a subset with fewer repeats (under a minute); the page says what was left out\n"
    "  --repeat N   timed runs per measurement at most (default 9, quick 5; 1 = no warm-up either)\n"
    "Needs gnuplot with the pngcairo and svg terminals on PATH. The gnuplot scripts are read from\n"
    "$CB_REPORTS_DIR, else " CB_REPORTS_DIR ".\n"
    "Progress goes to stderr; the last line on stdout is the path of index.html.\n";

#define N_STEPS 11
#define MAX_ITEMS 32

/* The common size of plot 1: Inception v3's Mixed_5d input, 288 x 35 x 35,
 * where every canonical block can map 288 channels to 288. */
#define COMMON_C 288
#define COMMON_HW 35

typedef struct {
    const char *name;
    const char *sets[3];
} block_setting;

static const block_setting COMMON_BLOCKS[] = {
    {"standard", {"cout=288"}},
    {"conv_kxk", {"cout=288", "k=5"}},
    {"vgg", {"cout=288", "n=2"}},
    {"mobilenet", {"cout=288"}},
    {"xception_entry", {"cout=288"}},
    {"xception_middle", {NULL}},
    {"xception_exit", {"cout=288"}},
    {"inception_a", {"pool_features=64"}},
    {"inception_simple", {"c=96"}},
    {"inception_grouped", {"m=288", "groups=3"}},
};
#define N_COMMON ((int)(sizeof COMMON_BLOCKS / sizeof COMMON_BLOCKS[0]))

/* Single ops for the roofline: one layer each, at shapes met in the networks. */
typedef enum { OP_CONV, OP_FC, OP_BN, OP_RELU, OP_MAXPOOL, OP_AVGPOOL, OP_ADD } op_kind;
typedef struct {
    const char *name;
    const char *label;   /* short, for the roofline's point labels */
    op_kind kind;
    cb_shape in;
    int cout, k, stride, groups;
} op_spec;

static const op_spec OPS[] = {
    {"conv3x3 128>128 28x28", "3x3", OP_CONV, {128, 28, 28}, 128, 3, 1, 1},
    {"conv3x3 s2 64>128 56x56", "3x3 s2", OP_CONV, {64, 56, 56}, 128, 3, 2, 1},
    {"conv5x5 64>64 28x28", "5x5", OP_CONV, {64, 28, 28}, 64, 5, 1, 1},
    {"dw3x3 128 28x28", "dw 128", OP_CONV, {128, 28, 28}, 128, 3, 1, 128},
    {"dw3x3 512 14x14", "dw 512", OP_CONV, {512, 14, 14}, 512, 3, 1, 512},
    {"pw1x1 128>128 28x28", "1x1 128", OP_CONV, {128, 28, 28}, 128, 1, 1, 1},
    {"pw1x1 512>512 14x14", "1x1 512", OP_CONV, {512, 14, 14}, 512, 1, 1, 1},
    {"grouped3x3 g4 128 28x28", "3x3 g4", OP_CONV, {128, 28, 28}, 128, 3, 1, 4},
    {"fc 1024>1000", "fc 1024", OP_FC, {1024, 1, 1}, 1000, 0, 0, 0},
    {"fc 4096>4096", "fc 4096", OP_FC, {4096, 1, 1}, 4096, 0, 0, 0},
    {"batchnorm 128x28x28", "bn", OP_BN, {128, 28, 28}, 0, 0, 0, 0},
    {"relu 128x28x28", "relu", OP_RELU, {128, 28, 28}, 0, 0, 0, 0},
    {"maxpool3x3 s2 128x28x28", "maxpool", OP_MAXPOOL, {128, 28, 28}, 0, 3, 2, 0},
    {"avgpool3x3 128x28x28", "avgpool", OP_AVGPOOL, {128, 28, 28}, 0, 3, 1, 0},
    {"add 128x28x28", "add", OP_ADD, {128, 28, 28}, 0, 0, 0, 0},
};
#define N_OPS ((int)(sizeof OPS / sizeof OPS[0]))

/* Layer types of cb_layer_type, in the order the stacked bars use. */
static const char *TYPES[] = {"conv", "conv 1x1", "conv dw", "conv grouped", "fc",
                              "bn",   "relu",     "pool",    "add",          "concat"};
#define N_TYPES ((int)(sizeof TYPES / sizeof TYPES[0]))

typedef struct {
    const char *out;
    bool quick;
    rp_timing tm;
    int threads;                /* "all threads": the machine's cores */
    cb_machine_info m;
    bool have_machine;
    char gnuplot[4096], gpdir[4096];
    char cmdline[1024];
    rp_table missing;           /* one row per thing that could not be measured */
    int step;
    double t_step, t_start;
    char date[64];

    rp_table common, blocks, ops, sep, grouped, vgg, mbn, mbn_types, nets, net_types, net_stack,
        net_layers, roofline, ceilings, threads_t, plots, paper;

    /* canonical blocks at their default shapes, kept for three timing steps */
    int nblocks;
    cb_graph *bg[MAX_ITEMS];
    rp_time b_ref[MAX_ITEMS], b_f1[MAX_ITEMS], b_fn[MAX_ITEMS];
    bool fast_ok;               /* at least one fast measurement worked */
    int nets_timed;
    double load_start, load_end;   /* 1-minute load average before and after measuring */
    char source[128];              /* `git describe --always --dirty` of the source tree */
} report;

/* ---- progress and notes ------------------------------------------------------ */

static void step_begin(report *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void step_begin(report *r, const char *fmt, ...) {
    va_list ap;
    r->step++;
    fprintf(stderr, "[%d/%d] ", r->step, N_STEPS);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("... ", stderr);
    fflush(stderr);
    r->t_step = rp_now();
}

static void step_end(report *r) { fprintf(stderr, "%.1f s\n", rp_now() - r->t_step); }

/* Name something that could not be measured, once. */
static void note_missing(report *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void note_missing(report *r, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (int i = 0; i < r->missing.nrows; i++)
        if (strcmp(rp_get(&r->missing, i, 0), msg) == 0) return;
    rp_cell(&r->missing, msg);
}

/* ---- building graphs --------------------------------------------------------- */

static cb_status block_graph(const char *name, const char *const *sets, int nsets, const cb_shape *shape,
                             cb_graph **g, cb_error *err) {
    const cb_block_info *b = cb_block_find(name);
    if (!b) return cb_fail(err, CB_ERR_ARG, "no block '%s' in the library", name);
    cb_args a = b->defaults;
    for (int i = 0; i < nsets && sets[i]; i++) {
        cb_status s = cb_args_set(&a, sets[i], err);
        if (s != CB_OK) return s;
    }
    return cb_block_build(name, &a, shape, g, err);
}

static cb_status finish_graph(cb_graph *g, cb_graph **out, cb_error *err) {
    cb_status s = cb_graph_status(g, err);
    if (s != CB_OK) {
        cb_graph_free(g);
        return s;
    }
    *out = g;
    return CB_OK;
}

static cb_status op_graph(const op_spec *o, cb_graph **out, cb_error *err) {
    *out = NULL;
    cb_graph *g = cb_graph_new(o->name, o->in);
    if (!g) return cb_fail(err, CB_ERR_NOMEM, "out of memory");
    switch (o->kind) {
    case OP_CONV:
        cb_graph_conv(g, "conv", 0, o->cout, cb_conv_square(o->k, o->stride, o->k / 2, o->groups), false);
        break;
    case OP_FC: cb_graph_fc(g, "fc", 0, o->cout, true); break;
    case OP_BN: cb_graph_bn(g, "bn", 0); break;
    case OP_RELU: cb_graph_relu(g, "relu", 0); break;
    case OP_MAXPOOL: cb_graph_maxpool(g, "pool", 0, o->k, o->stride, o->k / 2); break;
    case OP_AVGPOOL: cb_graph_avgpool(g, "pool", 0, o->k, o->stride, o->k / 2); break;
    case OP_ADD: cb_graph_add(g, "add", 0, 0); break;
    }
    return finish_graph(g, out, err);
}

/* Standard k x k conv -> BN -> ReLU (M -> N channels) and its depthwise
 * separable replacement, MobileNet style: depthwise k x k -> BN -> ReLU ->
 * pointwise 1x1 -> BN -> ReLU. Both 'same' padded, stride 1, on M x DF x DF. */
static cb_status separable_pair(int k, int m, int n, int df, cb_graph **std, cb_graph **sep,
                                cb_error *err) {
    *std = *sep = NULL;
    char name[CB_NAME_MAX];
    cb_shape in = {m, df, df};
    cb_graph *a = cb_graph_new(cb_namef(name, "standard k%d n%d", k, n), in);
    cb_graph *b = cb_graph_new(cb_namef(name, "separable k%d n%d", k, n), in);
    if (!a || !b) {
        cb_graph_free(a);
        cb_graph_free(b);
        return cb_fail(err, CB_ERR_NOMEM, "out of memory");
    }
    int x = cb_graph_conv(a, "conv", 0, n, cb_conv_square(k, 1, k / 2, 1), false);
    cb_graph_relu(a, "relu", cb_graph_bn(a, "bn", x));
    x = cb_graph_conv(b, "dw", 0, m, cb_conv_square(k, 1, k / 2, m), false);
    x = cb_graph_relu(b, "relu1", cb_graph_bn(b, "bn1", x));
    x = cb_graph_conv(b, "pw", x, n, cb_conv_square(1, 1, 0, 1), false);
    cb_graph_relu(b, "relu2", cb_graph_bn(b, "bn2", x));
    cb_status s = finish_graph(a, std, err);
    if (s != CB_OK) {
        cb_graph_free(b);
        return s;
    }
    s = finish_graph(b, sep, err);
    if (s != CB_OK) {
        cb_graph_free(*std);
        *std = NULL;
    }
    return s;
}

/* ---- measuring ----------------------------------------------------------------- */

static double ms(const rp_time *t) { return t->ok ? t->median_s * 1e3 : 0.0; }

static rp_time time_graph(report *r, const cb_graph *g, cb_impl impl, int threads, double *layer_s) {
    rp_time t = rp_time_graph(g, impl, threads, &r->tm, layer_s);
    if (!t.ok) {
        if (impl == CB_IMPL_REF && strstr(t.why, "not timed above")) {
            char h[32];
            note_missing(r, "Reference-loop times of graphs above %s MACs%s: the plain loops run at a few "
                            "hundred MMAC/s, so these would take minutes (their cells say 'not measured').",
                         rp_human((double)r->tm.ref_max_macs, h, sizeof h), r->quick ? " (--quick)" : "");
        }
        else
            note_missing(r, "%s kernels: %s", cb_impl_name(impl), t.why);
    } else if (impl == CB_IMPL_FAST) {
        r->fast_ok = true;
    }
    return t;
}

/* GFLOP/s of the roofline: 2 flop per MAC plus the other ops (BN, ReLU,
 * pooling, adds), so elementwise ops appear too. */
static double flops_of(cb_cost c) { return 2.0 * (double)c.macs + (double)c.other_ops; }

/* The all-thread ceiling of the roofline. All threads can do at least what
 * one does: when the all-thread probe came out lower, other processes took
 * the cores during it, and the 1-thread figure is the better bound. */
static double roof(double all, double one) { return all > one ? all : one; }

static double pct_peak(const report *r, cb_cost c, const rp_time *t, int threads) {
    if (!r->have_machine || !t->ok) return 0;
    double peak = threads == 1 ? r->m.fma_gflops_1t : roof(r->m.fma_gflops_all, r->m.fma_gflops_1t);
    return peak > 0 ? 100.0 * 2.0 * (double)c.macs / t->median_s * 1e-9 / peak : 0;
}


/* The 1-minute load average (other work on the machine skews every time). */
static double load_average(void) {
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

static void step_machine(report *r) {
    r->load_start = load_average();
    step_begin(r, "measuring the machine (FMA peak, memory bandwidth%s)", r->quick ? ", quick" : "");
    cb_error err;
    if (cb_machine_probe(&r->m, r->quick, &err) == CB_OK && r->m.fma_gflops_all > 0) {
        r->have_machine = true;
    } else {
        cb_machine_describe(&r->m);
        note_missing(r, "Machine ceilings (FMA peak, bandwidth): %s; no roofline and no %% of peak.",
                     r->have_machine ? "probe returned 0" : err.msg);
    }
    r->threads = r->m.threads_all > 0 ? r->m.threads_all : r->m.logical_cpus;
    if (r->threads < 1) r->threads = 1;
    rp_table_init(&r->ceilings, "machine",
                  "logical_cpus,threads_all,fma_gflops_1t,fma_gflops_all,dram_gbs_1t,dram_gbs_all,"
                  "l3_gbs_1t,l3_gbs_all,roof_gflops,roof_dram_gbs,roof_l3_gbs,load_avg_start,avx2_fma,"
                  "fast_isa,governor,cpu");
    rp_cellf(&r->ceilings, "%d", r->m.logical_cpus);
    rp_cellf(&r->ceilings, "%d", r->threads);
    rp_cell_num(&r->ceilings, r->m.fma_gflops_1t, 4);
    rp_cell_num(&r->ceilings, r->m.fma_gflops_all, 4);
    rp_cell_num(&r->ceilings, r->m.dram_triad_gbs_1t, 4);
    rp_cell_num(&r->ceilings, r->m.dram_triad_gbs_all, 4);
    rp_cell_num(&r->ceilings, r->m.l3_triad_gbs_1t, 4);
    rp_cell_num(&r->ceilings, r->m.l3_triad_gbs_all, 4);
    rp_cell_num(&r->ceilings, roof(r->m.fma_gflops_all, r->m.fma_gflops_1t), 4);
    rp_cell_num(&r->ceilings, roof(r->m.dram_triad_gbs_all, r->m.dram_triad_gbs_1t), 4);
    rp_cell_num(&r->ceilings, roof(r->m.l3_triad_gbs_all, r->m.l3_triad_gbs_1t), 4);
    rp_cellf(&r->ceilings, "%.2f", r->load_start);
    rp_cell(&r->ceilings, r->m.avx2_fma ? "yes" : "no");
    rp_cell(&r->ceilings, cb_fast_isa());
    rp_cell(&r->ceilings, r->m.governor);
    rp_cell(&r->ceilings, r->m.cpu_model);
    step_end(r);
}

static cb_status step_costs(report *r, cb_error *err) {
    step_begin(r, "costing %d blocks and %d networks", cb_block_count(), cb_net_count());
    cb_status s;
    rp_table_init(&r->common, "blocks_common",
                  "block,args,input,output,macs,params,weights,buffers,other_ops,bytes,intensity");
    const cb_shape common = {COMMON_C, COMMON_HW, COMMON_HW};
    for (int i = 0; i < N_COMMON; i++) {
        const block_setting *b = &COMMON_BLOCKS[i];
        cb_graph *g;
        if ((s = block_graph(b->name, b->sets, 3, &common, &g, err)) != CB_OK) return s;
        cb_cost c = cb_graph_cost(g, NULL);
        char args[96] = "", buf[32];
        for (int k = 0; k < 3 && b->sets[k]; k++)
            snprintf(args + strlen(args), sizeof args - strlen(args), "%s%s", k ? " " : "", b->sets[k]);
        rp_cell(&r->common, b->name);
        rp_cell(&r->common, *args ? args : "(channels from the input)");
        rp_cell(&r->common, cb_shape_str(cb_graph_input_shape(g), buf, sizeof buf));
        rp_cell(&r->common, cb_shape_str(cb_graph_output_shape(g), buf, sizeof buf));
        rp_cell_u64(&r->common, c.macs);
        rp_cell_u64(&r->common, c.params);
        rp_cell_u64(&r->common, c.weights);
        rp_cell_u64(&r->common, c.buffers);
        rp_cell_u64(&r->common, c.other_ops);
        rp_cell_u64(&r->common, c.bytes);
        rp_cell_num(&r->common, cb_cost_intensity(c), 4);
        cb_graph_free(g);
    }

    /* every canonical block at its default arguments and shape (blocks.py) */
    r->nblocks = cb_block_count() < MAX_ITEMS ? cb_block_count() : MAX_ITEMS;
    for (int i = 0; i < r->nblocks; i++) {
        if ((s = cb_block_build(cb_block_at(i)->name, NULL, NULL, &r->bg[i], err)) != CB_OK) return s;
        if ((s = cb_graph_init_params(r->bg[i], 1, err)) != CB_OK) return s;
    }

    /* MobileNet v1 trade-offs (paper Tables 6 and 7) and MAC/weight shares by layer type (Table 2) */
    rp_table_init(&r->mbn, "mobilenet_tradeoffs", "series,alpha,resolution,macs,weights,params");
    rp_table_init(&r->mbn_types, "mobilenet_types", "type,macs,macs_pct,weights,weights_pct");
    if (cb_net_find("mobilenet_v1")) {
        static const double alphas[] = {1.0, 0.75, 0.5, 0.25};
        static const int res[] = {224, 192, 160, 128};
        for (int series = 0; series < 2; series++)
            for (int i = 0; i < 4; i++) {
                double alpha = series == 0 ? alphas[i] : 1.0;
                int resolution = series == 0 ? 224 : res[i];
                cb_graph *g;
                if ((s = cb_net_build("mobilenet_v1", alpha, resolution, &g, err)) != CB_OK) return s;
                cb_cost c = cb_graph_cost(g, NULL);
                rp_cell(&r->mbn, series == 0 ? "width" : "resolution");
                rp_cellf(&r->mbn, "%g", alpha);
                rp_cellf(&r->mbn, "%d", resolution);
                rp_cell_u64(&r->mbn, c.macs);
                rp_cell_u64(&r->mbn, c.weights);
                rp_cell_u64(&r->mbn, c.params);
                if (series == 0 && i == 0) {
                    uint64_t tm[N_TYPES] = {0}, tw[N_TYPES] = {0};
                    for (int l = 0; l < g->n_layers; l++) {
                        cb_cost lc = cb_layer_cost(g, l);
                        const char *ty = cb_layer_type(g, &g->layers[l]);
                        for (int t = 0; t < N_TYPES; t++)
                            if (strcmp(ty, TYPES[t]) == 0) {
                                tm[t] += lc.macs;
                                tw[t] += lc.weights;
                            }
                    }
                    for (int t = 0; t < N_TYPES; t++) {
                        if (!tm[t] && !tw[t]) continue;
                        rp_cell(&r->mbn_types, TYPES[t]);
                        rp_cell_u64(&r->mbn_types, tm[t]);
                        rp_cellf(&r->mbn_types, "%.2f", 100.0 * (double)tm[t] / (double)c.macs);
                        rp_cell_u64(&r->mbn_types, tw[t]);
                        rp_cellf(&r->mbn_types, "%.2f", 100.0 * (double)tw[t] / (double)c.weights);
                    }
                }
                cb_graph_free(g);
            }
    } else {
        note_missing(r, "MobileNet v1 trade-offs (plot 7): the network mobilenet_v1 is not in this build.");
    }

    /* published figures beside ours (paper.h) */
    rp_table_init(&r->paper, "paper_figures", "source,net,quantity,printed,unit,ours,verdict");
    for (int i = 0; i < cb_paper_count(); i++) {
        cb_paper_figure f;
        if (cb_paper_figure_get(i, &f, err) != CB_OK) continue;
        rp_cell(&r->paper, f.source);
        rp_cell(&r->paper, f.net);
        rp_cell(&r->paper, f.quantity);
        rp_cell(&r->paper, f.printed);
        rp_cell(&r->paper, f.unit);
        rp_cellf(&r->paper, "%.*f", f.decimals + 2, f.ours);
        rp_cell(&r->paper, f.verdict);
    }
    step_end(r);
    return CB_OK;
}

static cb_status step_ops(report *r, cb_error *err) {
    step_begin(r, "timing %d single ops (ref; fast 1 and %d threads)", N_OPS, r->threads);
    rp_table_init(&r->ops, "ops",
                  "op,input,output,macs,other_ops,bytes,flops,intensity,ref_ms,fast1_ms,fastN_ms,"
                  "fast1_gflops,fastN_gflops,fastN_pct_peak");
    for (int i = 0; i < N_OPS; i++) {
        cb_graph *g;
        cb_status s = op_graph(&OPS[i], &g, err);
        if (s == CB_OK) s = cb_graph_init_params(g, 1, err);
        if (s != CB_OK) {
            cb_graph_free(g);
            return s;
        }
        cb_cost c = cb_graph_cost(g, NULL);
        rp_time ref = time_graph(r, g, CB_IMPL_REF, 1, NULL);
        rp_time f1 = time_graph(r, g, CB_IMPL_FAST, 1, NULL);
        rp_time fn = time_graph(r, g, CB_IMPL_FAST, r->threads, NULL);
        char buf[32];
        rp_cell(&r->ops, OPS[i].name);
        rp_cell(&r->ops, cb_shape_str(cb_graph_input_shape(g), buf, sizeof buf));
        rp_cell(&r->ops, cb_shape_str(cb_graph_output_shape(g), buf, sizeof buf));
        rp_cell_u64(&r->ops, c.macs);
        rp_cell_u64(&r->ops, c.other_ops);
        rp_cell_u64(&r->ops, c.bytes);
        rp_cellf(&r->ops, "%.0f", flops_of(c));
        rp_cell_num(&r->ops, flops_of(c) / (double)c.bytes, 4);
        rp_cell_num(&r->ops, ms(&ref), 4);
        rp_cell_num(&r->ops, ms(&f1), 4);
        rp_cell_num(&r->ops, ms(&fn), 4);
        rp_cell_num(&r->ops, f1.ok ? flops_of(c) / f1.median_s * 1e-9 : 0, 4);
        rp_cell_num(&r->ops, fn.ok ? flops_of(c) / fn.median_s * 1e-9 : 0, 4);
        double peak = r->have_machine ? roof(r->m.fma_gflops_all, r->m.fma_gflops_1t) : 0;
        rp_cell_num(&r->ops, fn.ok && peak > 0 ? 100.0 * flops_of(c) / fn.median_s * 1e-9 / peak : 0, 3);
        cb_graph_free(g);
    }
    step_end(r);
    return CB_OK;
}

static void step_blocks(report *r, cb_impl impl, int threads, rp_time *out) {
    step_begin(r, "timing %d blocks (%s, %d thread%s)", r->nblocks, cb_impl_name(impl), threads,
               threads == 1 ? "" : "s");
    for (int i = 0; i < r->nblocks; i++) out[i] = time_graph(r, r->bg[i], impl, threads, NULL);
    step_end(r);
}

static void fill_blocks_table(report *r) {
    rp_table_init(&r->blocks, "blocks",
                  "block,input,output,macs,params,weights,buffers,other_ops,bytes,intensity,"
                  "ref_counted_macs,ref_ms,fast1_ms,fastN_ms,ref_gmacs,fast1_gmacs,fastN_gmacs,"
                  "fast1_pct_peak,fastN_pct_peak,thread_speedup,threads");
    for (int i = 0; i < r->nblocks; i++) {
        const cb_graph *g = r->bg[i];
        cb_cost c = cb_graph_cost(g, NULL);
        char buf[32];
        rp_table *t = &r->blocks;
        rp_cell(t, g->name);
        rp_cell(t, cb_shape_str(cb_graph_input_shape(g), buf, sizeof buf));
        rp_cell(t, cb_shape_str(cb_graph_output_shape(g), buf, sizeof buf));
        rp_cell_u64(t, c.macs);
        rp_cell_u64(t, c.params);
        rp_cell_u64(t, c.weights);
        rp_cell_u64(t, c.buffers);
        rp_cell_u64(t, c.other_ops);
        rp_cell_u64(t, c.bytes);
        rp_cell_num(t, cb_cost_intensity(c), 4);
        if (r->b_ref[i].ok) rp_cell_u64(t, r->b_ref[i].counted_macs);
        else rp_cell(t, "");
        rp_cell_num(t, ms(&r->b_ref[i]), 4);
        rp_cell_num(t, ms(&r->b_f1[i]), 4);
        rp_cell_num(t, ms(&r->b_fn[i]), 4);
        const rp_time *ts[3] = {&r->b_ref[i], &r->b_f1[i], &r->b_fn[i]};
        for (int k = 0; k < 3; k++) rp_cell_num(t, ts[k]->ok ? (double)c.macs / ts[k]->median_s * 1e-9 : 0, 4);
        rp_cell_num(t, pct_peak(r, c, &r->b_f1[i], 1), 3);
        rp_cell_num(t, pct_peak(r, c, &r->b_fn[i], r->threads), 3);
        rp_cell_num(t, r->b_f1[i].ok && r->b_fn[i].ok ? r->b_f1[i].median_s / r->b_fn[i].median_s : 0, 3);
        rp_cellf(t, "%d", r->threads);
    }
}

static cb_status step_separable(report *r, cb_error *err) {
    static const int NS_FULL[] = {8, 16, 32, 64, 128, 256, 512}, NS_QUICK[] = {16, 64, 256};
    const int *ns = r->quick ? NS_QUICK : NS_FULL;
    int nn = r->quick ? 3 : 7;
    const int M = 64, DF = 28;
    step_begin(r, "separable vs standard: k 3, 5, 7 x %d output widths (ref; fast, 1 thread)", nn);
    rp_table_init(&r->sep, "separable",
                  "k,n,m,df,std_macs,sep_macs,mac_ratio,theory,mac_reduction,std_ref_counted,sep_ref_counted,"
                  "std_ref_ms,sep_ref_ms,std_fast1_ms,sep_fast1_ms,ref_time_ratio,fast_time_ratio,"
                  "ref_speedup,fast_speedup");
    static const int KS[] = {3, 5, 7};
    for (int ki = 0; ki < 3; ki++)
        for (int ni = 0; ni < nn; ni++) {
            int k = KS[ki], n = ns[ni];
            cb_graph *a, *b;
            cb_status s = separable_pair(k, M, n, DF, &a, &b, err);
            if (s == CB_OK) s = cb_graph_init_params(a, 1, err);
            if (s == CB_OK) s = cb_graph_init_params(b, 1, err);
            if (s != CB_OK) {
                cb_graph_free(a);
                cb_graph_free(b);
                return s;
            }
            cb_cost ca = cb_graph_cost(a, NULL), cbb = cb_graph_cost(b, NULL);
            rp_time ar = time_graph(r, a, CB_IMPL_REF, 1, NULL), br = time_graph(r, b, CB_IMPL_REF, 1, NULL);
            rp_time af = time_graph(r, a, CB_IMPL_FAST, 1, NULL);
            rp_time bf = time_graph(r, b, CB_IMPL_FAST, 1, NULL);
            rp_table *t = &r->sep;
            rp_cellf(t, "%d", k);
            rp_cellf(t, "%d", n);
            rp_cellf(t, "%d", M);
            rp_cellf(t, "%d", DF);
            rp_cell_u64(t, ca.macs);
            rp_cell_u64(t, cbb.macs);
            /* 10 digits: both print the same decimal, though the two doubles
             * may differ in the last bit (the test checks the integers) */
            rp_cellf(t, "%.10g", (double)cbb.macs / (double)ca.macs);
            rp_cellf(t, "%.10g", 1.0 / n + 1.0 / (k * k));
            rp_cellf(t, "%.6g", (double)ca.macs / (double)cbb.macs);
            if (ar.ok) rp_cell_u64(t, ar.counted_macs);
            else rp_cell(t, "");
            if (br.ok) rp_cell_u64(t, br.counted_macs);
            else rp_cell(t, "");
            rp_cell_num(t, ms(&ar), 4);
            rp_cell_num(t, ms(&br), 4);
            rp_cell_num(t, ms(&af), 4);
            rp_cell_num(t, ms(&bf), 4);
            rp_cell_num(t, ar.ok && br.ok ? br.median_s / ar.median_s : 0, 4);
            rp_cell_num(t, af.ok && bf.ok ? bf.median_s / af.median_s : 0, 4);
            rp_cell_num(t, ar.ok && br.ok ? ar.median_s / br.median_s : 0, 4);
            rp_cell_num(t, af.ok && bf.ok ? af.median_s / bf.median_s : 0, 4);
            cb_graph_free(a);
            cb_graph_free(b);
        }
    step_end(r);
    return CB_OK;
}

static cb_status step_grouped_vgg(report *r, cb_error *err) {
    static const int G_FULL[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 192};
    static const int G_QUICK[] = {1, 3, 12, 48, 192};
    const int *gs = r->quick ? G_QUICK : G_FULL;
    int ng = r->quick ? 5 : 14, nv = r->quick ? 3 : 5;
    step_begin(r, "inception_grouped over %d group counts, VGG stacks n = 1..%d (ref; fast, 1 thread)", ng, nv);
    cb_status s;
    rp_table_init(&r->grouped, "inception_grouped",
                  "groups,m,input,macs,params,weights,bytes,ref_ms,fast1_ms,rel_macs,rel_params,rel_ref_ms,"
                  "rel_fast1_ms");
    double base[4] = {0, 0, 0, 0};
    for (int i = 0; i < ng; i++) {
        char set[32];
        snprintf(set, sizeof set, "groups=%d", gs[i]);
        const char *sets[1] = {set};
        cb_graph *g;
        if ((s = block_graph("inception_grouped", sets, 1, NULL, &g, err)) != CB_OK) return s;
        if ((s = cb_graph_init_params(g, 1, err)) != CB_OK) {
            cb_graph_free(g);
            return s;
        }
        cb_cost c = cb_graph_cost(g, NULL);
        rp_time tr = time_graph(r, g, CB_IMPL_REF, 1, NULL);
        rp_time tf = time_graph(r, g, CB_IMPL_FAST, 1, NULL);
        double v[4] = {(double)c.macs, (double)c.params, ms(&tr), ms(&tf)};
        if (i == 0)
            for (int k = 0; k < 4; k++) base[k] = v[k];
        char buf[32];
        rp_table *t = &r->grouped;
        rp_cellf(t, "%d", gs[i]);
        rp_cellf(t, "%d", cb_graph_output_shape(g).c);
        rp_cell(t, cb_shape_str(cb_graph_input_shape(g), buf, sizeof buf));
        rp_cell_u64(t, c.macs);
        rp_cell_u64(t, c.params);
        rp_cell_u64(t, c.weights);
        rp_cell_u64(t, c.bytes);
        rp_cell_num(t, v[2], 4);
        rp_cell_num(t, v[3], 4);
        for (int k = 0; k < 4; k++) rp_cell_num(t, base[k] > 0 ? v[k] / base[k] : 0, 4);
        cb_graph_free(g);
    }

    /* n stacked 3x3 (vgg) vs one (2n+1)x(2n+1) (conv_kxk): same receptive field */
    rp_table_init(&r->vgg, "vgg_receptive_field",
                  "n,rf,input,vgg_params,kxk_params,vgg_macs,kxk_macs,vgg_ref_ms,kxk_ref_ms,vgg_fast1_ms,"
                  "kxk_fast1_ms");
    const cb_shape in = {64, 28, 28};
    for (int n = 1; n <= nv; n++) {
        char s1[32], s2[32];
        snprintf(s1, sizeof s1, "n=%d", n);
        snprintf(s2, sizeof s2, "k=%d", 2 * n + 1);
        const char *sv[1] = {s1}, *sk[1] = {s2};
        cb_graph *gv = NULL, *gk = NULL;
        s = block_graph("vgg", sv, 1, &in, &gv, err);
        if (s == CB_OK) s = block_graph("conv_kxk", sk, 1, &in, &gk, err);
        if (s == CB_OK) s = cb_graph_init_params(gv, 1, err);
        if (s == CB_OK) s = cb_graph_init_params(gk, 1, err);
        if (s != CB_OK) {
            cb_graph_free(gv);
            cb_graph_free(gk);
            return s;
        }
        cb_cost cv = cb_graph_cost(gv, NULL), ck = cb_graph_cost(gk, NULL);
        rp_time vr = time_graph(r, gv, CB_IMPL_REF, 1, NULL), kr = time_graph(r, gk, CB_IMPL_REF, 1, NULL);
        rp_time vf = time_graph(r, gv, CB_IMPL_FAST, 1, NULL);
        rp_time kf = time_graph(r, gk, CB_IMPL_FAST, 1, NULL);
        char buf[32];
        rp_table *t = &r->vgg;
        rp_cellf(t, "%d", n);
        rp_cellf(t, "%d", 2 * n + 1);
        rp_cell(t, cb_shape_str(in, buf, sizeof buf));
        rp_cell_u64(t, cv.params);
        rp_cell_u64(t, ck.params);
        rp_cell_u64(t, cv.macs);
        rp_cell_u64(t, ck.macs);
        rp_cell_num(t, ms(&vr), 4);
        rp_cell_num(t, ms(&kr), 4);
        rp_cell_num(t, ms(&vf), 4);
        rp_cell_num(t, ms(&kf), 4);
        cb_graph_free(gv);
        cb_graph_free(gk);
    }
    step_end(r);
    return CB_OK;
}

static int type_index(const char *ty) {
    for (int t = 0; t < N_TYPES; t++)
        if (strcmp(ty, TYPES[t]) == 0) return t;
    return -1;
}

static cb_status step_networks(report *r, cb_error *err) {
    int nnets = cb_net_count();
    step_begin(r, "networks: cost of %d, time%s (fast; 1 thread per layer, and %d threads)", nnets,
               r->quick ? " of mobilenet_v1 only" : "", r->threads);
    rp_table_init(&r->nets, "networks",
                  "net,resolution,input,macs,params,weights,buffers,bytes,layers,fast1_ms,fast1_gmacs,fastN_ms,"
                  "fastN_gmacs,fastN_pct_peak");
    rp_table_init(&r->net_types, "network_types", "net,type,macs,macs_pct,time_ms,time_pct");
    rp_table_init(&r->net_stack, "network_stack",
                  "bar,net,measure,total,conv,conv_1x1,conv_dw,conv_grouped,fc,bn,relu,pool,add,concat");
    rp_table_init(&r->net_layers, "network_layers", "net,index,layer,type,output,macs,params,time_ms");
    if (nnets == 0) note_missing(r, "Networks (plots 7 and 8): no networks in this build (net.h is empty).");
    for (int i = 0; i < nnets; i++) {
        const cb_net_info *info = cb_net_at(i);
        cb_graph *g;
        cb_status s = cb_net_build(info->name, 1.0, 0, &g, err);
        if (s != CB_OK) return s;
        cb_cost c = cb_graph_cost(g, NULL);
        bool timed = !r->quick || strcmp(info->name, "mobilenet_v1") == 0;
        rp_time tf = {0}, tn = {0};   /* 1 thread with the per-layer profile; all threads */
        double *layer_s = calloc((size_t)g->n_layers + 1, sizeof *layer_s);
        if (!layer_s) {
            cb_graph_free(g);
            return cb_fail(err, CB_ERR_NOMEM, "out of memory");
        }
        if (timed) {
            cb_error e2;
            if (cb_graph_init_params(g, 1, &e2) != CB_OK) note_missing(r, "%s: %s", info->name, e2.msg);
            else {
                tf = time_graph(r, g, CB_IMPL_FAST, 1, layer_s);
                tn = time_graph(r, g, CB_IMPL_FAST, r->threads, NULL);
            }
            if (tf.ok) r->nets_timed++;
        } else {
            note_missing(r, "--quick: network times other than mobilenet_v1's (run without --quick).");
        }
        char buf[32];
        rp_table *t = &r->nets;
        rp_cell(t, info->name);
        rp_cellf(t, "%d", cb_graph_input_shape(g).h);
        rp_cell(t, cb_shape_str(cb_graph_input_shape(g), buf, sizeof buf));
        rp_cell_u64(t, c.macs);
        rp_cell_u64(t, c.params);
        rp_cell_u64(t, c.weights);
        rp_cell_u64(t, c.buffers);
        rp_cell_u64(t, c.bytes);
        rp_cellf(t, "%d", g->n_layers);
        rp_cell_num(t, ms(&tf), 4);
        rp_cell_num(t, tf.ok ? (double)c.macs / tf.median_s * 1e-9 : 0, 4);
        rp_cell_num(t, ms(&tn), 4);
        rp_cell_num(t, tn.ok ? (double)c.macs / tn.median_s * 1e-9 : 0, 4);
        rp_cell_num(t, pct_peak(r, c, &tn, r->threads), 3);

        /* by layer type, and every layer */
        uint64_t tm[N_TYPES] = {0};
        double tt[N_TYPES] = {0}, tsum = 0;
        for (int l = 0; l < g->n_layers; l++) {
            cb_cost lc = cb_layer_cost(g, l);
            int ty = type_index(cb_layer_type(g, &g->layers[l]));
            if (ty >= 0) {
                tm[ty] += lc.macs;
                tt[ty] += layer_s[l];
            }
            tsum += layer_s[l];
            rp_table *L = &r->net_layers;
            rp_cell(L, info->name);
            rp_cellf(L, "%d", l);
            rp_cell(L, g->layers[l].name);
            rp_cell(L, cb_layer_type(g, &g->layers[l]));
            rp_cell(L, cb_shape_str(g->values[g->layers[l].out], buf, sizeof buf));
            rp_cell_u64(L, lc.macs);
            rp_cell_u64(L, lc.params);
            if (tf.ok) rp_cellf(L, "%.6g", layer_s[l] * 1e3);
            else rp_cell(L, "");
        }
        for (int ty = 0; ty < N_TYPES; ty++) {
            if (!tm[ty] && !(tt[ty] > 0)) {
                /* a type the network does not have at all */
                bool present = false;
                for (int l = 0; l < g->n_layers; l++)
                    if (type_index(cb_layer_type(g, &g->layers[l])) == ty) present = true;
                if (!present) continue;
            }
            rp_table *T = &r->net_types;
            rp_cell(T, info->name);
            rp_cell(T, TYPES[ty]);
            rp_cell_u64(T, tm[ty]);
            rp_cellf(T, "%.3f", c.macs ? 100.0 * (double)tm[ty] / (double)c.macs : 0.0);
            if (tf.ok) {
                rp_cellf(T, "%.6g", tt[ty] * 1e3);
                rp_cellf(T, "%.3f", tsum > 0 ? 100.0 * tt[ty] / tsum : 0.0);
            } else {
                rp_cell(T, "");
                rp_cell(T, "");
            }
        }
        for (int measure = 0; measure < (tf.ok ? 2 : 1); measure++) {
            rp_table *S = &r->net_stack;
            rp_cellf(S, "%s %s", info->name, measure ? "time" : "MACs");
            rp_cell(S, info->name);
            rp_cell(S, measure ? "time" : "MACs");
            if (measure) rp_cellf(S, "%.4g ms", tsum * 1e3);
            else rp_cellf(S, "%.3g GMACs", (double)c.macs * 1e-9);
            for (int ty = 0; ty < N_TYPES; ty++)
                rp_cellf(S, "%.4f", measure ? (tsum > 0 ? 100.0 * tt[ty] / tsum : 0.0)
                                           : 100.0 * (double)tm[ty] / (double)c.macs);
        }
        free(layer_s);
        cb_graph_free(g);
    }
    if (nnets > 0 && r->nets_timed == 0)
        note_missing(r, "Network times (plot 8 shows MAC shares only): no network could be timed.");
    step_end(r);
    return CB_OK;
}

/* Points of the roofline (plot 4) and the thread speed-ups (plot 9). */
static void derived_tables(report *r) {
    /* series: op / block (fast, 1 thread), op_all / block_all (fast, all threads),
     * block_ref (reference loops, 1 thread) */
    rp_table_init(&r->roofline, "roofline", "series,name,intensity,gflops,label");
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < r->ops.nrows && i < N_OPS; i++) {
            const char *g = rp_get(&r->ops, i, rp_col(&r->ops, k ? "fastN_gflops" : "fast1_gflops"));
            if (!*g) continue;
            rp_cell(&r->roofline, k ? "op_all" : "op");
            rp_cell(&r->roofline, rp_get(&r->ops, i, 0));
            rp_cell(&r->roofline, rp_get(&r->ops, i, rp_col(&r->ops, "intensity")));
            rp_cell(&r->roofline, g);
            rp_cell(&r->roofline, OPS[i].label);
        }
    static const char *series[3] = {"block", "block_all", "block_ref"};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < r->nblocks; i++) {
            const rp_time *t = k == 0 ? &r->b_f1[i] : k == 1 ? &r->b_fn[i] : &r->b_ref[i];
            if (!t->ok) continue;
            cb_cost c = cb_graph_cost(r->bg[i], NULL);
            rp_cell(&r->roofline, series[k]);
            rp_cell(&r->roofline, r->bg[i]->name);
            rp_cell_num(&r->roofline, flops_of(c) / (double)c.bytes, 4);
            rp_cell_num(&r->roofline, flops_of(c) / t->median_s * 1e-9, 4);
            rp_cell(&r->roofline, r->bg[i]->name);
        }
    rp_table_init(&r->threads_t, "threads", "block,fast1_ms,fastN_ms,speedup,threads");
    for (int i = 0; i < r->nblocks; i++) {
        if (!r->b_f1[i].ok || !r->b_fn[i].ok) continue;
        rp_cell(&r->threads_t, r->bg[i]->name);
        rp_cell_num(&r->threads_t, ms(&r->b_f1[i]), 4);
        rp_cell_num(&r->threads_t, ms(&r->b_fn[i]), 4);
        rp_cell_num(&r->threads_t, r->b_f1[i].median_s / r->b_fn[i].median_s, 4);
        rp_cellf(&r->threads_t, "%d", r->threads);
    }
}

/* ---- plots ------------------------------------------------------------------- */

typedef struct {
    const char *stem, *title;
    bool available;
    const char *why_not;
} plot_def;

enum { P_BLOCKS, P_SEP, P_MACS_TIME, P_ROOF, P_GROUPED, P_VGG, P_MOBILENET, P_NETS, P_THREADS, N_PLOTS };

/* Any non-empty cell in column `col`? */
static bool has_value(const rp_table *t, const char *col) {
    int c = rp_col(t, col);
    for (int i = 0; i < t->nrows; i++)
        if (*rp_get(t, i, c)) return true;
    return false;
}

/* Any row whose first cell is `first`? */
static bool has_row(const rp_table *t, const char *first) {
    for (int i = 0; i < t->nrows; i++)
        if (strcmp(rp_get(t, i, 0), first) == 0) return true;
    return false;
}

static void plan_plots(report *r, plot_def *p) {
    static const char *stems[N_PLOTS] = {"plot1_blocks",    "plot2_separable", "plot3_macs_vs_time",
                                         "plot4_roofline",  "plot5_grouped",   "plot6_vgg",
                                         "plot7_mobilenet", "plot8_networks",  "plot9_threads"};
    static const char *titles[N_PLOTS] = {
        "1. MACs and parameters of every canonical block at one size",
        "2. Depthwise separable vs standard convolution: MAC and time ratios",
        "3. Multiply-adds are not time: MAC reduction vs measured speed-up",
        "4. Roofline: achieved GFLOP/s against arithmetic intensity",
        "5. From Inception to Xception: inception_grouped as groups go from 1 to m",
        "6. VGG: n stacked 3x3 convs vs one (2n+1)x(2n+1) conv",
        "7. MobileNet v1 trade-offs: width multiplier, resolution, and where the cost is",
        "8. Where each network spends its MACs and its time, by layer type",
        "9. Threads: speed-up of each block from 1 to all cores"};
    for (int i = 0; i < N_PLOTS; i++) {
        p[i].stem = stems[i];
        p[i].title = titles[i];
        p[i].available = true;
        p[i].why_not = NULL;
    }
    if (!r->have_machine) {
        p[P_ROOF].available = false;
        p[P_ROOF].why_not = "the machine's ceilings could not be measured";
    }
    /* gnuplot stops on a panel with no valid point at all (and crashes on empty
     * label sets), so a plot whose measured series are all empty is not drawn */
    if (!has_value(&r->sep, "fast_speedup")) {
        p[P_MACS_TIME].available = false;
        p[P_MACS_TIME].why_not = "no fast-kernel timings of the separable pairs";
    }
    if (!has_row(&r->roofline, "op") || !has_row(&r->roofline, "block")) {
        p[P_ROOF].available = false;
        p[P_ROOF].why_not = "no fast-kernel timings of ops and blocks";
    }
    if (!has_value(&r->grouped, "fast1_ms") && !has_value(&r->grouped, "ref_ms")) {
        p[P_GROUPED].available = false;
        p[P_GROUPED].why_not = "no timings of inception_grouped";
    }
    if (!has_value(&r->vgg, "vgg_fast1_ms") && !has_value(&r->vgg, "vgg_ref_ms")) {
        p[P_VGG].available = false;
        p[P_VGG].why_not = "no timings of the VGG stacks";
    }
    if (r->mbn.nrows == 0) {
        p[P_MOBILENET].available = false;
        p[P_MOBILENET].why_not = "mobilenet_v1 is not in this build";
    }
    if (r->net_stack.nrows == 0) {
        p[P_NETS].available = false;
        p[P_NETS].why_not = "no networks in this build";
    }
    if (r->threads_t.nrows == 0) {
        p[P_THREADS].available = false;
        p[P_THREADS].why_not = "no fast-kernel timings";
    }
    for (int i = 0; i < N_PLOTS; i++)
        if (!p[i].available) note_missing(r, "Plot %s: %s.", p[i].title, p[i].why_not);
}

static cb_status step_plots(report *r, plot_def *p, cb_error *err) {
    int n = 0;
    for (int i = 0; i < N_PLOTS; i++) n += p[i].available;
    step_begin(r, "drawing %d plots with gnuplot (PNG and SVG)", n);
    char logs[4200];
    snprintf(logs, sizeof logs, "%s/logs", r->out);
    cb_status s = rp_mkdirs(logs, err);
    if (s != CB_OK) return s;
    int failed = -1;
    char first_msg[600] = "";
    for (int i = 0; i < N_PLOTS; i++) {
        if (!p[i].available) continue;
        char script[4200];
        snprintf(script, sizeof script, "%s/%s.gp", r->gpdir, p[i].stem);
        static const char *fmts[2] = {"png", "svg"};
        for (int f = 0; f < 2; f++) {
            char msg[512];
            int code = rp_gnuplot(r->gnuplot, script, r->out, p[i].stem, fmts[f], msg, sizeof msg);
            rp_cell(&r->plots, p[i].stem);
            rp_cell(&r->plots, fmts[f]);
            rp_cellf(&r->plots, "%d", code);
            rp_cell(&r->plots, msg);
            if (code != 0 && failed < 0) {
                failed = i;
                snprintf(first_msg, sizeof first_msg, "%s.%s: %s", p[i].stem, fmts[f], msg);
            }
        }
    }
    s = rp_table_write_csv(&r->plots, r->out, err);
    if (s != CB_OK) return s;
    step_end(r);
    if (failed >= 0) return cb_fail(err, CB_ERR_IO, "gnuplot failed on %s", first_msg);
    return CB_OK;
}

/* ---- the page ------------------------------------------------------------------ */

static double col_num(const rp_table *t, int row, const char *col) {
    const char *s = rp_get(t, row, rp_col(t, col));
    return *s ? strtod(s, NULL) : 0.0;
}

static int find_row(const rp_table *t, const char *col, const char *value) {
    int c = rp_col(t, col);
    for (int i = 0; i < t->nrows; i++)
        if (strcmp(rp_get(t, i, c), value) == 0) return i;
    return -1;
}

static int find_row2(const rp_table *t, const char *c1, const char *v1, const char *c2, const char *v2) {
    for (int i = 0; i < t->nrows; i++)
        if (strcmp(rp_get(t, i, rp_col(t, c1)), v1) == 0 && strcmp(rp_get(t, i, rp_col(t, c2)), v2) == 0)
            return i;
    return -1;
}

/* Rows of separable.csv with a measured time ratio in column `ratio_col`;
 * *above receives how many of them lie above the MAC ratio. */
static int sep_above(const report *r, const char *ratio_col, int *above) {
    int n = 0;
    *above = 0;
    for (int i = 0; i < r->sep.nrows; i++) {
        if (!*rp_get(&r->sep, i, rp_col(&r->sep, ratio_col))) continue;
        n++;
        *above += col_num(&r->sep, i, ratio_col) > col_num(&r->sep, i, "mac_ratio");
    }
    return n;
}

/* Captions: what the plot shows, then what to look at, with this run's numbers. */
static void caption(report *r, int which, rp_buf *c) {
    char a[32], b[32];
    switch (which) {
    case P_BLOCKS: {
        int s = find_row(&r->common, "block", "standard"), m = find_row(&r->common, "block", "mobilenet");
        rp_printf(c, "Every canonical block of <code>blocks.py</code> built for one input, %dx%dx%d "
                     "(Inception v3's Mixed_5d), mapping %d channels to %d (the Xception entry and exit "
                     "modules also halve the spatial size: that is their job). Top: multiply-accumulates "
                     "(MACs); bottom: learnable parameters; both on log scales. ",
                  COMMON_C, COMMON_HW, COMMON_HW, COMMON_C, COMMON_C);
        if (s >= 0 && m >= 0)
            rp_printf(c, "Look at the gap between <code>standard</code> (%s MACs) and the MobileNet layer "
                         "(%s MACs, %.1fx fewer): the same input and output, factored into a per-channel "
                         "3x3 and a 1x1. ",
                      rp_human(col_num(&r->common, s, "macs"), a, sizeof a),
                      rp_human(col_num(&r->common, m, "macs"), b, sizeof b),
                      col_num(&r->common, s, "macs") / col_num(&r->common, m, "macs"));
        rp_puts(c, "The 5x5 kernel (<code>conv_kxk</code>) costs 25/18 of the two stacked 3x3s (<code>vgg</code>) "
                   "that see as far. Exact numbers: the table below and <code>blocks_common.csv</code>.");
        break;
    }
    case P_SEP: {
        rp_puts(c, "A standard k x k conv (M=64 input channels on 28x28, then BN, ReLU) against its depthwise "
                   "separable replacement (k x k depthwise, BN, ReLU, 1x1 pointwise, BN, ReLU), as the number "
                   "of output channels N grows. Lines: the MobileNet paper's ratio 1/N + 1/k&sup2;. Filled "
                   "circles: the ratio of MACs of the two graphs as our cost model counts them; they lie "
                   "exactly on the lines (the reference kernels' own MAC counters agree, see "
                   "<code>separable.csv</code>). Triangles: the ratio of measured times with the fast "
                   "kernels, squares: with the reference loops, both on 1 thread (threads are plot 9's "
                   "subject; on a busy machine a 2-thread time is mostly waiting for the other thread). ");
        for (int impl = 0; impl < 2; impl++) {
            int above, n = sep_above(r, impl ? "fast_time_ratio" : "ref_time_ratio", &above);
            if (!n) continue;
            rp_printf(c, "With the %s, the time ratio lies above the MAC ratio at %d of %d points (the "
                         "separable conv saves less time than it saves MACs) and below it at %d. ",
                      impl ? "fast kernels" : "reference loops", above, n, n - above);
        }
        int i = find_row2(&r->sep, "k", "3", "n", "256");
        if (i >= 0 && *rp_get(&r->sep, i, rp_col(&r->sep, "fast_time_ratio"))) {
            double mr = col_num(&r->sep, i, "mac_ratio"), tr = col_num(&r->sep, i, "fast_time_ratio");
            rp_printf(c, "At k=3, N=256 the separable conv needs %.3g of the MACs (%.1fx fewer) and takes "
                         "%.3g of the time with the fast kernels (%.1fx faster). ",
                      mr, 1.0 / mr, tr, 1.0 / tr);
        }
        rp_puts(c, "Why they differ: the depthwise conv does only k&sup2; MACs per output value and has "
                   "little reuse, so it runs far below the FMA peak (plot 4); the 1x1 conv is a matrix product, "
                   "which a good kernel runs faster per MAC than it runs a k x k conv. Which effect wins "
                   "depends on the kernels: the plain reference loops lose more on the depthwise part.");
        break;
    }
    case P_MACS_TIME: {
        rp_puts(c, "Each point is one standard &rarr; separable pair of plot 2 (k = 3, 5, 7; N output "
                   "channels): how many times fewer MACs the separable version needs (x) against how many "
                   "times faster it actually runs (y), with the reference loops and with the fast kernels "
                   "(1 thread). On the dashed diagonal, time would follow MACs exactly. ");
        for (int impl = 0; impl < 2; impl++) {
            int above, n = sep_above(r, impl ? "fast_time_ratio" : "ref_time_ratio", &above);
            if (n)
                rp_printf(c, "%s: %d of %d pairs fall below the diagonal (less speed-up than MAC reduction). ",
                          impl ? "Fast kernels" : "Reference loops", above, n);
        }
        rp_puts(c, "A MAC count is a proxy for time only as good as the assumption that every MAC costs the "
                   "same; the distance from the diagonal is how wrong that assumption is for these kernels "
                   "on this machine.");
        break;
    }
    case P_ROOF:
        rp_printf(c, "Achieved GFLOP/s (2 flop per MAC plus the other elementwise ops) of single ops (circles) "
                     "and whole blocks (squares) with the fast kernels, against arithmetic intensity (flop per "
                     "byte of minimum traffic, cost.h). Filled and labelled: 1 thread, under this machine's "
                     "measured 1-thread ceilings, FMA peak %.1f GFLOP/s and STREAM-triad bandwidth %.1f GB/s "
                     "from DRAM (%.1f GB/s with L3-sized arrays). Hollow: the same on %d threads, whose roof is "
                     "the dotted line (%.1f GFLOP/s, %.1f GB/s). Grey crosses: the blocks with the reference "
                     "loops. Look at where each op sits: depthwise convs, BN, ReLU, pools and FC layers have "
                     "intensities left of the ridge point and are bound by memory (above the DRAM slope only "
                     "when their data stays in cache); dense 3x3 and 1x1 convs are right of it, where the gap "
                     "to the roof is how well the kernel uses the FMA units. A 3x3 stride-1 conv can sit "
                     "above the roof: GFLOP/s here count the textbook's multiply-adds, and the fast kernel "
                     "computes it by Winograd F(2x2, 3x3) with 2.25x fewer (CB_WINOGRAD=0 turns that off).",
                  r->m.fma_gflops_1t, r->m.dram_triad_gbs_1t, r->m.l3_triad_gbs_1t, r->threads,
                  roof(r->m.fma_gflops_all, r->m.fma_gflops_1t),
                  roof(r->m.dram_triad_gbs_all, r->m.dram_triad_gbs_1t));
        break;
    case P_GROUPED: {
        int last = r->grouped.nrows - 1;
        rp_puts(c, "The Xception paper's spectrum (its Fig. 3 and 4): a 1x1 conv (192 &rarr; m=192 channels) "
                   "followed by a 3x3 conv over g channel groups, from g=1 (a regular 3x3: Inception-like) to "
                   "g=m (one 3x3 per channel: a depthwise separable conv, 'extreme Inception'). Left: MACs and "
                   "parameters; right: measured time; log scales. ");
        if (last > 0)
            rp_printf(c, "MACs fall from %s to %s (%.1fx) and parameters likewise, but the 1x1 conv's cost "
                         "does not shrink, so the curves flatten; look at whether time follows them.",
                      rp_human(col_num(&r->grouped, 0, "macs"), a, sizeof a),
                      rp_human(col_num(&r->grouped, last, "macs"), b, sizeof b),
                      col_num(&r->grouped, 0, "macs") / col_num(&r->grouped, last, "macs"));
        break;
    }
    case P_VGG:
        rp_puts(c, "n stacked 3x3 convs (<code>vgg</code>, each with bias and ReLU) against a single "
                   "(2n+1)x(2n+1) conv (<code>conv_kxk</code>) with the same receptive field, 64 &rarr; 64 "
                   "channels on 28x28. Parameters and MACs grow linearly with n for the stack (9n C&sup2;) "
                   "but quadratically for the big kernel ((2n+1)&sup2; C&sup2;): at receptive field 7 the "
                   "stack needs 27/49 of it (the VGG paper's argument), and it adds n non-linearities. "
                   "Right: measured time on 1 thread (fast kernels, and reference loops where timed).");
        break;
    case P_MOBILENET: {
        rp_puts(c, "Left: MobileNet v1's two knobs, as in the paper's Tables 6 and 7. The width multiplier "
                   "&alpha; (1, 0.75, 0.5, 0.25 at 224x224) cuts MACs and weights roughly by &alpha;&sup2;; the "
                   "resolution (224, 192, 160, 128 at &alpha;=1) cuts MACs by (r/224)&sup2; and leaves the "
                   "weights unchanged. Weights are conv and FC weights, the paper's 'parameters'. Right: the "
                   "paper's Table 2 for &alpha;=1, 224: each layer type's share of MACs and of weights. ");
        int i = find_row(&r->mbn_types, "type", "conv 1x1");
        if (i >= 0)
            rp_printf(c, "Look at the 1x1 convs: %.2f%% of the MACs (paper: 94.86%%) and the fully connected "
                         "layer's share of the weights.",
                      col_num(&r->mbn_types, i, "macs_pct"));
        break;
    }
    case P_NETS:
        rp_printf(c, "For each network (default resolution), two stacked bars: the share of its MACs by layer "
                     "type, as the cost model counts them, and the share of its measured forward-pass time "
                     "(fast kernels, 1 thread, per-layer profile; the all-thread totals are in the networks "
                     "table). Totals are printed above the bars. The "
                     "fast kernels fold batch-norm into the conv before it and fuse ReLU, so those layers "
                     "show no time of their own: their cost is inside the conv's bar. Look for layer types "
                     "whose share of time exceeds their share of MACs, such as the depthwise convs of "
                     "MobileNet and Xception and the pooling layers of Inception and VGG.%s",
                  r->quick ? " (--quick: only mobilenet_v1 is timed.)" : "");
        break;
    case P_THREADS:
        rp_printf(c, "Fast kernels on %d threads against 1 thread, for each canonical block at its default "
                     "shape (median of repeated runs). The dashed line is the ideal speed-up of %d. Blocks "
                     "made of small or memory-bound layers gain less: a thread team has a start-up cost and "
                     "the cores share one memory bus. On a shared VM these numbers move from run to run.",
                  r->threads, r->threads);
        break;
    }
}

/* 32768 -> "32 KiB", 33554432 -> "32 MiB"; "unknown" for 0. */
static const char *kib(uint64_t bytes, char *buf, size_t n) {
    if (!bytes) snprintf(buf, n, "unknown");
    else if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) snprintf(buf, n, "%llu MiB", (unsigned long long)(bytes >> 20));
    else if (bytes >= (1u << 20)) snprintf(buf, n, "%.1f MiB", (double)bytes / (1u << 20));
    else snprintf(buf, n, "%llu KiB", (unsigned long long)(bytes >> 10));
    return buf;
}

/* A few sentences with this run's numbers: the story the plots tell. */
static void summary(report *r, rp_buf *h) {
    char a[32], b[32], c[32], d[32];
    rp_puts(h, "<h2>In short</h2>\n<ul>\n");
    int s = find_row(&r->common, "block", "standard"), m = find_row(&r->common, "block", "mobilenet");
    if (s >= 0 && m >= 0)
        rp_printf(h, "<li>For the same %dx%dx%d &rarr; %d-channel job, a standard 3x3 conv does %s MACs with %s "
                     "parameters; the MobileNet layer (depthwise 3x3 + pointwise 1x1) does %s MACs with %s "
                     "parameters: %.1fx fewer (plot 1).</li>\n",
                  COMMON_C, COMMON_HW, COMMON_HW, COMMON_C, rp_human(col_num(&r->common, s, "macs"), a, sizeof a),
                  rp_human(col_num(&r->common, s, "params"), b, sizeof b),
                  rp_human(col_num(&r->common, m, "macs"), c, sizeof c),
                  rp_human(col_num(&r->common, m, "params"), d, sizeof d),
                  col_num(&r->common, s, "macs") / col_num(&r->common, m, "macs"));
    int i = find_row2(&r->sep, "k", "3", "n", "256");
    if (i >= 0) {
        rp_printf(h, "<li>Separable over standard MACs is exactly 1/N + 1/k&sup2; (%.4f at k=3, N=256)",
                  col_num(&r->sep, i, "mac_ratio"));
        if (*rp_get(&r->sep, i, rp_col(&r->sep, "fast_speedup")))
            rp_printf(h, "; the measured speed-up there is %.1fx with the fast kernels against %.1fx fewer MACs",
                      col_num(&r->sep, i, "fast_speedup"), col_num(&r->sep, i, "mac_reduction"));
        rp_puts(h, " (plots 2 and 3).</li>\n");
    }
    int v = find_row(&r->vgg, "rf", "7");
    if (v >= 0)
        rp_printf(h, "<li>Two stacked 3x3 convs see as far as one 5x5 and three as far as one 7x7: at receptive "
                     "field 7 the stack has %.0f%% of the 7x7's parameters (plot 6).</li>\n",
                  100.0 * col_num(&r->vgg, v, "vgg_params") / col_num(&r->vgg, v, "kxk_params"));
    int t = find_row(&r->mbn_types, "type", "conv 1x1");
    if (t >= 0)
        rp_printf(h, "<li>In MobileNet v1, %.1f%% of the MACs are in the 1x1 convs, and the depthwise convs do "
                     "only %.1f%% (plot 7): once the 3x3 is depthwise, the 1x1 is the cost.</li>\n",
                  col_num(&r->mbn_types, t, "macs_pct"),
                  col_num(&r->mbn_types, find_row(&r->mbn_types, "type", "conv dw"), "macs_pct"));
    /* the best and worst block against the peak (fast, 1 thread: the steadiest figure) */
    int best = -1, worst = -1;
    for (int k = 0; k < r->blocks.nrows; k++) {
        if (!*rp_get(&r->blocks, k, rp_col(&r->blocks, "fast1_pct_peak"))) continue;
        double pk = col_num(&r->blocks, k, "fast1_pct_peak");
        if (best < 0 || pk > col_num(&r->blocks, best, "fast1_pct_peak")) best = k;
        if (worst < 0 || pk < col_num(&r->blocks, worst, "fast1_pct_peak")) worst = k;
    }
    if (best >= 0 && worst != best)
        rp_printf(h, "<li>With the fast kernels on 1 thread, <code>%s</code> runs at %.0f%% of the measured FMA "
                     "peak and <code>%s</code> at %.0f%%: a MAC costs a different time in each block (plot 4, "
                     "tables).</li>\n",
                  rp_get(&r->blocks, best, 0), col_num(&r->blocks, best, "fast1_pct_peak"),
                  rp_get(&r->blocks, worst, 0), col_num(&r->blocks, worst, "fast1_pct_peak"));
    rp_puts(h, "</ul>\n");
}

static void machine_section(report *r, rp_buf *h) {
    rp_puts(h, "<h2 id=\"machine\">The machine</h2>\n<table>\n");
    rp_puts(h, "<tr><th>CPU</th><td>");
    rp_put_html(h, *r->m.cpu_model ? r->m.cpu_model : "unknown");
    rp_printf(h, "</td></tr>\n<tr><th>Logical CPUs / threads used for \"all\"</th><td>%d / %d</td></tr>\n",
              r->m.logical_cpus, r->threads);
    char c1[24], c2[24], c3[24];
    rp_printf(h, "<tr><th>Caches (per instance)</th><td>L1d %s, L2 %s, L3 %s</td></tr>\n",
              kib(r->m.l1d_bytes, c1, sizeof c1), kib(r->m.l2_bytes, c2, sizeof c2), kib(r->m.l3_bytes, c3, sizeof c3));
    if (r->have_machine) {
        rp_printf(h, "<tr><th>Measured FMA peak (fp32)</th><td>%.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d</td></tr>\n",
                  r->m.fma_gflops_1t, r->m.fma_gflops_all, r->threads);
        rp_printf(h, "<tr><th>Measured bandwidth (STREAM triad)</th><td>DRAM %.1f GB/s on 1 thread, %.1f GB/s on %d; "
                     "L3-sized arrays %.1f / %.1f GB/s</td></tr>\n",
                  r->m.dram_triad_gbs_1t, r->m.dram_triad_gbs_all, r->threads, r->m.l3_triad_gbs_1t,
                  r->m.l3_triad_gbs_all);
        if (r->m.fma_gflops_all < r->m.fma_gflops_1t || r->m.dram_triad_gbs_all < r->m.dram_triad_gbs_1t)
            rp_puts(h, "<tr><th>Note</th><td>An all-thread ceiling came out below the 1-thread one: other "
                       "processes held the cores during the probe. The roofline and % of peak use the larger "
                       "of the two.</td></tr>\n");
    } else {
        rp_puts(h, "<tr><th>Ceilings</th><td>not measured</td></tr>\n");
    }
    rp_printf(h, "<tr><th>Load average (1 min)</th><td>%.2f before measuring, %.2f after%s</td></tr>\n",
              r->load_start, r->load_end,
              r->load_start > r->m.logical_cpus - 0.5 || r->load_end > r->m.logical_cpus + 0.5
                  ? ": <b>the machine was busy with other work; times, and above all the thread speed-ups, "
                    "are inflated and noisy</b>"
                  : "");
    rp_printf(h, "<tr><th>Fast kernels</th><td>%s (AVX2+FMA on this CPU: %s)</td></tr>\n", cb_fast_isa(),
              r->m.avx2_fma ? "yes" : "no");
    const char *warn = cb_machine_frequency_warning(&r->m);
    rp_puts(h, "<tr><th>Clock</th><td>");
    rp_put_html(h, warn ? warn : "frequency pinned (governor 'performance')");
    rp_puts(h, "</td></tr>\n");
#if defined(__OPTIMIZE__) && defined(NDEBUG)
    const char *build = "optimised, NDEBUG (Release)";
#elif defined(__OPTIMIZE__)
    const char *build = "optimised, assertions on";
#else
    const char *build = "not optimised (Debug): times are not representative";
#endif
#if defined(__SANITIZE_ADDRESS__)
    const char *san = ", AddressSanitizer on: times are not representative";
#else
    const char *san = "";
#endif
    rp_printf(h, "<tr><th>Build</th><td>%s%s; compiler %s</td></tr>\n", build, san,
#ifdef __VERSION__
              __VERSION__
#else
              "unknown"
#endif
    );
    rp_printf(h, "<tr><th>Date</th><td>%s</td></tr>\n", r->date);
    rp_puts(h, "<tr><th>Source</th><td>");
    rp_put_html(h, *r->source ? r->source : "unknown (not a git checkout)");
    rp_puts(h, "</td></tr>\n");
    rp_printf(h, "<tr><th>Mode</th><td>%s; at most %d timed runs per measurement after a warm-up, %.1f s "
                 "budget each; the median is reported</td></tr>\n</table>\n",
              r->quick ? "--quick (a subset)" : "full", r->tm.repeat, r->tm.budget_s);
}

static cb_status write_page(report *r, const plot_def *p, cb_error *err) {
    rp_buf h = {0};
    rp_html_begin(&h, "convblocks: what each CNN block costs");
    rp_printf(&h, "<h1>What each CNN building block costs</h1>\n<p>Multiply-adds, parameters, bytes and "
                  "measured time of the canonical convolution blocks (standard, VGG, Inception, Xception, "
                  "MobileNet) and of whole networks, computed by <b>convblocks</b> on this machine on %s%s. "
                  "MACs count the multiply-accumulates of convs and FC layers; parameters are the learnable "
                  "ones (weights, biases, BN &gamma;/&beta;); bytes are the minimum float32 traffic (read "
                  "inputs and parameters once, write the output once). Times are medians of repeated runs, "
                  "batch 1.</p>\n",
              r->date, r->quick ? " in <b>--quick</b> mode (a subset, fewer repeats)" : "");
    rp_puts(&h, "<nav>");
    for (int i = 0; i < N_PLOTS; i++)
        if (p[i].available) rp_printf(&h, "<a href=\"#%s\">Plot %d</a>", p[i].stem, i + 1);
    rp_puts(&h, "<a href=\"#tables\">Tables</a><a href=\"#machine\">Machine</a><a href=\"#reproduce\">Reproduce</a>"
                "<a href=\"#missing\">Not measured</a></nav>\n");

    if (r->load_start > r->m.logical_cpus - 0.5)
        rp_printf(&h, "<p class=\"missing\"><b>Warning:</b> the machine was busy when this ran (load average "
                      "%.2f on %d CPUs), so measured times are slower and noisier than the machine can do; "
                      "costs (MACs, parameters, bytes) are exact regardless.</p>\n",
                  r->load_start, r->m.logical_cpus);
    if (r->missing.nrows) {
        rp_puts(&h, "<p class=\"note\">Some things could not be measured in this run; they are listed "
                    "<a href=\"#missing\">at the end</a> and left empty in the data.</p>\n");
    }
    summary(r, &h);
    rp_puts(&h, "<h2>Plots</h2>\n");
    for (int i = 0; i < N_PLOTS; i++) {
        if (!p[i].available) {
            rp_printf(&h, "<h3>%s</h3>\n<p class=\"note\">Not drawn: %s.</p>\n", p[i].title, p[i].why_not);
            continue;
        }
        rp_buf c = {0};
        caption(r, i, &c);
        cb_status s = rp_html_figure(&h, r->out, p[i].stem, p[i].title, c.p ? c.p : "", err);
        rp_buf_free(&c);
        if (s != CB_OK) {
            rp_buf_free(&h);
            return s;
        }
    }

    rp_puts(&h, "<h2 id=\"tables\">Tables</h2>\n");
    {
        rp_hcol cols[] = {{"block", "block", RP_TEXT},    {"input", "input", RP_TEXT},
                          {"output", "output", RP_TEXT},  {"macs", "MACs", RP_INT},
                          {"params", "params", RP_INT},   {"bytes", "bytes", RP_INT},
                          {"intensity", "flop/byte", RP_NUM}, {"ref_counted_macs", "MACs counted by ref kernels", RP_INT},
                          {"ref_ms", "ref ms (1 thread)", RP_MS}, {"fast1_ms", "fast ms (1 thread)", RP_MS},
                          {"fastN_ms", "fast ms (all threads)", RP_MS}, {"fastN_gmacs", "GMAC/s (fast, all)", RP_NUM},
                          {"fastN_pct_peak", "% of FMA peak (fast, all)", RP_NUM},
                          {"thread_speedup", "thread speed-up", RP_NUM}};
        rp_puts(&h, "<h3>Canonical blocks at their default shapes (blocks.py)</h3>\n");
        rp_html_table(&h, &r->blocks, cols, (int)(sizeof cols / sizeof cols[0]),
                      "Medians of repeated runs. % of peak = 2 x MACs / time / measured FMA peak on the same number "
                      "of threads. File: blocks.csv.");
    }
    {
        rp_hcol cols[] = {{"block", "block", RP_TEXT},  {"args", "arguments", RP_TEXT},
                          {"input", "input", RP_TEXT},  {"output", "output", RP_TEXT},
                          {"macs", "MACs", RP_INT},     {"params", "params", RP_INT},
                          {"weights", "weights", RP_INT}, {"bytes", "bytes", RP_INT},
                          {"intensity", "flop/byte", RP_NUM}};
        rp_puts(&h, "<h3>Every block at one size (plot 1)</h3>\n");
        rp_html_table(&h, &r->common, cols, (int)(sizeof cols / sizeof cols[0]), "File: blocks_common.csv.");
    }
    {
        rp_hcol cols[] = {{"op", "op", RP_TEXT},          {"input", "input", RP_TEXT},
                          {"output", "output", RP_TEXT},  {"macs", "MACs", RP_INT},
                          {"other_ops", "other ops", RP_INT}, {"bytes", "bytes", RP_INT},
                          {"intensity", "flop/byte", RP_NUM}, {"ref_ms", "ref ms", RP_MS},
                          {"fast1_ms", "fast ms (1 thread)", RP_MS}, {"fastN_ms", "fast ms (all)", RP_MS},
                          {"fastN_gflops", "GFLOP/s (fast, all)", RP_NUM},
                          {"fastN_pct_peak", "% of peak", RP_NUM}};
        rp_puts(&h, "<h3>Single ops (plot 4)</h3>\n");
        rp_html_table(&h, &r->ops, cols, (int)(sizeof cols / sizeof cols[0]),
                      "flop = 2 x MACs + other ops. File: ops.csv.");
    }
    {
        rp_hcol cols[] = {{"k", "k", RP_NUM},        {"n", "N", RP_NUM},
                          {"std_macs", "standard MACs", RP_INT}, {"sep_macs", "separable MACs", RP_INT},
                          {"mac_ratio", "MAC ratio", RP_NUM},    {"theory", "1/N + 1/k&sup2;", RP_NUM},
                          {"std_ref_ms", "standard ref ms", RP_MS}, {"sep_ref_ms", "separable ref ms", RP_MS},
                          {"std_fast1_ms", "standard fast ms", RP_MS}, {"sep_fast1_ms", "separable fast ms", RP_MS},
                          {"fast_time_ratio", "time ratio (fast)", RP_NUM}};
        rp_puts(&h, "<h3>Separable vs standard (plots 2 and 3)</h3>\n");
        rp_html_table(&h, &r->sep, cols, (int)(sizeof cols / sizeof cols[0]),
                      "M = 64 input channels, 28x28; ref and fast kernels on 1 thread. File: separable.csv.");
    }
    {
        rp_hcol cols[] = {{"groups", "groups", RP_NUM}, {"macs", "MACs", RP_INT},
                          {"params", "params", RP_INT}, {"ref_ms", "ref ms", RP_MS},
                          {"fast1_ms", "fast ms (1 thread)", RP_MS}};
        rp_puts(&h, "<h3>inception_grouped, 192 &rarr; 192 channels on 35x35 (plot 5)</h3>\n");
        rp_html_table(&h, &r->grouped, cols, 5, "File: inception_grouped.csv.");
    }
    {
        rp_hcol cols[] = {{"rf", "receptive field", RP_NUM}, {"vgg_params", "n x 3x3 params", RP_INT},
                          {"kxk_params", "one kxk params", RP_INT},   {"vgg_macs", "n x 3x3 MACs", RP_INT},
                          {"kxk_macs", "one kxk MACs", RP_INT},       {"vgg_fast1_ms", "n x 3x3 fast ms (1 thread)", RP_MS},
                          {"kxk_fast1_ms", "one kxk fast ms (1 thread)", RP_MS}};
        rp_puts(&h, "<h3>VGG stacks vs one big kernel, 64 channels on 28x28 (plot 6)</h3>\n");
        rp_html_table(&h, &r->vgg, cols, 7, "File: vgg_receptive_field.csv.");
    }
    if (r->nets.nrows) {
        rp_hcol cols[] = {{"net", "network", RP_TEXT},     {"input", "input", RP_TEXT},
                          {"macs", "MACs", RP_INT},        {"params", "params", RP_INT},
                          {"weights", "weights", RP_INT},  {"bytes", "bytes", RP_INT},
                          {"fast1_ms", "fast ms (1 thread)", RP_MS}, {"fastN_ms", "fast ms (all threads)", RP_MS},
                          {"fastN_gmacs", "GMAC/s (all)", RP_NUM}, {"fastN_pct_peak", "% of FMA peak (all)", RP_NUM}};
        rp_puts(&h, "<h3>Networks (plots 7 and 8)</h3>\n");
        rp_html_table(&h, &r->nets, cols, 10,
                      "Per-layer costs and times: network_layers.csv; by layer type: network_types.csv.");
    }
    if (r->mbn.nrows) {
        rp_hcol cols[] = {{"series", "knob", RP_TEXT},  {"alpha", "&alpha;", RP_NUM},
                          {"resolution", "resolution", RP_NUM}, {"macs", "MACs", RP_INT},
                          {"weights", "weights (paper's parameters)", RP_INT}, {"params", "params", RP_INT}};
        rp_puts(&h, "<h3>MobileNet v1: width multiplier and resolution (paper Tables 6 and 7)</h3>\n");
        rp_html_table(&h, &r->mbn, cols, 6, "File: mobilenet_tradeoffs.csv.");
        rp_hcol cols2[] = {{"type", "layer type", RP_TEXT}, {"macs", "MACs", RP_INT},
                           {"macs_pct", "% of MACs", RP_NUM}, {"weights", "weights", RP_INT},
                           {"weights_pct", "% of weights", RP_NUM}};
        rp_puts(&h, "<h3>MobileNet v1 by layer type (paper Table 2)</h3>\n");
        rp_html_table(&h, &r->mbn_types, cols2, 5,
                      "Paper: conv 1x1 94.86% / 74.59%, dw 3.06% / 1.06%, conv 1.19% / 0.02%, fc 0.18% / 24.33% (its 1.19% "
                      "is 1.91% with the digits transposed: the printed column sums to 99.29%). "
                      "File: mobilenet_types.csv.");
    }
    if (r->paper.nrows) {
        rp_hcol cols[] = {{"source", "source", RP_TEXT}, {"net", "network", RP_TEXT},
                          {"quantity", "quantity", RP_TEXT}, {"printed", "published", RP_TEXT},
                          {"unit", "unit", RP_TEXT},         {"ours", "ours", RP_NUM},
                          {"verdict", "verdict", RP_TEXT}};
        rp_puts(&h, "<h3>Published figures beside ours</h3>\n");
        rp_html_table(&h, &r->paper, cols, 7,
                      "Every cost figure the papers and reference implementations print, recomputed by our cost "
                      "model (paper.h). File: paper_figures.csv.");
    }

    machine_section(r, &h);

    rp_puts(&h, "<h2 id=\"reproduce\">Reproduce</h2>\n<p>From the repository root, on a machine with the "
                "build dependencies (<code>scripts/install-deps</code>):</p>\n<pre>");
    rp_printf(&h, "make report%s          # = cmake build, then: build/convblocks report --out reports/out%s\n",
              r->quick ? "-quick" : "", r->quick ? " --quick" : "");
    rp_puts(&h, "# this page was made by:\n");
    rp_put_html(&h, r->cmdline);
    rp_puts(&h, "\n# redraw one plot from the data beside this page, e.g.:\n");
    {
        char cmd[9000];
        snprintf(cmd, sizeof cmd,
                 "gnuplot -e \"datadir='%s'; outfile='%s/plot2_separable.png'; fmt='png'; scriptdir='%s'\" "
                 "%s/plot2_separable.gp",
                 r->out, r->out, r->gpdir, r->gpdir);
        rp_put_html(&h, cmd);
    }
    rp_puts(&h, "\n# one block, by hand:\nbuild/convblocks cost mobilenet --format json\n"
                "build/convblocks run mobilenet --impl fast --threads 1 --repeat 7\n</pre>\n");
    rp_puts(&h, "<p>Data beside this page: <code>report.json</code> (everything) and one CSV per table "
                "(<code>blocks.csv</code>, <code>blocks_common.csv</code>, <code>ops.csv</code>, "
                "<code>separable.csv</code>, <code>inception_grouped.csv</code>, "
                "<code>vgg_receptive_field.csv</code>, <code>mobilenet_tradeoffs.csv</code>, "
                "<code>mobilenet_types.csv</code>, <code>networks.csv</code>, <code>network_types.csv</code>, "
                "<code>network_layers.csv</code>, <code>roofline.csv</code>, <code>threads.csv</code>, "
                "<code>machine.csv</code>, <code>paper_figures.csv</code>, <code>gnuplot_status.csv</code>).</p>\n");

    rp_puts(&h, "<h2 id=\"missing\">Not measured in this run</h2>\n");
    if (r->missing.nrows) {
        rp_puts(&h, "<ul class=\"missing\">\n");
        for (int i = 0; i < r->missing.nrows; i++) {
            rp_puts(&h, "<li>");
            rp_put_html(&h, rp_get(&r->missing, i, 0));
            rp_puts(&h, "</li>\n");
        }
        rp_puts(&h, "</ul>\n");
    } else {
        rp_puts(&h, "<p>Everything was measured.</p>\n");
    }
    rp_html_end(&h);
    char path[4200];
    snprintf(path, sizeof path, "%s/index.html", r->out);
    cb_status s = rp_buf_write(&h, path, err);
    rp_buf_free(&h);
    return s;
}

static rp_table *all_tables(report *r, int i) {
    rp_table *t[] = {&r->ceilings,  &r->common,    &r->blocks,     &r->ops,      &r->sep,
                     &r->grouped,   &r->vgg,       &r->mbn,        &r->mbn_types, &r->nets,
                     &r->net_types, &r->net_stack, &r->net_layers, &r->roofline, &r->threads_t,
                     &r->paper,     &r->missing,   &r->plots};
    return i < (int)(sizeof t / sizeof t[0]) ? t[i] : NULL;
}

/* Every table as CSV (what the gnuplot scripts read), before plotting. */
static cb_status write_csvs(report *r, cb_error *err) {
    for (int i = 0; all_tables(r, i); i++) {
        rp_table *t = all_tables(r, i);
        if (t == &r->plots) continue;   /* written by step_plots */
        cb_status s = rp_table_write_csv(t, r->out, err);
        if (s != CB_OK) return s;
    }
    return CB_OK;
}

/* report.json: every table, what was not measured and gnuplot's status, after plotting. */
static cb_status write_json(report *r, cb_error *err) {
    rp_buf j = {0};
    rp_printf(&j, "{\n  \"generator\": \"convblocks report\",\n  \"date\": \"%s\",\n  \"quick\": %s,\n"
                  "  \"threads_all\": %d,\n  \"repeat\": %d,\n  \"budget_s\": %g,\n  \"ref_max_macs\": %llu,\n"
                  "  \"source\": \"%s\",\n",
              r->date, r->quick ? "true" : "false", r->threads, r->tm.repeat, r->tm.budget_s,
              (unsigned long long)r->tm.ref_max_macs, r->source);
    for (int i = 0; all_tables(r, i); i++) {
        rp_table *t = all_tables(r, i);
        rp_printf(&j, "%s  \"%s\": ", i ? ",\n" : "", t->name);
        rp_table_json(t, &j);
    }
    rp_puts(&j, "\n}\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/report.json", r->out);
    cb_status s = rp_buf_write(&j, path, err);
    rp_buf_free(&j);
    return s;
}

/* The gnuplot scripts: $CB_REPORTS_DIR, else the source tree's reports/. */
static bool find_scripts(report *r) {
    const char *env = getenv("CB_REPORTS_DIR");
    const char *cands[3] = {env, CB_REPORTS_DIR, "reports"};
    for (int i = 0; i < 3; i++) {
        if (!cands[i] || !*cands[i]) continue;
        char p[4200];
        snprintf(p, sizeof p, "%s/plot1_blocks.gp", cands[i]);
        if (access(p, R_OK) == 0) {
            snprintf(r->gpdir, sizeof r->gpdir, "%s", cands[i]);
            return true;
        }
    }
    return false;
}

/* The source tree's commit, so a page can be traced to the code that made it
 * (empty when git or the checkout is missing). */
static void source_version(report *r) {
    char cmd[4400];
    if (strchr(r->gpdir, '\'')) return;
    snprintf(cmd, sizeof cmd, "git -C '%s/..' describe --always --dirty 2>/dev/null", r->gpdir);
    FILE *f = popen(cmd, "r");
    if (!f) return;
    if (fgets(r->source, sizeof r->source, f)) r->source[strcspn(r->source, "\n")] = '\0';
    else r->source[0] = '\0';
    pclose(f);
}

/* gnuplot must exist and have the two terminals we draw with. */
static bool gnuplot_terminals_ok(const char *gnuplot) {
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "'%s' -e \"set terminal pngcairo; set terminal svg\" >/dev/null 2>&1", gnuplot);
    return strchr(gnuplot, '\'') == NULL && system(cmd) == 0;
}

int cmd_report(int argc, char **argv) {
    report *r = calloc(1, sizeof *r);
    if (!r) return cli_fail("report", CB_ERR_NOMEM, "out of memory");
    r->out = "reports/out";
    long repeat = 0;
    cli_args a;
    cli_args_init(&a, argc, argv);
    int rc = 0;
    while (cli_next(&a)) {
        const char *v;
        if (cli_is(&a, "--help")) {
            fputs(HELP, stdout);
            free(r);
            return 0;
        }
        if (cli_is(&a, "--quick")) {
            r->quick = true;
            continue;
        }
        if (!a.name) {
            rc = cli_fail("report", CB_ERR_ARG, "unexpected argument '%s' (see --help)", a.argv[a.i]);
            break;
        }
        if (!(v = cli_value(&a))) {
            rc = cli_fail("report", CB_ERR_ARG, "%s needs a value", a.name);
            break;
        }
        if (cli_is(&a, "--out")) {
            if (!*v) {
                rc = cli_fail("report", CB_ERR_ARG, "--out needs a directory");
                break;
            }
            r->out = v;
        } else if (cli_is(&a, "--repeat")) {
            if (cli_parse_int(v, 1, 1000, &repeat)) {
                rc = cli_fail("report", CB_ERR_ARG, "--repeat '%s': 1 to 1000", v);
                break;
            }
        } else {
            rc = cli_fail("report", CB_ERR_ARG, "unknown option '%s' (see --help)", a.name);
            break;
        }
    }
    if (rc) {
        free(r);
        return rc;
    }
    r->tm.repeat = repeat ? (int)repeat : r->quick ? 5 : 9;
    r->tm.budget_s = r->quick ? 0.3 : 1.0;
    r->tm.ref_max_macs = r->quick ? 30000000ull : 250000000ull;

    /* Before measuring anything: can we draw, and where do we write? */
    if (!rp_find_gnuplot(r->gnuplot, sizeof r->gnuplot)) {
        free(r);
        return cli_fail("report", CB_ERR_IO,
                        "gnuplot not found on PATH: the report draws its plots with it (apt-get install gnuplot-nox)");
    }
    if (!gnuplot_terminals_ok(r->gnuplot)) {
        rc = cli_fail("report", CB_ERR_IO, "%s lacks the pngcairo or svg terminal (apt-get install gnuplot-nox)",
                      r->gnuplot);
        free(r);
        return rc;
    }
    if (!find_scripts(r)) {
        free(r);
        return cli_fail("report", CB_ERR_IO,
                        "cannot find the gnuplot scripts (plot1_blocks.gp) in $CB_REPORTS_DIR, %s or ./reports",
                        CB_REPORTS_DIR);
    }
    source_version(r);
    cb_error err;
    cb_status s = rp_mkdirs(r->out, &err);
    if (s != CB_OK) {
        free(r);
        return cli_fail("report", s, "%s", err.msg);
    }
    char exe[900];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) exe[n] = '\0';
    else snprintf(exe, sizeof exe, "convblocks");
    snprintf(r->cmdline, sizeof r->cmdline, "%s report", exe);
    for (int i = 1; i < argc; i++)
        snprintf(r->cmdline + strlen(r->cmdline), sizeof r->cmdline - strlen(r->cmdline), " %s", argv[i]);
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(r->date, sizeof r->date, "%Y-%m-%d %H:%M UTC", &utc);
    r->t_start = rp_now();
    rp_table_init(&r->missing, "not_measured", "what");
    rp_table_init(&r->plots, "gnuplot_status", "plot,format,exit_status,message");

    plot_def plots[N_PLOTS];
    step_machine(r);
    s = step_costs(r, &err);
    if (s == CB_OK) s = step_ops(r, &err);
    if (s == CB_OK) {
        step_blocks(r, CB_IMPL_REF, 1, r->b_ref);
        step_blocks(r, CB_IMPL_FAST, 1, r->b_f1);
        step_blocks(r, CB_IMPL_FAST, r->threads, r->b_fn);
        fill_blocks_table(r);
        s = step_separable(r, &err);
    }
    if (s == CB_OK) s = step_grouped_vgg(r, &err);
    if (s == CB_OK) s = step_networks(r, &err);
    r->load_end = load_average();
    if (s == CB_OK) {
        derived_tables(r);
        plan_plots(r, plots);
        s = write_csvs(r, &err);
    }
    if (s == CB_OK) s = step_plots(r, plots, &err);
    if (s == CB_OK) {
        step_begin(r, "writing report.json and the page");
        s = write_json(r, &err);
        if (s == CB_OK) s = write_page(r, plots, &err);
        if (s == CB_OK) step_end(r);
    }

    for (int i = 0; all_tables(r, i); i++) rp_table_free(all_tables(r, i));
    for (int i = 0; i < r->nblocks; i++) cb_graph_free(r->bg[i]);

    if (s != CB_OK) {
        fputc('\n', stderr);
        rc = cli_fail("report", s, "%s", err.msg);
    } else {
        fprintf(stderr, "done in %.1f s\n", rp_now() - r->t_start);
        printf("%s/index.html\n", r->out);
    }
    free(r);
    return rc;
}
