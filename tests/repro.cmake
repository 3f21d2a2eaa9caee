# Reproducibility: the same seed gives byte-identical .npy outputs, saved
# parameters and cost JSON across runs and thread counts (tests/repro_test.sh
# says why the fast path is deterministic too).
add_test(NAME repro_seed_threads
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/repro_test.sh $<TARGET_FILE:convblocks-cli>
          ${CMAKE_BINARY_DIR}/repro-work)
set_tests_properties(repro_seed_threads PROPERTIES LABELS repro TIMEOUT 600)
