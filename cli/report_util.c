/* report_util.c — text buffers, data tables (CSV + JSON), files and number
 * formatting for `convblocks report` (report.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "convblocks/cost.h"
#include "convblocks/npy.h"
#include "report.h"

/* ---- buffer --------------------------------------------------------------- */

void rp_buf_free(rp_buf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

static bool reserve(rp_buf *b, size_t extra) {
    if (b->oom) return false;
    if (b->n + extra + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void rp_putn(rp_buf *b, const char *s, size_t n) {
    if (!reserve(b, n)) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void rp_puts(rp_buf *b, const char *s) { rp_putn(b, s, strlen(s)); }

void rp_printf(rp_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0 || !reserve(b, (size_t)len)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
}

void rp_put_html(rp_buf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': rp_puts(b, "&amp;"); break;
        case '<': rp_puts(b, "&lt;"); break;
        case '>': rp_puts(b, "&gt;"); break;
        case '"': rp_puts(b, "&quot;"); break;
        default: rp_putn(b, s, 1);
        }
    }
}

void rp_put_base64(rp_buf *b, const unsigned char *d, size_t len) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!reserve(b, (len + 2) / 3 * 4)) return;
    char *o = b->p + b->n;
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        *o++ = A[v >> 18];
        *o++ = A[(v >> 12) & 63];
        *o++ = A[(v >> 6) & 63];
        *o++ = A[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < len ? (uint32_t)d[i + 1] << 8 : 0);
        *o++ = A[v >> 18];
        *o++ = A[(v >> 12) & 63];
        *o++ = i + 1 < len ? A[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    b->n = (size_t)(o - b->p);
    b->p[b->n] = '\0';
}

cb_status rp_buf_write(const rp_buf *b, const char *path, cb_error *err) {
    if (b->oom) return cb_fail(err, CB_ERR_NOMEM, "%s: out of memory while composing it", path);
    return cb_write_file_atomic(path, b->p ? b->p : "", b->n, err);
}

/* ---- tables --------------------------------------------------------------- */

void rp_table_init(rp_table *t, const char *name, const char *cols) {
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    const char *s = cols;
    while (*s && t->ncols < RP_MAX_COLS) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n >= sizeof t->cols[0]) n = sizeof t->cols[0] - 1;
        memcpy(t->cols[t->ncols], s, n);
        t->cols[t->ncols][n] = '\0';
        t->ncols++;
        if (!e) break;
        s = e + 1;
    }
}

void rp_table_free(rp_table *t) {
    int n = t->nrows * t->ncols + (t->cur ? t->cur : 0);
    for (int i = 0; i < n; i++) free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void rp_cell(rp_table *t, const char *s) {
    if (t->oom) return;
    int idx = t->nrows * t->ncols + t->cur;
    if (idx >= t->cap) {
        int cap = t->cap ? 2 * t->cap : 64 * t->ncols;
        char **c = realloc(t->cells, (size_t)cap * sizeof *c);
        if (!c) {
            t->oom = true;
            return;
        }
        t->cells = c;
        t->cap = cap;
    }
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (!copy) {
        t->oom = true;
        return;
    }
    memcpy(copy, s, n + 1);
    t->cells[idx] = copy;
    if (++t->cur == t->ncols) {
        t->cur = 0;
        t->nrows++;
    }
}

void rp_cellf(rp_table *t, const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    rp_cell(t, buf);
}

void rp_cell_u64(rp_table *t, uint64_t v) { rp_cellf(t, "%llu", (unsigned long long)v); }

void rp_cell_num(rp_table *t, double v, int digits) {
    if (!(v > 0) || !isfinite(v)) rp_cell(t, "");
    else rp_cellf(t, "%.*g", digits, v);
}

const char *rp_get(const rp_table *t, int row, int col) {
    if (row < 0 || row >= t->nrows || col < 0 || col >= t->ncols) return "";
    return t->cells[row * t->ncols + col];
}

int rp_col(const rp_table *t, const char *name) {
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->cols[c], name) == 0) return c;
    return -1;
}

static bool is_number(const char *s) {
    if (!*s) return false;
    char *end;
    strtod(s, &end);
    return *end == '\0';
}

