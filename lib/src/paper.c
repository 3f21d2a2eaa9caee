/* paper.c — the published figures of paper.h, each recomputed from our networks.
 *
 * The table below is the list of figures as printed; everything on "our"
 * side is computed when asked, by building the network (net.h, shapes only,
 * no parameter storage) and reading the cost model (cost.h). Where a
 * printed figure disagrees with our exact count the entry carries the
 * reason, found by working out what the authors must have counted.
 */
#include "convblocks/paper.h"

#include <math.h>
#include <string.h>

#include "convblocks/cost.h"
#include "convblocks/net.h"

/* What a figure measures on its network. */
typedef enum {
    Q_MACS,              /* multiply-adds of the whole network */
    Q_WEIGHTS,           /* conv and FC weights (the MobileNet paper's "parameters") */
    Q_PARAMS,            /* learnable: weights, biases, BN gamma and beta */
    Q_TOTAL,             /* params + BN running statistics (Keras "Total params") */
    Q_PARAMS_NO_GAMMA,   /* params without BN gamma (Keras BatchNorm(scale=False)) */
    Q_TOTAL_NO_GAMMA,    /* the same plus BN running statistics */
    Q_PARAMS_WITH_AUX,   /* inception_v3 params plus torchvision's AuxLogits head */
    Q_SHARE_MACS,        /* % of multiply-adds in layers of type `arg` (cb_layer_type) */
    Q_SHARE_WEIGHTS,     /* % of weights in layers of type `arg` */
    Q_LAYER_MACS,        /* multiply-adds of the layers named in `arg` ("a,b") */
    Q_LAYER_WEIGHTS,     /* weights of the layers named in `arg` */
    Q_LAYER_STRIDE,      /* stride of the layer named in `arg` */
} quantity;

typedef struct {
    const char *source;
    const char *net;
    double alpha;
    int resolution;  /* 0: the network's default */
    quantity q;
    const char *arg;
    double scale;    /* our raw figure / scale = our figure in the printed unit */
    const char *quantity_text;
    const char *printed;
    const char *unit;
    double published;
    int decimals;
    bool exact;
    const char *why; /* why ours differs, for figures that do; NULL otherwise */
} figure_def;

#define MOBILENET "MobileNet (arXiv 1704.04861)"
#define XCEPTION "Xception (arXiv 1610.02357)"
#define VGG "VGG (arXiv 1409.1556)"
#define KERAS "Keras applications, model.summary()"
#define TORCHVISION "torchvision model docs"
#define M 1e6
#define G 1e9

