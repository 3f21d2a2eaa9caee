/* fuzz_npy.c — libFuzzer target for the .npy reader.
 *
 * The input is a whole .npy file. It goes through both readers, which share
 * the header parser but not the data path:
 *   cb_npy_parse  the in-memory image,
 *   cb_npy_read   the same bytes written to a file (preamble, header and
 *                 data read in pieces, sizes checked against fstat).
 * Properties: neither crashes, leaks or reads out of bounds (sanitizers);
 * both accept or both refuse; an accepted tensor has rank 1..4, positive
 * dims within CB_MAX_TENSOR_BYTES, exactly 4*numel data bytes, the same
 * values from both readers, and survives cb_npy_write -> cb_npy_read intact.
 */
#include "fuzz_util.h"

#include "convblocks/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cb_tensor a, b;
    cb_error ea, eb;
    cb_status sa = cb_npy_parse(data, size, "fuzz.npy", &a, &ea);

    char path[512];
    snprintf(path, sizeof path, "%s/in.npy", fuzz_scratch());
    fuzz_write(path, data, size);
    cb_status sb = cb_npy_read(path, &b, &eb);

    FUZZ_ASSERT((sa == CB_OK) == (sb == CB_OK));
    if (sa != CB_OK) {
        FUZZ_ASSERT(a.data == NULL && b.data == NULL);
        FUZZ_ASSERT(memchr(ea.msg, '\0', sizeof ea.msg) && ea.msg[0]);
        FUZZ_ASSERT(memchr(eb.msg, '\0', sizeof eb.msg) && eb.msg[0]);
        return 0;
    }
    FUZZ_ASSERT(a.rank >= 1 && a.rank <= CB_MAX_RANK && a.rank == b.rank);
    for (int i = 0; i < a.rank; i++) FUZZ_ASSERT(a.dims[i] > 0 && a.dims[i] == b.dims[i]);
    uint64_t n = cb_tensor_numel(&a);
    FUZZ_ASSERT(n * 4 <= CB_MAX_TENSOR_BYTES && n * 4 < size);
    FUZZ_ASSERT(memcmp(a.data, b.data, (size_t)n * 4) == 0);
    /* the data is the last 4*n bytes of the file */
    FUZZ_ASSERT(memcmp(a.data, data + size - n * 4, (size_t)n * 4) == 0);

    /* Round trip through the writer. */
    cb_tensor c;
    snprintf(path, sizeof path, "%s/out.npy", fuzz_scratch());
    FUZZ_ASSERT(cb_npy_write(path, a.rank, a.dims, a.data, &ea) == CB_OK);
    FUZZ_ASSERT(cb_npy_read(path, &c, &eb) == CB_OK);
    FUZZ_ASSERT(c.rank == a.rank && memcmp(c.dims, a.dims, sizeof a.dims) == 0);
    FUZZ_ASSERT(memcmp(c.data, a.data, (size_t)n * 4) == 0);
    cb_tensor_free(&c);
    cb_tensor_free(&a);
    cb_tensor_free(&b);
    return 0;
}
