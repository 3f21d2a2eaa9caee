# `convblocks report` end to end (issue 6). test_report runs the quick report once into a
# temporary folder and checks every file it wrote (~10-30 s: labelled slow, so the ASan pass
# skips it); test_report_errors checks the failure paths (missing gnuplot, bad options) fast.
pkg_check_modules(CB_REPORT_CJSON REQUIRED IMPORTED_TARGET libcjson)
cb_add_test(test_report ${CMAKE_CURRENT_SOURCE_DIR}/test_report.c LIBS PkgConfig::CB_REPORT_CJSON
  LABELS report slow)
add_dependencies(test_report convblocks-cli)
add_test(NAME test_report_errors COMMAND test_report errors)
set_tests_properties(test_report_errors PROPERTIES LABELS report)