static const figure_def FIGURES[] = {
    /* MobileNet Table 1: the body of the network */
    {MOBILENET " Table 1", "mobilenet_v1", 1, 0, Q_LAYER_STRIDE, "conv_dw_13", 1,
     "stride of the 13th depthwise layer (conv_dw_13)", "s2", "", 2, 0, true,
     "differs: stride typo: the row maps 7x7x1024 to 7x7x1024, which needs stride 1 (TF-slim uses 1)"},
    /* Table 2: where the multiply-adds and the weights are */
    {MOBILENET " Table 2", "mobilenet_v1", 1, 0, Q_SHARE_MACS, "conv 1x1", 1,
     "mult-adds share: conv 1x1", "94.86%", "%", 94.86, 2, false, NULL},
    {MOBILENET " Table 2", "mobilenet_v1", 1, 0, Q_SHARE_MACS, "conv dw", 1,
     "mult-adds share: conv dw 3x3", "3.06%", "%", 3.06, 2, false, NULL},
    {MOBILENET " Table 2", "mobilenet_v1", 1, 0, Q_SHARE_MACS, "conv", 1,
     "mult-adds share: conv full 3x3 (conv1)", "1.19%", "%", 1.19, 2, false,
     "differs: transposed digits: ours is 1.91%; the printed column sums to 99.29%, and to 100.01% "
     "with 1.91"},
    {MOBILENET " Table 2", "mobilenet_v1", 1, 0, Q_SHARE_MACS, "fc", 1,
     "mult-adds share: fully connected", "0.18%", "%", 0.18, 2, false, NULL},
    {MOBILENET " Table 2", "mobilenet_v1", 1, 0, Q_SHARE_WEIGHTS, "conv 1x1", 1,
     "weights share: conv 1x1", "74.59%", "%", 74.59, 2, false, NULL},
    {MOBILENET " Table 2", "mobilenet_v1", 1, 0, Q_SHARE_WEIGHTS, "conv dw", 1,
     "weights share: conv dw 3x3", "1.06%", "%", 1.06, 2, false, NULL},
    {MOBILENET " Table 2", "mobilenet_v1", 1, 0, Q_SHARE_WEIGHTS, "conv", 1,
     "weights share: conv full 3x3 (conv1)", "0.02%", "%", 0.02, 2, false, NULL},
    {MOBILENET " Table 2", "mobilenet_v1", 1, 0, Q_SHARE_WEIGHTS, "fc", 1,
     "weights share: fully connected", "24.33%", "%", 24.33, 2, false, NULL},
    /* Table 3: one 14x14x512 -> 512 layer (the 7th), as a full conv and separable */
    {MOBILENET " Table 3", "mobilenet_v1_conv", 1, 0, Q_LAYER_MACS, "conv_full_7", M,
     "14x14x512 layer, conv 3x3: mult-adds (conv_full_7)", "462", " M", 462, 0, false, NULL},
    {MOBILENET " Table 3", "mobilenet_v1_conv", 1, 0, Q_LAYER_WEIGHTS, "conv_full_7", M,
     "14x14x512 layer, conv 3x3: parameters", "2.36", " M", 2.36, 2, false, NULL},
    {MOBILENET " Table 3", "mobilenet_v1", 1, 0, Q_LAYER_MACS, "conv_dw_7,conv_pw_7", M,
     "14x14x512 layer, depthwise separable: mult-adds", "52.3", " M", 52.3, 1, false, NULL},
    {MOBILENET " Table 3", "mobilenet_v1", 1, 0, Q_LAYER_WEIGHTS, "conv_dw_7,conv_pw_7", M,
     "14x14x512 layer, depthwise separable: parameters", "0.27", " M", 0.27, 2, false, NULL},
    {MOBILENET " Table 3", "mobilenet_v1", 0.75, 0, Q_LAYER_MACS, "conv_dw_7,conv_pw_7", M,
     "14x14x512 layer, alpha 0.75 (384 ch): mult-adds", "29.6", " M", 29.6, 1, false, NULL},
    {MOBILENET " Table 3", "mobilenet_v1", 0.75, 0, Q_LAYER_WEIGHTS, "conv_dw_7,conv_pw_7", M,
     "14x14x512 layer, alpha 0.75: parameters", "0.15", " M", 0.15, 2, false, NULL},
    {MOBILENET " Table 3", "mobilenet_v1", 0.75, 160, Q_LAYER_MACS, "conv_dw_7,conv_pw_7", M,
     "same, rho 0.714 (160/224, 10x10): mult-adds", "15.1", " M", 15.1, 1, false, NULL},
    {MOBILENET " Table 3", "mobilenet_v1", 0.75, 160, Q_LAYER_WEIGHTS, "conv_dw_7,conv_pw_7", M,
     "same, rho 0.714: parameters", "0.15", " M", 0.15, 2, false, NULL},
    /* Table 4: full convolutions against depthwise separable ones */
    {MOBILENET " Table 4", "mobilenet_v1_conv", 1, 0, Q_MACS, NULL, M,
     "Conv MobileNet: mult-adds", "4866", " M", 4866, 0, false,
     "differs: ours is 4867.29M; the printed 4866 is the count without the FC layer (4866.27M), "
     "while the MobileNet row's 569 includes it"},
    {MOBILENET " Table 4", "mobilenet_v1_conv", 1, 0, Q_WEIGHTS, NULL, M,
     "Conv MobileNet: parameters (weights)", "29.3", " M", 29.3, 1, false, NULL},
    {MOBILENET " Table 4", "mobilenet_v1", 1, 0, Q_MACS, NULL, M, "MobileNet: mult-adds", "569",
     " M", 569, 0, false, NULL},
    {MOBILENET " Table 4", "mobilenet_v1", 1, 0, Q_WEIGHTS, NULL, M,
     "MobileNet: parameters (weights)", "4.2", " M", 4.2, 1, false, NULL},
    /* Table 6: width multiplier */
    {MOBILENET " Table 6", "mobilenet_v1", 0.75, 0, Q_MACS, NULL, M, "alpha 0.75: mult-adds",
     "325", " M", 325, 0, false, NULL},
    {MOBILENET " Table 6", "mobilenet_v1", 0.75, 0, Q_WEIGHTS, NULL, M, "alpha 0.75: parameters",
     "2.6", " M", 2.6, 1, false, NULL},
    {MOBILENET " Table 6", "mobilenet_v1", 0.5, 0, Q_MACS, NULL, M, "alpha 0.5: mult-adds", "149",
     " M", 149, 0, false, NULL},
    {MOBILENET " Table 6", "mobilenet_v1", 0.5, 0, Q_WEIGHTS, NULL, M, "alpha 0.5: parameters",
     "1.3", " M", 1.3, 1, false, NULL},
    {MOBILENET " Table 6", "mobilenet_v1", 0.25, 0, Q_MACS, NULL, M, "alpha 0.25: mult-adds", "41",
     " M", 41, 0, false, NULL},
    {MOBILENET " Table 6", "mobilenet_v1", 0.25, 0, Q_WEIGHTS, NULL, M, "alpha 0.25: parameters",
     "0.5", " M", 0.5, 1, false, NULL},
    /* Table 7: resolution multiplier */
    {MOBILENET " Table 7", "mobilenet_v1", 1, 192, Q_MACS, NULL, M, "192x192: mult-adds", "418",
     " M", 418, 0, false, NULL},
    {MOBILENET " Table 7", "mobilenet_v1", 1, 160, Q_MACS, NULL, M, "160x160: mult-adds", "290",
     " M", 290, 0, false,
     "differs: ours is 290.68M, which rounds to 291 (as TF-slim's model table prints it); the paper "
     "truncated"},
    {MOBILENET " Table 7", "mobilenet_v1", 1, 128, Q_MACS, NULL, M, "128x128: mult-adds", "186",
     " M", 186, 0, false, NULL},
    {KERAS, "mobilenet_v1", 1, 0, Q_PARAMS, NULL, 1, "MobileNet: trainable params", "4,231,976",
     "", 4231976, 0, true, NULL},
    {KERAS, "mobilenet_v1", 1, 0, Q_TOTAL, NULL, 1, "MobileNet: total params (+ BN statistics)",
     "4,253,864", "", 4253864, 0, true, NULL},
    /* Xception paper Table 3, and what the implementations count */
    {XCEPTION " Table 3", "xception", 1, 0, Q_PARAMS, NULL, 1,
     "Xception: parameters (weights, FC bias, BN gamma/beta)", "22,855,952", "", 22855952, 0, true,
     NULL},
    {KERAS, "xception", 1, 0, Q_TOTAL, NULL, 1, "Xception: total params (+ BN statistics)",
     "22,910,480", "", 22910480, 0, true, NULL},
    {"commonly quoted (the paper gives none)", "xception", 1, 0, Q_MACS, NULL, G,
     "Xception at 299x299: mult-adds", "8.4", " G", 8.4, 1, false, NULL},
    {XCEPTION " Table 3", "inception_v3", 1, 0, Q_PARAMS, NULL, 1, "Inception V3: parameters",
     "23,626,728", "", 23626728, 0, true,
     "differs: ours (torchvision, no aux head) is 23,834,568 and Keras counts 23,817,352 trainable; the "
     "paper's figure matches neither released Inception V3"},
    {KERAS, "inception_v3", 1, 0, Q_PARAMS_NO_GAMMA, NULL, 1,
     "InceptionV3: trainable params (Keras BN has no gamma)", "23,817,352", "", 23817352, 0, true,
     NULL},
    {KERAS, "inception_v3", 1, 0, Q_TOTAL_NO_GAMMA, NULL, 1,
     "InceptionV3: total params (no gamma, + BN statistics)", "23,851,784", "", 23851784, 0, true,
     NULL},
    {TORCHVISION " (Inception_V3_Weights)", "inception_v3", 1, 0, Q_PARAMS_WITH_AUX, NULL, 1,
     "num_params, with the AuxLogits head", "27,161,264", "", 27161264, 0, true, NULL},
    {TORCHVISION " (Inception_V3_Weights)", "inception_v3", 1, 0, Q_MACS, NULL, G,
     "GFLOPS (= mult-adds) at 299x299", "5.71", " G", 5.71, 2, false, NULL},
    /* VGG */
    {VGG " Table 2", "vgg16", 1, 0, Q_PARAMS, NULL, M, "configuration D: parameters", "138", " M",
     138, 0, false, NULL},
    {VGG " Table 2", "vgg19", 1, 0, Q_PARAMS, NULL, M, "configuration E: parameters", "144", " M",
     144, 0, false, NULL},
    {TORCHVISION " (VGG16_Weights)", "vgg16", 1, 0, Q_PARAMS, NULL, 1, "num_params",
     "138,357,544", "", 138357544, 0, true, NULL},
    {TORCHVISION " (VGG16_Weights)", "vgg16", 1, 0, Q_MACS, NULL, G,
     "GFLOPS (= mult-adds) at 224x224", "15.47", " G", 15.47, 2, false, NULL},
    {TORCHVISION " (VGG19_Weights)", "vgg19", 1, 0, Q_PARAMS, NULL, 1, "num_params",
     "143,667,240", "", 143667240, 0, true, NULL},
    {TORCHVISION " (VGG19_Weights)", "vgg19", 1, 0, Q_MACS, NULL, G,
     "GFLOPS (= mult-adds) at 224x224", "19.63", " G", 19.63, 2, false, NULL},
};

