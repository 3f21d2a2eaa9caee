/* convblocks cost — the exact cost of a block or network, layer by layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "convblocks/cost.h"
#include "convblocks/paper.h"

static const char HELP[] =
    "usage: convblocks cost TARGET [--shape C,H,W] [--set K=V]... [--alpha A] [--resolution R]\n"
    "                       [--format table|csv|json] [--group-by type]\n"
    "       convblocks cost --paper NET|all\n"
    "Exact multiply-adds (MACs), parameters and bytes of every layer of a block or network.\n"
    "  MACs      multiply-accumulates of convs and FC layers (BN, ReLU, pooling, adds are other_ops)\n"
    "  params    learnable parameters (weights, biases, BN gamma/beta); weights = conv/FC weights only;\n"
    "            buffers = BN running mean/variance\n"
    "  bytes     minimum float32 traffic: inputs and parameters read once, output written once\n"
    "  --group-by type  sum the layers by type (conv 1x1, conv dw, conv, fc, ...): the MobileNet paper's Table 2\n"
    "  --paper NET|all  every published figure about NET (MobileNet, Xception, VGG, Inception papers and\n"
    "                   reference implementations) beside ours, with the source and a verdict\n"
    "Limits: at most 16 --set options, integer values 1 to 65536; tensors up to 4 GiB;\n"
    "kernels up to 31; --resolution up to 8192.\n"
    "Example: convblocks cost mobilenet --set cout=256 --format json\n";

static double pct(uint64_t part, uint64_t whole) { return whole ? 100.0 * (double)part / (double)whole : 0.0; }

/* The MobileNet paper's section 3.2 formulas, shown beside our count for the
 * two blocks they describe (stride 1, square input). */
static void print_formula(const cb_graph *g, cb_cost total) {
    cb_shape in = cb_graph_input_shape(g), out = cb_graph_output_shape(g);
    if (in.h != in.w || out.h != in.h) return;
    uint64_t M = (uint64_t)in.c, N = (uint64_t)out.c, DF = (uint64_t)in.h, f;
    char a[32];
    if (strcmp(g->name, "standard") == 0) {
        f = cb_formula_standard_macs(3, M, N, DF);
        printf("MobileNet paper 3.2, standard conv: DK*DK*M*N*DF*DF = 3*3*%llu*%llu*%llu*%llu = %s MACs, "
               "DK*DK*M*N = %llu weights (%s)\n",
               (unsigned long long)M, (unsigned long long)N, (unsigned long long)DF, (unsigned long long)DF,
               cb_format_count(f, a, sizeof a), (unsigned long long)(9 * M * N),
               f == total.macs ? "equals our count" : "DIFFERS from our count");
    } else if (strcmp(g->name, "mobilenet") == 0) {
        f = cb_formula_separable_macs(3, M, N, DF);
        uint64_t std = cb_formula_standard_macs(3, M, N, DF);
        printf("MobileNet paper 3.2, depthwise separable: DK*DK*M*DF*DF + M*N*DF*DF = %s MACs, "
               "DK*DK*M + M*N = %llu weights (%s)\n",
               cb_format_count(f, a, sizeof a), (unsigned long long)(9 * M + M * N),
               f == total.macs ? "equals our count" : "DIFFERS from our count");
        printf("versus a standard 3x3 conv: %.4f = 1/N + 1/DK^2 = 1/%llu + 1/9 (%.2fx fewer MACs)\n",
               (double)f / (double)std, (unsigned long long)N, (double)std / (double)f);
    }
}

