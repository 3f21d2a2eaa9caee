# Whole networks: structure and exact costs, the published tables (paper.h),
# the MobileNet forward pass against PyTorch, and Xception / Inception v3
# against the composition of their golden-tested blocks (slow: ~0.75 GMAC
# through the reference kernels).
cb_add_test(test_net ${CMAKE_CURRENT_SOURCE_DIR}/test_net.c LABELS net)
cb_add_test(test_net_forward ${CMAKE_CURRENT_SOURCE_DIR}/test_net_forward.c LABELS net)
cb_add_test(test_net_compose ${CMAKE_CURRENT_SOURCE_DIR}/test_net_compose.c LABELS net slow)