#define N_FIGURES ((int)(sizeof FIGURES / sizeof FIGURES[0]))

int cb_paper_count(void) { return N_FIGURES; }

/* Is layer name `name` one of the comma-separated names in `list`? */
static bool in_list(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return true;
        if (!end) break;
        p = end + 1;
    }
    return false;
}

/* Channels of all BN layers: the gammas Keras's scale=False BatchNorm lacks. */
static uint64_t bn_channels(const cb_graph *g) {
    uint64_t n = 0;
    for (int i = 0; i < g->n_layers; i++)
        if (g->layers[i].op == CB_OP_BN) n += (uint64_t)g->values[g->layers[i].out].c;
    return n;
}

/* Parameters of torchvision's InceptionAux head on the 768x17x17 Mixed_6e
 * output: avg pool 5/3, BasicConv 1x1 768->128, BasicConv 5x5 128->768,
 * global pool, FC 768->1000. Built here only to compare with num_params. */
static cb_status aux_head_params(uint64_t *params, cb_error *err) {
    cb_shape in = {768, 17, 17};
    cb_graph *g = cb_graph_new("inception_v3_aux", in);
    if (!g) return cb_fail(err, CB_ERR_NOMEM, "out of memory building the aux head");
    int x = cb_graph_avgpool(g, "aux_logits.avgpool", 0, 5, 3, 0);
    x = cb_graph_conv(g, "aux_logits.conv0.conv", x, 128, cb_conv_square(1, 1, 0, 1), false);
    x = cb_graph_bn(g, "aux_logits.conv0.bn", x);
    x = cb_graph_relu(g, "aux_logits.conv0.relu", x);
    x = cb_graph_conv(g, "aux_logits.conv1.conv", x, 768, cb_conv_square(5, 1, 0, 1), false);
    x = cb_graph_bn(g, "aux_logits.conv1.bn", x);
    x = cb_graph_relu(g, "aux_logits.conv1.relu", x);
    x = cb_graph_gap(g, "aux_logits.avgpool2", x);
    cb_graph_fc(g, "aux_logits.fc", x, 1000, true);
    cb_status s = cb_graph_status(g, err);
    if (s == CB_OK) *params = cb_graph_cost(g, NULL).params;
    cb_graph_free(g);
    return s;
}

