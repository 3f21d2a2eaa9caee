/* fuzz_set.c — libFuzzer target for the --set parser, cb_args_set, over
 * every block's defaults, and for the block builders behind it.
 *
 * Input: byte 0 picks the block (modulo the block count), byte 1 bit 0
 * says whether to pass an explicit --shape (then bytes 2..4 give C, H, W
 * from 1 to 256), and the rest is up to CLI_MAX_SETS (16) "KEY=VALUE"
 * lines, as `convblocks cost BLOCK --set ...` would receive them.
 * Properties: no crash, leak or undefined behaviour; a refused --set leaves
 * the arguments as they were; accepted arguments either build a graph whose
 * cost is consistent (totals are the sum of the layers; every shape positive)
 * or are refused by the builder with a message.
 */
#include "fuzz_util.h"

#include "convblocks/block.h"
#include "convblocks/cost.h"

#define MAX_SETS 16 /* CLI_MAX_SETS in cli/cli.h */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 5) return 0;
    const cb_block_info *info = cb_block_at(data[0] % cb_block_count());
    int with_shape = data[1] & 1;
    cb_shape shape = {1 + data[2], 1 + data[3], 1 + data[4]};
    char *text = fuzz_strndup(data + 5, size - 5);

    cb_args args = info->defaults;
    cb_error err;
    char *line = text;
    for (int n = 0; line && n < MAX_SETS; n++) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        cb_args before = args;
        if (cb_args_set(&args, line, &err) != CB_OK) {
            FUZZ_ASSERT(memcmp(&before, &args, sizeof args) == 0);
            FUZZ_ASSERT(memchr(err.msg, '\0', sizeof err.msg) && err.msg[0]);
            free(text);
            return 0;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);

    cb_graph *g = NULL;
    if (cb_block_build(info->name, &args, with_shape ? &shape : NULL, &g, &err) != CB_OK) {
        FUZZ_ASSERT(g == NULL && err.msg[0]);
        return 0;
    }
    FUZZ_ASSERT(g->n_layers > 0);
    cb_cost *per = calloc((size_t)g->n_layers, sizeof *per);
    FUZZ_ASSERT(per);
    cb_cost total = cb_graph_cost(g, per), sum = {0};
    for (int i = 0; i < g->n_layers; i++) {
        cb_cost_add(&sum, per[i]);
        cb_shape o = g->values[g->layers[i].out];
        FUZZ_ASSERT(o.c > 0 && o.h > 0 && o.w > 0);
    }
    FUZZ_ASSERT(memcmp(&sum, &total, sizeof sum) == 0);
    free(per);
    cb_graph_free(g);
    return 0;
}
