/* stats.c — Mann–Whitney U test, median, geometric mean (see stats.h). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cb_median(const double *x, size_t n) {
    if (n == 0) return NAN;
    double *s = malloc(n * sizeof *s);
    if (!s) return NAN;
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double m = (n % 2) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return m;
}

double cb_geomean(const double *x, size_t n) {
    if (n == 0) return NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0)) return NAN;
        sum += log(x[i]);
    }
    return exp(sum / (double)n);
}

/* P(U >= u) under the null hypothesis with no ties: the fraction of the
 * C(n1+n2, n1) equally likely orderings whose U is at least u. counts[k] is
 * the number of orderings of m x's and n y's with U = k, built up by
 * f(m, n, k) = f(m-1, n, k-n) + f(m, n-1, k): the largest value is either an
 * x (beating all n y's) or a y (beating none). */
static double exact_sf(long u, size_t n1, size_t n2) {
    size_t umax = n1 * n2;
    if (u <= 0) return 1.0;
    if ((size_t)u > umax) return 0.0;
    /* f[n][k] for the current m, n = 0..n2 */
    size_t w = umax + 1;
    double *prev = calloc((n2 + 1) * w, sizeof *prev);
    double *cur = calloc((n2 + 1) * w, sizeof *cur);
    if (!prev || !cur) {
        free(prev);
        free(cur);
        return NAN;
    }
    for (size_t n = 0; n <= n2; n++) prev[n * w + 0] = 1; /* m = 0: one ordering, U = 0 */
    for (size_t m = 1; m <= n1; m++) {
        memset(cur, 0, (n2 + 1) * w * sizeof *cur);
        cur[0] = 1; /* n = 0: one ordering, U = 0 */
        for (size_t n = 1; n <= n2; n++)
            for (size_t k = 0; k <= m * n; k++) {
                double a = (k >= n) ? prev[n * w + (k - n)] : 0;
                cur[n * w + k] = a + cur[(n - 1) * w + k];
            }
        double *t = prev;
        prev = cur;
        cur = t;
    }
    double total = 0, tail = 0;
    for (size_t k = 0; k <= umax; k++) {
        double c = prev[n2 * w + k];
        total += c;
        if ((long)k >= u) tail += c;
    }
    free(prev);
    free(cur);
    return tail / total;
}

typedef struct {
    double v;
    size_t i;
} tagged;

static int cmp_tagged(const void *a, const void *b) {
    return cmp_double(&((const tagged *)a)->v, &((const tagged *)b)->v);
}

int cb_mwu_test(const double *x, size_t n1, const double *y, size_t n2, cb_alternative alt,
                cb_mwu_method method, cb_mwu_result *out) {
    if (n1 == 0 || n2 == 0) return -1;
    size_t n = n1 + n2;
    tagged *t = malloc(n * sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < n1; i++) t[i] = (tagged){x[i], i};
    for (size_t j = 0; j < n2; j++) t[n1 + j] = (tagged){y[j], n1 + j};
    qsort(t, n, sizeof *t, cmp_tagged);

    /* Midranks: a run of equal values shares the mean of the ranks it spans.
     * R1 is the rank sum of x; tie_term = sum(t^3 - t) over runs of length t. */
    double r1 = 0, tie_term = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && t[b].v == t[a].v) b++;
        double rank = 0.5 * (double)(a + 1 + b); /* mean of ranks a+1 .. b */
        for (size_t k = a; k < b; k++)
            if (t[k].i < n1) r1 += rank;
        double len = (double)(b - a);
        tie_term += len * len * len - len;
        a = b;
    }
    free(t);

    double dn1 = (double)n1, dn2 = (double)n2, dn = (double)n;
    double u1 = r1 - dn1 * (dn1 + 1) / 2;
    double u2 = dn1 * dn2 - u1;
    double u, factor = 1;
    if (alt == CB_ALT_GREATER)
        u = u1;
    else if (alt == CB_ALT_LESS)
        u = u2;
    else {
        u = u1 > u2 ? u1 : u2;
        factor = 2;
    }

    int exact;
    if (method == CB_MWU_EXACT)
        exact = 1;
    else if (method == CB_MWU_ASYMPTOTIC)
        exact = 0;
    else
        exact = (n1 <= 8 || n2 <= 8) && tie_term == 0;

    double p;
    if (exact) {
        p = exact_sf((long)u, n1, n2);
    } else {
        double mu = dn1 * dn2 / 2;
        double s = sqrt(dn1 * dn2 / 12 * ((dn + 1) - tie_term / (dn * (dn - 1))));
        double num = u - mu - 0.5; /* continuity correction: include the mass at U */
        if (s > 0)
            p = 0.5 * erfc(num / s / sqrt(2.0));
        else /* every value equal: no evidence either way */
            p = num < 0 ? 1.0 : 0.0;
    }
    p *= factor;
    if (p > 1) p = 1;
    if (p < 0) p = 0;
    out->u1 = u1;
    out->p = p;
    out->exact = exact;
    return 0;
}

double cb_mwu_min_p(size_t n1, size_t n2, cb_alternative alt) {
    if (n1 == 0 || n2 == 0) return 1;
    /* The most extreme ordering (all x above all y) has probability 1/C(n1+n2, n1). */
    double c = 1;
    for (size_t k = 1; k <= n1; k++) c = c * (double)(n2 + k) / (double)k;
    double p = 1 / c;
    return alt == CB_ALT_TWO_SIDED ? (2 * p > 1 ? 1 : 2 * p) : p;
}
