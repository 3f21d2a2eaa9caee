# Tests of the benchmark harness (bench/): the C shim over Google Benchmark,
# the regression gate's statistics and command line, and the counters the
# benchmarks publish. Only when the benchmark targets are built.
if(TARGET convblocks-bench-compare)
  find_package(benchmark REQUIRED)  # imported targets are directory-scoped
  cb_add_test(test_bench_stats ${CMAKE_CURRENT_SOURCE_DIR}/test_bench_stats.c LIBS cb_bench_stats)
  cb_add_test(test_bench_compare ${CMAKE_CURRENT_SOURCE_DIR}/test_bench_compare.c LIBS PkgConfig::CJSON)
  add_dependencies(test_bench_compare convblocks-bench-compare)
  cb_add_test(test_bench_shim ${CMAKE_CURRENT_SOURCE_DIR}/test_bench_shim.c
    LIBS cb_bench_shim PkgConfig::CJSON)
  set_target_properties(test_bench_shim PROPERTIES LINKER_LANGUAGE CXX)
  cb_add_test(test_bench_counters ${CMAKE_CURRENT_SOURCE_DIR}/test_bench_counters.c
    LIBS PkgConfig::CJSON LABELS slow)
  add_dependencies(test_bench_counters convblocks-bench)
  # make bench-check's script (bench/check.sh): its decisions with stand-in
  # benchmark binaries, no timing
  add_test(NAME bench_check_script
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench_check_test.sh ${CMAKE_SOURCE_DIR}
            $<TARGET_FILE:convblocks-bench-compare> ${CMAKE_BINARY_DIR}/bench-check-test)
  set_tests_properties(bench_check_script PROPERTIES TIMEOUT 120)
endif()

# machine.h is library code (also used by the report): tested in every build.
cb_add_test(test_machine ${CMAKE_CURRENT_SOURCE_DIR}/test_machine.c LABELS slow)
