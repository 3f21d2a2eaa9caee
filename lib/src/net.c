/* net.c — the whole networks of net.h, built layer by layer as graphs.
 *
 * Every network is straight-line graph-builder code (graph.h) that mirrors
 * the released reference implementation module by module, so a student can
 * hold this file next to the PyTorch/Keras source. Errors are sticky in the
 * graph; each builder checks once at the end.
 *
 * Layer names, and so parameter keys (layer name + ".weight", ".bias",
 * ".running_mean", ".running_var"):
 *
 *   mobilenet_v1       Keras MobileNet names: conv1, conv1_bn, conv1_relu,
 *                      then for i = 1..13 conv_dw_i, conv_dw_i_bn,
 *                      conv_dw_i_relu, conv_pw_i, conv_pw_i_bn, conv_pw_i_relu;
 *                      avgpool (global), fc (1024*alpha -> 1000, with bias).
 *   mobilenet_v1_conv  the same, with conv_dw_i + conv_pw_i replaced by one
 *                      full 3x3 conv conv_full_i (+ conv_full_i_bn, _relu).
 *   vgg16, vgg19       torchvision indices: features.0 (conv), features.1
 *                      (relu), features.4 (maxpool), ..., classifier.0/.3/.6
 *                      (fc), so torchvision's state_dict loads as is.
 *   xception           Keras block numbering with the canonical blocks' keys
 *                      inside: block1.conv1/.bn1/.conv2/.bn2 (stem),
 *                      block2..block4 entry modules, block5..block12 middle
 *                      modules, block13 exit module (keys as xception_entry /
 *                      _middle / _exit: block7.sep2.dw.weight, block3.skipbn.
 *                      running_var), block14.sep1/.bn1/.sep2/.bn2, avgpool, fc.
 *   inception_v3       torchvision module paths in lower case:
 *                      conv2d_1a_3x3.conv, conv2d_1a_3x3.bn, maxpool1, ...,
 *                      mixed_6c.branch7x7dbl_2.conv, ..., avgpool, fc. The
 *                      mixed_5b..5d keys under their prefix are exactly the
 *                      inception_a block's keys.
 *
 * Choices where the paper and the code differ (DESIGN.md: the released
 * implementation decides):
 *   - MobileNet v1 (TF-slim): stride-2 layers use TF 'same' padding, which on
 *     even sizes pads 0 before and 1 after; we pad 1 on every side, as
 *     PyTorch ports and the canonical `mobilenet` block do. Output sizes, and
 *     so every cost, are identical; values at the borders differ from a TF
 *     checkpoint. The activation is ReLU (the paper's Fig. 3; TF-slim uses
 *     ReLU6, which changes no cost). The classifier is global average
 *     pooling and a 1024*alpha -> 1000 FC with bias (TF-slim's 1x1 conv with
 *     bias has the same cost). The paper's Table 1 prints the 13th depthwise
 *     layer as "s2" although its input and output are both 7x7: it is s1,
 *     as in TF-slim.
 *   - Xception (Keras applications): stem convs are 'valid'; the module max
 *     pools and strided shortcuts use Keras 'same', which we express as
 *     symmetric padding 1 / 0 with the same output sizes.
 *   - VGG (torchvision): conv biases; at 224 torchvision's adaptive 7x7
 *     average pool is the identity, so it is left out, and VGG accepts only
 *     224x224 input (its classifier is fixed at 512x7x7 inputs).
 *   - Inception v3 (torchvision, no AuxLogits): average pools count the
 *     padding (count_include_pad); the final pool is global.
 *
 * Every BN uses eps = CB_BN_EPS (1e-3), the TF-slim/Keras/torchvision value
 * for all four families.
 */
#include "convblocks/net.h"

#include "modules.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The largest input side any network accepts: beyond this the activations
 * of the first layers alone pass CB_MAX_TENSOR_BYTES. */
#define CB_NET_MAX_RESOLUTION 4096

#define N_CLASSES 1000

