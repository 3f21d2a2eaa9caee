/* test_npy.c — the .npy reader and writer (npy.h) and atomic file writes.
 *
 * Checks that what we write is byte-for-byte what numpy writes, that files
 * numpy wrote read back with the right shape and values, that every kind of
 * malformed or unsupported file is refused with a message naming the
 * problem (through both cb_npy_parse and cb_npy_read, which have separate
 * code paths), and that the golden vectors under data/golden/ all load with
 * the shapes their meta.json claims.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "convblocks/npy.h"

static char tmpdir[256];

/* ---------------------------------------------------------------- helpers */

static void path_in_tmp(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/%s", tmpdir, name);
}

/* Whole file into a malloc'd buffer; NULL if it cannot be read. */
static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* How many entries of `dir` start with `prefix` (to find stray temp files). */
static int count_prefixed(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) n++;
    closedir(d);
    return n;
}

/* The ramp numpy files under data/golden/npy/ hold: element i is (i - 3) / 4. */
static float ramp(uint64_t i) { return ((float)i - 3.0f) / 4.0f; }

/* Build a .npy image the way numpy lays it out, but with any header text and
 * payload: version 1 or 2, the dict padded with spaces to a 64-byte data
 * start and ended by '\n'. Returns the length; buf must be large enough. */
static size_t make_npy(unsigned char *buf, int version, const char *dict, const void *payload,
                       size_t payload_len) {
    size_t pre = version == 1 ? 10 : 12;
    size_t dl = strlen(dict);
    size_t total = (pre + dl + 1 + 63) / 64 * 64;
    size_t hl = total - pre;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)version;
    buf[7] = 0;
    buf[8] = (unsigned char)(hl & 0xff);
    buf[9] = (unsigned char)((hl >> 8) & 0xff);
    if (version == 2) {
        buf[10] = (unsigned char)((hl >> 16) & 0xff);
        buf[11] = (unsigned char)((hl >> 24) & 0xff);
    }
    memcpy(buf + pre, dict, dl);
    memset(buf + pre + dl, ' ', hl - dl - 1);
    buf[total - 1] = '\n';
    if (payload_len) memcpy(buf + total, payload, payload_len);
    return total + payload_len;
}

/* A buffer must be refused by both the in-memory parser and the file
 * reader, with CB_ERR_FORMAT, a message containing `needle`, and the tensor
 * left empty. */
static void expect_refused(const unsigned char *buf, size_t len, const char *needle) {
    cb_tensor t;
    cb_error err = {{0}};
    cb_status st = cb_npy_parse(buf, len, "bad.npy", &t, &err);
    if (st != CB_ERR_FORMAT || !strstr(err.msg, needle))
        fail_msg("parse: status %d, message \"%s\", expected one containing \"%s\"", st, err.msg,
                 needle);
    assert_null(t.data);
    assert_int_equal(t.rank, 0);

    char path[600];
    path_in_tmp(path, sizeof path, "bad.npy");
    spit(path, buf, len);
    memset(&err, 0, sizeof err);
    st = cb_npy_read(path, &t, &err);
    if (st != CB_ERR_FORMAT || !strstr(err.msg, needle))
        fail_msg("read: status %d, message \"%s\", expected one containing \"%s\"", st, err.msg,
                 needle);
    assert_non_null(strstr(err.msg, path)); /* the message names the file */
    assert_null(t.data);
    assert_int_equal(t.rank, 0);
    unlink(path);
}

/* The same for a header dict with a correct payload for `payload_floats`. */
static void expect_header_refused(const char *dict, size_t payload_floats, const char *needle) {
    size_t plen = payload_floats * 4;
    unsigned char *payload = calloc(plen ? plen : 1, 1);
    unsigned char *buf = malloc(512 + plen);
    assert_non_null(payload);
    assert_non_null(buf);
    size_t len = make_npy(buf, 1, dict, payload, plen);
    expect_refused(buf, len, needle);
    free(buf);
    free(payload);
}

/* ------------------------------------------------------------- round trip */

