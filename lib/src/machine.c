/* machine.c — measure this machine's roofline ceilings (see machine.h). */
#define _POSIX_C_SOURCE 200809L

#include "convblocks/machine.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#include "convblocks/tensor.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CB_X86 1
#endif

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- facts from /proc and /sys ---- */

static void read_line(const char *path, char *buf, size_t n) {
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fgets(buf, (int)n, f)) buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

/* "32K", "32768K", "1M" -> bytes */
static uint64_t parse_size(const char *s) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s) return 0;
    if (*end == 'K') v <<= 10;
    else if (*end == 'M') v <<= 20;
    else if (*end == 'G') v <<= 30;
    return v;
}

static void read_caches(cb_machine_info *m) {
    for (int i = 0; i < 16; i++) {
        char path[128], level[16], type[32], size[32];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        read_line(path, level, sizeof level);
        if (!level[0]) break;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        read_line(path, type, sizeof type);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        read_line(path, size, sizeof size);
        uint64_t bytes = parse_size(size);
        if (strcmp(level, "1") == 0 && strcmp(type, "Data") == 0) m->l1d_bytes = bytes;
        else if (strcmp(level, "2") == 0 && strcmp(type, "Instruction") != 0) m->l2_bytes = bytes;
        else if (strcmp(level, "3") == 0) m->l3_bytes = bytes;
    }
}

static void read_cpu_model(cb_machine_info *m) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) continue;
        v++;
        while (*v == ' ' || *v == '\t') v++;
        snprintf(m->cpu_model, sizeof m->cpu_model, "%s", v);
        m->cpu_model[strcspn(m->cpu_model, "\n")] = '\0';
        break;
    }
    fclose(f);
}

void cb_machine_describe(cb_machine_info *m) {
    memset(m, 0, sizeof *m);
    read_cpu_model(m);
    m->logical_cpus = omp_get_num_procs();
    m->max_threads = omp_get_max_threads();
    read_caches(m);
    read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", m->governor,
              sizeof m->governor);
#ifdef CB_X86
    __builtin_cpu_init();
    m->avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
}

const char *cb_machine_frequency_warning(const cb_machine_info *m) {
    if (!m->governor[0])
        return "no cpufreq control visible (virtual machine?): clock frequency is not pinned, "
               "expect run-to-run variation";
    if (strcmp(m->governor, "performance") != 0)
        return "cpufreq governor is not 'performance': clock frequency varies, "
               "timings are noisy (cpupower frequency-set -g performance)";
    return NULL;
}

/* ---- FMA peak ---- */

/* 12 independent accumulators: an FMA's result is ready 4 cycles later and
 * 2 can start per cycle, so at least 8 chains are needed to keep both
 * units busy; 12 leaves margin. acc = acc * mul + add converges to
 * add / (1 - mul), never to denormals. Every chain starts from a different
 * value: identical chains would be merged by the compiler into one (which
 * then runs at latency, 4 cycles per iteration instead of 6, and the count
 * below would claim 1.5x the real peak). Returns a sum so nothing is dead
 * code. Flops per call: iters * 12 chains * 8 lanes * 2. */
