/* npy.c — NumPy .npy reader and writer, float32 only (see npy.h).
 *
 * The format (numpy/lib/format.py, "NEP 1"):
 *
 *   bytes 0..5   "\x93NUMPY"
 *   byte  6, 7   major, minor version (1.0 or 2.0 accepted here)
 *   then         header length, little-endian: 2 bytes (1.0) or 4 bytes (2.0)
 *   then         the header: a Python dict literal, e.g.
 *                  {'descr': '<f4', 'fortran_order': False, 'shape': (3, 7, 9), }
 *                padded with spaces and ended by '\n'
 *   then         the raw elements, C order, exactly numel * 4 bytes.
 *
 * A file is untrusted input: every field is checked, the shape's byte size is
 * checked against CB_MAX_TENSOR_BYTES (cb_dims_check) and against the bytes
 * actually present before anything is allocated, so a 100-byte file claiming
 * a (2**40, 2**40) array is refused at no cost.
 */
#define _POSIX_C_SOURCE 200809L

#include "convblocks/npy.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char NPY_MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* No sane header for a rank <= 4 array is near this long (numpy's own are
 * 118 bytes); the bound keeps a hostile length from meaning anything. */
#define NPY_MAX_HEADER_LEN (1u << 16)

/* Alignment of the data start, as numpy >= 1.14 writes it. */
#define NPY_ALIGN 64

/* What the header says about the array. */
typedef struct {
    int rank;
    int dims[CB_MAX_RANK];
    uint64_t numel;
} npy_info;

/* ---------------------------------------------------------------- header */

/* A cursor over the header text. */
typedef struct {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

/* Consume `ch` (after optional spaces); 1 if it was there. */
static int eat(cursor *c, char ch) {
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A Python string literal in single or double quotes, without escapes (no
 * key or dtype numpy writes has any). Copied into out (NUL-terminated). */
static int parse_string(cursor *c, char *out, size_t n) {
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    char quote = *c->p++;
    size_t len = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || *c->p == '\0' || len + 1 >= n) return 0;
        out[len++] = *c->p++;
    }
    if (c->p >= c->end) return 0;
    c->p++;
    out[len] = '\0';
    return 1;
}

/* Does the text at the cursor start with the identifier `word`? */
static int eat_word(cursor *c, const char *word) {
    skip_space(c);
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
    const char *after = c->p + n;
    if (after < c->end && (*after == '_' || (*after >= 'a' && *after <= 'z') ||
                           (*after >= 'A' && *after <= 'Z') || (*after >= '0' && *after <= '9')))
        return 0;
    c->p = after;
    return 1;
}

/* The shape tuple: "()", "(5,)", "(3, 7, 9)", with an optional trailing
 * comma; Python 2 era files may write "3L". */
static cb_status parse_shape(cursor *c, const char *name, npy_info *info, cb_error *err) {
    if (!eat(c, '(')) return cb_fail(err, CB_ERR_FORMAT, "%s: header 'shape' is not a tuple", name);
    info->rank = 0;
    for (;;) {
        if (eat(c, ')')) break;
        skip_space(c);
        if (c->p < c->end && *c->p == '-')
            return cb_fail(err, CB_ERR_FORMAT, "%s: shape has a negative dimension", name);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return cb_fail(err, CB_ERR_FORMAT, "%s: header 'shape' is not a tuple of integers", name);
        uint64_t v = 0;
        int big = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            v = v * 10 + (uint64_t)(*c->p++ - '0');
            if (v > (uint64_t)INT_MAX) big = 1, v = (uint64_t)INT_MAX + 1;
        }
        if (c->p < c->end && (*c->p == 'L' || *c->p == 'l')) c->p++;
        if (info->rank == CB_MAX_RANK)
            return cb_fail(err, CB_ERR_FORMAT, "%s: shape has more than %d dimensions", name,
                           CB_MAX_RANK);
        if (big)
            return cb_fail(err, CB_ERR_FORMAT,
                           "%s: shape dimension %d is too large (the limit is %llu bytes)", name,
                           info->rank, (unsigned long long)CB_MAX_TENSOR_BYTES);
        info->dims[info->rank++] = (int)v;
        if (eat(c, ',')) continue;
        if (eat(c, ')')) break;
        return cb_fail(err, CB_ERR_FORMAT, "%s: header 'shape' is not a tuple of integers", name);
    }
    return CB_OK;
}