static void test_round_trip_rank_1_to_4(void **state) {
    (void)state;
    static const int shapes[4][4] = {{7}, {3, 5}, {2, 3, 5}, {1, 2, 3, 5}};
    for (int rank = 1; rank <= 4; rank++) {
        const int *dims = shapes[rank - 1];
        size_t n = 1;
        for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
        float *x = malloc(n * sizeof *x);
        assert_non_null(x);
        for (size_t i = 0; i < n; i++) x[i] = ((float)i - 7.0f) * 0.37f;
        x[0] = -0.0f; /* sign of zero and a denormal must survive the trip */
        x[1] = 1e-40f;

        char path[600];
        path_in_tmp(path, sizeof path, "rt.npy");
        cb_error err;
        assert_int_equal(cb_npy_write(path, rank, dims, x, &err), CB_OK);

        /* Layout: version 1.0, data at a multiple of 64, header ends '\n',
         * exactly n floats after it. */
        size_t len;
        unsigned char *bytes = slurp(path, &len);
        assert_non_null(bytes);
        assert_memory_equal(bytes, "\x93NUMPY\x01\x00", 8);
        size_t off = 10 + (size_t)(bytes[8] | bytes[9] << 8);
        assert_int_equal(off % 64, 0);
        assert_int_equal(bytes[off - 1], '\n');
        assert_int_equal(len, off + n * 4);
        free(bytes);

        cb_tensor t;
        assert_int_equal(cb_npy_read(path, &t, &err), CB_OK);
        assert_int_equal(t.rank, rank);
        for (int i = 0; i < rank; i++) assert_int_equal(t.dims[i], dims[i]);
        assert_memory_equal(t.data, x, n * sizeof *x);
        cb_tensor_free(&t);
        free(x);
        unlink(path);
    }
}

/* What we write must be exactly what numpy writes for the same array. */
static void test_write_matches_numpy_bytes(void **state) {
    (void)state;
    static const struct {
        const char *file;
        int rank;
        int dims[4];
    } cases[] = {
        {"ramp_5.npy", 1, {5}},
        {"ramp_2x3x4.npy", 3, {2, 3, 4}},
        {"ramp_1x2x3x4.npy", 4, {1, 2, 3, 4}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = 1;
        for (int i = 0; i < cases[c].rank; i++) n *= (size_t)cases[c].dims[i];
        float x[64];
        for (size_t i = 0; i < n; i++) x[i] = ramp(i);
        char ours[600], theirs[600];
        path_in_tmp(ours, sizeof ours, "ours.npy");
        snprintf(theirs, sizeof theirs, "%s/golden/npy/%s", CB_DATA_DIR, cases[c].file);
        cb_error err;
        assert_int_equal(cb_npy_write(ours, cases[c].rank, cases[c].dims, x, &err), CB_OK);
        size_t la, lb;
        unsigned char *a = slurp(ours, &la), *b = slurp(theirs, &lb);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        free(a);
        free(b);
        unlink(ours);
    }
}

/* ------------------------------------------------------ files from numpy */

static void check_ramp_file(const char *file, int rank, const int *dims) {
    char path[600];
    snprintf(path, sizeof path, "%s/golden/npy/%s", CB_DATA_DIR, file);
    cb_tensor t;
    cb_error err;
    if (cb_npy_read(path, &t, &err) != CB_OK) fail_msg("%s", err.msg);
    assert_int_equal(t.rank, rank);
    for (int i = 0; i < rank; i++) assert_int_equal(t.dims[i], dims[i]);
    uint64_t n = cb_tensor_numel(&t);
    for (uint64_t i = 0; i < n; i++) assert_true(t.data[i] == ramp(i));
    cb_tensor_free(&t);

    /* The same bytes through the in-memory parser. */
    size_t len;
    unsigned char *buf = slurp(path, &len);
    assert_non_null(buf);
    assert_int_equal(cb_npy_parse(buf, len, file, &t, &err), CB_OK);
    assert_int_equal(t.rank, rank);
    for (uint64_t i = 0; i < n; i++) assert_true(t.data[i] == ramp(i));
    cb_tensor_free(&t);
    free(buf);
}

static void test_read_numpy_files(void **state) {
    (void)state;
    check_ramp_file("ramp_5.npy", 1, (const int[]){5});
    check_ramp_file("ramp_2x3x4.npy", 3, (const int[]){2, 3, 4});
    check_ramp_file("ramp_1x2x3x4.npy", 4, (const int[]){1, 2, 3, 4});
}

static void test_read_version_2(void **state) {
    (void)state;
    /* Written by numpy with version=(2, 0): a 4-byte header length. */
    check_ramp_file("ramp_3x5_v2.npy", 2, (const int[]){3, 5});
    /* And one of our own making with a one-float payload. */
    unsigned char buf[256];
    float v = 2.5f;
    size_t len = make_npy(buf, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &v,
                          4);
    assert_int_equal(buf[6], 2);
    cb_tensor t;
    cb_error err;
    assert_int_equal(cb_npy_parse(buf, len, "v2", &t, &err), CB_OK);
    assert_int_equal(t.rank, 1);
    assert_true(t.data[0] == 2.5f);
    cb_tensor_free(&t);
}

/* Header variations numpy (or Python 2 numpy) may legitimately write. */
static void test_header_variants_accepted(void **state) {
    (void)state;
    static const char *dicts[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
        "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,3)}",
        "{'descr':'<f4','fortran_order':False,'shape':(2L, 3L),}",
    };
    float x[6] = {1, 2, 3, 4, 5, 6};
    for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
        unsigned char buf[256];
        size_t len = make_npy(buf, 1, dicts[i], x, sizeof x);
        cb_tensor t;
        cb_error err;
        if (cb_npy_parse(buf, len, "ok.npy", &t, &err) != CB_OK) fail_msg("%s: %s", dicts[i], err.msg);
        assert_int_equal(t.rank, 2);
        assert_int_equal(t.dims[0], 2);
        assert_int_equal(t.dims[1], 3);
        assert_memory_equal(t.data, x, sizeof x);
        cb_tensor_free(&t);
    }
}

