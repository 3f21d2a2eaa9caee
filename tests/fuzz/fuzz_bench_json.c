/* fuzz_bench_json.c — libFuzzer target for convblocks-bench-compare's
 * Google Benchmark JSON reader and everything downstream of it.
 *
 * compare.c keeps its reader static, so it is compiled in here whole, with
 * its main renamed: the target drives the real program. The input is split
 * at the first "\n@@\n" into BASE and NEW (no separator: the same text for
 * both); byte 0 bit 0 adds --json. Both are written to files and the
 * program runs on them with stdout thrown away.
 * Properties: no crash, leak, undefined behaviour or hang; the exit code is
 * 0, 1 or 2, as documented.
 */
#include "fuzz_util.h"

/* compare.c's messages go to a null stream: fd 2 stays for the sanitizers. */
static FILE *fuzz_null;
#define main compare_main
#undef stderr
#define stderr fuzz_null
#include "../../bench/compare.c"
#undef stderr
#define stderr stderr /* glibc's own definition */
#undef main

static int silenced;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!silenced) {
        FUZZ_ASSERT(freopen("/dev/null", "w", stdout) != NULL);
        FUZZ_ASSERT((fuzz_null = fopen("/dev/null", "w")) != NULL);
        silenced = 1;
    }
    int json = data[0] & 1;
    data++, size--;
    const uint8_t *cut = NULL;
    for (size_t i = 0; i + 4 <= size; i++)
        if (memcmp(data + i, "\n@@\n", 4) == 0) {
            cut = data + i;
            break;
        }
    char base[512], new_[512];
    snprintf(base, sizeof base, "%s/base.json", fuzz_scratch());
    snprintf(new_, sizeof new_, "%s/new.json", fuzz_scratch());
    if (cut) {
        fuzz_write(base, data, (size_t)(cut - data));
        fuzz_write(new_, cut + 4, size - (size_t)(cut - data) - 4);
    } else {
        fuzz_write(base, data, size);
        fuzz_write(new_, data, size);
    }
    char *argv[] = {"convblocks-bench-compare", base, new_, json ? "--json" : NULL, NULL};
    int rc = compare_main(json ? 4 : 3, argv);
    FUZZ_ASSERT(rc >= 0 && rc <= 2);
    return 0;
}
