# Fuzzing: -DATTNLAB_FUZZ=ON builds everything with libFuzzer coverage + ASan + UBSan and adds the
# targets in fuzz/. Needs clang (Debian: clang-14, libclang-rt-14-dev); the `asan` preset sets it up,
# so one sanitized build serves both the test suite (which links no libFuzzer: the ASan runtime
# supplies the coverage hooks) and the fuzzers.
option(ATTNLAB_FUZZ "Build the libFuzzer targets in fuzz/ (clang only)" OFF)
if(ATTNLAB_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ATTNLAB_FUZZ needs clang (libFuzzer); configure with `cmake --preset asan`")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
