/* bm_blocks.c — every canonical block at its default shape:
 * block/<block>/<impl>/<CxHxW>/t<threads>, fast with each thread count.
 *
 * The reference kernels are plain loops (~0.3 GMAC/s): the Xception modules
 * take ~6 s per pass at their default shape. So ref runs every block at half
 * the default height and width (same channels and arguments, a quarter of
 * the MACs), with a fast one-thread run at that same shape beside it for
 * the ref/fast speedup. Not in --quick. */
#include <stdio.h>
#include <string.h>

#include "graph_bench.h"

int cbb_add_block(const char *name, cb_shape s, const char *const *kv, int n_kv, cb_impl impl,
                  int threads) {
    const cb_block_info *info = cb_block_find(name);
    if (!info) {
        fprintf(stderr, "convblocks-bench: block '%s': unknown, not registered\n", name);
        return -1;
    }
    cbb_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.build = cbb_build_block;
    snprintf(spec.target, sizeof spec.target, "%s", name);
    spec.shape = s;
    spec.impl = impl;
    spec.threads = threads;
    spec.args = info->defaults;
    spec.has_args = n_kv > 0;
    char shape[48], extra[128] = "";
    size_t len = 0;
    for (int i = 0; i < n_kv; i++) {
        cb_error err;
        if (cb_args_set(&spec.args, kv[i], &err)) {
            fprintf(stderr, "convblocks-bench: block '%s': %s, not registered\n", name, err.msg);
            return -1;
        }
        len += (size_t)snprintf(extra + len, sizeof extra - len, "%s%s", i ? "," : "/", kv[i]);
        if (len >= sizeof extra) len = sizeof extra - 1;
    }
    snprintf(spec.name, sizeof spec.name, "block/%s/%s/%s%s/t%d", name, cb_impl_name(impl),
             cb_shape_str(s, shape, sizeof shape), extra, threads);
    cbb_add(&spec);
    return 0;
}

void cbb_register_blocks(void) {
    for (int i = 0; i < cb_block_count(); i++) {
        const cb_block_info *info = cb_block_at(i);
        for (int t = 0; t < cbb_cfg.n_threads; t++)
            cbb_add_block(info->name, info->default_shape, NULL, 0, CB_IMPL_FAST, cbb_cfg.threads[t]);
        if (cbb_cfg.quick) continue;
        cb_shape half = info->default_shape;
        half.h = (half.h + 1) / 2;
        half.w = (half.w + 1) / 2;
        cbb_add_block(info->name, half, NULL, 0, CB_IMPL_FAST, 1);
        cbb_add_block(info->name, half, NULL, 0, CB_IMPL_REF, 1);
    }
}