/* ---------------------------------------------------------------- refusals */

static void test_refuse_bad_magic(void **state) {
    (void)state;
    unsigned char buf[256];
    float x = 1;
    size_t len = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &x, 4);
    buf[1] = 'X';
    expect_refused(buf, len, "bad magic");
    expect_refused((const unsigned char *)"PK\x03\x04", 4, "bad magic");
    expect_refused((const unsigned char *)"", 0, "bad magic");
}

static void test_refuse_bad_version(void **state) {
    (void)state;
    unsigned char buf[256];
    float x = 1;
    size_t len = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &x, 4);
    buf[6] = 3;
    expect_refused(buf, len, "version 3.0");
}

static void test_refuse_truncated_header(void **state) {
    (void)state;
    unsigned char buf[256];
    float x = 1;
    size_t len = make_npy(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &x, 4);
    (void)len;
    /* Cut inside the preamble of a 2.0 file (its length field is 4 bytes). */
    unsigned char v2[256];
    make_npy(v2, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &x, 4);
    expect_refused(v2, 11, "truncated header");
    /* Cut inside the header text: the header length runs past the end. */
    expect_refused(buf, 40, "beyond the end");
    /* A header length field of zero. */
    buf[8] = buf[9] = 0;
    expect_refused(buf, len, "out of bounds");
}

static void test_refuse_header_length_beyond_file(void **state) {
    (void)state;
    unsigned char buf[256];
    float x = 1;
    size_t len = make_npy(buf, 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &x, 4);
    buf[8] = 0x00; /* 2.0 length 0x00010100 = 65792: beyond the file and the bound */
    buf[9] = 0x01;
    buf[10] = 0x01;
    expect_refused(buf, len, "out of bounds");
    buf[10] = 0; /* 256: within bounds, beyond this 132-byte file */
    expect_refused(buf, len, "beyond the end");
}

static void test_refuse_truncated_and_trailing_data(void **state) {
    (void)state;
    float x[7] = {0};
    unsigned char buf[256];
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    size_t len = make_npy(buf, 1, dict, x, 6 * 4);
    expect_refused(buf, len - 4, "truncated data");
    expect_refused(buf, len - 1, "truncated data");
    len = make_npy(buf, 1, dict, x, 6 * 4 + 1);
    expect_refused(buf, len, "trailing data");
    len = make_npy(buf, 1, dict, x, 7 * 4);
    expect_refused(buf, len, "trailing data");
}

/* Through a pipe the reader cannot learn the size in advance, so it must
 * notice truncated and trailing data while reading. A child process feeds
 * `len` bytes of `buf` into a FIFO. */
