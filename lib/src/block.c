/* block.c — the ten canonical blocks of reference/blocks.py as graphs (block.h).
 *
 * Each builder mirrors its PyTorch module line by line; layer names are the
 * module paths, so parameter keys come out equal to the state_dict keys
 * ("towers.2.spatial.conv.weight"). Builders read the input as value 0 and
 * rely on the graph's sticky errors: one check at the end.
 */
#include "convblocks/block.h"

#include "modules.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest value an integer block argument may take. */
#define CB_MAX_ARG_VALUE 65536

/* ---- modules: the pieces networks reuse (modules.h) ------------------- */

/* "prefix.name", or just "name" at the top level of a block. */
static const char *join(char buf[CB_NAME_MAX], const char *prefix, const char *name) {
    return prefix[0] ? cb_namef(buf, "%s.%s", prefix, name) : cb_namef(buf, "%s", name);
}

int cb_mod_basic_conv(cb_graph *g, const char *prefix, int x, int cout, cb_conv_params p) {
    char n[CB_NAME_MAX];
    x = cb_graph_conv(g, join(n, prefix, "conv"), x, cout, p, false);
    x = cb_graph_bn(g, join(n, prefix, "bn"), x);
    return cb_graph_relu(g, join(n, prefix, "relu"), x);
}

int cb_mod_sep_conv(cb_graph *g, const char *prefix, int x, int cout) {
    char n[CB_NAME_MAX];
    int cin = x >= 0 ? g->values[x].c : 1;
    x = cb_graph_conv(g, join(n, prefix, "dw"), x, cin, cb_conv_square(3, 1, 1, cin), false);
    return cb_graph_conv(g, join(n, prefix, "pw"), x, cout, cb_conv_square(1, 1, 0, 1), false);
}

/* Entry and exit modules share one shape: [ReLU] Sep -> BN -> ReLU -> Sep -> BN
 * -> MaxPool 3x3/2, plus a strided 1x1 conv shortcut from the module input. */
int cb_mod_xception_downsample(cb_graph *g, const char *prefix, int x, int mid, int cout,
                               bool start_relu) {
    char n[CB_NAME_MAX], sub[CB_NAME_MAX];
    int y = start_relu ? cb_graph_relu(g, join(n, prefix, "relu0"), x) : x;
    y = cb_mod_sep_conv(g, join(sub, prefix, "sep1"), y, mid);
    y = cb_graph_bn(g, join(n, prefix, "bn1"), y);
    y = cb_graph_relu(g, join(n, prefix, "relu1"), y);
    y = cb_mod_sep_conv(g, join(sub, prefix, "sep2"), y, cout);
    y = cb_graph_bn(g, join(n, prefix, "bn2"), y);
    y = cb_graph_maxpool(g, join(n, prefix, "pool"), y, 3, 2, 1);
    int s = cb_graph_conv(g, join(n, prefix, "skip"), x, cout, cb_conv_square(1, 2, 0, 1), false);
    s = cb_graph_bn(g, join(n, prefix, "skipbn"), s);
    return cb_graph_add(g, join(n, prefix, "add"), y, s);
}

int cb_mod_xception_middle(cb_graph *g, const char *prefix, int x) {
    char n[CB_NAME_MAX], name[CB_NAME_MAX];
    int c = x >= 0 ? g->values[x].c : 1, y = x;
    for (int i = 1; i <= 3; i++) {
        y = cb_graph_relu(g, join(n, prefix, cb_namef(name, "relu%d", i)), y);
        y = cb_mod_sep_conv(g, join(n, prefix, cb_namef(name, "sep%d", i)), y, c);
        y = cb_graph_bn(g, join(n, prefix, cb_namef(name, "bn%d", i)), y);
    }
    return cb_graph_add(g, join(n, prefix, "add"), x, y);
}

