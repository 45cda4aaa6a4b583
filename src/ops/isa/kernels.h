// The kernels built once per instruction set. The sources in ops/isa/ are compiled three times
// (cmake/isa.cmake): into attnlab::scalar (baseline x86-64), attnlab::avx2 (-mavx2 -mfma -mf16c)
// and attnlab::avx512 (AVX2 flags plus AVX-512 F/BW/DQ/VL), the namespace named by ATTNLAB_ISA_NS.
// Each build exports one table of its entry points; the public functions in ops/ call through the
// table of active_isa() (core/cpu.h). Every build computes the same numbers: the scalar code
// fuses where the vector code fuses and sums in its lane order.
#pragma once

#include <span>

#include "ops/attention.h"
#include "ops/packed_linear.h"

namespace attnlab {

struct KernelTable {
  void (*linear_packed)(const float* x, int rows, const PackedWeight& w, const float* b, float* y);
  void (*multi_head_attention)(std::span<const AttentionSequence> batch, int heads, int head_dim, int ld,
                               float scaling, int context_ld);
  void (*add_layer_norm_rows)(float* x, const float* add, int rows, int cols, const float* weight, const float* bias,
                              float eps);
  void (*softmax_rows)(float* x, int rows, int cols);
  void (*exp_inplace)(float* x, long n);
  void (*gelu_erf_fast)(float* x, long n);
};

namespace scalar {
extern const KernelTable kKernels;
}
namespace avx2 {
extern const KernelTable kKernels;
}
namespace avx512 {
extern const KernelTable kKernels;
}

// The table of active_isa().
const KernelTable& kernels();

#ifdef ATTNLAB_ISA_NS
// Inside one build: its own entry points (the contracts are those of the public functions of the
// same names in ops/*.h), so its kernels call each other directly.
namespace ATTNLAB_ISA_NS {
void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y);
void multi_head_attention(std::span<const AttentionSequence> batch, int heads, int head_dim, int ld, float scaling,
                          int context_ld);
void add_layer_norm_rows(float* x, const float* add, int rows, int cols, const float* weight, const float* bias,
                         float eps);
void softmax_rows(float* x, int rows, int cols);
void exp_inplace(float* x, long n);
void gelu_erf_fast(float* x, long n);
}  // namespace ATTNLAB_ISA_NS
#endif

}  // namespace attnlab
