# Compiler warnings for attnlab's own targets (cmake_template style: one concern per file).
add_library(attnlab_warnings INTERFACE)
target_compile_options(attnlab_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${ATTNLAB_WARNINGS_AS_ERRORS}>:-Werror>)

# Numerics: no silent FMA contraction. Results must not depend on what the compiler fuses (nor on
# the instruction set a kernel is built for: cmake/isa.cmake); kernels that want FMA use it
# explicitly. (PyTorch-compatible RNG draws depend on this.)
add_library(attnlab_numerics INTERFACE)
target_compile_options(attnlab_numerics INTERFACE -ffp-contract=off)
