/* convblocks conv — one convolution on .npy files, like torch.nn.functional.conv2d. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "convblocks/exec.h"
#include "convblocks/npy.h"

static const char HELP[] =
    "usage: convblocks conv --input X.npy --weight W.npy [--bias B.npy] [--stride S] [--pad P]\n"
    "                       [--groups G] [--impl ref|fast] [--gemm own|openblas] [--threads N] --output Y.npy\n"
    "Computes y = conv2d(x, w, b, stride, padding, groups) exactly as PyTorch does.\n"
    "  X: (C,H,W) or (1,C,H,W) float32; W: (O, C/groups, KH, KW); B: (O)\n"
    "  Y is written as (1,O,OH,OW), atomically.\n"
    "Limits: kernel, stride and padding up to 31; tensors up to 4 GiB.\n"
    "Example: convblocks conv --input x.npy --weight w.npy --stride 2 --pad 1 --output y.npy\n";

int cmd_conv(int argc, char **argv) {
    const char *xin = NULL, *win = NULL, *bin = NULL, *yout = NULL;
    long stride = 1, pad = 0, groups = 1;
    cli_exec_opts xo = CLI_EXEC_DEFAULTS;
    cli_args a;
    cli_args_init(&a, argc, argv);
    while (cli_next(&a)) {
        const char *v;
        int r = cli_exec_flag("conv", &a, &xo);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (cli_is(&a, "--help")) { fputs(HELP, stdout); return 0; }
        if (!a.name) return cli_fail("conv", CB_ERR_ARG, "unexpected argument '%s'", a.argv[a.i]);
        if (!(v = cli_value(&a))) return cli_fail("conv", CB_ERR_ARG, "%s needs a value", a.name);
        if (cli_is(&a, "--input")) xin = v;
        else if (cli_is(&a, "--weight")) win = v;
        else if (cli_is(&a, "--bias")) bin = v;
        else if (cli_is(&a, "--output")) yout = v;
        else if (cli_is(&a, "--stride")) {
            if (cli_parse_int(v, 1, CB_MAX_KERNEL, &stride)) return cli_fail("conv", CB_ERR_ARG, "--stride '%s': 1 to %d", v, CB_MAX_KERNEL);
        } else if (cli_is(&a, "--pad")) {
            if (cli_parse_int(v, 0, CB_MAX_KERNEL, &pad)) return cli_fail("conv", CB_ERR_ARG, "--pad '%s': 0 to %d", v, CB_MAX_KERNEL);
        } else if (cli_is(&a, "--groups")) {
            if (cli_parse_int(v, 1, 1 << 20, &groups)) return cli_fail("conv", CB_ERR_ARG, "--groups '%s': a positive integer", v);
        } else return cli_fail("conv", CB_ERR_ARG, "unknown option '%s'", a.name);
    }
    if (cli_exec_check("conv", &xo)) return 2;
    if (!xin || !win || !yout) return cli_fail("conv", CB_ERR_ARG, "--input, --weight and --output are required");

    cb_tensor x = {0}, w = {0}, b = {0};
    cb_shape in;
    cb_graph *g = NULL;
    cb_exec *e = NULL;
    float *y = NULL;
    cb_error err;
    cb_status s = cb_npy_read_activation(xin, &x, &in, &err);
    if (s == CB_OK) s = cb_npy_read(win, &w, &err);
    if (s == CB_OK && w.rank != 4) s = cb_fail(&err, CB_ERR_FORMAT, "%s: weight must have rank 4 (O, C/groups, KH, KW), not %d", win, w.rank);
    if (s == CB_OK && (w.dims[2] > CB_MAX_KERNEL || w.dims[3] > CB_MAX_KERNEL))
        s = cb_fail(&err, CB_ERR_FORMAT, "%s: kernel %dx%d is larger than the %dx%d limit", win, w.dims[2], w.dims[3],
                    CB_MAX_KERNEL, CB_MAX_KERNEL);
    if (s == CB_OK && (in.c % groups != 0 || w.dims[0] % groups != 0))
        s = cb_fail(&err, CB_ERR_ARG, "--groups %ld must divide input channels %d and output channels %d", groups, in.c, w.dims[0]);
    if (s == CB_OK && w.dims[1] * groups != in.c)
        s = cb_fail(&err, CB_ERR_FORMAT, "%s: weight has %d input channels per group, input has %d channels / %ld groups",
                    win, w.dims[1], in.c, groups);
    if (s == CB_OK && bin) {
        s = cb_npy_read(bin, &b, &err);
        if (s == CB_OK && (b.rank != 1 || b.dims[0] != w.dims[0]))
            s = cb_fail(&err, CB_ERR_FORMAT, "%s: bias must have shape (%d)", bin, w.dims[0]);
    }
    if (s == CB_OK) {
        cb_conv_params p = {w.dims[2], w.dims[3], (int)stride, (int)stride, (int)pad, (int)pad, (int)groups};
        g = cb_graph_new("conv", in);
        if (!g) s = cb_fail(&err, CB_ERR_NOMEM, "out of memory");
        else {
            cb_graph_conv(g, "conv", 0, w.dims[0], p, bin != NULL);
            s = cb_graph_status(g, &err);
        }
    }
    if (s == CB_OK) s = cb_graph_alloc_params(g, &err);
    if (s == CB_OK) {
        memcpy(g->params[0].t.data, w.data, (size_t)cb_tensor_numel(&w) * sizeof(float));
        if (bin) memcpy(g->params[1].t.data, b.data, (size_t)w.dims[0] * sizeof(float));
        s = cli_exec_new(g, &xo, &e, &err);
    }
    cb_shape out = s == CB_OK ? cb_graph_output_shape(g) : in;
    if (s == CB_OK && !(y = cb_alloc_floats((size_t)cb_shape_numel(out))))
        s = cb_fail(&err, CB_ERR_NOMEM, "out of memory");
    if (s == CB_OK) {
        cb_exec_run(e, x.data, y);
        s = cb_npy_write_activation(yout, out, y, &err);
    }
    cb_free(y);
    cb_exec_free(e);
    cb_graph_free(g);
    cb_tensor_free(&x);
    cb_tensor_free(&w);
    cb_tensor_free(&b);
    if (s != CB_OK) return cli_fail("conv", s, "%s", err.msg);
    return 0;
}