/* Our raw figure for d: an integer count in *count, or a share in *share. */
static cb_status measure(const figure_def *d, uint64_t *count, double *share, cb_error *err) {
    cb_graph *g;
    cb_status s = cb_net_build(d->net, d->alpha, d->resolution, &g, err);
    if (s != CB_OK) return s;
    cb_cost total = cb_graph_cost(g, NULL);
    *count = 0;
    *share = 0;
    switch (d->q) {
    case Q_MACS: *count = total.macs; break;
    case Q_WEIGHTS: *count = total.weights; break;
    case Q_PARAMS: *count = total.params; break;
    case Q_TOTAL: *count = total.params + total.buffers; break;
    case Q_PARAMS_NO_GAMMA: *count = total.params - bn_channels(g); break;
    case Q_TOTAL_NO_GAMMA: *count = total.params - bn_channels(g) + total.buffers; break;
    case Q_PARAMS_WITH_AUX: {
        uint64_t aux = 0;
        s = aux_head_params(&aux, err);
        *count = total.params + aux;
        break;
    }
    case Q_SHARE_MACS:
    case Q_SHARE_WEIGHTS: {
        uint64_t part = 0;
        for (int i = 0; i < g->n_layers; i++) {
            if (strcmp(cb_layer_type(g, &g->layers[i]), d->arg) != 0) continue;
            cb_cost c = cb_layer_cost(g, i);
            part += d->q == Q_SHARE_MACS ? c.macs : c.weights;
        }
        uint64_t whole = d->q == Q_SHARE_MACS ? total.macs : total.weights;
        *share = whole ? 100.0 * (double)part / (double)whole : 0.0;
        break;
    }
    case Q_LAYER_MACS:
    case Q_LAYER_WEIGHTS:
    case Q_LAYER_STRIDE: {
        int found = 0;
        for (int i = 0; i < g->n_layers; i++) {
            if (!in_list(d->arg, g->layers[i].name)) continue;
            cb_cost c = cb_layer_cost(g, i);
            found++;
            if (d->q == Q_LAYER_MACS) *count += c.macs;
            else if (d->q == Q_LAYER_WEIGHTS) *count += c.weights;
            else *count = (uint64_t)g->layers[i].conv.stride_h;
        }
        if (!found)
            s = cb_fail(err, CB_ERR_ARG, "%s has no layer %s", d->net, d->arg);
        break;
    }
    }
    cb_graph_free(g);
    return s;
}