/* Parse the header dict into info->rank/dims. Exactly the three keys numpy
 * writes must be present, each once. */
static cb_status parse_header(const char *text, size_t len, const char *name, npy_info *info,
                              cb_error *err) {
    cursor c = {text, text + len};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!eat(&c, '{')) return cb_fail(err, CB_ERR_FORMAT, "%s: header is not a Python dict", name);
    for (;;) {
        if (eat(&c, '}')) break;
        char key[32];
        if (!parse_string(&c, key, sizeof key) || !eat(&c, ':'))
            return cb_fail(err, CB_ERR_FORMAT, "%s: header is not a Python dict", name);
        if (strcmp(key, "descr") == 0 && !have_descr) {
            char descr[32];
            if (!parse_string(&c, descr, sizeof descr))
                return cb_fail(err, CB_ERR_FORMAT,
                               "%s: dtype is not a simple type (structured arrays are not float32 "
                               "'<f4')",
                               name);
            if (strcmp(descr, "<f4") != 0)
                return cb_fail(err, CB_ERR_FORMAT, "%s: dtype '%s' is not float32 ('<f4')", name,
                               descr);
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if (eat_word(&c, "True"))
                return cb_fail(err, CB_ERR_FORMAT,
                               "%s: fortran_order is True; only C order is supported", name);
            if (!eat_word(&c, "False"))
                return cb_fail(err, CB_ERR_FORMAT, "%s: header 'fortran_order' is not a bool",
                               name);
            have_order = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            cb_status st = parse_shape(&c, name, info, err);
            if (st != CB_OK) return st;
            have_shape = 1;
        } else {
            return cb_fail(err, CB_ERR_FORMAT, "%s: header has an unexpected or repeated key '%s'",
                           name, key);
        }
        if (eat(&c, ',')) continue;
        if (eat(&c, '}')) break;
        return cb_fail(err, CB_ERR_FORMAT, "%s: header is not a Python dict", name);
    }
    skip_space(&c);
    if (c.p != c.end)
        return cb_fail(err, CB_ERR_FORMAT, "%s: unexpected text after the header dict", name);
    if (!have_descr || !have_order || !have_shape)
        return cb_fail(err, CB_ERR_FORMAT, "%s: header lacks '%s'", name,
                       !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    if (info->rank == 0)
        return cb_fail(err, CB_ERR_FORMAT, "%s: shape () is a scalar; rank 1 to %d is supported",
                       name, CB_MAX_RANK);
    for (int i = 0; i < info->rank; i++)
        if (info->dims[i] == 0)
            return cb_fail(err, CB_ERR_FORMAT, "%s: shape has a zero dimension (empty array)",
                           name);
    cb_error why;
    if (cb_dims_check(info->rank, info->dims, &info->numel, &why) != CB_OK)
        return cb_fail(err, CB_ERR_FORMAT, "%s: %s", name, why.msg);
    return CB_OK;
}

/* Check the magic and version in the first `avail` bytes and decode where
 * the header starts and how long it is. */
static cb_status parse_preamble(const unsigned char *buf, size_t avail, const char *name,
                                size_t *header_start, size_t *header_len, cb_error *err) {
    if (avail < 8 || memcmp(buf, NPY_MAGIC, sizeof NPY_MAGIC) != 0)
        return cb_fail(err, CB_ERR_FORMAT, "%s: not a .npy file (bad magic)", name);
    unsigned major = buf[6], minor = buf[7];
    if ((major != 1 && major != 2) || minor != 0)
        return cb_fail(err, CB_ERR_FORMAT, "%s: .npy format version %u.%u is not supported (1.0, 2.0)",
                       name, major, minor);
    size_t start = major == 1 ? 10 : 12;
    if (avail < start) return cb_fail(err, CB_ERR_FORMAT, "%s: truncated header", name);
    size_t hl = (size_t)buf[8] | (size_t)buf[9] << 8;
    if (major == 2) hl |= (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    if (hl == 0 || hl > NPY_MAX_HEADER_LEN)
        return cb_fail(err, CB_ERR_FORMAT, "%s: header length %zu is out of bounds (1..%u)", name,
                       hl, NPY_MAX_HEADER_LEN);
    *header_start = start;
    *header_len = hl;
    return CB_OK;
}

/* Little-endian bytes -> floats, on any host. Compilers turn the shifts into
 * one load on little-endian machines. */
static void floats_from_le(float *dst, const unsigned char *src, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        const unsigned char *b = src + 4 * i;
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                     (uint32_t)b[3] << 24;
        memcpy(&dst[i], &u, 4);
    }
}

