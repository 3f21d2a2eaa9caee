/* convblocks report — the main job. For now: the cost table of every block. */
#include <stdio.h>

#include "cli.h"

int cmd_report(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return cli_fail("report", CB_ERR_ARG, "not built yet");
}
