/* graph_bench.h — every convblocks benchmark is "run this graph forward".
 *
 * A benchmark is described by a cbb_spec (what graph, which implementation,
 * how many threads) and registered with cbb_add. Nothing is built at
 * registration: when Google Benchmark first calls a benchmark, the graph is
 * built, its parameters filled, the executor made (all activations and
 * workspaces allocated, weights packed) and the input filled — all before
 * the timed loop, which only calls cb_exec_run. The last built benchmark is
 * kept for the next repetition and freed when another starts, so at most one
 * network's weights are in memory at a time.
 *
 * Counters on every benchmark (cost.h, the one cost model):
 *   MACs, params, bytes   exact, per forward pass
 *   AI                    arithmetic intensity 2*MACs/bytes (flop/byte)
 *   GMAC/s, GB/s          MACs and minimum bytes per second of wall time
 *   threads               the executor's thread count
 */
#ifndef CBB_GRAPH_BENCH_H
#define CBB_GRAPH_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "convblocks/block.h"
#include "convblocks/graph.h"
#include "convblocks/ops.h"

typedef struct cbb_spec cbb_spec;
typedef cb_status (*cbb_build_fn)(const cbb_spec *s, cb_graph **g, cb_error *err);

/* One-layer op benchmarks: which op, and its parameters. */
typedef enum {
    CBB_OP_CONV, CBB_OP_DEPTHWISE, CBB_OP_POINTWISE, CBB_OP_BN, CBB_OP_RELU, CBB_OP_MAXPOOL,
    CBB_OP_AVGPOOL, CBB_OP_GAP, CBB_OP_ADD, CBB_OP_CONCAT, CBB_OP_FC
} cbb_op;

struct cbb_spec {
    char name[200];
    cbb_build_fn build;
    /* what build reads */
    char target[CB_NAME_MAX];  /* block or network name */
    cb_args args;              /* block arguments (defaults plus overrides) */
    bool has_args;
    cb_shape shape;            /* block/op input shape */
    cbb_op op;
    int k, stride, cout;       /* op parameters */
    double alpha;              /* network width multiplier */
    int resolution;            /* network input size */
    /* how it runs */
    cb_impl impl;
    int threads;
    bool cold;                 /* rotate inputs/outputs through a buffer > last-level cache */
};

/* Settings from the command line, shared by the registration functions. */
typedef struct {
    bool quick;                /* the < 1 minute preset */
    bool cold;                 /* also register cold-cache variants of memory-bound ops */
    int threads[4];            /* thread counts to run fast kernels with */
    int n_threads;
    uint64_t llc_bytes;        /* last-level cache, for the cold-cache buffer */
} cbb_config;

extern cbb_config cbb_cfg;

/* Register a benchmark for *s (copied; the copy lives until cbb_release). */
void cbb_add(const cbb_spec *s);
/* Free the registered specs and whatever the last benchmark built. */
void cbb_release(void);

/* Builders for cbb_spec.build. */
cb_status cbb_build_op(const cbb_spec *s, cb_graph **g, cb_error *err);
cb_status cbb_build_block(const cbb_spec *s, cb_graph **g, cb_error *err);
cb_status cbb_build_net(const cbb_spec *s, cb_graph **g, cb_error *err);

/* Register block `name` on input shape s with "key=value" overrides (may be
 * 0 of them), named block/<name>/<impl>/<CxHxW>[/k=v,...]/t<threads>.
 * Returns 0, or -1 (with a message on stderr) if the block or an argument is unknown. */
int cbb_add_block(const char *name, cb_shape s, const char *const *kv, int n_kv, cb_impl impl,
                  int threads);
/* Register op/depthwise<k>x<k>/fast/<shape>/t<threads> for every thread count. */
void cbb_register_depthwise_k(int k, cb_shape s);

/* The registration functions, one per bm_*.c file. */
void cbb_register_ops(void);
void cbb_register_blocks(void);
void cbb_register_nets(void);
void cbb_register_sweeps(void);

#endif