static void print_table(const cb_graph *g, const cb_cost *per, cb_cost total) {
    char in[32], out[32], b1[32], b2[32];
    int w = 5;
    for (int i = 0; i < g->n_layers; i++) {
        int n = (int)strlen(g->layers[i].name);
        if (n > w) w = n;
    }
    if (w > 48) w = 48;
    printf("%s: input %s -> output %s\n\n", g->name, cb_shape_str(cb_graph_input_shape(g), in, sizeof in),
           cb_shape_str(cb_graph_output_shape(g), out, sizeof out));
    printf("%-*s  %-12s  %-13s  %12s  %16s  %7s\n", w, "layer", "type", "output", "params", "MACs", "% MACs");
    for (int i = 0; i < w + 72; i++) putchar('-');
    putchar('\n');
    for (int i = 0; i < g->n_layers; i++) {
        const cb_layer *l = &g->layers[i];
        printf("%-*.*s  %-12s  %-13s  %12s  %16s  %6.2f%%\n", w, w, l->name, cb_layer_type(g, l),
               cb_shape_str(g->values[l->out], out, sizeof out), cb_format_count(per[i].params, b1, sizeof b1),
               cb_format_count(per[i].macs, b2, sizeof b2), pct(per[i].macs, total.macs));
    }
    for (int i = 0; i < w + 72; i++) putchar('-');
    putchar('\n');
    printf("MACs        %s  (%.3f G)\n", cb_format_count(total.macs, b1, sizeof b1), (double)total.macs * 1e-9);
    printf("params      %s  (weights %s, BN buffers %s)\n", cb_format_count(total.params, b1, sizeof b1),
           cb_format_count(total.weights, b2, sizeof b2), cb_format_count(total.buffers, in, sizeof in));
    printf("other ops   %s  (BN, ReLU, pooling, adds, biases)\n", cb_format_count(total.other_ops, b1, sizeof b1));
    printf("bytes       %s  (arithmetic intensity %.2f FLOP/byte)\n", cb_format_count(total.bytes, b1, sizeof b1),
           cb_cost_intensity(total));
    print_formula(g, total);
}

static void print_groups(const cb_graph *g, const cb_cost *per, cb_cost total, int csv) {
    const char *types[32];
    cb_cost sums[32];
    int counts[32], nt = 0;
    for (int i = 0; i < g->n_layers; i++) {
        const char *t = cb_layer_type(g, &g->layers[i]);
        int k = 0;
        while (k < nt && strcmp(types[k], t) != 0) k++;
        if (k == nt) {
            if (nt == 32) continue;
            types[nt] = t;
            memset(&sums[nt], 0, sizeof sums[nt]);
            counts[nt++] = 0;
        }
        cb_cost_add(&sums[k], per[i]);
        counts[k]++;
    }
    char b1[32], b2[32], b3[32];
    if (csv) printf("type,layers,macs,macs_share,weights,weights_share,params,params_share\n");
    else printf("%s by layer type\n\n%-13s %6s  %16s %8s  %13s %8s  %13s %8s\n", g->name, "type", "layers",
                "MACs", "% MACs", "weights", "% wts", "params", "% params");
    for (int k = 0; k < nt; k++) {
        if (csv)
            printf("%s,%d,%llu,%.6f,%llu,%.6f,%llu,%.6f\n", types[k], counts[k], (unsigned long long)sums[k].macs,
                   pct(sums[k].macs, total.macs) / 100, (unsigned long long)sums[k].weights,
                   pct(sums[k].weights, total.weights) / 100, (unsigned long long)sums[k].params,
                   pct(sums[k].params, total.params) / 100);
        else
            printf("%-13s %6d  %16s %7.2f%%  %13s %7.2f%%  %13s %7.2f%%\n", types[k], counts[k],
                   cb_format_count(sums[k].macs, b1, sizeof b1), pct(sums[k].macs, total.macs),
                   cb_format_count(sums[k].weights, b2, sizeof b2), pct(sums[k].weights, total.weights),
                   cb_format_count(sums[k].params, b3, sizeof b3), pct(sums[k].params, total.params));
    }
}

static void print_csv(const cb_graph *g, const cb_cost *per, cb_cost total) {
    char in[32], out[32];
    printf("name,op,type,input_shape,output_shape,macs,params,weights,buffers,other_ops,bytes\n");
    for (int i = 0; i < g->n_layers; i++) {
        const cb_layer *l = &g->layers[i];
        printf("%s,%s,%s,%s,%s,%llu,%llu,%llu,%llu,%llu,%llu\n", l->name, cb_op_name(l->op), cb_layer_type(g, l),
               cb_shape_str(g->values[l->in[0]], in, sizeof in), cb_shape_str(g->values[l->out], out, sizeof out),
               (unsigned long long)per[i].macs, (unsigned long long)per[i].params,
               (unsigned long long)per[i].weights, (unsigned long long)per[i].buffers,
               (unsigned long long)per[i].other_ops, (unsigned long long)per[i].bytes);
    }
    printf("total,,,%s,%s,%llu,%llu,%llu,%llu,%llu,%llu\n", cb_shape_str(cb_graph_input_shape(g), in, sizeof in),
           cb_shape_str(cb_graph_output_shape(g), out, sizeof out), (unsigned long long)total.macs,
           (unsigned long long)total.params, (unsigned long long)total.weights, (unsigned long long)total.buffers,
           (unsigned long long)total.other_ops, (unsigned long long)total.bytes);
}

