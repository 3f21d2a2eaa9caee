# The reference library: conv2d and blocks against PyTorch golden vectors,
# counted MACs against the cost model, and the identities of the course.
pkg_check_modules(CB_CORE_CJSON REQUIRED IMPORTED_TARGET libcjson)
cb_add_test(test_conv ${CMAKE_CURRENT_SOURCE_DIR}/test_conv.c LIBS PkgConfig::CB_CORE_CJSON LABELS core)
cb_add_test(test_blocks ${CMAKE_CURRENT_SOURCE_DIR}/test_blocks.c LIBS PkgConfig::CB_CORE_CJSON LABELS core)

add_executable(npy_compare ${CMAKE_CURRENT_SOURCE_DIR}/npy_compare.c)
target_link_libraries(npy_compare PRIVATE convblocks PkgConfig::CB_CORE_CJSON)
add_test(NAME cli_end_to_end COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.sh
  $<TARGET_FILE:convblocks-cli> $<TARGET_FILE:npy_compare> ${CB_DATA_DIR})
set_tests_properties(cli_end_to_end PROPERTIES LABELS "core;cli")
