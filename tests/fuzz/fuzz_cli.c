/* fuzz_cli.c — libFuzzer target for the command line's argument handling:
 * `convblocks cost ARGS...` and `convblocks list ARGS...`, whole.
 *
 * The input is the argument list, one argument per line (at most 24); byte 0
 * bit 0 picks list instead of cost. This drives cli_next (--name=value,
 * -h, positionals), cli_target_flag (--shape, --set, --alpha,
 * --resolution), the strict number parsers, every block and network builder
 * behind cli_build, and the three output formats, with stdout thrown away.
 * Properties: no crash, leak or undefined behaviour; the exit code is 0
 * (success or --help) or 2 (usage) — costing reads no file, so never 1 —
 * and a failure prints exactly one line on stderr starting "convblocks: ".
 */
#include "fuzz_util.h"

#include "../../cli/cli.h"

static int silenced;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (!silenced) {
        FUZZ_ASSERT(freopen("/dev/null", "w", stdout) != NULL);
        silenced = 1;
    }
    int list = data[0] & 1;
    char *text = fuzz_strndup(data + 1, size - 1);
    char *argv[26];
    int argc = 0;
    argv[argc++] = list ? "list" : "cost";
    for (char *p = text; p && argc < 25;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        argv[argc++] = p;
        p = nl ? nl + 1 : NULL;
    }
    argv[argc] = NULL;

    /* Capture stderr (fd 2 stays for the sanitizers: only the FILE moves). */
    char path[512];
    snprintf(path, sizeof path, "%s/stderr", fuzz_scratch());
    FILE *saved = stderr;
    FILE *cap = fopen(path, "w+");
    FUZZ_ASSERT(cap);
    stderr = cap;
    int rc = list ? cmd_list(argc, argv) : cmd_cost(argc, argv);
    stderr = saved;
    fflush(stdout);

    FUZZ_ASSERT(rc == 0 || rc == 2);
    rewind(cap);
    char line[1024];
    int lines = 0, first_ok = 0;
    while (fgets(line, sizeof line, cap)) {
        if (lines == 0) first_ok = strncmp(line, "convblocks: ", 12) == 0;
        if (strchr(line, '\n')) lines++;
    }
    fclose(cap);
    if (rc != 0) FUZZ_ASSERT(lines == 1 && first_ok);
    free(text);
    return 0;
}