static void json_shape(cb_shape s) { printf("[%d, %d, %d]", s.c, s.h, s.w); }

static void print_json(const cb_graph *g, const cb_cost *per, cb_cost total) {
    printf("{\"target\": \"%s\", \"input_shape\": ", g->name);
    json_shape(cb_graph_input_shape(g));
    printf(", \"output_shape\": ");
    json_shape(cb_graph_output_shape(g));
    printf(", \"macs\": %llu, \"params\": %llu, \"weights\": %llu, \"buffers\": %llu, \"other_ops\": %llu, "
           "\"bytes\": %llu, \"arithmetic_intensity\": %.6f,\n \"layers\": [\n",
           (unsigned long long)total.macs, (unsigned long long)total.params, (unsigned long long)total.weights,
           (unsigned long long)total.buffers, (unsigned long long)total.other_ops, (unsigned long long)total.bytes,
           cb_cost_intensity(total));
    for (int i = 0; i < g->n_layers; i++) {
        const cb_layer *l = &g->layers[i];
        printf("  {\"name\": \"%s\", \"op\": \"%s\", \"type\": \"%s\", \"input_shape\": ", l->name,
               cb_op_name(l->op), cb_layer_type(g, l));
        json_shape(g->values[l->in[0]]);
        printf(", \"output_shape\": ");
        json_shape(g->values[l->out]);
        printf(", \"macs\": %llu, \"params\": %llu, \"weights\": %llu, \"buffers\": %llu, \"other_ops\": %llu, "
               "\"bytes\": %llu}%s\n",
               (unsigned long long)per[i].macs, (unsigned long long)per[i].params,
               (unsigned long long)per[i].weights, (unsigned long long)per[i].buffers,
               (unsigned long long)per[i].other_ops, (unsigned long long)per[i].bytes,
               i + 1 < g->n_layers ? "," : "");
    }
    printf(" ]}\n");
}

int cmd_cost(int argc, char **argv) {
    cli_target t = {0};
    const char *format = "table";
    int group = 0;
    cli_args a;
    cli_args_init(&a, argc, argv);
    while (cli_next(&a)) {
        int r = cli_target_flag("cost", &a, &t);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (cli_is(&a, "--help")) { fputs(HELP, stdout); return 0; }
        if (cli_is(&a, "--format")) {
            format = cli_value(&a);
            if (!format || (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json")))
                return cli_fail("cost", CB_ERR_ARG, "--format must be table, csv or json");
        } else if (cli_is(&a, "--group-by")) {
            const char *v = cli_value(&a);
            if (!v || strcmp(v, "type") != 0) return cli_fail("cost", CB_ERR_ARG, "--group-by takes 'type'");
            group = 1;
        } else if (cli_is(&a, "--paper")) {
            const char *v = cli_value(&a);
            if (!v) return cli_fail("cost", CB_ERR_ARG, "--paper needs a network name or 'all'");
            cb_error e;
            cb_status s = cb_paper_print(stdout, v, &e);
            return s == CB_OK ? 0 : cli_fail("cost", s, "%s", e.msg);
        } else if (!a.name && !t.target) {
            t.target = a.argv[a.i];
        } else {
            return cli_fail("cost", CB_ERR_ARG, "unexpected argument '%s'", a.argv[a.i]);
        }
    }
    cb_graph *g;
    cb_error e;
    cb_status s = cli_build(&t, &g, &e);
    if (s != CB_OK) return cli_fail("cost", s, "%s", e.msg);
    cb_cost *per = calloc((size_t)g->n_layers + 1, sizeof *per);
    if (!per) {
        cb_graph_free(g);
        return cli_fail("cost", CB_ERR_NOMEM, "out of memory");
    }
    cb_cost total = cb_graph_cost(g, per);
    if (group && strcmp(format, "json") == 0) {
        free(per);
        cb_graph_free(g);
        return cli_fail("cost", CB_ERR_ARG, "--group-by prints a table or csv, not json");
    }
    if (group) print_groups(g, per, total, strcmp(format, "csv") == 0);
    else if (strcmp(format, "csv") == 0) print_csv(g, per, total);
    else if (strcmp(format, "json") == 0) print_json(g, per, total);
    else print_table(g, per, total);
    free(per);
    cb_graph_free(g);
    return 0;
}
