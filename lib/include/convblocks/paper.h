/* paper.h — the published cost figures, reproduced from our own counts.
 *
 * Each figure is one number a paper or a reference implementation prints
 * about a network (MobileNet Tables 2, 3, 4, 6, 7; the Xception paper's
 * Table 3 parameter counts; VGG Table 2; Keras and torchvision model
 * tables), beside our figure computed by the cost model (cost.h) from the
 * networks of net.h, and a verdict: "exact match" (the source gives an exact
 * count and ours equals it), "match at printed rounding" (ours rounds to the
 * printed digits) or "differs: <why>" (a misprint, or a different count).
 *
 * Conventions of the sources, which decide what we compare:
 *   the MobileNet paper's "parameters" are conv and FC weights (cb_cost
 *   .weights); the Xception paper's and Keras's "trainable params" and
 *   torchvision's num_params are learnable parameters (cb_cost .params);
 *   Keras's "Total params" adds the BN running statistics (.buffers);
 *   torchvision's "GFLOPS" are multiply-adds (cb_cost .macs).
 *
 * `convblocks cost --paper NET|all` prints the table with cb_paper_print.
 */
#ifndef CONVBLOCKS_PAPER_H
#define CONVBLOCKS_PAPER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "convblocks/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *source;    /* "MobileNet (arXiv 1704.04861) Table 4" */
    const char *net;       /* the network (net.h) the figure is about: "mobilenet_v1" */
    const char *quantity;  /* what is counted: "mult-adds, alpha 0.75, 224x224" */
    const char *printed;   /* the figure exactly as printed: "325", "1.19%", "22,855,952" */
    const char *unit;      /* suffix of the printed unit: " M", " G", "%", "" */
    double published;      /* the printed figure as a number, in that unit */
    int decimals;          /* digits after the point as printed: the rounding compared at */
    bool exact;            /* the source gives an exact integer count */
    double ours;           /* our figure in the printed unit, unrounded */
    uint64_t ours_count;   /* our exact integer count (0 for shares) */
    bool match;            /* ours equals the published figure at its printed rounding */
    const char *verdict;   /* "exact match" | "match at printed rounding" | "differs: <why>" */
} cb_paper_figure;

/* Number of published figures. */
int cb_paper_count(void);

/* Figure i (0 <= i < cb_paper_count()), with our value computed now from
 * the networks. The strings are static; nothing to free. */
cb_status cb_paper_figure_get(int i, cb_paper_figure *out, cb_error *err);

/* Print every figure about network `net_or_all` ("all" for every network)
 * as a table to f: source, network, quantity, ours, published, verdict.
 * An unknown network name is CB_ERR_ARG. */
cb_status cb_paper_print(FILE *f, const char *net_or_all, cb_error *err);

#ifdef __cplusplus
}
#endif
#endif
