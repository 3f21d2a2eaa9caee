/* block.h — the canonical blocks of reference/blocks.py, built as graphs.
 *
 * standard, conv_kxk, vgg, mobilenet, xception_entry, xception_middle,
 * xception_exit, inception_a, inception_simple, inception_grouped: each with
 * the same integer/flag arguments, defaults, default input shape and
 * parameter keys as the PyTorch definition, so weights saved by one load
 * into the other.
 */
#ifndef CONVBLOCKS_BLOCK_H
#define CONVBLOCKS_BLOCK_H

#include <stdbool.h>

#include "convblocks/graph.h"
#include "convblocks/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CB_MAX_ARGS 8
#define CB_ARG_KEY_MAX 32

/* One block argument: an integer, or a flag (true/false). */
typedef struct {
    char key[CB_ARG_KEY_MAX];
    int value;
    bool is_flag;
    bool explicit_set;   /* set by the user rather than defaulted */
} cb_arg;

typedef struct {
    cb_arg a[CB_MAX_ARGS];
    int n;
} cb_args;

typedef struct cb_block_info {
    const char *name;
    const char *summary;        /* one line, for `convblocks list` */
    cb_args defaults;
    cb_shape default_shape;
    const char *channels_arg;   /* the argument that must equal the input's C ("cin" or "c") */
    cb_status (*build)(cb_graph *g, const cb_args *a);
} cb_block_info;

int cb_block_count(void);
const cb_block_info *cb_block_at(int i);
const cb_block_info *cb_block_find(const char *name);  /* NULL if unknown */

/* Value of an argument (0 if absent). */
int cb_args_get(const cb_args *a, const char *key);

/* Apply "key=value" (integers, or true/false for flags) to a, refusing keys
 * the block does not have and values of the wrong kind. */
cb_status cb_args_set(cb_args *a, const char *kv, cb_error *err);

/* Build block `name` with args (NULL: defaults) on input shape (NULL: the
 * default shape, with C following the channels argument). When a shape is
 * given and the channels argument was not set, it follows the shape's C.
 * Parameters are declared, not allocated (costing a graph needs no
 * memory): cb_graph_init_params or cb_graph_load_params fill them.
 * The caller frees *out with cb_graph_free. */
cb_status cb_block_build(const char *name, const cb_args *args, const cb_shape *shape,
                         cb_graph **out, cb_error *err);

#ifdef __cplusplus
}
#endif
#endif
