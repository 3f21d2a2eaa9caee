# .npy reader/writer, atomic writes, and the golden files under data/golden/
# loading with the shapes their meta.json states. cJSON reads meta.json here
# only (the library itself has no JSON dependency).
pkg_check_modules(CB_NPY_CJSON REQUIRED IMPORTED_TARGET libcjson)
cb_add_test(test_npy ${CMAKE_CURRENT_SOURCE_DIR}/test_npy.c LIBS PkgConfig::CB_NPY_CJSON LABELS npy)
