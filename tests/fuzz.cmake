# Fuzz targets (tests/fuzz/): the .npy reader, the --shape and --set parsers
# (with the block builders behind --set), the --params DIR loader, the
# benchmark-JSON reader of convblocks-bench-compare, the fast executor
# against the reference one on small random graphs (exec), and the argument
# handling of `convblocks cost` and `convblocks list` (cli).
#
# With -DCB_FUZZ=ON (clang; `make fuzz` and `make test` configure build-fuzz/)
# each is a libFuzzer binary, and CTest label "fuzz" runs each for a fixed
# 20000 executions after replaying its regression inputs. In every other
# build each target is linked with replay_main.c instead, and label "replay"
# runs it over the committed seed corpus and regression inputs, so the plain
# and the ASan+UBSan builds check them too.
set(CB_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
set(CB_FUZZ_TARGETS npy shape set params exec cli)
set(CB_FUZZ_RUNS 20000 CACHE STRING "Executions per fuzz target under CTest (label fuzz)")

pkg_check_modules(CB_FUZZ_CJSON IMPORTED_TARGET libcjson)
if(CB_FUZZ_CJSON_FOUND AND EXISTS ${CMAKE_SOURCE_DIR}/bench/compare.c
   AND EXISTS ${CMAKE_SOURCE_DIR}/bench/stats.c)
  list(APPEND CB_FUZZ_TARGETS bench_json)
endif()

if(CB_FUZZ)
  add_custom_target(cb_fuzzers)
endif()

foreach(t ${CB_FUZZ_TARGETS})
  set(srcs ${CB_FUZZ_DIR}/fuzz_${t}.c)
  if(t STREQUAL "bench_json")
    # compare.c is compiled into the target (its reader is static), with its statistics.
    list(APPEND srcs ${CMAKE_SOURCE_DIR}/bench/stats.c)
  elseif(t STREQUAL "cli")
    # the command line's own flag parsing and the two commands that read no file
    list(APPEND srcs ${CMAKE_SOURCE_DIR}/cli/common.c ${CMAKE_SOURCE_DIR}/cli/cmd_cost.c
         ${CMAKE_SOURCE_DIR}/cli/cmd_list.c)
  endif()
  if(CB_FUZZ)
    set(exe fuzz_${t})
    add_executable(${exe} ${srcs})
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
    add_dependencies(cb_fuzzers ${exe})
    # exec builds and runs two executors per input (~300/s): fewer runs
    set(runs ${CB_FUZZ_RUNS})
    if(t STREQUAL "exec")
      math(EXPR runs "${CB_FUZZ_RUNS} / 5")
    endif()
    add_test(NAME fuzz_${t}
      COMMAND sh ${CB_FUZZ_DIR}/run.sh $<TARGET_FILE:${exe}> ${CB_FUZZ_DIR}/corpus/${t}
              ${CMAKE_BINARY_DIR}/fuzz-work/${t} runs ${runs})
    set_tests_properties(fuzz_${t} PROPERTIES LABELS fuzz TIMEOUT 600)
  else()
    set(exe fuzz_${t}_replay)
    add_executable(${exe} ${srcs} ${CB_FUZZ_DIR}/replay_main.c)
    set(inputs ${CB_FUZZ_DIR}/corpus/${t})
    if(EXISTS ${CB_FUZZ_DIR}/regressions/${t})
      list(APPEND inputs ${CB_FUZZ_DIR}/regressions/${t})
    endif()
    add_test(NAME fuzz_replay_${t} COMMAND ${exe} ${inputs})
    set_tests_properties(fuzz_replay_${t} PROPERTIES LABELS replay)
  endif()
  target_link_libraries(${exe} PRIVATE convblocks)
  if(t STREQUAL "bench_json")
    target_include_directories(${exe} PRIVATE ${CMAKE_SOURCE_DIR}/bench)
    target_link_libraries(${exe} PRIVATE PkgConfig::CB_FUZZ_CJSON m)
  endif()
  set_target_properties(${exe} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
endforeach()
