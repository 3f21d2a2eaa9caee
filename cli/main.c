/* convblocks — the command line over libconvblocks.
 *
 *   convblocks list | cost | conv | run | report  (each with --help)
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "convblocks/machine.h"

static const char USAGE[] =
    "usage: convblocks COMMAND [options]   (convblocks COMMAND --help for details)\n"
    "\n"
    "  list     the canonical blocks and networks, with default arguments and shapes\n"
    "  cost     exact MACs, parameters and bytes of a block or network, layer by layer\n"
    "  conv     one convolution on .npy files, as torch.nn.functional.conv2d\n"
    "  run      run a block or network forward and time it\n"
    "  report   the main job: costs, timings, plots and the report page\n";

int main(int argc, char **argv) {
    cb_machine_short_spin(argv); /* before any OpenMP region: see machine.h */
    if (argc < 2) {
        fputs("convblocks: no command (try: list, cost, conv, run, report; or --help)\n", stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(USAGE, stdout);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"list", cmd_list}, {"cost", cmd_cost}, {"conv", cmd_conv}, {"run", cmd_run},
                {"report", cmd_report}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmd, cmds[i].name) == 0) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "convblocks: unknown command '%s' (try: list, cost, conv, run, report)\n", cmd);
    return 2;
}
