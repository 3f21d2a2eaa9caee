/* bm_nets.c — whole networks, batch 1, at their default resolution:
 * net/<net>/<impl>/<resolution>/t<threads>. Every network the library knows
 * at run time (net.h), fast with each thread count; the reference kernels
 * only for mobilenet_v1 (the others take seconds per pass). --quick keeps
 * mobilenet_v1 alone. */
#include <stdio.h>
#include <string.h>

#include "convblocks/net.h"
#include "graph_bench.h"

static void add_net(const cb_net_info *info, cb_impl impl, int threads) {
    cbb_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.build = cbb_build_net;
    snprintf(spec.target, sizeof spec.target, "%s", info->name);
    spec.alpha = 1.0;
    spec.resolution = info->default_resolution;
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
        for (int t = 0; t < cbb_cfg.n_threads; t++) add_net(info, CB_IMPL_FAST, cbb_cfg.threads[t]);
        if (mobilenet && !cbb_cfg.quick) add_net(info, CB_IMPL_REF, 1);
    }
}
