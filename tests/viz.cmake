# Tests of convblocks-viz (issue 7). The animation model is tested without
# SDL; the headless tests run the binary with SDL's dummy video driver and
# the software renderer, so no display is needed.
if(TARGET convblocks_vizmodel)
  cb_add_test(test_viz_anim ${CMAKE_CURRENT_SOURCE_DIR}/test_viz_anim.c LIBS convblocks_vizmodel)
  cb_add_test(test_viz_headless ${CMAKE_CURRENT_SOURCE_DIR}/test_viz_headless.c
    LIBS convblocks_vizmodel PkgConfig::VIZSDL)
  set_tests_properties(test_viz_headless PROPERTIES ENVIRONMENT "SDL_VIDEODRIVER=dummy")
endif()