static int host_is_little_endian(void) {
    const uint32_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

cb_status cb_npy_parse(const unsigned char *buf, size_t len, const char *name, cb_tensor *t,
                       cb_error *err) {
    memset(t, 0, sizeof *t);
    if (!name) name = "<memory>";
    size_t hs = 0, hl = 0;
    cb_status st = parse_preamble(buf, len, name, &hs, &hl, err);
    if (st != CB_OK) return st;
    if (hl > len - hs)
        return cb_fail(err, CB_ERR_FORMAT, "%s: header length %zu runs beyond the end of the file",
                       name, hl);
    npy_info info;
    st = parse_header((const char *)buf + hs, hl, name, &info, err);
    if (st != CB_OK) return st;
    size_t have = len - hs - hl;
    uint64_t want = info.numel * 4;
    if ((uint64_t)have < want)
        return cb_fail(err, CB_ERR_FORMAT, "%s: truncated data: %zu bytes for %llu floats", name,
                       have, (unsigned long long)info.numel);
    if ((uint64_t)have > want)
        return cb_fail(err, CB_ERR_FORMAT, "%s: %llu bytes of trailing data after %llu floats",
                       name, (unsigned long long)(have - want), (unsigned long long)info.numel);
    st = cb_tensor_alloc(t, info.rank, info.dims, err);
    if (st != CB_OK) return st;
    floats_from_le(t->data, buf + hs + hl, info.numel);
    return CB_OK;
}

/* ----------------------------------------------------------------- read */

cb_status cb_npy_read(const char *path, cb_tensor *t, cb_error *err) {
    memset(t, 0, sizeof *t);
    if (!path) return cb_fail(err, CB_ERR_ARG, "no path to read");
    FILE *f = fopen(path, "rb");
    if (!f) return cb_fail(err, CB_ERR_IO, "%s: %s", path, strerror(errno));
    /* Read the preamble and header first, then the data straight into the
     * tensor: a large file is never held twice in memory. */
    unsigned char pre[12];
    char *header = NULL;
    cb_status st;
    size_t got = fread(pre, 1, sizeof pre, f);
    size_t hs = 0, hl = 0;
    if (got < sizeof pre && ferror(f)) { /* e.g. a directory: EISDIR */
        st = cb_fail(err, CB_ERR_IO, "%s: %s", path, strerror(errno));
        goto done;
    }
    st = parse_preamble(pre, got, path, &hs, &hl, err);
    if (st != CB_OK) goto done;
    /* Size of the file, when it is a regular one: lets a lying header be
     * refused before the data buffer is allocated. */
    struct stat sb;
    int sized = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode);
    uint64_t fsize = sized ? (uint64_t)sb.st_size : 0;
    if (sized && (uint64_t)hs + hl > fsize) {
        st = cb_fail(err, CB_ERR_FORMAT, "%s: header length %zu runs beyond the end of the file",
                     path, hl);
        goto done;
    }
    header = malloc(hl);
    if (!header) {
        st = cb_fail(err, CB_ERR_NOMEM, "%s: out of memory for a %zu-byte header", path, hl);
        goto done;
    }
    /* Bytes of the header already read with the preamble (2.0 reads 12
     * bytes but its header starts at 12; 1.0's starts at 10). */
    size_t pre_in_header = got > hs ? got - hs : 0;
    if (pre_in_header > hl) pre_in_header = hl;
    memcpy(header, pre + hs, pre_in_header);
    size_t rest = hl - pre_in_header;
    if (fread(header + pre_in_header, 1, rest, f) != rest) {
        st = ferror(f) ? cb_fail(err, CB_ERR_IO, "%s: %s", path, strerror(errno))
                       : cb_fail(err, CB_ERR_FORMAT,
                                 "%s: header length %zu runs beyond the end of the file", path, hl);
        goto done;
    }
    npy_info info;
    st = parse_header(header, hl, path, &info, err);
    if (st != CB_OK) goto done;
    uint64_t want = info.numel * 4;
    /* Bytes of data that came in with the 12-byte preamble read (a 1.0 file
     * whose header is 1 byte long); at most 1, kept apart. */
    size_t pre_in_data = got > hs + hl ? got - hs - hl : 0;
    if (sized) {
        uint64_t have = fsize - hs - hl;
        if (have < want) {
            st = cb_fail(err, CB_ERR_FORMAT, "%s: truncated data: %llu bytes for %llu floats", path,
                         (unsigned long long)have, (unsigned long long)info.numel);
            goto done;
        }
        if (have > want) {
            st = cb_fail(err, CB_ERR_FORMAT, "%s: %llu bytes of trailing data after %llu floats",
                         path, (unsigned long long)(have - want), (unsigned long long)info.numel);
            goto done;
        }
    }
    st = cb_tensor_alloc(t, info.rank, info.dims, err);
    if (st != CB_OK) goto done;
    unsigned char *bytes = (unsigned char *)t->data;
    if (pre_in_data > want) pre_in_data = (size_t)want;
    memcpy(bytes, pre + hs + hl, pre_in_data);
    size_t left = (size_t)want - pre_in_data;
    if (fread(bytes + pre_in_data, 1, left, f) != left) {
        st = ferror(f) ? cb_fail(err, CB_ERR_IO, "%s: %s", path, strerror(errno))
                       : cb_fail(err, CB_ERR_FORMAT, "%s: truncated data for %llu floats", path,
                                 (unsigned long long)info.numel);
        goto done;
    }
    if (fgetc(f) != EOF) {
        st = cb_fail(err, CB_ERR_FORMAT, "%s: trailing data after %llu floats", path,
                     (unsigned long long)info.numel);
        goto done;
    }
    if (!host_is_little_endian()) {
        /* Reorder in place, element by element. */
        for (uint64_t i = 0; i < info.numel; i++) floats_from_le(&t->data[i], bytes + 4 * i, 1);
    }
    st = CB_OK;
done:
    free(header);
    fclose(f);
    if (st != CB_OK) cb_tensor_free(t);
    return st;
}