/* A 'same' k x k BasicConv at stride 1 under "prefix.name". */
static int same_conv(cb_graph *g, const char *prefix, const char *name, int x, int cout, int k,
                     int groups) {
    char n[CB_NAME_MAX];
    return cb_mod_basic_conv(g, join(n, prefix, name), x, cout, cb_conv_square(k, 1, k / 2, groups));
}

int cb_mod_inception_a(cb_graph *g, const char *prefix, int x, int pool_features) {
    char n[CB_NAME_MAX];
    int b1 = same_conv(g, prefix, "branch1x1", x, 64, 1, 1);
    int b5 = same_conv(g, prefix, "branch5x5_1", x, 48, 1, 1);
    b5 = same_conv(g, prefix, "branch5x5_2", b5, 64, 5, 1);
    int b3 = same_conv(g, prefix, "branch3x3dbl_1", x, 64, 1, 1);
    b3 = same_conv(g, prefix, "branch3x3dbl_2", b3, 96, 3, 1);
    b3 = same_conv(g, prefix, "branch3x3dbl_3", b3, 96, 3, 1);
    int bp = cb_graph_avgpool(g, join(n, prefix, "avgpool"), x, 3, 1, 1); /* count_include_pad */
    bp = same_conv(g, prefix, "branch_pool", bp, pool_features, 1, 1);
    int branches[4] = {b1, b5, b3, bp};
    return cb_graph_concat(g, join(n, prefix, "concat"), branches, 4);
}

/* InceptionGrouped at `prefix`: 1x1 reduce (cin -> m), then a 3x3 over `groups` segments. */
static int inception_grouped(cb_graph *g, const char *prefix, int x, int m, int groups) {
    x = same_conv(g, prefix, "reduce", x, m, 1, 1);
    return same_conv(g, prefix, "spatial", x, m, 3, groups);
}

/* ---- the blocks ------------------------------------------------------ */

static cb_status build_standard(cb_graph *g, const cb_args *a) {
    int x = cb_graph_conv(g, "conv", 0, cb_args_get(a, "cout"),
                          cb_conv_square(3, cb_args_get(a, "stride"), 1, 1), false);
    x = cb_graph_bn(g, "bn", x);
    cb_graph_relu(g, "relu", x);
    return cb_graph_status(g, NULL);
}

static cb_status build_conv_kxk(cb_graph *g, const cb_args *a) {
    int k = cb_args_get(a, "k");
    int x = cb_graph_conv(g, "conv", 0, cb_args_get(a, "cout"), cb_conv_square(k, 1, k / 2, 1), true);
    cb_graph_relu(g, "relu", x);
    return cb_graph_status(g, NULL);
}

static cb_status build_vgg(cb_graph *g, const cb_args *a) {
    char n[CB_NAME_MAX];
    int x = 0;
    for (int i = 0; i < cb_args_get(a, "n"); i++) {
        x = cb_graph_conv(g, cb_namef(n, "convs.%d", i), x, cb_args_get(a, "cout"),
                          cb_conv_square(3, 1, 1, 1), true);
        x = cb_graph_relu(g, cb_namef(n, "convs.%d.relu", i), x);
    }
    return cb_graph_status(g, NULL);
}

static cb_status build_mobilenet(cb_graph *g, const cb_args *a) {
    int cin = g->values[0].c;
    int x = cb_graph_conv(g, "dw", 0, cin, cb_conv_square(3, cb_args_get(a, "stride"), 1, cin), false);
    x = cb_graph_bn(g, "bn1", x);
    x = cb_graph_relu(g, "relu1", x);
    x = cb_graph_conv(g, "pw", x, cb_args_get(a, "cout"), cb_conv_square(1, 1, 0, 1), false);
    x = cb_graph_bn(g, "bn2", x);
    cb_graph_relu(g, "relu2", x);
    return cb_graph_status(g, NULL);
}

static cb_status build_xception_entry(cb_graph *g, const cb_args *a) {
    int cout = cb_args_get(a, "cout");
    cb_mod_xception_downsample(g, "", 0, cout, cout, cb_args_get(a, "start_relu") != 0);
    return cb_graph_status(g, NULL);
}