#ifdef CB_X86
__attribute__((target("avx2,fma"))) static float fma_kernel_avx2(long iters, float seed) {
    __m256 mul = _mm256_set1_ps(0.5f), add = _mm256_set1_ps(seed);
    __m256 a0 = _mm256_set1_ps(seed + 0.0f), a1 = _mm256_set1_ps(seed + 0.1f);
    __m256 a2 = _mm256_set1_ps(seed + 0.2f), a3 = _mm256_set1_ps(seed + 0.3f);
    __m256 a4 = _mm256_set1_ps(seed + 0.4f), a5 = _mm256_set1_ps(seed + 0.5f);
    __m256 a6 = _mm256_set1_ps(seed + 0.6f), a7 = _mm256_set1_ps(seed + 0.7f);
    __m256 a8 = _mm256_set1_ps(seed + 0.8f), a9 = _mm256_set1_ps(seed + 0.9f);
    __m256 a10 = _mm256_set1_ps(seed + 1.0f), a11 = _mm256_set1_ps(seed + 1.1f);
    for (long i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_ps(a0, mul, add);
        a1 = _mm256_fmadd_ps(a1, mul, add);
        a2 = _mm256_fmadd_ps(a2, mul, add);
        a3 = _mm256_fmadd_ps(a3, mul, add);
        a4 = _mm256_fmadd_ps(a4, mul, add);
        a5 = _mm256_fmadd_ps(a5, mul, add);
        a6 = _mm256_fmadd_ps(a6, mul, add);
        a7 = _mm256_fmadd_ps(a7, mul, add);
        a8 = _mm256_fmadd_ps(a8, mul, add);
        a9 = _mm256_fmadd_ps(a9, mul, add);
        a10 = _mm256_fmadd_ps(a10, mul, add);
        a11 = _mm256_fmadd_ps(a11, mul, add);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[7];
}
#endif

/* The portable version: the same 12 x 8 chains as plain arrays, which the
 * compiler vectorises for whatever the baseline ISA is (a multiply and an
 * add where there is no FMA). */
static float fma_kernel_portable(long iters, float seed) {
    float acc[12][8];
    for (int c = 0; c < 12; c++) /* all different, as above */
        for (int l = 0; l < 8; l++) acc[c][l] = seed + 0.1f * (float)c + 0.01f * (float)l;
    for (long i = 0; i < iters; i++)
        for (int c = 0; c < 12; c++)
            for (int l = 0; l < 8; l++) acc[c][l] = acc[c][l] * 0.5f + seed;
    float s = 0;
    for (int c = 0; c < 12; c++)
        for (int l = 0; l < 8; l++) s += acc[c][l];
    return s;
}

static float fma_kernel(bool avx2, long iters, float seed) {
#ifdef CB_X86
    if (avx2) return fma_kernel_avx2(iters, seed);
#else
    (void)avx2;
#endif
    return fma_kernel_portable(iters, seed);
}

static volatile float fma_sink;

/* Best GFLOP/s of `samples` runs of `iters` iterations on `threads` threads. */
static double fma_peak(bool avx2, int threads, long iters, int samples) {
    double best = 0;
    for (int s = 0; s < samples; s++) {
        float sum = 0;
        double t0 = now_seconds();
#pragma omp parallel num_threads(threads) reduction(+ : sum)
        sum += fma_kernel(avx2, iters, 1.0f + (float)omp_get_thread_num());
        double dt = now_seconds() - t0;
        fma_sink = sum;
        double gflops = (double)threads * (double)iters * 12 * 8 * 2 / dt / 1e9;
        if (gflops > best) best = gflops;
    }
    return best;
}

/* ---- STREAM triad ---- */

/* a[i] = b[i] + s * c[i] over [lo, hi). The AVX2 build of the same loop is
 * what the fast kernels' loads and stores look like; the portable one is
 * compiled for the baseline ISA. */
#ifdef CB_X86
__attribute__((target("avx2"))) static void triad_range_avx2(float *a, const float *b,
                                                             const float *c, size_t lo, size_t hi) {
    const float s = 3.0f;
    for (size_t i = lo; i < hi; i++) a[i] = b[i] + s * c[i];
}
#endif

static void triad_range(bool avx2, float *a, const float *b, const float *c, size_t lo,
                        size_t hi) {
#ifdef CB_X86
    if (avx2) {
        triad_range_avx2(a, b, c, lo, hi);
        return;
    }
#else
    (void)avx2;
#endif
    const float s = 3.0f;
    for (size_t i = lo; i < hi; i++) a[i] = b[i] + s * c[i];
}

/* Thread t of nt owns elements [n*t/nt, n*(t+1)/nt): it first-touches them
 * (so its pages are its own on a NUMA machine) and sweeps only them. All
 * passes run inside one parallel region with no barrier between them, so a
 * thread the OS deschedules for a moment costs that moment once, not a
 * scheduler slice per pass. */
static double triad(bool avx2, float *a, const float *b, const float *c, size_t n, int threads,
                    int passes) {
    double t0 = now_seconds();
#pragma omp parallel num_threads(threads)
    {
        size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        size_t lo = n * t / nt, hi = n * (t + 1) / nt;
        for (int p = 0; p < passes; p++) triad_range(avx2, a, b, c, lo, hi);
    }
    return now_seconds() - t0;
}

/* Best GB/s of `samples` samples, each `passes` triads over n elements. */
static double triad_gbs(bool avx2, float *a, float *b, float *c, size_t n, int threads,
                        int passes, int samples) {
#pragma omp parallel num_threads(threads)
    {
        size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        for (size_t i = n * t / nt; i < n * (t + 1) / nt; i++) {
            a[i] = 0;
            b[i] = 1;
            c[i] = 2;
        }
    }
    triad(avx2, a, b, c, n, threads, 1); /* warm-up */
    double best = 0;
    for (int s = 0; s < samples; s++) {
        double dt = triad(avx2, a, b, c, n, threads, passes);
        /* STREAM counting: read b and c, write a, 3 floats per element */
        double gbs = 3.0 * sizeof(float) * (double)n * passes / dt / 1e9;
        if (gbs > best) best = gbs;
    }
    return best;
}

/* One triad measurement with freshly allocated arrays of `bytes` each. */
static cb_status triad_measure(bool avx2, size_t bytes, int threads, int passes, int samples,
                               double *gbs, cb_error *err) {
    size_t n = bytes / sizeof(float);
    float *a = cb_alloc_floats(n), *b = cb_alloc_floats(n), *c = cb_alloc_floats(n);
    if (!a || !b || !c) {
        cb_free(a);
        cb_free(b);
        cb_free(c);
        return cb_fail(err, CB_ERR_NOMEM, "machine probe: cannot allocate 3 x %zu bytes", bytes);
    }
    *gbs = triad_gbs(avx2, a, b, c, n, threads, passes, samples);
    cb_free(a);
    cb_free(b);
    cb_free(c);
    return CB_OK;
}

cb_status cb_machine_probe(cb_machine_info *m, int quick, cb_error *err) {
    cb_machine_describe(m);
    int all = m->max_threads > 0 ? m->max_threads : 1;
    m->threads_all = all;

    /* Many short samples (~1 ms at ~90 GFLOP/s per core) and the best of
     * them: on a shared machine a long sample is always interrupted by a
     * scheduler slice of someone else's work, a 1 ms one often is not. */
    long iters = 500000;
    int samples = quick ? 10 : 30;
    fma_peak(m->avx2_fma, 1, iters / 10, 1); /* warm-up: clocks up, code paged in */
    m->fma_gflops_1t = fma_peak(m->avx2_fma, 1, iters, samples);
    m->fma_gflops_all = fma_peak(m->avx2_fma, all, iters, samples);

    uint64_t llc = m->l3_bytes ? m->l3_bytes : (m->l2_bytes ? m->l2_bytes : (8u << 20));
    m->dram_array_bytes = (size_t)(2 * llc > (16u << 20) ? 2 * llc : (16u << 20));
    m->l3_array_bytes = (size_t)(llc / 12);
    if (m->l3_array_bytes < (64u << 10)) m->l3_array_bytes = 64u << 10;

    int dram_samples = quick ? 3 : 8;
    const bool v = m->avx2_fma;
    const size_t db = m->dram_array_bytes, lb = m->l3_array_bytes;
    cb_status st;
    if ((st = triad_measure(v, db, 1, 1, dram_samples, &m->dram_triad_gbs_1t, err))) return st;
    if ((st = triad_measure(v, db, all, 1, dram_samples, &m->dram_triad_gbs_all, err))) return st;
    /* L3 arrays are small: repeat so that a sample moves ~50 MB (~1 ms). */
    int passes = (int)(50e6 / (3.0 * (double)lb)) + 1;
    if ((st = triad_measure(v, lb, 1, passes, samples, &m->l3_triad_gbs_1t, err))) return st;
    if ((st = triad_measure(v, lb, all, passes, samples, &m->l3_triad_gbs_all, err))) return st;
    return CB_OK;
}

void cb_machine_short_spin(char **argv) {
    if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT") || RUNNING_ON_VALGRIND) return;
    if (setenv("GOMP_SPINCOUNT", "1000", 1) != 0) return;
    execv("/proc/self/exe", argv);
    /* exec failed (no /proc, say): carry on with libgomp's defaults */
}
