/* npy.h — read and write NumPy .npy files (float32 only).
 *
 * Accepted: format version 1.0 or 2.0, dtype '<f4' (little-endian float32),
 * fortran_order False, rank 1 to 4. Everything else is
 * refused with a message naming the problem. Sizes are checked against
 * CB_MAX_TENSOR_BYTES before any allocation, so a header that claims a huge
 * shape costs nothing.
 *
 * Writing is atomic: data goes to "PATH.tmp.<pid>" which is renamed over
 * PATH only when complete, so an interrupted run never leaves a truncated
 * file under the final name.
 */
#ifndef CONVBLOCKS_NPY_H
#define CONVBLOCKS_NPY_H

#include <stddef.h>

#include "convblocks/status.h"
#include "convblocks/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read PATH into *t (allocated here; the caller frees with cb_tensor_free). */
cb_status cb_npy_read(const char *path, cb_tensor *t, cb_error *err);

/* Parse an in-memory .npy image (what cb_npy_read does after reading the
 * file; exposed for the fuzzer). `name` is used in messages. */
cb_status cb_npy_parse(const unsigned char *buf, size_t len, const char *name, cb_tensor *t,
                       cb_error *err);

/* Write rank/dims/data as a version 1.0 '<f4' C-order .npy, atomically. */
cb_status cb_npy_write(const char *path, int rank, const int *dims, const float *data,
                       cb_error *err);

/* Read an activation: (C,H,W) or (1,C,H,W). Anything else is refused. */
cb_status cb_npy_read_activation(const char *path, cb_tensor *t, cb_shape *shape, cb_error *err);

/* Write an activation as (1,C,H,W), like PyTorch's output. */
cb_status cb_npy_write_activation(const char *path, cb_shape s, const float *data, cb_error *err);

/* Write `len` bytes to PATH atomically (temporary name, then rename). Used
 * for every file the tools write: JSON, CSV, manifests. */
cb_status cb_write_file_atomic(const char *path, const void *data, size_t len, cb_error *err);

#ifdef __cplusplus
}
#endif
#endif
