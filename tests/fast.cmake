# Fast kernels (issue 4): every fast path against the reference executor.
# Registered three times: with the kernels this CPU selects (AVX2/FMA, and
# AVX-512VL where present), with the AVX2 kernels alone (CB_FORCE_AVX2=1:
# the same as the first on a CPU without AVX-512), and with the portable C
# kernels forced by CB_FORCE_PORTABLE=1.
cb_add_test(test_fast ${CMAKE_CURRENT_SOURCE_DIR}/test_fast.c)
add_test(NAME test_fast_portable COMMAND test_fast)
set_tests_properties(test_fast_portable PROPERTIES ENVIRONMENT "CB_FORCE_PORTABLE=1;OMP_WAIT_POLICY=passive")
add_test(NAME test_fast_avx2 COMMAND test_fast)
set_tests_properties(test_fast_avx2 PROPERTIES ENVIRONMENT "CB_FORCE_AVX2=1;OMP_WAIT_POLICY=passive")
# Winograd convs with every thread taking whole bands on its own (fast_wino.c
# solo_bands; by default only layers of 8 or more bands at 2 threads do).
add_test(NAME test_fast_wino_solo COMMAND test_fast)
set_tests_properties(test_fast_wino_solo PROPERTIES ENVIRONMENT "CB_WINO_SOLO=1;OMP_WAIT_POLICY=passive")
# Idle OpenMP threads sleep instead of spinning: the sweeps run thousands of
# tiny plans, and spinning would only burn the shared machine's other core.
set_tests_properties(test_fast PROPERTIES ENVIRONMENT "OMP_WAIT_POLICY=passive")
