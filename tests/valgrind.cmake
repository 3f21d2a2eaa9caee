# The command-line tools end to end under valgrind (label "valgrind"):
# success paths on the golden data and the failure paths a student will hit
# (bad files, bad arguments, unwritable outputs). Each case must show no
# memcheck error, no definite or indirect leak, the documented exit code,
# one stderr line on failure, and no file left behind by a failed run
# (tests/valgrind_run.sh). Only in plain builds: valgrind cannot run ASan
# binaries.
find_program(CB_VALGRIND valgrind)
if(CB_VALGRIND AND NOT CB_SANITIZE AND NOT CB_FUZZ)
  set(G ${CB_DATA_DIR}/golden)
  set(NPY ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/npy)
  set(CONV ${G}/conv/k3_s2_p1_gC_bias_13x11)
  set(CONV2 ${G}/conv/k5_s1_p2_g1_bias_7x9)
  set(STD ${G}/blocks/standard_7x9)

  # cb_valgrind(NAME EXPECTED_EXIT TARGET ARGS...)
  function(cb_valgrind name expect target)
    add_test(NAME valgrind_${name}
      COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/valgrind_run.sh
              ${CMAKE_BINARY_DIR}/valgrind-work/${name} ${expect} $<TARGET_FILE:${target}> ${ARGN})
    set_tests_properties(valgrind_${name} PROPERTIES LABELS valgrind TIMEOUT 300)
  endfunction()

  set(CLI convblocks-cli)
  # --- success paths
  cb_valgrind(help 0 ${CLI} --help)
  cb_valgrind(run_help 0 ${CLI} run --help)
  cb_valgrind(list 0 ${CLI} list)
  cb_valgrind(list_json 0 ${CLI} list --json)
  cb_valgrind(cost_table 0 ${CLI} cost mobilenet)
  cb_valgrind(cost_json_block 0 ${CLI} cost inception_a --shape 8,9,9 --set pool_features=4 --format json)
  cb_valgrind(cost_csv_net 0 ${CLI} cost inception_v3 --format csv)
  cb_valgrind(cost_json_net 0 ${CLI} cost mobilenet_v1 --alpha 0.5 --resolution 128 --format json)
  cb_valgrind(conv_ref 0 ${CLI} conv --input ${CONV}/input.npy --weight ${CONV}/weight.npy
              --bias ${CONV}/bias.npy --stride 2 --pad 1 --groups 6 --impl ref --output y.npy)
  cb_valgrind(conv_fast 0 ${CLI} conv --input ${CONV2}/input.npy --weight ${CONV2}/weight.npy
              --bias ${CONV2}/bias.npy --pad 2 --impl fast --threads 2 --output y.npy)
  cb_valgrind(run_ref 0 ${CLI} run standard --input ${STD}/input.npy --params ${STD}/params
              --set cout=5 --impl ref --output y.npy --save-params p)
  cb_valgrind(run_fast 0 ${CLI} run standard --input ${STD}/input.npy --params ${STD}/params
              --set cout=5 --impl fast --threads 2 --repeat 2 --output y.npy)
  cb_valgrind(run_inception_a 0 ${CLI} run inception_a --input ${G}/blocks/inception_a_7x9/input.npy
              --params ${G}/blocks/inception_a_7x9/params --set pool_features=4 --impl fast --profile)
  cb_valgrind(run_xception_entry 0 ${CLI} run xception_entry --shape 4,13,11 --set cout=6 --seed 3
              --impl ref --output y.npy)
  cb_valgrind(run_net 0 ${CLI} run mobilenet_v1 --alpha 0.25 --resolution 96 --impl fast --threads 2)

  # --- failure paths: usage errors (exit 2)
  cb_valgrind(no_command 2 ${CLI})
  cb_valgrind(bad_command 2 ${CLI} frobnicate)
  cb_valgrind(unknown_block 2 ${CLI} cost nosuchblock)
  cb_valgrind(bad_shape 2 ${CLI} cost standard --shape 64,56)
  cb_valgrind(huge_shape 2 ${CLI} cost standard --shape 65536,65536,2)
  cb_valgrind(bad_set 2 ${CLI} cost standard --set nokey=3)
  cb_valgrind(big_kernel 2 ${CLI} cost conv_kxk --set k=33)
  cb_valgrind(too_many_sets 2 ${CLI} cost standard --set cout=1 --set cout=2 --set cout=3
              --set cout=4 --set cout=5 --set cout=6 --set cout=7 --set cout=8 --set cout=9
              --set cout=10 --set cout=11 --set cout=12 --set cout=13 --set cout=14 --set cout=15
              --set cout=16 --set cout=17)
  cb_valgrind(bad_alpha 2 ${CLI} cost mobilenet_v1 --alpha 1.5)
  cb_valgrind(conv_no_output 2 ${CLI} conv --input ${CONV}/input.npy --weight ${CONV}/weight.npy)
  cb_valgrind(conv_bad_groups 2 ${CLI} conv --input ${CONV2}/input.npy --weight ${CONV2}/weight.npy
              --groups 2 --output y.npy)
  cb_valgrind(run_bad_threads 2 ${CLI} run standard --threads 2000)
  # --- failure paths: unreadable or unacceptable files (exit 1)
  cb_valgrind(missing_input 1 ${CLI} conv --input missing.npy --weight ${CONV}/weight.npy --output y.npy)
  foreach(bad float64 fortran big_endian truncated scalar rank5 huge_claim)
    cb_valgrind(npy_${bad} 1 ${CLI} conv --input ${NPY}/${bad} --weight ${CONV}/weight.npy --output y.npy)
  endforeach()
  cb_valgrind(weight_rank2 1 ${CLI} conv --input ${CONV2}/input.npy --weight ${NPY}/rank2 --output y.npy)
  cb_valgrind(bias_shape 1 ${CLI} conv --input ${CONV2}/input.npy --weight ${CONV2}/weight.npy
              --bias ${NPY}/rank1 --pad 2 --output y.npy)
  cb_valgrind(output_dir_missing 1 ${CLI} conv --input ${CONV2}/input.npy --weight ${CONV2}/weight.npy
              --output nodir/y.npy)
  cb_valgrind(params_missing 1 ${CLI} run standard --params nodir)
  cb_valgrind(params_wrong_shape 1 ${CLI} run standard --shape 3,7,9 --params ${STD}/params)
  cb_valgrind(run_bad_input 1 ${CLI} run standard --input ${NPY}/float64)
  cb_valgrind(run_input_shape 1 ${CLI} run standard --input ${STD}/input.npy --shape 4,7,9)

  if(TARGET convblocks-viz)
    cb_valgrind(viz_record 0 convblocks-viz --mode separable --input ${STD}/input.npy
                --record frames --frames 2 --size 320x240)
    cb_valgrind(viz_bad_mode 2 convblocks-viz --mode bogus)
    cb_valgrind(viz_bad_input 1 convblocks-viz --input ${NPY}/float64 --record frames --frames 1)
    cb_valgrind(viz_missing_image 1 convblocks-viz --image missing.png --record frames --frames 1)
    foreach(c viz_record viz_bad_mode viz_bad_input viz_missing_image)
      set_tests_properties(valgrind_${c} PROPERTIES ENVIRONMENT SDL_VIDEODRIVER=dummy)
    endforeach()
  endif()
  if(TARGET convblocks-bench-compare)
    set(BJ ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/bench_json)
    cb_valgrind(compare_missing 2 convblocks-bench-compare nofile.json nofile.json)
    cb_valgrind(compare_not_json 2 convblocks-bench-compare ${BJ}/not_json ${BJ}/not_json)
    cb_valgrind(compare_usage 2 convblocks-bench-compare onlyone.json)
  endif()
endif()
