# Whole networks: structure and exact costs, the published tables (paper.h),
# the MobileNet forward pass against PyTorch, and Xception / Inception v3
# against the composition of their golden-tested blocks (slow: ~0.75 GMAC
# through the reference kernels).
cb_add_test(test_net ${CMAKE_CURRENT_SOURCE_DIR}/test_net.c LABELS net)
cb_add_test(test_net_forward ${CMAKE_CURRENT_SOURCE_DIR}/test_net_forward.c LABELS net)
cb_add_test(test_net_compose ${CMAKE_CURRENT_SOURCE_DIR}/test_net_compose.c LABELS net slow)

# The networks through the command line: Table 2 by --group-by type, --paper,
# layer names, bad arguments, the golden forward pass, --profile's MAC column.
if(TARGET npy_compare)
  add_test(NAME net_cli COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/net_cli_test.sh
    $<TARGET_FILE:convblocks-cli> $<TARGET_FILE:npy_compare> ${CB_DATA_DIR})
  set_tests_properties(net_cli PROPERTIES LABELS "net;cli")
endif()