static cb_status read_through_fifo(const unsigned char *buf, size_t len, cb_tensor *t,
                                   cb_error *err) {
    char fifo[600];
    path_in_tmp(fifo, sizeof fifo, "fifo.npy");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN); /* the reader may stop early on trailing data */
        FILE *f = fopen(fifo, "wb");
        if (f) {
            fwrite(buf, 1, len, f);
            fclose(f);
        }
        _exit(0);
    }
    cb_status st = cb_npy_read(fifo, t, err);
    int status;
    waitpid(pid, &status, 0);
    unlink(fifo);
    return st;
}

static void test_read_from_pipe(void **state) {
    (void)state;
    float x[7] = {1, 2, 3, 4, 5, 6, 7};
    unsigned char buf[256];
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    cb_tensor t;
    cb_error err;
    size_t len = make_npy(buf, 1, dict, x, 6 * 4);
    assert_int_equal(read_through_fifo(buf, len, &t, &err), CB_OK);
    assert_int_equal(t.rank, 2);
    assert_memory_equal(t.data, x, 6 * 4);
    cb_tensor_free(&t);
    assert_int_equal(read_through_fifo(buf, len - 2, &t, &err), CB_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "truncated data"));
    assert_null(t.data);
    len = make_npy(buf, 1, dict, x, 7 * 4);
    assert_int_equal(read_through_fifo(buf, len, &t, &err), CB_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "trailing data"));
    assert_null(t.data);
}

static void test_refuse_other_dtypes(void **state) {
    (void)state;
    expect_header_refused("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", 6,
                          "dtype '<f8' is not float32 ('<f4')");
    expect_header_refused("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", 3,
                          "dtype '>f4'");
    expect_header_refused("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", 3,
                          "dtype '<i4'");
    expect_header_refused("{'descr': '|f4', 'fortran_order': False, 'shape': (3,), }", 3,
                          "dtype '|f4'");
    expect_header_refused("{'descr': '<f2', 'fortran_order': False, 'shape': (6,), }", 3,
                          "dtype '<f2'");
    expect_header_refused("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,), }", 3,
                          "not a simple type");
}

static void test_refuse_fortran_order(void **state) {
    (void)state;
    expect_header_refused("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 6,
                          "fortran_order is True");
    expect_header_refused("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", 6,
                          "not a bool");
}

static void test_refuse_rank(void **state) {
    (void)state;
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 1, "scalar");
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 2), }",
                          2, "more than 4 dimensions");
}

static void test_refuse_bad_dims(void **state) {
    (void)state;
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", 0,
                          "negative dimension");
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 0, 3), }", 0,
                          "zero dimension");
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", 0,
                          "tuple of integers");
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", 6,
                          "not a tuple");
}

/* Shapes whose byte size overflows are refused from the header alone: the
 * payload here is a few bytes, and the message is about the size, not about
 * missing data, so nothing was sized or allocated from the claim. */
static void test_refuse_overflowing_shapes(void **state) {
    (void)state;
    /* (2**40, 2**40): each dimension overflows an int, the product 64 bits. */
    expect_header_refused(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", 1,
        "too large");
    /* 2**64 + 1 digits wrap a naive 64-bit accumulator to 1. */
    expect_header_refused(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551617,), }", 1,
        "too large");
    /* Every dimension fits an int but the product is 2**48 floats. */
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536), }",
                          1, "too large");
    /* Just over the 4 GiB limit: 2**30 + 1 floats (rank 2 to avoid int range). */
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1073741825, 1), }", 1,
                          "too large");
    /* Within the limit (1 GiB) but far beyond the file: refused as truncated
     * before the gigabyte is allocated (this test would be slow otherwise). */
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1024, 1024, 256), }",
                          1, "truncated data");
}

static void test_refuse_malformed_dicts(void **state) {
    (void)state;
    expect_header_refused("['descr', '<f4']", 1, "not a Python dict");
    expect_header_refused("{'descr': '<f4', 'fortran_order': False}", 1, "lacks 'shape'");
    expect_header_refused("{'descr': '<f4', 'shape': (1,)}", 1, "lacks 'fortran_order'");
    expect_header_refused("{'fortran_order': False, 'shape': (1,)}", 1, "lacks 'descr'");
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", 1,
                          "unexpected or repeated key 'x'");
    expect_header_refused("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
                          1, "repeated key 'descr'");
    expect_header_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", 1,
                          "after the header");
    expect_header_refused("{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", 1,
                          "not a Python dict");
}

