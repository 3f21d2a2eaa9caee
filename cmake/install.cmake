# install.cmake — what `cmake --install` puts where (GNUInstallDirs):
#   lib/libconvblocks.a (or .so with -DBUILD_SHARED_LIBS=ON)
#   include/convblocks/*.h                the public headers
#   lib/pkgconfig/convblocks.pc           for `pkg-config --cflags --libs convblocks`
#   bin/convblocks, convblocks-bench, convblocks-bench-compare (and
#   convblocks-viz, installed by viz/CMakeLists.txt)
# Included last by the root CMakeLists.txt, so every target exists here.

install(TARGETS convblocks
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/lib/include/convblocks
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
foreach(t convblocks-cli convblocks-bench convblocks-bench-compare convblocks-viz)
  if(TARGET ${t})
    # With a shared libconvblocks, installed programs find it beside them.
    file(RELATIVE_PATH CB_RPATH_UP /cb/${CMAKE_INSTALL_BINDIR} /cb/${CMAKE_INSTALL_LIBDIR})
    set_target_properties(${t} PROPERTIES INSTALL_RPATH "$ORIGIN/${CB_RPATH_UP}")
    if(NOT t STREQUAL "convblocks-viz") # viz/CMakeLists.txt installs its own
      install(TARGETS ${t} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
    endif()
  endif()
endforeach()

# The pkg-config file. What a program linking libconvblocks also needs:
# libm, the OpenMP runtime, and OpenBLAS when the library was built with it.
set(CB_PC_DEPS "-lm")
foreach(l ${OpenMP_C_LIB_NAMES})
  string(APPEND CB_PC_DEPS " -l${l}")
endforeach()
set(CB_PC_REQUIRES "")
get_target_property(CB_PC_LINKS convblocks INTERFACE_LINK_LIBRARIES)
if("PkgConfig::OPENBLAS" IN_LIST CB_PC_LINKS)
  set(CB_PC_REQUIRES "openblas")
  pkg_check_modules(CB_PC_OPENBLAS QUIET openblas)
  foreach(l ${CB_PC_OPENBLAS_LIBRARIES})
    string(APPEND CB_PC_DEPS " -l${l}")
  endforeach()
endif()
# A static library carries none of its dependencies, so a plain
# `pkg-config --libs` (no --static) must list them in Libs to link at all;
# a shared one records them itself and lists them in Libs.private only.
get_target_property(CB_PC_TYPE convblocks TYPE)
if(CB_PC_TYPE STREQUAL "STATIC_LIBRARY")
  set(CB_PC_LIBS_EXTRA " ${CB_PC_DEPS}")
else()
  set(CB_PC_LIBS_EXTRA "")
endif()
# Relocatable: the prefix is found from where the .pc file lies, so
# `cmake --install build --prefix ANYWHERE` works without reconfiguring.
file(RELATIVE_PATH CB_PC_UP /cb/${CMAKE_INSTALL_LIBDIR}/pkgconfig /cb)
string(REGEX REPLACE "/$" "" CB_PC_UP "${CB_PC_UP}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/convblocks.pc.in ${CMAKE_BINARY_DIR}/convblocks.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/convblocks.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
