/* fuzz_util.h — small helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * Some targets fuzz code that reads files (cb_npy_read, cb_graph_load_params,
 * the benchmark-JSON reader), so they need a private scratch directory:
 * fuzz_scratch() makes one per process (under /dev/shm when it exists, to
 * keep millions of tiny writes off the disk) and removes it at exit.
 *
 * Every target also builds without libFuzzer, linked with replay_main.c, so
 * the ordinary and sanitizer builds replay the committed corpus and the
 * regression inputs (see tests/fuzz.cmake).
 */
#ifndef CB_FUZZ_UTIL_H
#define CB_FUZZ_UTIL_H

#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir_[256];

/* Remove every entry of dir (one level: the targets make no subdirectories
 * deeper than that) and, if `self`, dir itself. */
static inline void fuzz_clear_dir(const char *dir, int self) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[1024];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
            if (unlink(path) != 0) fuzz_clear_dir(path, 1);
        }
        closedir(d);
    }
    if (self) rmdir(dir);
}

static inline void fuzz_scratch_cleanup(void) {
    if (fuzz_dir_[0]) fuzz_clear_dir(fuzz_dir_, 1);
}

/* The process's scratch directory, made on first use. Aborts if it cannot
 * be made: a harness that silently tests nothing is worse than none. */
static inline const char *fuzz_scratch(void) {
    if (fuzz_dir_[0]) return fuzz_dir_;
    struct stat st;
    const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir_, sizeof fuzz_dir_, "%s/cb-fuzz-XXXXXX", base);
    if (!mkdtemp(fuzz_dir_)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_scratch_cleanup);
    return fuzz_dir_;
}

/* Write len bytes to path (plain write: this is the harness, not the tool). */
static inline void fuzz_write(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* A NUL-terminated copy of the input (the caller frees). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s) abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A property the target checks failed: report and crash so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond)                                                                  \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#endif