/* Damaged files: flip, cut or grow bytes of a valid file at random (seeded,
 * so every run is the same). Each result must be either a clean refusal or
 * a tensor whose size matches the bytes present; under ASan this also shows
 * the parser never reads outside the buffer. */
static void test_damaged_files_never_crash(void **state) {
    (void)state;
    float x[6] = {1, 2, 3, 4, 5, 6};
    unsigned char good[256], bad[300];
    size_t len = make_npy(good, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                          x, sizeof x);
    uint64_t r = 12345;
    int refused = 0, accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(bad, good, len);
        size_t n = len;
        int flips = 1 + iter % 3;
        for (int k = 0; k < flips; k++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(r >> 33) % n;
            bad[at] = (unsigned char)(r >> 13);
        }
        if (iter % 5 == 0) n = (size_t)(r >> 40) % (len + 1); /* cut */
        cb_tensor t;
        cb_error err;
        /* Parse a malloc'd copy of exactly n bytes so ASan sees any overread. */
        unsigned char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, bad, n);
        cb_status st = cb_npy_parse(copy, n, "fuzz", &t, &err);
        free(copy);
        if (st == CB_OK) {
            accepted++;
            assert_true(cb_tensor_numel(&t) * 4 <= n);
            cb_tensor_free(&t);
        } else {
            refused++;
            assert_int_equal(st, CB_ERR_FORMAT);
            assert_null(t.data);
        }
    }
    /* Both outcomes happen (flips in the payload leave a valid file). */
    assert_true(refused > 0);
    assert_true(accepted > 0);
}

static void test_refuse_numpy_written_files(void **state) {
    (void)state;
    static const struct {
        const char *file, *needle;
    } cases[] = {
        {"ramp_4_f8.npy", "dtype '<f8' is not float32 ('<f4')"},
        {"ramp_2x3_fortran.npy", "fortran_order is True"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/golden/npy/%s", CB_DATA_DIR, cases[i].file);
        cb_tensor t;
        cb_error err;
        assert_int_equal(cb_npy_read(path, &t, &err), CB_ERR_FORMAT);
        assert_non_null(strstr(err.msg, cases[i].needle));
        assert_null(t.data);
    }
}

static void test_missing_file(void **state) {
    (void)state;
    char path[600];
    path_in_tmp(path, sizeof path, "no-such-file.npy");
    cb_tensor t;
    cb_error err;
    assert_int_equal(cb_npy_read(path, &t, &err), CB_ERR_IO);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, strerror(ENOENT)));
    assert_null(t.data);
    cb_shape s;
    assert_int_equal(cb_npy_read_activation(path, &t, &s, &err), CB_ERR_IO);
    assert_null(t.data);
    /* A directory opens on Linux but cannot be read: still an I/O error. */
    assert_int_equal(cb_npy_read(tmpdir, &t, &err), CB_ERR_IO);
    assert_non_null(strstr(err.msg, strerror(EISDIR)));
    assert_null(t.data);
}

static void test_write_refuses_bad_arguments(void **state) {
    (void)state;
    char path[600];
    path_in_tmp(path, sizeof path, "never.npy");
    float x[4] = {0};
    cb_error err;
    assert_int_equal(cb_npy_write(path, 0, (const int[]){1}, x, &err), CB_ERR_ARG);
    assert_int_equal(cb_npy_write(path, 5, (const int[]){1, 1, 1, 1, 1}, x, &err), CB_ERR_ARG);
    assert_int_equal(cb_npy_write(path, 2, (const int[]){2, 0}, x, &err), CB_ERR_ARG);
    assert_int_equal(cb_npy_write(path, 2, (const int[]){2, -1}, x, &err), CB_ERR_ARG);
    assert_int_equal(cb_npy_write(path, 3, (const int[]){65536, 65536, 65536}, x, &err),
                     CB_ERR_ARG);
    assert_false(file_exists(path));
    assert_int_equal(count_prefixed(tmpdir, "never.npy"), 0);
}

/* ------------------------------------------------------------- activations */