static cb_status build_xception_exit(cb_graph *g, const cb_args *a) {
    cb_mod_xception_downsample(g, "", 0, cb_args_get(a, "cin"), cb_args_get(a, "cout"), true);
    return cb_graph_status(g, NULL);
}

static cb_status build_xception_middle(cb_graph *g, const cb_args *a) {
    (void)a;
    cb_mod_xception_middle(g, "", 0);
    return cb_graph_status(g, NULL);
}

static cb_status build_inception_a(cb_graph *g, const cb_args *a) {
    cb_mod_inception_a(g, "", 0, cb_args_get(a, "pool_features"));
    return cb_graph_status(g, NULL);
}

static cb_status build_inception_grouped(cb_graph *g, const cb_args *a) {
    inception_grouped(g, "", 0, cb_args_get(a, "m"), cb_args_get(a, "groups"));
    return cb_graph_status(g, NULL);
}

static cb_status build_inception_simple(cb_graph *g, const cb_args *a) {
    char n[CB_NAME_MAX];
    int towers[3];
    for (int t = 0; t < 3; t++)
        towers[t] = inception_grouped(g, cb_namef(n, "towers.%d", t), 0, cb_args_get(a, "c"), 1);
    cb_graph_concat(g, "concat", towers, 3);
    return cb_graph_status(g, NULL);
}

/* ---- the registry ---------------------------------------------------- */

#define INT(k, v) {k, v, false, false}
#define FLAG(k, v) {k, v, true, false}

static const cb_block_info BLOCKS[] = {
    {"standard", "regular 3x3 conv -> BN -> ReLU: the baseline every block is compared with",
     {{INT("cin", 64), INT("cout", 128), INT("stride", 1)}, 3}, {64, 56, 56}, "cin", build_standard},
    {"conv_kxk", "one k x k conv with bias -> ReLU: what a VGG stack of 3x3 convs replaces",
     {{INT("cin", 64), INT("cout", 64), INT("k", 5)}, 3}, {64, 56, 56}, "cin", build_conv_kxk},
    {"vgg", "n stacked 3x3 convs with bias, each followed by ReLU (receptive field 2n+1)",
     {{INT("cin", 64), INT("cout", 64), INT("n", 2)}, 3}, {64, 56, 56}, "cin", build_vgg},
    {"mobilenet", "MobileNet v1 layer: dw3x3 -> BN -> ReLU -> pw1x1 -> BN -> ReLU",
     {{INT("cin", 64), INT("cout", 128), INT("stride", 1)}, 3}, {64, 56, 56}, "cin", build_mobilenet},
    {"xception_entry", "Xception entry module: [ReLU] Sep-BN-ReLU-Sep-BN-MaxPool/2 + 1x1/2 shortcut",
     {{INT("cin", 128), INT("cout", 256), FLAG("start_relu", 1)}, 3}, {128, 74, 74}, "cin",
     build_xception_entry},
    {"xception_middle", "Xception middle module: x + 3 x (ReLU -> Sep(c, c) -> BN)",
     {{INT("c", 728)}, 1}, {728, 19, 19}, "c", build_xception_middle},
    {"xception_exit", "Xception exit module: ReLU-Sep(cin,cin)-BN-ReLU-Sep(cin,cout)-BN-MaxPool + shortcut",
     {{INT("cin", 728), INT("cout", 1024)}, 2}, {728, 19, 19}, "cin", build_xception_exit},
    {"inception_a", "Inception v3 35x35 module (Mixed_5b): 1x1, 5x5, double 3x3 and pool towers",
     {{INT("cin", 192), INT("pool_features", 32)}, 2}, {192, 35, 35}, "cin", build_inception_a},
    {"inception_simple", "Xception paper Fig. 2: three towers of 1x1 then 3x3, concatenated",
     {{INT("cin", 192), INT("c", 64)}, 2}, {192, 35, 35}, "cin", build_inception_simple},
    {"inception_grouped", "Xception paper Fig. 3/4: one 1x1 (cin -> m), then a 3x3 over g channel groups",
     {{INT("cin", 192), INT("m", 192), INT("groups", 3)}, 3}, {192, 35, 35}, "cin",
     build_inception_grouped},
};

