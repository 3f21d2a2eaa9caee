/* status.c — status names and the one-line error helper (status.h). */
#include "convblocks/status.h"

#include <stdarg.h>
#include <stdio.h>

const char *cb_status_str(cb_status s) {
    switch (s) {
    case CB_OK: return "ok";
    case CB_ERR_ARG: return "bad argument";
    case CB_ERR_NOMEM: return "out of memory";
    case CB_ERR_IO: return "i/o error";
    case CB_ERR_FORMAT: return "bad file format";
    }
    return "unknown status";
}

cb_status cb_fail(cb_error *err, cb_status s, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return s;
}

int cb_status_exit_code(cb_status s) {
    if (s == CB_OK) return 0;
    return s == CB_ERR_ARG ? 2 : 1;
}