static void test_activations(void **state) {
    (void)state;
    cb_tensor t;
    cb_shape s;
    cb_error err;
    char path[600];

    /* (1, C, H, W) as PyTorch saves it, and (C, H, W): both become (C, H, W). */
    snprintf(path, sizeof path, "%s/golden/npy/ramp_1x2x3x4.npy", CB_DATA_DIR);
    assert_int_equal(cb_npy_read_activation(path, &t, &s, &err), CB_OK);
    assert_true(cb_shape_eq(s, (cb_shape){2, 3, 4}));
    assert_int_equal(t.rank, 3);
    assert_int_equal(t.dims[0], 2);
    assert_int_equal(t.dims[2], 4);
    assert_true(t.data[23] == ramp(23));
    cb_tensor_free(&t);
    snprintf(path, sizeof path, "%s/golden/npy/ramp_2x3x4.npy", CB_DATA_DIR);
    assert_int_equal(cb_npy_read_activation(path, &t, &s, &err), CB_OK);
    assert_true(cb_shape_eq(s, (cb_shape){2, 3, 4}));
    cb_tensor_free(&t);

    /* Rank 1 and 2, and a batch of 2, are not activations. */
    const char *wrong[] = {"ramp_5.npy", "ramp_3x5_v2.npy"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/golden/npy/%s", CB_DATA_DIR, wrong[i]);
        assert_int_equal(cb_npy_read_activation(path, &t, &s, &err), CB_ERR_FORMAT);
        assert_non_null(strstr(err.msg, "not an activation"));
        assert_null(t.data);
    }
    float x[2 * 2 * 3 * 4] = {0};
    path_in_tmp(path, sizeof path, "batch2.npy");
    assert_int_equal(cb_npy_write(path, 4, (const int[]){2, 2, 3, 4}, x, &err), CB_OK);
    assert_int_equal(cb_npy_read_activation(path, &t, &s, &err), CB_ERR_FORMAT);
    assert_non_null(strstr(err.msg, "(2, 2, 3, 4)"));
    assert_null(t.data);

    /* write_activation writes (1, C, H, W). */
    for (int i = 0; i < 24; i++) x[i] = ramp((uint64_t)i);
    path_in_tmp(path, sizeof path, "act.npy");
    assert_int_equal(cb_npy_write_activation(path, (cb_shape){2, 3, 4}, x, &err), CB_OK);
    assert_int_equal(cb_npy_read(path, &t, &err), CB_OK);
    assert_int_equal(t.rank, 4);
    assert_int_equal(t.dims[0], 1);
    assert_int_equal(t.dims[1], 2);
    assert_int_equal(t.dims[2], 3);
    assert_int_equal(t.dims[3], 4);
    assert_memory_equal(t.data, x, 24 * sizeof(float));
    cb_tensor_free(&t);
    unlink(path);
    path_in_tmp(path, sizeof path, "batch2.npy");
    unlink(path);
}

/* ---------------------------------------------------------------- atomic */

static void test_atomic_write(void **state) {
    (void)state;
    char path[600];
    cb_error err;
    path_in_tmp(path, sizeof path, "atomic.txt");
    assert_int_equal(cb_write_file_atomic(path, "first\n", 6, &err), CB_OK);
    assert_int_equal(cb_write_file_atomic(path, "second\n", 7, &err), CB_OK); /* replaces */
    size_t len;
    unsigned char *got = slurp(path, &len);
    assert_non_null(got);
    assert_int_equal(len, 7);
    assert_memory_equal(got, "second\n", 7);
    free(got);
    assert_int_equal(count_prefixed(tmpdir, "atomic.txt.tmp."), 0);
    /* An empty file is a valid thing to write. */
    assert_int_equal(cb_write_file_atomic(path, "", 0, &err), CB_OK);
    got = slurp(path, &len);
    assert_int_equal(len, 0);
    free(got);
    unlink(path);
}

