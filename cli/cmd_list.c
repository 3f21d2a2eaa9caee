/* convblocks list — what can be costed and run. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "convblocks/block.h"
#include "convblocks/net.h"

static const char HELP[] =
    "usage: convblocks list [--json]\n"
    "The canonical blocks (with their --set arguments and default input shape)\n"
    "and the networks (with their default resolution).\n";

static void args_text(const cb_args *a, char *buf, size_t n, int json) {
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < a->n && off < n; i++) {
        const cb_arg *g = &a->a[i];
        const char *v = g->is_flag ? (g->value ? "true" : "false") : NULL;
        if (json)
            off += (size_t)(v ? snprintf(buf + off, n - off, "%s\"%s\": %s", i ? ", " : "", g->key, v)
                              : snprintf(buf + off, n - off, "%s\"%s\": %d", i ? ", " : "", g->key, g->value));
        else
            off += (size_t)(v ? snprintf(buf + off, n - off, "%s%s=%s", i ? " " : "", g->key, v)
                              : snprintf(buf + off, n - off, "%s%s=%d", i ? " " : "", g->key, g->value));
    }
}

int cmd_list(int argc, char **argv) {
    int json = 0;
    cli_args a;
    cli_args_init(&a, argc, argv);
    while (cli_next(&a)) {
        if (cli_is(&a, "--help")) { fputs(HELP, stdout); return 0; }
        if (cli_is(&a, "--json")) { json = 1; continue; }
        return cli_fail("list", CB_ERR_ARG, "unknown option '%s'", a.argv[a.i]);
    }
    char args[256], in[32], out[32];
    if (json) printf("{\"blocks\": [\n");
    else printf("Blocks (convblocks cost|run BLOCK [--shape C,H,W] [--set KEY=VALUE]...):\n");
    for (int i = 0; i < cb_block_count(); i++) {
        const cb_block_info *b = cb_block_at(i);
        cb_graph *g;
        cb_error e;
        if (cb_block_build(b->name, NULL, NULL, &g, &e) != CB_OK)
            return cli_fail("list", CB_ERR_ARG, "%s", e.msg);
        cb_shape_str(cb_graph_input_shape(g), in, sizeof in);
        cb_shape_str(cb_graph_output_shape(g), out, sizeof out);
        cb_graph_free(g);
        args_text(&b->defaults, args, sizeof args, json);
        if (json)
            printf("  {\"name\": \"%s\", \"args\": {%s}, \"input_shape\": \"%s\", \"output_shape\": \"%s\", "
                   "\"summary\": \"%s\"}%s\n",
                   b->name, args, in, out, b->summary, i + 1 < cb_block_count() ? "," : "");
        else
            printf("  %-18s %-36s %11s -> %-11s %s\n", b->name, args, in, out, b->summary);
    }
    if (json) printf("], \"networks\": [\n");
    else printf("\nNetworks (convblocks cost|run NET [--alpha A] [--resolution R]):\n");
    for (int i = 0; i < cb_net_count(); i++) {
        const cb_net_info *n = cb_net_at(i);
        if (json)
            printf("  {\"name\": \"%s\", \"resolution\": %d, \"alpha\": %s, \"summary\": \"%s\"}%s\n",
                   n->name, n->default_resolution, n->has_alpha ? "true" : "false", n->summary,
                   i + 1 < cb_net_count() ? "," : "");
        else
            printf("  %-18s resolution %-4d%s  %s\n", n->name, n->default_resolution,
                   n->has_alpha ? " alpha" : "      ", n->summary);
    }
    if (json) printf("]}\n");
    return 0;
}
