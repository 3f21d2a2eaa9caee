/* stats.h — the statistics of the benchmark regression gate (compare.c).
 *
 * Benchmark timings are not normally distributed (a long right tail from
 * preemption, page faults, frequency changes), so the gate compares two sets
 * of repetitions with the Mann–Whitney U test, which only uses their ranks,
 * and summarises each set by its median.
 *
 * The U test follows scipy.stats.mannwhitneyu (scipy 1.10) exactly, so its
 * p-values can be checked against scipy: midranks for ties; "auto" uses the
 * exact null distribution when one sample has at most 8 values and there
 * are no ties, otherwise the normal approximation with tie correction and
 * continuity correction.
 */
#ifndef CB_BENCH_STATS_H
#define CB_BENCH_STATS_H

#include <stddef.h>

typedef enum { CB_ALT_TWO_SIDED = 0, CB_ALT_GREATER, CB_ALT_LESS } cb_alternative;
typedef enum { CB_MWU_AUTO = 0, CB_MWU_EXACT, CB_MWU_ASYMPTOTIC } cb_mwu_method;

typedef struct {
    double u1;        /* U statistic of x: pairs (x_i, y_j) with x_i > y_j, ties counted 1/2 */
    double p;         /* p-value of the chosen alternative */
    int exact;        /* 1 if the exact distribution was used */
} cb_mwu_result;

/* Mann–Whitney U test of x (n1 values) against y (n2 values).
 * CB_ALT_GREATER: the alternative is "x tends to be larger than y".
 * Returns 0, or -1 if a sample is empty or allocation fails. */
int cb_mwu_test(const double *x, size_t n1, const double *y, size_t n2, cb_alternative alt,
                cb_mwu_method method, cb_mwu_result *out);

/* The smallest p-value the test can reach with these sample sizes and this
 * alternative (when there are no ties): below alpha, a difference is detectable. */
double cb_mwu_min_p(size_t n1, size_t n2, cb_alternative alt);

/* Median of n values (the mean of the two middle ones for even n); x is not modified.
 * NaN for n = 0. */
double cb_median(const double *x, size_t n);

/* Geometric mean of n positive values; NaN for n = 0 or a non-positive value. */
double cb_geomean(const double *x, size_t n);

#endif