static void test_atomic_write_failures_leave_nothing(void **state) {
    (void)state;
    char path[600];
    cb_error err;
    float x[3] = {1, 2, 3};

    /* Directory does not exist: the temp file cannot even be created. */
    path_in_tmp(path, sizeof path, "missing-dir/out.npy");
    assert_int_equal(cb_write_file_atomic(path, "x", 1, &err), CB_ERR_IO);
    assert_non_null(strstr(err.msg, strerror(ENOENT)));
    assert_int_equal(cb_npy_write(path, 1, (const int[]){3}, x, &err), CB_ERR_IO);
    assert_false(file_exists(path));

    /* The target is a directory: the temp file is written, the rename fails,
     * and the temp file must be removed. */
    path_in_tmp(path, sizeof path, "a-directory");
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(cb_npy_write(path, 1, (const int[]){3}, x, &err), CB_ERR_IO);
    assert_non_null(strstr(err.msg, "a-directory"));
    assert_int_equal(cb_write_file_atomic(path, "x", 1, &err), CB_ERR_IO);
    assert_int_equal(count_prefixed(tmpdir, "a-directory.tmp."), 0);
    assert_int_equal(rmdir(path), 0);

    /* A directory without write permission (meaningless for root, who may
     * write anywhere). */
    char ro[400];
    path_in_tmp(ro, sizeof ro, "read-only");
    assert_int_equal(mkdir(ro, 0555), 0);
    if (geteuid() != 0) {
        snprintf(path, sizeof path, "%s/out.npy", ro);
        assert_int_equal(cb_npy_write(path, 1, (const int[]){3}, x, &err), CB_ERR_IO);
        assert_non_null(strstr(err.msg, strerror(EACCES)));
        assert_int_equal(count_prefixed(ro, "out.npy"), 0);
    }
    assert_int_equal(rmdir(ro), 0);
}

/* ----------------------------------------------------------- golden files */

static cJSON *read_json(const char *path) {
    size_t len;
    unsigned char *text = slurp(path, &len);
    if (!text) fail_msg("cannot read %s", path);
    cJSON *j = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (!j) fail_msg("%s is not JSON", path);
    return j;
}

/* Read PATH and check its dims against a JSON array of integers. */
static void expect_npy_shape(const char *path, const cJSON *shape) {
    cb_tensor t;
    cb_error err;
    if (cb_npy_read(path, &t, &err) != CB_OK) fail_msg("%s", err.msg);
    assert_true(cJSON_IsArray(shape));
    assert_int_equal(t.rank, cJSON_GetArraySize(shape));
    for (int i = 0; i < t.rank; i++)
        assert_int_equal(t.dims[i], cJSON_GetArrayItem(shape, i)->valueint);
    cb_tensor_free(&t);
}

/* Calls fn(case_dir) for every case named in ROOT/index.txt; returns the count. */
static int for_each_case(const char *root, void (*fn)(const char *dir)) {
    char path[600];
    snprintf(path, sizeof path, "%s/index.txt", root);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue;
        char dir[600];
        snprintf(dir, sizeof dir, "%s/%s", root, line);
        fn(dir);
        n++;
    }
    fclose(f);
    return n;
}

static void check_block_case(const char *dir) {
    char path[900];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    cJSON *meta = read_json(path);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(meta, "block")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(meta, "args")));
    assert_int_equal(cJSON_GetObjectItem(meta, "seed")->valueint, 1);
    snprintf(path, sizeof path, "%s/input.npy", dir);
    expect_npy_shape(path, cJSON_GetObjectItem(meta, "input_shape"));
    snprintf(path, sizeof path, "%s/output.npy", dir);
    expect_npy_shape(path, cJSON_GetObjectItem(meta, "output_shape"));
    cJSON_Delete(meta);

    /* Every parameter listed in params.txt loads with the listed shape. */
    snprintf(path, sizeof path, "%s/params.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    char key[200], dims[64];
    int n = 0;
    while (fscanf(f, "%199s %63s", key, dims) == 2) {
        snprintf(path, sizeof path, "%s/params/%s.npy", dir, key);
        cb_tensor t;
        cb_error err;
        if (cb_npy_read(path, &t, &err) != CB_OK) fail_msg("%s", err.msg);
        char got[64] = "";
        for (int i = 0; i < t.rank; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), i ? ",%d" : "%d", t.dims[i]);
        if (strcmp(got, dims) != 0) fail_msg("%s: shape %s, params.txt says %s", path, got, dims);
        cb_tensor_free(&t);
        n++;
    }
    fclose(f);
    assert_true(n > 0);
}