cb_status cb_npy_read_activation(const char *path, cb_tensor *t, cb_shape *shape, cb_error *err) {
    cb_status st = cb_npy_read(path, t, err);
    if (st != CB_OK) return st;
    int r = t->rank;
    const int *d = t->dims;
    if (r == 4 && d[0] == 1) {
        t->rank = 3;
        memmove(t->dims, t->dims + 1, 3 * sizeof t->dims[0]);
        t->dims[3] = 0;
    } else if (r != 3) {
        char s[64];
        int n = 0;
        for (int i = 0; i < r && n < (int)sizeof s; i++)
            n += snprintf(s + n, sizeof s - (size_t)n, i ? ", %d" : "%d", d[i]);
        cb_tensor_free(t);
        return cb_fail(err, CB_ERR_FORMAT,
                       "%s: shape (%s%s) is not an activation (C,H,W) or (1,C,H,W)", path, s,
                       r == 1 ? "," : "");
    }
    shape->c = t->dims[0];
    shape->h = t->dims[1];
    shape->w = t->dims[2];
    return CB_OK;
}

/* ---------------------------------------------------------------- write */

/* An atomic write in progress: the temporary file and the final name. */
typedef struct {
    FILE *f;
    const char *path;
    char *tmp;
} atomic_file;

static cb_status atomic_open(atomic_file *a, const char *path, cb_error *err) {
    a->f = NULL;
    a->path = path;
    size_t n = strlen(path) + 32;
    a->tmp = malloc(n);
    if (!a->tmp) return cb_fail(err, CB_ERR_NOMEM, "%s: out of memory", path);
    snprintf(a->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        cb_status st = cb_fail(err, CB_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        free(a->tmp);
        a->tmp = NULL;
        return st;
    }
    return CB_OK;
}

static cb_status atomic_write(atomic_file *a, const void *data, size_t len, cb_error *err) {
    if (len && fwrite(data, 1, len, a->f) != len)
        return cb_fail(err, CB_ERR_IO, "%s: cannot write: %s", a->path, strerror(errno));
    return CB_OK;
}

/* Close and rename over the final name when `st` is CB_OK; otherwise (or if
 * closing or renaming fails) remove the temporary file. Returns the status. */
static cb_status atomic_close(atomic_file *a, cb_status st, cb_error *err) {
    if (fclose(a->f) != 0 && st == CB_OK)
        st = cb_fail(err, CB_ERR_IO, "%s: cannot write: %s", a->path, strerror(errno));
    if (st == CB_OK && rename(a->tmp, a->path) != 0)
        st = cb_fail(err, CB_ERR_IO, "%s: cannot rename into place: %s", a->path, strerror(errno));
    if (st != CB_OK) unlink(a->tmp);
    free(a->tmp);
    a->tmp = NULL;
    a->f = NULL;
    return st;
}

cb_status cb_write_file_atomic(const char *path, const void *data, size_t len, cb_error *err) {
    if (!path || (!data && len)) return cb_fail(err, CB_ERR_ARG, "no path or no data to write");
    atomic_file a;
    cb_status st = atomic_open(&a, path, err);
    if (st != CB_OK) return st;
    st = atomic_write(&a, data, len, err);
    return atomic_close(&a, st, err);
}

/* The header numpy itself writes, padded with spaces so that the data starts
 * at a multiple of NPY_ALIGN bytes and ended by '\n'. Returns the full
 * preamble + header length in buf (which must hold 256 bytes). */
static size_t make_header(unsigned char *buf, int rank, const int *dims) {
    char shape[96];
    int n = 0;
    for (int i = 0; i < rank; i++)
        n += snprintf(shape + n, sizeof shape - (size_t)n, i ? ", %d" : "%d", dims[i]);
    if (rank == 1) snprintf(shape + n, sizeof shape - (size_t)n, ",");
    char dict[160];
    int dl = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }",
                      shape);
    size_t total = 10 + (size_t)dl + 1; /* preamble + dict + '\n' */
    total = (total + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    size_t hl = total - 10;
    memcpy(buf, NPY_MAGIC, sizeof NPY_MAGIC);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (unsigned char)(hl & 0xff);
    buf[9] = (unsigned char)(hl >> 8);
    memcpy(buf + 10, dict, (size_t)dl);
    memset(buf + 10 + dl, ' ', hl - (size_t)dl - 1);
    buf[total - 1] = '\n';
    return total;
}

