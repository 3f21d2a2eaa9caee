/* fuzz_params.c — libFuzzer target for the `--params DIR` loader,
 * cb_graph_load_params.
 *
 * Input: byte 0 picks one of four small blocks (below); the rest is split at
 * each "\n@@\n" into sections. Section 0 is written as DIR/manifest.json
 * (what `--save-params` writes beside the arrays; the loader keys off the
 * graph and does not read it, so this checks that a hostile manifest is
 * harmless), section i >= 1 as DIR/<key of parameter i-1>.npy. An empty
 * section writes no file (a missing parameter); a section "@dir" makes a
 * directory of that name instead of a file.
 * Properties: no crash, leak or out-of-bounds access; a success means every
 * parameter holds exactly the floats of its section, as cb_npy_parse reads
 * them; a failure carries a message.
 */
#include "fuzz_util.h"

#include "convblocks/block.h"
#include "convblocks/npy.h"

static const struct {
    const char *block, *set[3];
    cb_shape shape;
} CASES[4] = {
    {"standard", {"cout=2", NULL, NULL}, {2, 3, 3}},
    {"mobilenet", {"cout=3", NULL, NULL}, {2, 3, 3}},
    {"inception_grouped", {"m=4", "groups=2", NULL}, {2, 3, 3}},
    {"xception_middle", {NULL, NULL, NULL}, {2, 3, 3}},
};

static const char SEP[] = "\n@@\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *dir = fuzz_scratch();
    fuzz_clear_dir(dir, 0);

    int k = data[0] % 4;
    const cb_block_info *info = cb_block_find(CASES[k].block);
    FUZZ_ASSERT(info);
    cb_args args = info->defaults;
    cb_error err;
    for (int i = 0; i < 3 && CASES[k].set[i]; i++)
        FUZZ_ASSERT(cb_args_set(&args, CASES[k].set[i], &err) == CB_OK);
    cb_graph *g = NULL;
    FUZZ_ASSERT(cb_block_build(info->name, &args, &CASES[k].shape, &g, &err) == CB_OK);

    /* Cut the input into sections; remember where each starts and ends. */
    enum { MAX_SECTIONS = 64 };
    const uint8_t *start[MAX_SECTIONS];
    size_t len[MAX_SECTIONS];
    int n = 0;
    const uint8_t *p = data + 1, *end = data + size;
    while (n < MAX_SECTIONS) {
        const uint8_t *q = p;
        while (q + 4 <= end && memcmp(q, SEP, 4) != 0) q++;
        if (q + 4 > end) q = end;
        start[n] = p;
        len[n] = (size_t)(q - p);
        n++;
        if (q == end) break;
        p = q + 4;
    }

    char path[1024];
    for (int i = 0; i < n; i++) {
        if (i == 0) {
            snprintf(path, sizeof path, "%s/manifest.json", dir);
        } else if (i - 1 < g->n_params) {
            snprintf(path, sizeof path, "%s/%s.npy", dir, g->params[i - 1].key);
        } else {
            break;
        }
        if (len[i] == 0) continue;
        if (len[i] == 4 && memcmp(start[i], "@dir", 4) == 0) {
            FUZZ_ASSERT(mkdir(path, 0700) == 0);
            continue;
        }
        fuzz_write(path, start[i], len[i]);
    }

    cb_status s = cb_graph_load_params(g, dir, &err);
    if (s != CB_OK) {
        FUZZ_ASSERT(memchr(err.msg, '\0', sizeof err.msg) && err.msg[0]);
    } else {
        FUZZ_ASSERT(n - 1 >= g->n_params);
        for (int i = 0; i < g->n_params; i++) {
            cb_tensor t;
            FUZZ_ASSERT(cb_npy_parse(start[i + 1], len[i + 1], "section", &t, &err) == CB_OK);
            uint64_t numel = cb_tensor_numel(&t);
            FUZZ_ASSERT(numel == cb_tensor_numel(&g->params[i].t));
            FUZZ_ASSERT(memcmp(t.data, g->params[i].t.data, (size_t)numel * 4) == 0);
            cb_tensor_free(&t);
        }
    }
    cb_graph_free(g);
    return 0;
}
