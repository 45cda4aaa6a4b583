// Vectorised exp and GELU (see ops/vec_math.h), built once per instruction set
// (ops/isa/kernels.h): the widest vectors of the build (ops/isa/simd_math.h), each lane computing the
// formula of its scalar twin in vec_math.cpp, which is the whole of the scalar build.
#include "ops/isa/kernels.h"
#include "ops/isa/simd_math.h"
#include "ops/vec_math.h"

namespace attnlab::ATTNLAB_ISA_NS {

void gelu_erf_fast(float* x, long n) {
#if defined(__AVX2__) && defined(__FMA__)
  simd::map<simd::Widest>(x, n, [](auto v) { return simd::gelu<simd::Widest>(v); });
#else
  for (long i = 0; i < n; ++i) x[i] = gelu_scalar(x[i]);
#endif
}

void exp_inplace(float* x, long n) {
#if defined(__AVX2__) && defined(__FMA__)
  simd::map<simd::Widest>(x, n, [](auto v) { return simd::exp<simd::Widest>(v); });
#else
  for (long i = 0; i < n; ++i) x[i] = exp_scalar(x[i]);
#endif
}

void gelu_tanh_mul(const float* gate, const float* up, float* out, long n) {
#if defined(__AVX2__) && defined(__FMA__)
  using S = simd::Widest;
  long i = 0;
  for (; i + S::kWidth <= n; i += S::kWidth)
    S::store(out + i, S::mul(simd::gelu_tanh<S>(S::load(gate + i)), S::load(up + i)));
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    S::store(out + i, S::mul(simd::gelu_tanh<S>(S::load(gate + i, rest)), S::load(up + i, rest)), rest);
  }
#else
  for (long i = 0; i < n; ++i) out[i] = gelu_tanh_scalar(gate[i]) * up[i];
#endif
}

}  // namespace attnlab::ATTNLAB_ISA_NS