cb_status cb_npy_write(const char *path, int rank, const int *dims, const float *data,
                       cb_error *err) {
    if (!path || !dims) return cb_fail(err, CB_ERR_ARG, "no path or no shape to write");
    if (rank < 1 || rank > CB_MAX_RANK)
        return cb_fail(err, CB_ERR_ARG, "%s: rank %d is not 1 to %d", path, rank, CB_MAX_RANK);
    uint64_t numel;
    cb_error why;
    if (cb_dims_check(rank, dims, &numel, &why) != CB_OK)
        return cb_fail(err, CB_ERR_ARG, "%s: %s", path, why.msg);
    if (!data) return cb_fail(err, CB_ERR_ARG, "%s: no data to write", path);
    unsigned char header[256];
    size_t hlen = make_header(header, rank, dims);
    atomic_file a;
    cb_status st = atomic_open(&a, path, err);
    if (st != CB_OK) return st;
    st = atomic_write(&a, header, hlen, err);
    if (st != CB_OK) {
        /* fall through to atomic_close, which removes the temporary file */
    } else if (host_is_little_endian()) {
        st = atomic_write(&a, data, (size_t)numel * 4, err);
    } else {
        /* Big-endian host: swap through a small buffer. */
        unsigned char chunk[4096];
        for (uint64_t i = 0; st == CB_OK && i < numel; i += sizeof chunk / 4) {
            uint64_t m = numel - i < sizeof chunk / 4 ? numel - i : sizeof chunk / 4;
            for (uint64_t j = 0; j < m; j++) {
                uint32_t u;
                memcpy(&u, &data[i + j], 4);
                for (int k = 0; k < 4; k++) chunk[4 * j + k] = (unsigned char)(u >> (8 * k));
            }
            st = atomic_write(&a, chunk, (size_t)m * 4, err);
        }
    }
    return atomic_close(&a, st, err);
}

cb_status cb_npy_write_activation(const char *path, cb_shape s, const float *data, cb_error *err) {
    int dims[4] = {1, s.c, s.h, s.w};
    return cb_npy_write(path, 4, dims, data, err);
}
