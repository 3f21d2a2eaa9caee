# Atomic outputs: `convblocks run` killed with SIGKILL at 20 moments never
# leaves a truncated .npy or parameter file under its final name
# (tests/atomic_test.sh).
add_test(NAME atomic_outputs_on_kill
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/atomic_test.sh $<TARGET_FILE:convblocks-cli>
          ${CMAKE_BINARY_DIR}/atomic-work)
set_tests_properties(atomic_outputs_on_kill PROPERTIES LABELS atomic TIMEOUT 300)
