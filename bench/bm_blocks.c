/* bm_blocks.c — every canonical block at its default shape:
 * block/<block>/<impl>/<CxHxW>/t<threads>, fast with each thread count and
 * ref with one thread (not in --quick). */
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
        if (!cbb_cfg.quick) cbb_add_block(info->name, info->default_shape, NULL, 0, CB_IMPL_REF, 1);
    }
}
