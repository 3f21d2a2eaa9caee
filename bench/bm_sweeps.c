/* bm_sweeps.c — the comparisons the report plots, fast kernels only:
 *   channels   standard 3x3 conv vs MobileNet depthwise separable block,
 *              N -> N channels at 14x14, N = 16 ... 1024 (MobileNet paper 3.2:
 *              the separable block costs 1/N + 1/9 of the standard one)
 *   kernel     conv_kxk (a full k x k conv) and depthwise k x k, k = 3, 5, 7
 *   groups     inception_grouped with m = 192: groups 1 (a regular 3x3) ...
 *              192 (one 3x3 per channel, the "extreme Inception" of Xception)
 * Not in --quick. */
#include <stdio.h>

#include "graph_bench.h"

void cbb_register_sweeps(void) {
    if (cbb_cfg.quick) return;
    static const int channels[] = {16, 32, 64, 128, 256, 512, 1024};
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++) {
        int n = channels[i];
        char kv[32];
        snprintf(kv, sizeof kv, "cout=%d", n);
        const char *args[1] = {kv};
        cb_shape s = {n, 14, 14};
        for (int t = 0; t < cbb_cfg.n_threads; t++) {
            cbb_add_block("standard", s, args, 1, CB_IMPL_FAST, cbb_cfg.threads[t]);
            cbb_add_block("mobilenet", s, args, 1, CB_IMPL_FAST, cbb_cfg.threads[t]);
        }
    }
    for (int k = 3; k <= 7; k += 2) {
        char kv[16];
        snprintf(kv, sizeof kv, "k=%d", k);
        const char *args[1] = {kv};
        cb_shape s = {64, 56, 56};
        for (int t = 0; t < cbb_cfg.n_threads; t++)
            cbb_add_block("conv_kxk", s, args, 1, CB_IMPL_FAST, cbb_cfg.threads[t]);
        /* depthwise 3x3 at this shape is already in the op list */
        if (k > 3) cbb_register_depthwise_k(k, (cb_shape){128, 56, 56});
    }
    static const int groups[] = {1, 2, 3, 4, 8, 16, 32, 64, 192};
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        char kv[32];
        snprintf(kv, sizeof kv, "groups=%d", groups[i]);
        const char *args[1] = {kv};
        for (int t = 0; t < cbb_cfg.n_threads; t++)
            cbb_add_block("inception_grouped", (cb_shape){192, 35, 35}, args, 1, CB_IMPL_FAST,
                          cbb_cfg.threads[t]);
    }
}