static void check_conv_case(const char *dir) {
    char path[900];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    cJSON *meta = read_json(path);
    int stride = cJSON_GetObjectItem(meta, "stride")->valueint;
    int pad = cJSON_GetObjectItem(meta, "pad")->valueint;
    int groups = cJSON_GetObjectItem(meta, "groups")->valueint;
    int k = cJSON_GetObjectItem(meta, "kernel")->valueint;
    const cJSON *bias = cJSON_GetObjectItem(meta, "bias");
    assert_true(cJSON_IsBool(bias));
    const cJSON *in = cJSON_GetObjectItem(meta, "input_shape");
    const cJSON *w = cJSON_GetObjectItem(meta, "weight_shape");
    const cJSON *out = cJSON_GetObjectItem(meta, "output_shape");

    snprintf(path, sizeof path, "%s/input.npy", dir);
    expect_npy_shape(path, in);
    snprintf(path, sizeof path, "%s/weight.npy", dir);
    expect_npy_shape(path, w);
    snprintf(path, sizeof path, "%s/output.npy", dir);
    expect_npy_shape(path, out);
    snprintf(path, sizeof path, "%s/bias.npy", dir);
    assert_int_equal(file_exists(path), cJSON_IsTrue(bias));
    if (cJSON_IsTrue(bias)) {
        cb_tensor t;
        cb_error err;
        assert_int_equal(cb_npy_read(path, &t, &err), CB_OK);
        assert_int_equal(t.rank, 1);
        assert_int_equal(t.dims[0], cJSON_GetArrayItem(w, 0)->valueint);
        cb_tensor_free(&t);
    }

    /* The shapes agree with each other: PyTorch's conv2d shape rule. */
    int c = cJSON_GetArrayItem(in, 1)->valueint, h = cJSON_GetArrayItem(in, 2)->valueint,
        wd = cJSON_GetArrayItem(in, 3)->valueint;
    assert_int_equal(c % groups, 0);
    assert_int_equal(cJSON_GetArrayItem(w, 1)->valueint, c / groups);
    assert_int_equal(cJSON_GetArrayItem(w, 2)->valueint, k);
    assert_int_equal(cJSON_GetArrayItem(out, 1)->valueint, cJSON_GetArrayItem(w, 0)->valueint);
    assert_int_equal(cJSON_GetArrayItem(out, 2)->valueint, (h + 2 * pad - k) / stride + 1);
    assert_int_equal(cJSON_GetArrayItem(out, 3)->valueint, (wd + 2 * pad - k) / stride + 1);
    cJSON_Delete(meta);
}

static void test_golden_blocks_load(void **state) {
    (void)state;
    /* 18 cases, listed in scripts/make-golden and data/golden/README.md. */
    assert_int_equal(for_each_case(CB_DATA_DIR "/golden/blocks", check_block_case), 18);
}

static void test_golden_conv_load(void **state) {
    (void)state;
    assert_int_equal(for_each_case(CB_DATA_DIR "/golden/conv", check_conv_case), 18);
}

/* ------------------------------------------------------------------ main */

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "%s/test_npy.XXXXXX", CB_BINARY_DIR);
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    /* Every test removes what it made; a leftover fails the rmdir. */
    return rmdir(tmpdir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_rank_1_to_4),
        cmocka_unit_test(test_write_matches_numpy_bytes),
        cmocka_unit_test(test_read_numpy_files),
        cmocka_unit_test(test_read_version_2),
        cmocka_unit_test(test_header_variants_accepted),
        cmocka_unit_test(test_refuse_bad_magic),
        cmocka_unit_test(test_refuse_bad_version),
        cmocka_unit_test(test_refuse_truncated_header),
        cmocka_unit_test(test_refuse_header_length_beyond_file),
        cmocka_unit_test(test_refuse_truncated_and_trailing_data),
        cmocka_unit_test(test_read_from_pipe),
        cmocka_unit_test(test_refuse_other_dtypes),
        cmocka_unit_test(test_refuse_fortran_order),
        cmocka_unit_test(test_refuse_rank),
        cmocka_unit_test(test_refuse_bad_dims),
        cmocka_unit_test(test_refuse_overflowing_shapes),
        cmocka_unit_test(test_refuse_malformed_dicts),
        cmocka_unit_test(test_damaged_files_never_crash),
        cmocka_unit_test(test_refuse_numpy_written_files),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_write_refuses_bad_arguments),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_atomic_write_failures_leave_nothing),
        cmocka_unit_test(test_golden_blocks_load),
        cmocka_unit_test(test_golden_conv_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
