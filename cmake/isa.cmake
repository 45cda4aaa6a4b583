# Kernels built once per instruction set, chosen at run time (core/cpu.h): no -march=native, so a
# binary runs on any x86-64 and uses the best kernels the CPU has. attnlab_add_isa_kernels(target
# SOURCES...) compiles the sources once per available ISA into an object library, each in its own
# namespace (ATTNLAB_ISA_NS = scalar | avx2 | avx512), adds the objects to `target` and defines
# ATTNLAB_ISA_<NAME> on it for each build present.
include(CheckCXXCompilerFlag)

set(ATTNLAB_ISAS scalar)
set(ATTNLAB_ISA_FLAGS_scalar "")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i.86)$")
  set(ATTNLAB_ISA_FLAGS_avx2 -mavx2 -mfma -mf16c)
  # 256-bit vectors where the compiler vectorises plain loops, as the kernels' own intrinsics: on
  # many AVX-512 CPUs 512-bit instructions lower the clock of the whole core.
  set(ATTNLAB_ISA_FLAGS_avx512 ${ATTNLAB_ISA_FLAGS_avx2} -mavx512f -mavx512bw -mavx512dq -mavx512vl
      -mprefer-vector-width=256)
  string(REPLACE ";" " " _attnlab_avx2_flags "${ATTNLAB_ISA_FLAGS_avx2}")
  string(REPLACE ";" " " _attnlab_avx512_flags "${ATTNLAB_ISA_FLAGS_avx512}")
  check_cxx_compiler_flag("${_attnlab_avx2_flags}" ATTNLAB_COMPILER_HAS_AVX2)
  check_cxx_compiler_flag("${_attnlab_avx512_flags}" ATTNLAB_COMPILER_HAS_AVX512)
  if(ATTNLAB_COMPILER_HAS_AVX2)
    list(APPEND ATTNLAB_ISAS avx2)
    if(ATTNLAB_COMPILER_HAS_AVX512)
      list(APPEND ATTNLAB_ISAS avx512)
    endif()
  endif()
endif()
message(STATUS "attnlab kernel builds: ${ATTNLAB_ISAS}")

function(attnlab_add_isa_kernels target)
  foreach(isa IN LISTS ATTNLAB_ISAS)
    set(lib ${target}_kernels_${isa})
    add_library(${lib} OBJECT ${ARGN})
    target_compile_options(${lib} PRIVATE ${ATTNLAB_ISA_FLAGS_${isa}})
    target_compile_definitions(${lib} PRIVATE ATTNLAB_ISA_NS=${isa})
    # The library's include directories, warnings, numerics flags and OpenBLAS headers.
    target_include_directories(${lib} PRIVATE $<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>)
    target_link_libraries(${lib} PRIVATE attnlab_numerics attnlab_warnings PkgConfig::OPENBLAS)
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:${lib}>)
    string(TOUPPER ${isa} ISA)
    target_compile_definitions(${target} PRIVATE ATTNLAB_ISA_${ISA})
  endforeach()
endfunction()