static bool is_share(quantity q) { return q == Q_SHARE_MACS || q == Q_SHARE_WEIGHTS; }

cb_status cb_paper_figure_get(int i, cb_paper_figure *out, cb_error *err) {
    if (i < 0 || i >= N_FIGURES)
        return cb_fail(err, CB_ERR_ARG, "no published figure %d (there are %d)", i, N_FIGURES);
    const figure_def *d = &FIGURES[i];
    uint64_t count;
    double share;
    cb_status s = measure(d, &count, &share, err);
    if (s != CB_OK) return s;

    memset(out, 0, sizeof *out);
    out->source = d->source;
    out->net = d->net;
    out->quantity = d->quantity_text;
    out->printed = d->printed;
    out->unit = d->unit;
    out->published = d->published;
    out->decimals = d->decimals;
    out->exact = d->exact;
    out->ours_count = count;
    out->ours = is_share(d->q) ? share : (double)count / d->scale;
    if (d->exact) {
        out->match = (double)count == d->published;
    } else {
        /* ours, rounded to the printed number of decimals, is the printed figure */
        double half_ulp = 0.5 * pow(10.0, -d->decimals);
        out->match = fabs(out->ours - d->published) <= half_ulp * (1.0 + 1e-9);
    }
    if (out->match) out->verdict = d->exact ? "exact match" : "match at printed rounding";
    else out->verdict = d->why ? d->why : "differs: ours rounds to a different figure";
    return CB_OK;
}

cb_status cb_paper_print(FILE *f, const char *net_or_all, cb_error *err) {
    bool all = net_or_all && strcmp(net_or_all, "all") == 0;
    if (!all && !cb_net_find(net_or_all))
        return cb_fail(err, CB_ERR_ARG, "--paper: unknown network '%s' (a network name or all)",
                       net_or_all ? net_or_all : "(null)");
    fprintf(f, "%-47s %-17s %-54s %16s %12s  %s\n", "source", "network", "quantity", "ours",
            "published", "verdict");
    int shown = 0, differ = 0;
    for (int i = 0; i < N_FIGURES; i++) {
        if (!all && strcmp(FIGURES[i].net, net_or_all) != 0) continue;
        cb_paper_figure p;
        cb_status s = cb_paper_figure_get(i, &p, err);
        if (s != CB_OK) return s;
        char ours[48], printed[48];
        if (p.exact) cb_format_count(p.ours_count, ours, sizeof ours);
        else snprintf(ours, sizeof ours, "%.*f%s", p.decimals + 2, p.ours, p.unit);
        snprintf(printed, sizeof printed, "%s%s", p.printed,
                 strcmp(p.unit, "%") == 0 ? "" : p.unit);
        fprintf(f, "%-47s %-17s %-54s %16s %12s  %s\n", p.source, p.net, p.quantity, ours,
                printed, p.verdict);
        shown++;
        differ += !p.match;
    }
    fprintf(f,
            "\n%d figures, %d differ. MobileNet \"parameters\" are conv/FC weights; Keras "
            "\"trainable\" and torchvision num_params add biases and BN gamma/beta; Keras "
            "\"Total params\" adds the BN running statistics.\n",
            shown, differ);
    return CB_OK;
}