#define N_BLOCKS ((int)(sizeof BLOCKS / sizeof BLOCKS[0]))

int cb_block_count(void) { return N_BLOCKS; }

const cb_block_info *cb_block_at(int i) { return (i >= 0 && i < N_BLOCKS) ? &BLOCKS[i] : NULL; }

const cb_block_info *cb_block_find(const char *name) {
    for (int i = 0; i < N_BLOCKS; i++)
        if (strcmp(BLOCKS[i].name, name) == 0) return &BLOCKS[i];
    return NULL;
}

static cb_arg *find_arg(cb_args *a, const char *key) {
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->a[i].key, key) == 0) return &a->a[i];
    return NULL;
}

int cb_args_get(const cb_args *a, const char *key) {
    cb_arg *arg = find_arg((cb_args *)a, key);
    return arg ? arg->value : 0;
}

cb_status cb_args_set(cb_args *a, const char *kv, cb_error *err) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return cb_fail(err, CB_ERR_ARG, "--set '%s': expected KEY=VALUE", kv);
    char key[CB_ARG_KEY_MAX];
    size_t klen = (size_t)(eq - kv);
    if (klen >= sizeof key) return cb_fail(err, CB_ERR_ARG, "--set '%s': key too long", kv);
    memcpy(key, kv, klen);
    key[klen] = '\0';
    cb_arg *arg = find_arg(a, key);
    if (!arg) {
        char known[256] = "";
        for (int i = 0; i < a->n; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, a->a[i].key, sizeof known - strlen(known) - 1);
        }
        return cb_fail(err, CB_ERR_ARG, "--set '%s': unknown key '%s' (known: %s)", kv, key, known);
    }
    const char *v = eq + 1;
    if (arg->is_flag) {
        if (strcmp(v, "true") == 0) arg->value = 1;
        else if (strcmp(v, "false") == 0) arg->value = 0;
        else return cb_fail(err, CB_ERR_ARG, "--set '%s': %s is a flag: true or false", kv, key);
    } else {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno == ERANGE)
            return cb_fail(err, CB_ERR_ARG, "--set '%s': '%s' is not an integer", kv, v);
        if (n < 1 || n > CB_MAX_ARG_VALUE)
            return cb_fail(err, CB_ERR_ARG, "--set '%s': %s must be between 1 and %d", kv, key,
                           CB_MAX_ARG_VALUE);
        arg->value = (int)n;
    }
    arg->explicit_set = true;
    return CB_OK;
}

cb_status cb_block_build(const char *name, const cb_args *args, const cb_shape *shape,
                         cb_graph **out, cb_error *err) {
    *out = NULL;
    const cb_block_info *info = cb_block_find(name);
    if (!info) return cb_fail(err, CB_ERR_ARG, "unknown block '%s' (see `convblocks list`)", name);
    cb_args a = args ? *args : info->defaults;
    cb_arg *ch = find_arg(&a, info->channels_arg);
    cb_shape in = info->default_shape;
    if (shape) {
        in = *shape;
        if (ch->explicit_set && ch->value != in.c)
            return cb_fail(err, CB_ERR_ARG, "%s: %s=%d but the input shape has %d channels", name,
                           ch->key, ch->value, in.c);
        ch->value = in.c;
    } else {
        in.c = ch->value;
    }
    cb_graph *g = cb_graph_new(name, in);
    if (!g) return cb_fail(err, CB_ERR_NOMEM, "out of memory building %s", name);
    cb_status s = cb_graph_status(g, err);
    if (s == CB_OK && (s = info->build(g, &a)) != CB_OK) cb_graph_status(g, err);
    if (s != CB_OK) {
        cb_graph_free(g);
        return s;
    }
    *out = g;
    return CB_OK;
}
