/* common.c — flag parsing and target building shared by the subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "convblocks/block.h"
#include "convblocks/exec.h"
#include "convblocks/net.h"

int cli_fail(const char *cmd, cb_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "convblocks: %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return cb_status_exit_code(s);
}

void cli_args_init(cli_args *a, int argc, char **argv) {
    memset(a, 0, sizeof *a);
    a->argc = argc;
    a->argv = argv;
    a->i = 0;
}

int cli_next(cli_args *a) {
    if (++a->i >= a->argc) return 0;
    const char *s = a->argv[a->i];
    a->inline_val = NULL;
    if (strncmp(s, "--", 2) == 0 && s[2] != '\0') {
        const char *eq = strchr(s, '=');
        size_t n = eq ? (size_t)(eq - s) : strlen(s);
        if (n >= sizeof a->name_buf) n = sizeof a->name_buf - 1;
        memcpy(a->name_buf, s, n);
        a->name_buf[n] = '\0';
        a->name = a->name_buf;
        if (eq) a->inline_val = eq + 1;
    } else if (s[0] == '-' && s[1] == 'h' && s[2] == '\0') {
        a->name = "--help";
    } else {
        a->name = NULL;
    }
    return 1;
}

const char *cli_value(cli_args *a) {
    if (a->inline_val) return a->inline_val;
    if (a->i + 1 >= a->argc) return NULL;
    return a->argv[++a->i];
}

bool cli_is(const cli_args *a, const char *name) { return a->name && strcmp(a->name, name) == 0; }

int cli_parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int cli_parse_double(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int cli_target_flag(const char *cmd, cli_args *a, cli_target *t) {
    const char *v;
    if (cli_is(a, "--shape")) {
        cb_error e;
        if (!(v = cli_value(a))) return cli_fail(cmd, CB_ERR_ARG, "--shape needs C,H,W"), -1;
        if (cb_shape_parse(v, &t->shape, &e) != CB_OK) return cli_fail(cmd, CB_ERR_ARG, "%s", e.msg), -1;
        t->has_shape = true;
        return 1;
    }
    if (cli_is(a, "--set")) {
        if (!(v = cli_value(a))) return cli_fail(cmd, CB_ERR_ARG, "--set needs KEY=VALUE"), -1;
        if (t->n_sets >= CLI_MAX_SETS)
            return cli_fail(cmd, CB_ERR_ARG, "more than %d --set options", CLI_MAX_SETS), -1;
        t->sets[t->n_sets++] = v;
        return 1;
    }
    if (cli_is(a, "--alpha")) {
        if (!(v = cli_value(a)) || cli_parse_double(v, 1e-9, 1.0, &t->alpha) != 0)
            return cli_fail(cmd, CB_ERR_ARG, "--alpha '%s': must be a number with 0 < alpha <= 1",
                            v ? v : ""), -1;
        t->has_alpha = true;
        return 1;
    }
    if (cli_is(a, "--resolution")) {
        long r;
        if (!(v = cli_value(a)) || cli_parse_int(v, 1, 8192, &r) != 0)
            return cli_fail(cmd, CB_ERR_ARG, "--resolution '%s': must be an integer from 1 to 8192",
                            v ? v : ""), -1;
        t->resolution = (int)r;
        return 1;
    }
    return 0;
}

cb_status cli_build(const cli_target *t, cb_graph **g, cb_error *err) {
    *g = NULL;
    if (!t->target) return cb_fail(err, CB_ERR_ARG, "no block or network named (see `convblocks list`)");
    const cb_block_info *b = cb_block_find(t->target);
    if (b) {
        if (t->has_alpha || t->resolution)
            return cb_fail(err, CB_ERR_ARG, "%s is a block: --alpha and --resolution are for networks (use --shape)",
                           t->target);
        cb_args args = b->defaults;
        for (int i = 0; i < t->n_sets; i++) {
            cb_status s = cb_args_set(&args, t->sets[i], err);
            if (s != CB_OK) return s;
        }
        return cb_block_build(t->target, &args, t->has_shape ? &t->shape : NULL, g, err);
    }
    if (cb_net_find(t->target)) {
        if (t->has_shape || t->n_sets)
            return cb_fail(err, CB_ERR_ARG, "%s is a network: use --alpha and --resolution, not --shape/--set",
                           t->target);
        return cb_net_build(t->target, t->has_alpha ? t->alpha : 1.0, t->resolution, g, err);
    }
    return cb_fail(err, CB_ERR_ARG, "unknown block or network '%s' (see `convblocks list`)", t->target);
}

const char *cli_nchw(cb_shape s, char *buf, size_t n) {
    snprintf(buf, n, "1x%dx%dx%d", s.c, s.h, s.w);
    return buf;
}

int cli_exec_flag(const char *cmd, cli_args *a, cli_exec_opts *o) {
    if (!cli_is(a, "--impl") && !cli_is(a, "--gemm") && !cli_is(a, "--threads")) return 0;
    const char *name = a->name, *v = cli_value(a);
    long threads;
    if (!v) return cli_fail(cmd, CB_ERR_ARG, "%s needs a value", name), -1;
    if (strcmp(name, "--impl") == 0) {
        if (cb_impl_parse(v, &o->impl)) return cli_fail(cmd, CB_ERR_ARG, "--impl '%s': ref or fast", v), -1;
    } else if (strcmp(name, "--gemm") == 0) {
        if (cb_gemm_backend_parse(v, &o->gemm))
            return cli_fail(cmd, CB_ERR_ARG, "--gemm '%s': own or openblas", v), -1;
        o->gemm_set = true;
    } else {
        if (cli_parse_int(v, 0, 1024, &threads))
            return cli_fail(cmd, CB_ERR_ARG, "--threads '%s': 0 (all) to 1024", v), -1;
        o->threads = (int)threads;
    }
    return 1;
}

int cli_exec_check(const char *cmd, const cli_exec_opts *o) {
    if (o->gemm_set && o->impl == CB_IMPL_REF)
        return cli_fail(cmd, CB_ERR_ARG, "--gemm chooses a fast kernel: it does not go with --impl ref"), -1;
    return 0;
}

cb_status cli_exec_new(const cb_graph *g, const cli_exec_opts *o, cb_exec **e, cb_error *err) {
    if (o->impl == CB_IMPL_REF) return cb_exec_new(g, o->impl, o->threads, e, err);
    cb_fast_options fo = {o->threads, o->gemm};
    return cb_exec_new_fast(g, &fo, e, err);
}
