/* fast_cpu.c — which kernels the fast plan may use on this CPU.
 *
 * The AVX2/FMA kernels (and the few that use AVX-512VL) are compiled with
 * per-function target attributes, so the library itself still runs on any
 * x86-64; the choice is made here at run time. CB_FORCE_PORTABLE=1 in the
 * environment forces the portable C kernels, CB_FORCE_AVX2=1 the AVX2 ones
 * where AVX-512 is present (the tests run the whole fast suite each way).
 */
#include <stdlib.h>
#include <string.h>

#include "fast_internal.h"

int cb_fast_cpu_has_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int cb_fast_cpu_has_avx512(void) {
#if defined(__x86_64__) || defined(__i386__)
    /* libgcc reports these only when the OS saves the AVX-512 state */
    __builtin_cpu_init();
    return cb_fast_cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

static int env_set(const char *name) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

int cb_fast_avx2_forced(void) { return env_set("CB_FORCE_AVX2"); }

int cb_fast_portable_forced(void) {
    return env_set("CB_FORCE_PORTABLE");
}

int cb_fast_use_avx2(void) {
    /* Read the environment every time: cheap next to a conv, and it lets a
     * test flip the path between plans. */
    return cb_fast_cpu_has_avx2() && !cb_fast_portable_forced();
}

int cb_fast_use_avx512(void) {
    return cb_fast_use_avx2() && cb_fast_cpu_has_avx512() && !cb_fast_avx2_forced();
}

const char *cb_fast_isa(void) {
    return cb_fast_use_avx512() ? "avx512vl+avx2+fma" : cb_fast_use_avx2() ? "avx2+fma" : "portable";
}
