# libFuzzer targets of the suite allocators: fuzz_alloc_<name>, one per
# folder of allocators/, each tests/fuzz/fuzz_alloc.c with that allocator's
# sources and the memory source compiled in, under ASan and UBSan.  Built
# with the other fuzz targets (HB_FUZZ=ON, clang; part of fuzz_all), in a
# build directory of their own: ./run_bench.sh fuzz-allocators.
if(NOT HB_FUZZ OR NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  return()
endif()

# The configuration reader checks symbols: with the lab contract's parser.
if(TARGET hb_fuzz_core)
  target_sources(hb_fuzz_core PRIVATE ${PROJECT_SOURCE_DIR}/harness/src/load/load_lab.c)
endif()

# Coverage guides the fuzzer through the allocator's code only: the model's
# byte-by-byte fill and compare loops, instrumented, would take most of
# every run and steer the fuzzer by block sizes alone.
set(hb_fuzz_sanitize -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -fno-omit-frame-pointer -g -O1)
file(GLOB hb_fuzz_alloc_dirs LIST_DIRECTORIES true CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/allocators/*)
set(hb_fuzz_alloc_targets "")
foreach(dir ${hb_fuzz_alloc_dirs})
  get_filename_component(name ${dir} NAME)
  file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.c)
  if(NOT IS_DIRECTORY ${dir} OR name STREQUAL "include" OR NOT srcs)
    continue()
  endif()
  set_source_files_properties(${srcs} PROPERTIES COMPILE_OPTIONS -fsanitize=fuzzer-no-link)
  # check() walks the whole heap: comparison tracing there would steer the
  # fuzzer by the walk, not by the input.
  file(GLOB checks ${dir}/check.c)
  set_source_files_properties(${checks} PROPERTIES
    COMPILE_OPTIONS "-fsanitize=fuzzer-no-link;-fno-sanitize-coverage=trace-cmp")
  add_executable(fuzz_alloc_${name} ${CMAKE_CURRENT_LIST_DIR}/fuzz_alloc.c ${srcs}
    ${PROJECT_SOURCE_DIR}/harness/src/osmem/osmem.c)
  target_include_directories(fuzz_alloc_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests
    ${PROJECT_SOURCE_DIR}/harness/src ${PROJECT_SOURCE_DIR}/allocators ${dir})
  target_link_libraries(fuzz_alloc_${name} PRIVATE hb_contract ${CMAKE_DL_LIBS})
  target_compile_definitions(fuzz_alloc_${name} PRIVATE HB_ALLOCATOR_DIR="")
  target_compile_options(fuzz_alloc_${name} PRIVATE ${hb_fuzz_sanitize})
  target_link_options(fuzz_alloc_${name} PRIVATE -fsanitize=fuzzer ${hb_fuzz_sanitize})
  set_target_properties(fuzz_alloc_${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  list(APPEND hb_fuzz_alloc_targets fuzz_alloc_${name})
endforeach()
add_custom_target(fuzz_alloc_all DEPENDS ${hb_fuzz_alloc_targets})
if(TARGET fuzz_all)
  add_dependencies(fuzz_all fuzz_alloc_all)
endif()
