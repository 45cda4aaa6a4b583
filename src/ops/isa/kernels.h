// The kernels built once per instruction set. The sources in ops/isa/ are compiled three times
// (cmake/isa.cmake): into attnlab::scalar (baseline x86-64), attnlab::avx2 (-mavx2 -mfma -mf16c)
// and attnlab::avx512 (AVX2 flags plus AVX-512 F/BW/DQ/VL), the namespace named by ATTNLAB_ISA_NS.
// Each build exports one table of its entry points; the public functions in ops/ call through the
// table of active_isa() (core/cpu.h). Every build computes the same numbers: the scalar code
// fuses where the vector code fuses and sums in its lane order.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/float_buffer.h"
#include "ops/attention.h"
#include "ops/packed_linear.h"

namespace attnlab {

struct KernelTable {
  void (*linear_packed)(const float* x, int rows, const PackedWeight& w, const float* b, float* y, Activation act);
  void (*multi_head_attention)(std::span<const AttentionSequence> batch, const AttentionShape& shape);
  void (*add_layer_norm_rows)(float* x, const float* add, int rows, int cols, const float* weight, const float* bias,
                              float eps);
  void (*softmax_rows)(float* x, int rows, int cols);
  void (*exp_inplace)(float* x, long n);
  void (*gelu_erf_fast)(float* x, long n);
  void (*gelu_tanh_mul)(const float* gate, const float* up, float* out, long n);
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
void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y, Activation act);
void multi_head_attention(std::span<const AttentionSequence> batch, const AttentionShape& shape);
void add_layer_norm_rows(float* x, const float* add, int rows, int cols, const float* weight, const float* bias,
                         float eps);
void softmax_rows(float* x, int rows, int cols);
void exp_inplace(float* x, long n);
void gelu_erf_fast(float* x, long n);
void gelu_tanh_mul(const float* gate, const float* up, float* out, long n);

// Scratch buffers as FloatBuffer (no zero fill on growth), but a type of this build's own: the
// std::vector code instantiated for it is compiled with this build's flags and shared with no other
// build. (An inline function shared by two builds is linked once, maybe from the AVX2 build, and
// would then run on a CPU without AVX2.)
template <class T>
struct ScratchAllocator {
  using value_type = T;
  ScratchAllocator() = default;
  template <class U>
  ScratchAllocator(const ScratchAllocator<U>&) {}  // NOLINT(google-explicit-constructor): allocator rebinding
  T* allocate(size_t n) { return static_cast<T*>(allocate_buffer(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { free_buffer(p, n * sizeof(T)); }
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialisation: no write for float
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(static_cast<Args&&>(args)...);
  }
  friend bool operator==(const ScratchAllocator&, const ScratchAllocator&) { return true; }
};
using Scratch = std::vector<float, ScratchAllocator<float>>;

}  // namespace ATTNLAB_ISA_NS
#endif

}  // namespace attnlab