/* ---- pieces shared by the networks ------------------------------------ */

static cb_conv_params conv_rect(int kh, int kw, int stride, int ph, int pw) {
    cb_conv_params p = {kh, kw, stride, stride, ph, pw, 1};
    return p;
}

/* Keras style: conv (no bias) "name" -> BN "name_bn" -> ReLU "name_relu". */
static int conv_bn_relu(cb_graph *g, const char *name, int x, int cout, cb_conv_params p) {
    char n[CB_NAME_MAX];
    x = cb_graph_conv(g, name, x, cout, p, false);
    x = cb_graph_bn(g, cb_namef(n, "%s_bn", name), x);
    return cb_graph_relu(g, cb_namef(n, "%s_relu", name), x);
}

/* ---- MobileNet v1 (arXiv 1704.04861 Table 1, TF-slim / Keras) ---------- */

/* The 13 depthwise separable layers: output channels and the depthwise
 * stride (Table 1, with the 13th layer's misprinted s2 read as s1). */
static const struct {
    int cout, stride;
} MOBILENET_LAYERS[13] = {
    {64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},   {512, 1},
    {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1},
};

/* Channels under the width multiplier: int(c * alpha), as Keras computes it
 * (the same double product, truncated). */
static int mobilenet_width(int c, double alpha) { return (int)(c * alpha); }

static cb_status build_mobilenet(cb_graph *g, double alpha, bool full_conv) {
    char n[CB_NAME_MAX];
    if (mobilenet_width(32, alpha) < 1)
        return g->status = cb_fail(&g->err, CB_ERR_ARG,
                                   "alpha %g leaves conv1 with no channels (int(32 * alpha) = 0)",
                                   alpha);
    int x = conv_bn_relu(g, "conv1", 0, mobilenet_width(32, alpha), cb_conv_square(3, 2, 1, 1));
    for (int i = 0; i < 13; i++) {
        int cout = mobilenet_width(MOBILENET_LAYERS[i].cout, alpha);
        int s = MOBILENET_LAYERS[i].stride;
        if (full_conv) {
            /* the paper's Table 4 baseline: one full 3x3 conv in place of dw + pw */
            x = conv_bn_relu(g, cb_namef(n, "conv_full_%d", i + 1), x, cout,
                             cb_conv_square(3, s, 1, 1));
        } else {
            int cin = x >= 0 ? g->values[x].c : 1;
            x = conv_bn_relu(g, cb_namef(n, "conv_dw_%d", i + 1), x, cin,
                             cb_conv_square(3, s, 1, cin));
            x = conv_bn_relu(g, cb_namef(n, "conv_pw_%d", i + 1), x, cout,
                             cb_conv_square(1, 1, 0, 1));
        }
    }
    x = cb_graph_gap(g, "avgpool", x);
    cb_graph_fc(g, "fc", x, N_CLASSES, true);
    return cb_graph_status(g, NULL);
}

static cb_status build_mobilenet_v1(cb_graph *g, double alpha) {
    return build_mobilenet(g, alpha, false);
}

static cb_status build_mobilenet_v1_conv(cb_graph *g, double alpha) {
    return build_mobilenet(g, alpha, true);
}

/* ---- VGG (arXiv 1409.1556 Table 1 D and E, torchvision) ----------------- */

