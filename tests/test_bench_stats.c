/* test_bench_stats.c — the statistics of convblocks-bench-compare against
 * scipy.stats.mannwhitneyu.
 *
 * Expected values: scipy 1.10.1 (Debian python3-scipy), printed by
 * tests/bench_mwu_expected.py with the same samples. Case A is also the
 * textbook small-sample case: n1 = 5, n2 = 4, U = 17, and exactly 7 of the
 * C(9,4) = 126 orderings have U >= 17, so the one-sided exact p is 7/126.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stats.h"

static const double A_x[] = {19, 22, 16, 29, 24}, A_y[] = {20, 11, 17, 12};
static const double B_x[] = {1, 2, 2, 3, 3, 3, 4}, B_y[] = {2, 3, 4, 4, 5, 5, 6, 7};
static const double C_x[] = {10.1, 10.4, 9.8, 10.9, 11.2, 10.0, 10.6, 9.9, 10.3, 10.8};
static const double C_y[] = {11.5, 10.7, 12.1, 11.9, 11.0, 12.4, 11.3, 10.2, 11.8, 12.0};

typedef struct {
    const double *x, *y;
    size_t n1, n2;
    cb_alternative alt;
    cb_mwu_method method;
    double u1, p;
} mwu_case;

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define CASE(X, alt, m, u, p) {X##_x, X##_y, N(X##_x), N(X##_y), alt, m, u, p}

static const mwu_case cases[] = {
    /* scipy output: case alternative method statistic pvalue */
    CASE(A, CB_ALT_TWO_SIDED, CB_MWU_AUTO, 17.0, 0.1111111111111111),
    CASE(A, CB_ALT_TWO_SIDED, CB_MWU_ASYMPTOTIC, 17.0, 0.11134688653314041),
    CASE(A, CB_ALT_GREATER, CB_MWU_AUTO, 17.0, 0.05555555555555555),
    CASE(A, CB_ALT_GREATER, CB_MWU_ASYMPTOTIC, 17.0, 0.055673443266570206),
    CASE(A, CB_ALT_LESS, CB_MWU_EXACT, 17.0, 0.9682539682539684),
    CASE(A, CB_ALT_LESS, CB_MWU_ASYMPTOTIC, 17.0, 0.9669037101389033),
    /* B has ties: auto falls back to the normal approximation with tie correction */
    CASE(B, CB_ALT_TWO_SIDED, CB_MWU_AUTO, 8.5, 0.025279736885893914),
    CASE(B, CB_ALT_TWO_SIDED, CB_MWU_EXACT, 8.5, 0.028904428904428903),
    CASE(B, CB_ALT_GREATER, CB_MWU_AUTO, 8.5, 0.9907347385044912),
    CASE(B, CB_ALT_LESS, CB_MWU_AUTO, 8.5, 0.012639868442946957),
    CASE(B, CB_ALT_LESS, CB_MWU_EXACT, 8.5, 0.014452214452214451),
    /* C: 10 repetitions each, as the gate sees them */
    CASE(C, CB_ALT_TWO_SIDED, CB_MWU_AUTO, 10.0, 0.0028272720911168077),
    CASE(C, CB_ALT_TWO_SIDED, CB_MWU_EXACT, 10.0, 0.0015046872632011952),
    CASE(C, CB_ALT_GREATER, CB_MWU_AUTO, 10.0, 0.9988988900287514),
    CASE(C, CB_ALT_GREATER, CB_MWU_EXACT, 10.0, 0.9994749832211133),
    CASE(C, CB_ALT_LESS, CB_MWU_AUTO, 10.0, 0.0014136360455584039),
    CASE(C, CB_ALT_LESS, CB_MWU_EXACT, 10.0, 0.0007523436316005976),
};

static void test_against_scipy(void **state) {
    (void)state;
    for (size_t i = 0; i < N(cases); i++) {
        const mwu_case *c = &cases[i];
        cb_mwu_result r;
        assert_int_equal(cb_mwu_test(c->x, c->n1, c->y, c->n2, c->alt, c->method, &r), 0);
        if (fabs(r.u1 - c->u1) > 1e-12 || fabs(r.p - c->p) > 1e-9 * fmax(1, c->p)) {
            print_error("case %zu: U1 %.17g (want %.17g), p %.17g (want %.17g)\n", i, r.u1, c->u1,
                        r.p, c->p);
            fail();
        }
    }
}

static void test_textbook_exact(void **state) {
    (void)state;
    cb_mwu_result r;
    assert_int_equal(cb_mwu_test(A_x, 5, A_y, 4, CB_ALT_GREATER, CB_MWU_AUTO, &r), 0);
    assert_true(r.exact);
    assert_true(fabs(r.p - 7.0 / 126.0) < 1e-15);
    /* swapping the samples mirrors the alternative */
    cb_mwu_result s;
    assert_int_equal(cb_mwu_test(A_y, 4, A_x, 5, CB_ALT_LESS, CB_MWU_AUTO, &s), 0);
    assert_true(fabs(s.p - r.p) < 1e-15);
    assert_true(fabs(s.u1 - (20 - r.u1)) < 1e-12);
}

static void test_identical_and_degenerate(void **state) {
    (void)state;
    const double same[] = {5, 5, 5, 5, 5, 5, 5, 5, 5, 5};
    cb_mwu_result r;
    assert_int_equal(cb_mwu_test(same, 10, same, 10, CB_ALT_TWO_SIDED, CB_MWU_AUTO, &r), 0);
    assert_true(r.p == 1.0);
    assert_int_equal(cb_mwu_test(same, 10, same, 10, CB_ALT_GREATER, CB_MWU_AUTO, &r), 0);
    assert_true(r.p == 1.0);
    assert_int_equal(cb_mwu_test(same, 0, same, 10, CB_ALT_GREATER, CB_MWU_AUTO, &r), -1);
    /* one value each: the smallest reachable one-sided p is 1/2 */
    assert_true(fabs(cb_mwu_min_p(1, 1, CB_ALT_GREATER) - 0.5) < 1e-15);
    assert_true(fabs(cb_mwu_min_p(5, 4, CB_ALT_GREATER) - 1.0 / 126) < 1e-15);
    assert_true(fabs(cb_mwu_min_p(5, 4, CB_ALT_TWO_SIDED) - 2.0 / 126) < 1e-15);
}

static void test_median_geomean(void **state) {
    (void)state;
    const double odd[] = {3, 1, 2}, even[] = {4, 1, 3, 2}, g[] = {1, 4, 16}, bad[] = {1, 0};
    assert_true(cb_median(odd, 3) == 2);
    assert_true(cb_median(even, 4) == 2.5);
    assert_true(isnan(cb_median(odd, 0)));
    assert_true(fabs(cb_geomean(g, 3) - 4) < 1e-12);
    assert_true(isnan(cb_geomean(bad, 2)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_scipy),
        cmocka_unit_test(test_textbook_exact),
        cmocka_unit_test(test_identical_and_degenerate),
        cmocka_unit_test(test_median_geomean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
