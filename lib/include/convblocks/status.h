/* status.h — how libconvblocks reports failure.
 *
 * Every entry point that can fail returns a cb_status and, when the caller
 * passes a cb_error, fills it with one line saying what went wrong and why
 * ("x.npy: dtype '<f8' is not float32 '<f4'"). There is no global "last
 * error": two threads may build or load at once.
 *
 * Kernels (ops.h) do not validate; they assume arguments the caller has
 * already checked with the *_check functions.
 */
#ifndef CONVBLOCKS_STATUS_H
#define CONVBLOCKS_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CB_OK = 0,
    CB_ERR_ARG,     /* bad argument, shape or option: a usage error (exit 2) */
    CB_ERR_NOMEM,   /* allocation failed or a size overflowed */
    CB_ERR_IO,      /* a file could not be opened, read or written */
    CB_ERR_FORMAT,  /* a file was read but its contents are not acceptable */
} cb_status;

#define CB_ERROR_MAX 256

typedef struct {
    char msg[CB_ERROR_MAX];
} cb_error;

/* A short name for a status ("bad argument", "out of memory", ...). */
const char *cb_status_str(cb_status s);

/* Fill err (if not NULL) printf-style and return s, so a failure path reads
 * `return cb_fail(err, CB_ERR_ARG, "groups %d does not divide %d", g, c);` */
cb_status cb_fail(cb_error *err, cb_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The process exit code a program should use for s: 0 ok, 2 usage, 1 runtime. */
int cb_status_exit_code(cb_status s);

#ifdef __cplusplus
}
#endif
#endif
