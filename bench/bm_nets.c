/* bm_nets.c — whole networks, batch 1, at their default resolution:
 * net/<net>/<impl>/<resolution>/t<threads>. Every network the library knows
 * at run time (net.h), fast with each thread count. The reference kernels
 * (seconds per pass) only for mobilenet_v1 at 128x128, with fast at 128
 * beside it. --quick keeps mobilenet_v1 at its default resolution alone. */
#include <stdio.h>
#include <string.h>

#include "convblocks/net.h"
#include "graph_bench.h"

static void add_net(const cb_net_info *info, int resolution, cb_impl impl, int threads) {
    cbb_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.build = cbb_build_net;
    snprintf(spec.target, sizeof spec.target, "%s", info->name);
    spec.alpha = 1.0;
    spec.resolution = resolution;
    spec.impl = impl;
    spec.threads = threads;
    snprintf(spec.name, sizeof spec.name, "net/%s/%s/%d/t%d", info->name, cb_impl_name(impl),
             spec.resolution, threads);
    cbb_add(&spec);
}

void cbb_register_nets(void) {
    for (int i = 0; i < cb_net_count(); i++) {
        const cb_net_info *info = cb_net_at(i);
        bool mobilenet = strcmp(info->name, "mobilenet_v1") == 0;
        if (cbb_cfg.quick && !mobilenet) continue;
        for (int t = 0; t < cbb_cfg.n_threads; t++)
            add_net(info, info->default_resolution, CB_IMPL_FAST, cbb_cfg.threads[t]);
        if (mobilenet && !cbb_cfg.quick) {
            add_net(info, 128, CB_IMPL_FAST, 1);
            add_net(info, 128, CB_IMPL_REF, 1);
        }
    }
}
