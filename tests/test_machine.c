/* test_machine.c — machine.h: facts read from /proc and /sys agree with the
 * system's own view, and the probe produces usable ceilings. Speeds are
 * never asserted beyond "measured, positive, finite, consistent": the
 * all-thread FMA figure comes from at least as many threads. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "convblocks/machine.h"

static uint64_t sys_cache(int index) {
    char path[96];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned long long v = 0;
    char unit = 0;
    int n = fscanf(f, "%llu%c", &v, &unit);
    fclose(f);
    if (n < 1) return 0;
    return unit == 'K' ? v << 10 : unit == 'M' ? v << 20 : v;
}

static void test_describe(void **state) {
    (void)state;
    cb_machine_info m;
    cb_machine_describe(&m);
    assert_true(m.logical_cpus >= 1);
    assert_true(m.max_threads >= 1);
    assert_true(m.fma_gflops_1t == 0); /* describe measures nothing */
    /* Every cache figure it reports is one of cpu0's cache sizes in /sys. */
    uint64_t figures[3] = {m.l1d_bytes, m.l2_bytes, m.l3_bytes};
    for (int k = 0; k < 3; k++) {
        if (!figures[k]) continue;
        int found = 0;
        for (int i = 0; i < 8; i++) found |= sys_cache(i) == figures[k];
        assert_true(found);
    }
    if (access("/sys/devices/system/cpu/cpu0/cache/index0/size", R_OK) == 0)
        assert_true(m.l1d_bytes > 0);
    const char *w = cb_machine_frequency_warning(&m);
    if (strcmp(m.governor, "performance") == 0)
        assert_null(w);
    else
        assert_non_null(w);
}

static void test_probe_quick(void **state) {
    (void)state;
    cb_machine_info m;
    cb_error err;
    assert_int_equal(cb_machine_probe(&m, 1, &err), CB_OK);
    double v[] = {m.fma_gflops_1t, m.fma_gflops_all, m.dram_triad_gbs_1t, m.dram_triad_gbs_all,
                  m.l3_triad_gbs_1t, m.l3_triad_gbs_all};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) assert_true(isfinite(v[i]) && v[i] > 0);
    assert_int_equal(m.threads_all, m.max_threads);
    /* The DRAM arrays are larger than the last-level cache, the L3 ones fit in it. */
    if (m.l3_bytes) {
        assert_true(m.dram_array_bytes > m.l3_bytes);
        assert_true(3 * m.l3_array_bytes < m.l3_bytes);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_probe_quick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
