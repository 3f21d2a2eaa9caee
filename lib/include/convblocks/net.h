/* net.h — whole networks built from the library's ops and blocks.
 *
 * mobilenet_v1 (width multiplier alpha, input resolution), mobilenet_v1_conv
 * (every depthwise separable layer replaced by a full 3x3 conv, as in the
 * MobileNet paper's Table 4), vgg16, vgg19, xception, inception_v3 (no
 * auxiliary classifier). Each ends in its 1000-class classifier as
 * published; where a paper is ambiguous the released reference
 * implementation decides (TF-slim MobileNet, Keras Xception, torchvision
 * VGG and Inception v3).
 */
#ifndef CONVBLOCKS_NET_H
#define CONVBLOCKS_NET_H

#include <stdbool.h>

#include "convblocks/graph.h"
#include "convblocks/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *name;
    const char *summary;
    int default_resolution;
    int min_resolution;
    int resolution_multiple;   /* resolution must be a multiple of this (1 = any) */
    bool has_alpha;            /* accepts a width multiplier */
} cb_net_info;

int cb_net_count(void);
const cb_net_info *cb_net_at(int i);
const cb_net_info *cb_net_find(const char *name);  /* NULL if unknown */

/* Build network `name` (alpha: 0 < alpha <= 1, ignored where it has none;
 * resolution: 0 for the default). Parameters are declared, not allocated:
 * cb_graph_init_params or cb_graph_load_params fill them (VGG16 alone is
 * 550 MB, and costing it needs none of that). */
cb_status cb_net_build(const char *name, double alpha, int resolution, cb_graph **out,
                       cb_error *err);

#ifdef __cplusplus
}
#endif
#endif