/* Conv widths per stage; each stage ends in a 2x2/2 max pool. */
static cb_status build_vgg(cb_graph *g, const int *convs_per_stage) {
    static const int widths[5] = {64, 128, 256, 512, 512};
    char n[CB_NAME_MAX];
    int x = 0, idx = 0; /* idx: torchvision's index into `features` */
    for (int s = 0; s < 5; s++) {
        for (int k = 0; k < convs_per_stage[s]; k++) {
            x = cb_graph_conv(g, cb_namef(n, "features.%d", idx++), x, widths[s],
                              cb_conv_square(3, 1, 1, 1), true);
            x = cb_graph_relu(g, cb_namef(n, "features.%d", idx++), x);
        }
        x = cb_graph_maxpool(g, cb_namef(n, "features.%d", idx++), x, 2, 2, 0);
    }
    /* classifier: Linear, ReLU, Dropout, Linear, ReLU, Dropout, Linear (dropout is
     * the identity at inference and has no layer here) */
    x = cb_graph_fc(g, "classifier.0", x, 4096, true);
    x = cb_graph_relu(g, "classifier.1", x);
    x = cb_graph_fc(g, "classifier.3", x, 4096, true);
    x = cb_graph_relu(g, "classifier.4", x);
    cb_graph_fc(g, "classifier.6", x, N_CLASSES, true);
    return cb_graph_status(g, NULL);
}

static cb_status build_vgg16(cb_graph *g, double alpha) {
    (void)alpha;
    static const int D[5] = {2, 2, 3, 3, 3};
    return build_vgg(g, D);
}

static cb_status build_vgg19(cb_graph *g, double alpha) {
    (void)alpha;
    static const int E[5] = {2, 2, 4, 4, 4};
    return build_vgg(g, E);
}

/* ---- Xception (arXiv 1610.02357 Fig. 5, Keras applications) ------------ */

static cb_status build_xception(cb_graph *g, double alpha) {
    (void)alpha;
    char n[CB_NAME_MAX];
    /* entry flow: two 'valid' stem convs, then three downsampling modules */
    int x = cb_graph_conv(g, "block1.conv1", 0, 32, cb_conv_square(3, 2, 0, 1), false);
    x = cb_graph_bn(g, "block1.bn1", x);
    x = cb_graph_relu(g, "block1.relu1", x);
    x = cb_graph_conv(g, "block1.conv2", x, 64, cb_conv_square(3, 1, 0, 1), false);
    x = cb_graph_bn(g, "block1.bn2", x);
    x = cb_graph_relu(g, "block1.relu2", x);
    x = cb_mod_xception_downsample(g, "block2", x, 128, 128, false); /* follows a ReLU already */
    x = cb_mod_xception_downsample(g, "block3", x, 256, 256, true);
    x = cb_mod_xception_downsample(g, "block4", x, 728, 728, true);
    /* middle flow: eight residual modules at 728 channels */
    for (int b = 5; b <= 12; b++) x = cb_mod_xception_middle(g, cb_namef(n, "block%d", b), x);
    /* exit flow */
    x = cb_mod_xception_downsample(g, "block13", x, 728, 1024, true);
    x = cb_mod_sep_conv(g, "block14.sep1", x, 1536);
    x = cb_graph_bn(g, "block14.bn1", x);
    x = cb_graph_relu(g, "block14.relu1", x);
    x = cb_mod_sep_conv(g, "block14.sep2", x, 2048);
    x = cb_graph_bn(g, "block14.bn2", x);
    x = cb_graph_relu(g, "block14.relu2", x);
    x = cb_graph_gap(g, "avgpool", x);
    cb_graph_fc(g, "fc", x, N_CLASSES, true);
    return cb_graph_status(g, NULL);
}

/* ---- Inception v3 (arXiv 1512.00567, torchvision Inception3) ------------ */

/* A "same" k x k BasicConv at stride 1 under "prefix.name". */
static int inc_conv(cb_graph *g, const char *prefix, const char *name, int x, int cout, int kh,
                    int kw) {
    char n[CB_NAME_MAX];
    return cb_mod_basic_conv(g, cb_namef(n, "%s.%s", prefix, name), x, cout,
                      conv_rect(kh, kw, 1, kh / 2, kw / 2));
}

/* A 3x3/2 'valid' BasicConv (the grid reductions). */
static int inc_conv_s2(cb_graph *g, const char *prefix, const char *name, int x, int cout) {
    char n[CB_NAME_MAX];
    return cb_mod_basic_conv(g, cb_namef(n, "%s.%s", prefix, name), x, cout, conv_rect(3, 3, 2, 0, 0));
}

