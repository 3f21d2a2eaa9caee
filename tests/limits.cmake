# The command line's limits (tensor bytes, kernel size, --set count and
# values, resolution, threads) are in --help and enforced with the limit in
# the message (tests/limits_test.sh).
add_test(NAME limits_help_enforced
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/limits_test.sh $<TARGET_FILE:convblocks-cli>)
set_tests_properties(limits_help_enforced PROPERTIES LABELS limits)
