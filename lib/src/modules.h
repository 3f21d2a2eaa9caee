/* modules.h — the canonical blocks as reusable pieces (library-internal).
 *
 * A module appends its layers to a graph under a name prefix ("" at the top
 * level of a block, "block7" or "mixed_5b" inside a network) and returns
 * its output value. The blocks of block.c are these modules at prefix "";
 * the networks of net.c stack them, so a network's "block7.sep2.dw.weight"
 * is the xception_middle block's "sep2.dw.weight" under "block7".
 */
#ifndef CONVBLOCKS_MODULES_H
#define CONVBLOCKS_MODULES_H

#include <stdbool.h>

#include "convblocks/graph.h"

/* BasicConv (Inception): "prefix.conv" (no bias) -> "prefix.bn" -> "prefix.relu". */
int cb_mod_basic_conv(cb_graph *g, const char *prefix, int x, int cout, cb_conv_params p);

/* SepConv (Xception): depthwise 3x3 "prefix.dw" then pointwise 1x1 "prefix.pw". */
int cb_mod_sep_conv(cb_graph *g, const char *prefix, int x, int cout);

/* xception_entry / xception_exit: [ReLU] Sep(cin, mid) -> BN -> ReLU ->
 * Sep(mid, cout) -> BN -> MaxPool 3x3/2, plus a 1x1/2 conv + BN shortcut. */
int cb_mod_xception_downsample(cb_graph *g, const char *prefix, int x, int mid, int cout,
                               bool start_relu);

/* xception_middle: x + 3 x (ReLU -> Sep(c, c) -> BN). */
int cb_mod_xception_middle(cb_graph *g, const char *prefix, int x);

/* inception_a (Inception v3 35x35, Mixed_5b..5d): 64 + 64 + 96 + pool_features channels. */
int cb_mod_inception_a(cb_graph *g, const char *prefix, int x, int pool_features);

#endif