/* 3x3/1 average pool with padding 1 (counting the padding), then a 1x1 BasicConv. */
static int inc_pool_branch(cb_graph *g, const char *p, int x, int cout) {
    char n[CB_NAME_MAX];
    int y = cb_graph_avgpool(g, cb_namef(n, "%s.avgpool", p), x, 3, 1, 1);
    return inc_conv(g, p, "branch_pool", y, cout, 1, 1);
}

/* InceptionB (35 -> 17 grid reduction): 384 + 96 + cin channels. */
static int inception_b(cb_graph *g, const char *p, int x) {
    char n[CB_NAME_MAX];
    int b3 = inc_conv_s2(g, p, "branch3x3", x, 384);
    int bd = inc_conv(g, p, "branch3x3dbl_1", x, 64, 1, 1);
    bd = inc_conv(g, p, "branch3x3dbl_2", bd, 96, 3, 3);
    bd = inc_conv_s2(g, p, "branch3x3dbl_3", bd, 96);
    int bp = cb_graph_maxpool(g, cb_namef(n, "%s.maxpool", p), x, 3, 2, 0);
    int br[3] = {b3, bd, bp};
    return cb_graph_concat(g, cb_namef(n, "%s.concat", p), br, 3);
}

/* InceptionC (17x17, factorised 7x7 as 1x7 and 7x1): 4 x 192 channels. */
static int inception_c(cb_graph *g, const char *p, int x, int c7) {
    char n[CB_NAME_MAX];
    int b1 = inc_conv(g, p, "branch1x1", x, 192, 1, 1);
    int b7 = inc_conv(g, p, "branch7x7_1", x, c7, 1, 1);
    b7 = inc_conv(g, p, "branch7x7_2", b7, c7, 1, 7);
    b7 = inc_conv(g, p, "branch7x7_3", b7, 192, 7, 1);
    int bd = inc_conv(g, p, "branch7x7dbl_1", x, c7, 1, 1);
    bd = inc_conv(g, p, "branch7x7dbl_2", bd, c7, 7, 1);
    bd = inc_conv(g, p, "branch7x7dbl_3", bd, c7, 1, 7);
    bd = inc_conv(g, p, "branch7x7dbl_4", bd, c7, 7, 1);
    bd = inc_conv(g, p, "branch7x7dbl_5", bd, 192, 1, 7);
    int bp = inc_pool_branch(g, p, x, 192);
    int br[4] = {b1, b7, bd, bp};
    return cb_graph_concat(g, cb_namef(n, "%s.concat", p), br, 4);
}

/* InceptionD (17 -> 8 grid reduction): 320 + 192 + cin channels. */
static int inception_d(cb_graph *g, const char *p, int x) {
    char n[CB_NAME_MAX];
    int b3 = inc_conv(g, p, "branch3x3_1", x, 192, 1, 1);
    b3 = inc_conv_s2(g, p, "branch3x3_2", b3, 320);
    int b7 = inc_conv(g, p, "branch7x7x3_1", x, 192, 1, 1);
    b7 = inc_conv(g, p, "branch7x7x3_2", b7, 192, 1, 7);
    b7 = inc_conv(g, p, "branch7x7x3_3", b7, 192, 7, 1);
    b7 = inc_conv_s2(g, p, "branch7x7x3_4", b7, 192);
    int bp = cb_graph_maxpool(g, cb_namef(n, "%s.maxpool", p), x, 3, 2, 0);
    int br[3] = {b3, b7, bp};
    return cb_graph_concat(g, cb_namef(n, "%s.concat", p), br, 3);
}

