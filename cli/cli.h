/* cli.h — pieces shared by the `convblocks` subcommands.
 *
 * Every command parses its own flags with cli_next_opt, reports failure as
 * one line "convblocks: <command>: <why>" and returns the exit code
 * (0 ok, 1 runtime failure, 2 usage error).
 */
#ifndef CONVBLOCKS_CLI_H
#define CONVBLOCKS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "convblocks/exec.h"
#include "convblocks/graph.h"
#include "convblocks/status.h"

#define CLI_MAX_SETS 16   /* the deepest --set list accepted */

/* Print "convblocks: <cmd>: <message>" to stderr and return the exit code for s. */
int cli_fail(const char *cmd, cb_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Flag iterator over argv[1..]: handles "--name value", "--name=value" and
 * positionals (returned with name NULL). */
typedef struct {
    int argc, i;
    char **argv;
    const char *name;      /* "--shape" or NULL for a positional */
    char name_buf[64];     /* the flag's name when it came as --name=value */
    const char *inline_val;
} cli_args;

void cli_args_init(cli_args *a, int argc, char **argv);
/* Next item; returns 0 at the end. */
int cli_next(cli_args *a);
/* The value of the current flag (inline or the next argv); NULL if missing. */
const char *cli_value(cli_args *a);
bool cli_is(const cli_args *a, const char *name);

/* Strict integer / real parsing within [lo, hi]; 0 on success. */
int cli_parse_int(const char *s, long lo, long hi, long *out);
int cli_parse_double(const char *s, double lo, double hi, double *out);

/* What names a block or network, as given on the command line. */
typedef struct {
    const char *target;
    bool has_shape;
    cb_shape shape;
    const char *sets[CLI_MAX_SETS];
    int n_sets;
    bool has_alpha;
    double alpha;
    int resolution;        /* 0 = default */
} cli_target;

/* Try to consume the current flag as a target option (--shape, --set,
 * --alpha, --resolution). Returns 1 if consumed, 0 if not a target flag,
 * -1 (message printed) on a bad value. */
int cli_target_flag(const char *cmd, cli_args *a, cli_target *t);

/* Build the block or network t names (parameters declared, not filled). */
cb_status cli_build(const cli_target *t, cb_graph **g, cb_error *err);

/* How to execute: --impl ref|fast, --gemm own|openblas, --threads N. */
typedef struct {
    cb_impl impl;           /* default fast */
    cb_gemm_backend gemm;   /* fast plans' backend for 1x1 convs and FC */
    bool gemm_set;
    int threads;            /* 0 = all cores */
} cli_exec_opts;

#define CLI_EXEC_DEFAULTS {CB_IMPL_FAST, CB_GEMM_OWN, false, 0}

/* Like cli_target_flag, for the executor flags; cli_exec_check refuses
 * combinations that make no sense (--gemm with --impl ref). */
int cli_exec_flag(const char *cmd, cli_args *a, cli_exec_opts *o);
int cli_exec_check(const char *cmd, const cli_exec_opts *o);

/* An executor for g as o says. */
cb_status cli_exec_new(const cb_graph *g, const cli_exec_opts *o, cb_exec **e, cb_error *err);

/* "1x128x56x56" for an activation as PyTorch prints its batch-1 shape. */
const char *cli_nchw(cb_shape s, char *buf, size_t n);

/* Decode a PNG/JPEG photo into a (3, H, W) tensor in [-1, 1], centre-cropped
 * and resized to out_h x out_w (0, 0: the photo's own size). */
cb_status cli_load_image(const char *path, int out_h, int out_w, cb_tensor *t, cb_error *err);

int cmd_list(int argc, char **argv);
int cmd_cost(int argc, char **argv);
int cmd_conv(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
