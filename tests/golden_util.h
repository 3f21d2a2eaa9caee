/* golden_util.h — what the golden-vector tests share: the tolerance check,
 * reading a case's meta.json, and listing a golden folder's index.txt.
 * Header-only so each test stays one file. */
#ifndef CB_GOLDEN_UTIL_H
#define CB_GOLDEN_UTIL_H

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tolerance of golden.py check and of issue 4: |got - want| <= atol + rtol*|want|.
 * Returns the index of the first element out of tolerance, or -1 if all agree. */
static inline long cbt_first_mismatch(const float *got, const float *want, size_t n, float atol, float rtol) {
    for (size_t i = 0; i < n; i++) {
        float err = fabsf(got[i] - want[i]);
        if (!(err <= atol + rtol * fabsf(want[i]))) return (long)i;  /* NaN fails too */
    }
    return -1;
}

/* Read a whole small text file (the caller frees); NULL if missing. */
static inline char *cbt_slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf) buf[n] = '\0';
    fclose(f);
    return buf;
}

static inline cJSON *cbt_read_json(const char *path) {
    char *text = cbt_slurp(path);
    if (!text) return NULL;
    cJSON *j = cJSON_Parse(text);
    free(text);
    return j;
}

/* Case names listed one per line in DIR/index.txt, into names[max]; returns the count. */
static inline int cbt_read_index(const char *dir, char names[][96], int max) {
    char path[1024];
    snprintf(path, sizeof path, "%s/index.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = 0;
    char line[256];
    while (n < max && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#') continue;
        snprintf(names[n++], 96, "%.95s", line);
    }
    fclose(f);
    return n;
}

#endif