/* InceptionE (8x8, expanded filter bank): 320 + 2*384 + 2*384 + 192 = 2048 channels. */
static int inception_e(cb_graph *g, const char *p, int x) {
    char n[CB_NAME_MAX];
    int b1 = inc_conv(g, p, "branch1x1", x, 320, 1, 1);
    int b3 = inc_conv(g, p, "branch3x3_1", x, 384, 1, 1);
    int b3s[2] = {inc_conv(g, p, "branch3x3_2a", b3, 384, 1, 3),
                  inc_conv(g, p, "branch3x3_2b", b3, 384, 3, 1)};
    b3 = cb_graph_concat(g, cb_namef(n, "%s.branch3x3.concat", p), b3s, 2);
    int bd = inc_conv(g, p, "branch3x3dbl_1", x, 448, 1, 1);
    bd = inc_conv(g, p, "branch3x3dbl_2", bd, 384, 3, 3);
    int bds[2] = {inc_conv(g, p, "branch3x3dbl_3a", bd, 384, 1, 3),
                  inc_conv(g, p, "branch3x3dbl_3b", bd, 384, 3, 1)};
    bd = cb_graph_concat(g, cb_namef(n, "%s.branch3x3dbl.concat", p), bds, 2);
    int bp = inc_pool_branch(g, p, x, 192);
    int br[4] = {b1, b3, bd, bp};
    return cb_graph_concat(g, cb_namef(n, "%s.concat", p), br, 4);
}

static cb_status build_inception_v3(cb_graph *g, double alpha) {
    (void)alpha;
    /* stem: 299 -> 149 -> 147 -> 147 -> 73 -> 73 -> 71 -> 35 */
    int x = cb_mod_basic_conv(g, "conv2d_1a_3x3", 0, 32, cb_conv_square(3, 2, 0, 1));
    x = cb_mod_basic_conv(g, "conv2d_2a_3x3", x, 32, cb_conv_square(3, 1, 0, 1));
    x = cb_mod_basic_conv(g, "conv2d_2b_3x3", x, 64, cb_conv_square(3, 1, 1, 1));
    x = cb_graph_maxpool(g, "maxpool1", x, 3, 2, 0);
    x = cb_mod_basic_conv(g, "conv2d_3b_1x1", x, 80, cb_conv_square(1, 1, 0, 1));
    x = cb_mod_basic_conv(g, "conv2d_4a_3x3", x, 192, cb_conv_square(3, 1, 0, 1));
    x = cb_graph_maxpool(g, "maxpool2", x, 3, 2, 0);
    /* 35x35 */
    x = cb_mod_inception_a(g, "mixed_5b", x, 32);
    x = cb_mod_inception_a(g, "mixed_5c", x, 64);
    x = cb_mod_inception_a(g, "mixed_5d", x, 64);
    /* 17x17 */
    x = inception_b(g, "mixed_6a", x);
    x = inception_c(g, "mixed_6b", x, 128);
    x = inception_c(g, "mixed_6c", x, 160);
    x = inception_c(g, "mixed_6d", x, 160);
    x = inception_c(g, "mixed_6e", x, 192);
    /* 8x8 */
    x = inception_d(g, "mixed_7a", x);
    x = inception_e(g, "mixed_7b", x);
    x = inception_e(g, "mixed_7c", x);
    x = cb_graph_gap(g, "avgpool", x);
    cb_graph_fc(g, "fc", x, N_CLASSES, true);
    return cb_graph_status(g, NULL);
}

/* ---- the registry ------------------------------------------------------- */

typedef cb_status (*net_build_fn)(cb_graph *g, double alpha);

