/* report.h — the pieces of `convblocks report` (cli/cmd_report.c and cli/report_*.c).
 *
 * The report is a study in four stages, each in its own file:
 *   report_measure.c  timing a graph through the library's executors
 *                     (warm-up, then the median of several runs)
 *   report_util.c     text buffers, data tables written as CSV and JSON,
 *                     directories, base64, number formatting
 *   report_plot.c     finding gnuplot and running the scripts of reports/<plot>.gp
 *   report_html.c     the self-contained page reports/out/index.html
 * cmd_report.c decides what is measured and in which order.
 *
 * Nothing here is part of libconvblocks: the report only uses the library's
 * public API, like any other program would.
 */
#ifndef CONVBLOCKS_CLI_REPORT_H
#define CONVBLOCKS_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "convblocks/cost.h"
#include "convblocks/graph.h"
#include "convblocks/machine.h"
#include "convblocks/ops.h"
#include "convblocks/status.h"

/* ---- growable text buffer ------------------------------------------------ */

typedef struct {
    char *p;
    size_t n, cap;
    bool oom;   /* sticky: an allocation failed; the text is incomplete */
} rp_buf;

void rp_buf_free(rp_buf *b);
void rp_puts(rp_buf *b, const char *s);
void rp_putn(rp_buf *b, const char *s, size_t n);
void rp_printf(rp_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* s with &, <, >, " escaped for HTML. */
void rp_put_html(rp_buf *b, const char *s);
/* len bytes as base64 (for data: URIs). */
void rp_put_base64(rp_buf *b, const unsigned char *data, size_t len);

/* Write the buffer to path atomically (cb_write_file_atomic). */
cb_status rp_buf_write(const rp_buf *b, const char *path, cb_error *err);

/* ---- data tables: one CSV and one JSON array from the same cells ---------- */

#define RP_MAX_COLS 24

/* A table of string cells. A cell that is "" means "not measured": empty in
 * the CSV, null in the JSON. A column is numeric in the JSON when every
 * non-empty cell of it parses as a number. */
typedef struct {
    char name[64];              /* file stem: blocks -> blocks.csv, "blocks" in report.json */
    int ncols;
    char cols[RP_MAX_COLS][40];
    int nrows, cap;
    char **cells;               /* nrows * ncols, each malloc'd */
    int cur;                    /* cells filled in the row being added */
    bool oom;
} rp_table;

/* cols: comma-separated column names. */
void rp_table_init(rp_table *t, const char *name, const char *cols);
void rp_table_free(rp_table *t);
/* Append cells left to right; a row is complete after ncols cells. */
void rp_cell(rp_table *t, const char *s);
void rp_cellf(rp_table *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void rp_cell_u64(rp_table *t, uint64_t v);
/* v with `digits` significant digits, or "" when v is not positive/finite
 * (a time that was not measured). */
void rp_cell_num(rp_table *t, double v, int digits);
const char *rp_get(const rp_table *t, int row, int col);
int rp_col(const rp_table *t, const char *name);   /* -1 if absent */

cb_status rp_table_write_csv(const rp_table *t, const char *dir, cb_error *err);
/* The table as a JSON array of objects, appended to b. */
void rp_table_json(const rp_table *t, rp_buf *b);

/* ---- files and formatting ----------------------------------------------- */

/* mkdir -p */
cb_status rp_mkdirs(const char *path, cb_error *err);
/* Read a whole file (malloc'd, caller frees). */
cb_status rp_read_file(const char *path, unsigned char **data, size_t *len, cb_error *err);
/* 1234567 -> "1,234,567" */
/* 27496448 -> "27.5 M", 1500 -> "1.5 K", with SI-like suffixes K, M, G. */
const char *rp_human(double v, char *buf, size_t n);
double rp_now(void);

/* ---- timing ------------------------------------------------------------- */

typedef struct {
    int repeat;          /* timed runs at most */
    double budget_s;     /* stop adding runs once this much was spent */
    uint64_t ref_max_macs;   /* reference kernels are not timed above this (too slow) */
} rp_timing;

/* One measurement of a graph under one implementation and thread count. */
typedef struct {
    bool ok;             /* false: not measured (why in `why`) */
    double median_s;
    int runs;
    uint64_t counted_macs;   /* MACs the reference kernels counted (ref only) */
    char why[CB_ERROR_MAX + 64];
} rp_time;

/* Time g (parameters filled) with impl on `threads` threads (0 = all):
 * one warm-up run (none when tm->repeat == 1), then timed runs until
 * tm->repeat runs or tm->budget_s seconds (at least one); the median. A
 * warm-up longer than twice the budget is kept as the single measurement
 * (the reference loops on big graphs: warming up changes nothing there).
 * When layer_s is not NULL it receives g->n_layers per-layer seconds, the
 * mean over the timed runs. Failure to set up the executor gives ok = false
 * with the library's message in `why`. */
rp_time rp_time_graph(const cb_graph *g, cb_impl impl, int threads, const rp_timing *tm,
                      double *layer_s);

/* ---- gnuplot ------------------------------------------------------------ */

/* Full path of gnuplot found on PATH into buf; false if none. */
bool rp_find_gnuplot(char *buf, size_t n);

/* Run `gnuplot -e "datadir='DIR'; outfile='TMP'; fmt='png|svg'" SCRIPT`,
 * with stdout/stderr to DIR/logs/STEM.FMT.log; on exit status 0 rename TMP
 * over DIR/STEM.FMT. Returns the exit status (127 when it could not be run). */
int rp_gnuplot(const char *gnuplot, const char *script, const char *outdir, const char *stem,
               const char *fmt, char *msg, size_t msg_n);

/* ---- the page (report_html.c) ---------------------------------------------- */

/* How one column of an rp_table is shown in an HTML table. */
typedef enum {
    RP_TEXT,     /* as is */
    RP_INT,      /* exact integer with thousands separators: 27,496,448 */
    RP_HUMAN,    /* 27.5 M (exact value in the tooltip) */
    RP_NUM,      /* as stored (already rounded) */
    RP_MS,       /* milliseconds, 3 significant digits */
} rp_kind;

typedef struct {
    const char *col;      /* column name in the rp_table */
    const char *header;   /* shown, HTML allowed */
    rp_kind kind;
} rp_hcol;

void rp_html_begin(rp_buf *b, const char *title);
void rp_html_end(rp_buf *b);
/* <figure> with DIR/STEM.png embedded as a data: URI and a link to STEM.svg. */
cb_status rp_html_figure(rp_buf *b, const char *dir, const char *stem, const char *title,
                         const char *caption_html, cb_error *err);
/* An HTML table of the chosen columns; "" cells show as "not measured". */
void rp_html_table(rp_buf *b, const rp_table *t, const rp_hcol *cols, int ncols,
                   const char *caption_html);

#endif
