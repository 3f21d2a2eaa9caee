/* report_html.c — pieces of the self-contained report page (report.h).
 *
 * The page must open alone, offline, from a file: styles are inline and
 * every plot is the PNG itself as a base64 data: URI (the SVG sits beside
 * it for slides and zooming).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char CSS[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "max-width:1180px;margin:2em auto;padding:0 1em;color:#1d1d1f;line-height:1.45}"
    "h1{font-size:1.9em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ccc;"
    "padding-bottom:.2em}h3{margin-top:1.5em}"
    "figure{margin:1.5em 0;padding:0}figure img{max-width:100%;height:auto;border:1px solid #ddd}"
    "figcaption{font-size:.95em;color:#333;margin-top:.4em;max-width:1000px}"
    "table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f2f2f2;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.na{color:#999;text-align:center;font-style:italic}"
    "caption{caption-side:bottom;text-align:left;font-size:.9em;color:#444;padding-top:.3em}"
    "code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}"
    "pre{background:#f6f6f6;padding:.6em;overflow-x:auto}"
    ".missing li{color:#8a3b00}.note{color:#555;font-size:.9em}"
    "nav a{margin-right:1em}";

void rp_html_begin(rp_buf *b, const char *title) {
    rp_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    rp_put_html(b, title);
    rp_printf(b, "</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
}

void rp_html_end(rp_buf *b) { rp_puts(b, "</body>\n</html>\n"); }

cb_status rp_html_figure(rp_buf *b, const char *dir, const char *stem, const char *title,
                         const char *caption_html, cb_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.png", dir, stem);
    unsigned char *png = NULL;
    size_t len = 0;
    cb_status s = rp_read_file(path, &png, &len, err);
    if (s != CB_OK) return s;
    rp_printf(b, "<figure id=\"%s\">\n<img alt=\"", stem);
    rp_put_html(b, title);
    rp_puts(b, "\" src=\"data:image/png;base64,");
    rp_put_base64(b, png, len);
    free(png);
    rp_puts(b, "\">\n<figcaption><b>");
    rp_put_html(b, title);
    rp_printf(b, ".</b> %s <span class=\"note\">(Vector version: <a href=\"%s.svg\">%s.svg</a>, "
                 "beside this page.)</span></figcaption>\n</figure>\n",
              caption_html, stem, stem);
    return CB_OK;
}

static void cell(rp_buf *b, const char *v, rp_kind kind) {
    char buf[64];
    if (!*v) {
        rp_puts(b, "<td class=\"na\">not measured</td>");
        return;
    }
    switch (kind) {
    case RP_TEXT:
        rp_puts(b, "<td>");
        rp_put_html(b, v);
        rp_puts(b, "</td>");
        return;
    case RP_INT:
        rp_printf(b, "<td class=\"n\">%s</td>", cb_format_count(strtoull(v, NULL, 10), buf, sizeof buf));
        return;
    case RP_HUMAN:
        rp_printf(b, "<td class=\"n\" title=\"%s\">%s</td>", v, rp_human(strtod(v, NULL), buf, sizeof buf));
        return;
    case RP_NUM:
        rp_puts(b, "<td class=\"n\">");
        rp_put_html(b, v);
        rp_puts(b, "</td>");
        return;
    case RP_MS: {
        double ms = strtod(v, NULL);
        snprintf(buf, sizeof buf, ms >= 100 ? "%.0f" : ms >= 10 ? "%.1f" : ms >= 1 ? "%.2f" : "%.3g", ms);
        rp_printf(b, "<td class=\"n\">%s</td>", buf);
        return;
    }
    }
}

void rp_html_table(rp_buf *b, const rp_table *t, const rp_hcol *cols, int ncols,
                   const char *caption_html) {
    int idx[RP_MAX_COLS];
    rp_puts(b, "<table>\n");
    if (caption_html) rp_printf(b, "<caption>%s</caption>\n", caption_html);
    rp_puts(b, "<tr>");
    for (int c = 0; c < ncols && c < RP_MAX_COLS; c++) {
        idx[c] = rp_col(t, cols[c].col);
        rp_printf(b, "<th>%s</th>", cols[c].header);
    }
    rp_puts(b, "</tr>\n");
    for (int r = 0; r < t->nrows; r++) {
        rp_puts(b, "<tr>");
        for (int c = 0; c < ncols && c < RP_MAX_COLS; c++) cell(b, rp_get(t, r, idx[c]), cols[c].kind);
        rp_puts(b, "</tr>\n");
    }
    rp_puts(b, "</table>\n");
}