static const struct {
    cb_net_info info;
    net_build_fn build;
    int fixed_resolution; /* the only input side accepted (0: any allowed by info) */
} NETS[] = {
    {{"mobilenet_v1", "MobileNet v1 (TF-slim): full 3x3 conv, 13 depthwise separable layers, FC",
      224, 96, 32, true},
     build_mobilenet_v1, 0},
    {{"mobilenet_v1_conv",
      "MobileNet v1 with every depthwise separable layer a full 3x3 conv (paper Table 4)", 224, 96,
      32, true},
     build_mobilenet_v1_conv, 0},
    {{"vgg16", "VGG configuration D (torchvision): 13 3x3 convs with bias, 3 FC; 224x224 only", 224,
      224, 32, false},
     build_vgg16, 224},
    {{"vgg19", "VGG configuration E (torchvision): 16 3x3 convs with bias, 3 FC; 224x224 only", 224,
      224, 32, false},
     build_vgg19, 224},
    {{"xception", "Xception (Keras): stem, 3 entry, 8 middle, exit module, separable 1536/2048, FC",
      299, 71, 1, false},
     build_xception, 0},
    {{"inception_v3", "Inception v3 (torchvision, no aux head): stem, Mixed_5b..7c (A/B/C/D/E), FC",
      299, 75, 1, false},
     build_inception_v3, 0},
};

#define N_NETS ((int)(sizeof NETS / sizeof NETS[0]))

int cb_net_count(void) { return N_NETS; }

const cb_net_info *cb_net_at(int i) { return (i >= 0 && i < N_NETS) ? &NETS[i].info : NULL; }

const cb_net_info *cb_net_find(const char *name) {
    if (!name) return NULL;
    for (int i = 0; i < N_NETS; i++)
        if (strcmp(NETS[i].info.name, name) == 0) return &NETS[i].info;
    return NULL;
}

/* "a, b, c" list of the network names, for error messages. */
static const char *net_names(char *buf, size_t n) {
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < N_NETS && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "", NETS[i].info.name);
    return buf;
}

/* Check alpha and resolution against what network i accepts. */
static cb_status check_args(int i, double alpha, int resolution, cb_error *err) {
    const cb_net_info *info = &NETS[i].info;
    if (info->has_alpha && !(alpha > 0.0 && alpha <= 1.0)) /* also refuses NaN */
        return cb_fail(err, CB_ERR_ARG, "%s: alpha %g is not in (0, 1]", info->name, alpha);
    if (NETS[i].fixed_resolution) {
        if (resolution != NETS[i].fixed_resolution)
            return cb_fail(err, CB_ERR_ARG,
                           "%s: resolution %d: it takes %dx%d input only (its classifier is "
                           "fixed at 512x7x7 features)",
                           info->name, resolution, NETS[i].fixed_resolution,
                           NETS[i].fixed_resolution);
        return CB_OK;
    }
    if (resolution < info->min_resolution || resolution > CB_NET_MAX_RESOLUTION)
        return cb_fail(err, CB_ERR_ARG, "%s: resolution %d is not between %d and %d", info->name,
                       resolution, info->min_resolution, CB_NET_MAX_RESOLUTION);
    if (resolution % info->resolution_multiple != 0)
        return cb_fail(err, CB_ERR_ARG, "%s: resolution %d is not a multiple of %d", info->name,
                       resolution, info->resolution_multiple);
    return CB_OK;
}

cb_status cb_net_build(const char *name, double alpha, int resolution, cb_graph **out,
                       cb_error *err) {
    *out = NULL;
    int i = 0;
    while (i < N_NETS && !(name && strcmp(NETS[i].info.name, name) == 0)) i++;
    if (i == N_NETS) {
        char known[256];
        return cb_fail(err, CB_ERR_ARG, "unknown network '%s' (known: %s)", name ? name : "(null)",
                       net_names(known, sizeof known));
    }
    const cb_net_info *info = &NETS[i].info;
    if (resolution == 0) resolution = info->default_resolution;
    cb_status s = check_args(i, alpha, resolution, err);
    if (s != CB_OK) return s;

    cb_shape in = {3, resolution, resolution};
    cb_graph *g = cb_graph_new(info->name, in);
    if (!g) return cb_fail(err, CB_ERR_NOMEM, "out of memory building %s", info->name);
    s = cb_graph_status(g, err);
    if (s == CB_OK && (s = NETS[i].build(g, alpha)) != CB_OK) cb_graph_status(g, err);
    if (s != CB_OK) {
        cb_graph_free(g);
        return s;
    }
    *out = g;
    return CB_OK;
}