static bool column_numeric(const rp_table *t, int c) {
    for (int r = 0; r < t->nrows; r++) {
        const char *s = rp_get(t, r, c);
        if (*s && !is_number(s)) return false;
    }
    return true;
}

/* CSV: quote a cell only when it holds a comma or a quote (RFC 4180). */
static void csv_cell(rp_buf *b, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        rp_puts(b, s);
        return;
    }
    rp_puts(b, "\"");
    for (; *s; s++) {
        if (*s == '"') rp_puts(b, "\"");   /* a quote inside is doubled */
        rp_putn(b, s, 1);
    }
    rp_puts(b, "\"");
}

cb_status rp_table_write_csv(const rp_table *t, const char *dir, cb_error *err) {
    if (t->oom) return cb_fail(err, CB_ERR_NOMEM, "%s: out of memory", t->name);
    rp_buf b = {0};
    for (int c = 0; c < t->ncols; c++) {
        if (c) rp_puts(&b, ",");
        rp_puts(&b, t->cols[c]);
    }
    rp_puts(&b, "\n");
    for (int r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            if (c) rp_puts(&b, ",");
            csv_cell(&b, rp_get(t, r, c));
        }
        rp_puts(&b, "\n");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.csv", dir, t->name);
    cb_status s = rp_buf_write(&b, path, err);
    rp_buf_free(&b);
    return s;
}

static void json_string(rp_buf *b, const char *s) {
    rp_puts(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') rp_printf(b, "\\%c", ch);
        else if (ch < 0x20) rp_printf(b, "\\u%04x", ch);
        else rp_putn(b, s, 1);
    }
    rp_puts(b, "\"");
}

void rp_table_json(const rp_table *t, rp_buf *b) {
    bool numeric[RP_MAX_COLS];
    for (int c = 0; c < t->ncols; c++) numeric[c] = column_numeric(t, c);
    rp_puts(b, "[");
    for (int r = 0; r < t->nrows; r++) {
        rp_puts(b, r ? ",\n    {" : "\n    {");
        for (int c = 0; c < t->ncols; c++) {
            const char *s = rp_get(t, r, c);
            if (c) rp_puts(b, ", ");
            json_string(b, t->cols[c]);
            rp_puts(b, ": ");
            if (!*s) rp_puts(b, "null");
            else if (numeric[c]) rp_puts(b, s);
            else json_string(b, s);
        }
        rp_puts(b, "}");
    }
    rp_puts(b, t->nrows ? "\n  ]" : "]");
}

/* ---- files ------------------------------------------------------------------ */

cb_status rp_mkdirs(const char *path, cb_error *err) {
    char p[4096];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return cb_fail(err, CB_ERR_ARG, "%s: path too long", path);
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST)
                return cb_fail(err, CB_ERR_IO, "%s: cannot create directory: %s", p, strerror(errno));
            *s = c;
            if (c == '\0') break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return cb_fail(err, CB_ERR_IO, "%s: not a directory", path);
    return CB_OK;
}

cb_status rp_read_file(const char *path, unsigned char **data, size_t *len, cb_error *err) {
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return cb_fail(err, CB_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    unsigned char *p = malloc(cap);
    while (p) {
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        unsigned char *q = realloc(p, cap * 2);
        if (!q) {
            free(p);
            p = NULL;
            break;
        }
        p = q;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!p) return cb_fail(err, CB_ERR_NOMEM, "%s: out of memory", path);
    if (bad) {
        free(p);
        return cb_fail(err, CB_ERR_IO, "%s: read error", path);
    }
    *data = p;
    *len = n;
    return CB_OK;
}

/* ---- formatting ------------------------------------------------------------- */

const char *rp_human(double v, char *buf, size_t n) {
    static const char *suffix[] = {"", " K", " M", " G", " T"};
    int s = 0;
    while (fabs(v) >= 1000 && s < 4) {
        v /= 1000;
        s++;
    }
    snprintf(buf, n, s ? "%.3g%s" : "%.4g%s", v, suffix[s]);
    return buf;
}

double rp_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
