# `cmake --install` into a temporary prefix, then an out-of-tree program built
# with `pkg-config --cflags --libs convblocks` that builds, costs and runs a
# block (tests/install_test.sh, tests/install_consumer.c). Plain builds only:
# a sanitizer-built library needs the sanitizer runtime to link.
find_program(CB_PKG_CONFIG pkg-config)
if(CB_PKG_CONFIG AND NOT CB_SANITIZE AND NOT CB_FUZZ)
  add_test(NAME install_pkgconfig
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/install_test.sh ${CMAKE_BINARY_DIR}
            ${CMAKE_SOURCE_DIR} ${CMAKE_C_COMPILER})
  set_tests_properties(install_pkgconfig PROPERTIES LABELS install TIMEOUT 300)
endif()
