// exp, erf and GELU written once over a vector type: F8 (AVX2, 8 floats) and F16 (AVX-512, 16 floats),
// each lane computing exactly the formula of its scalar twin in ops/vec_math.cpp (the same fused
// operations in the same order), so every width gives the same bits. Inside ATTNLAB_ISA_NS: each
// instruction-set build has its own copy (see ops/isa/kernels.h).
#pragma once

#include "ops/vec_math_constants.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace attnlab::ATTNLAB_ISA_NS::simd {

struct F8 {
  using V = __m256;
  static constexpr int kWidth = 8;
  static V set1(float f) { return _mm256_set1_ps(f); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  // The first n (< kWidth) lanes; the others read as 0 and are not written.
  static __m256i first(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V load(const float* p, int n) { return _mm256_maskload_ps(p, first(n)); }
  static void store(float* p, V v, int n) { _mm256_maskstore_ps(p, first(n), v); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  static V div(V a, V b) { return _mm256_div_ps(a, b); }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static V max(V a, V b) { return _mm256_max_ps(a, b); }
  static V bit_xor(V a, V b) { return _mm256_xor_ps(a, b); }
  static V bit_and(V a, V b) { return _mm256_and_ps(a, b); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fnmadd(V a, V b, V c) { return _mm256_fnmadd_ps(a, b, c); }
  static V round(V a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // 2^n for integral n in float's exponent range.
  static V pow2(V n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
  }
};

#if defined(__AVX512F__)
// The zero-masked forms with every lane selected: GCC 12's unmasked ones merge into an undefined
// vector that -Wmaybe-uninitialized reports (GCC bug 105593).
struct F16 {
  using V = __m512;
  static constexpr __mmask16 kAll = 0xffff;
  static constexpr int kWidth = 16;
  static V set1(float f) { return _mm512_set1_ps(f); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static __mmask16 first(int n) { return static_cast<__mmask16>((1u << n) - 1); }
  static V load(const float* p, int n) { return _mm512_maskz_loadu_ps(first(n), p); }
  static void store(float* p, V v, int n) { _mm512_mask_storeu_ps(p, first(n), v); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V div(V a, V b) { return _mm512_div_ps(a, b); }
  static V min(V a, V b) { return _mm512_maskz_min_ps(kAll, a, b); }
  static V max(V a, V b) { return _mm512_maskz_max_ps(kAll, a, b); }
  static V bit_xor(V a, V b) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_castps_si512(b))); }
  static V bit_and(V a, V b) { return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_castps_si512(b))); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fnmadd(V a, V b, V c) { return _mm512_fnmadd_ps(a, b, c); }
  static V round(V a) { return _mm512_maskz_roundscale_ps(kAll, a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static V pow2(V n) {
    const __m512i e = _mm512_add_epi32(_mm512_maskz_cvtps_epi32(kAll, n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(kAll, e, 23));
  }
};
using Widest = F16;
#else
using Widest = F8;
#endif

// exp_scalar: Cephes expf (range reduction by ln 2 in two parts, degree-5 polynomial).
template <class S>
inline typename S::V exp(typename S::V x) {
  using namespace vec_math;
  x = S::min(S::max(x, S::set1(kExpLo)), S::set1(kExpHi));
  const typename S::V fx = S::round(S::mul(x, S::set1(kLog2e)));
  x = S::fnmadd(fx, S::set1(kC1), x);
  x = S::fnmadd(fx, S::set1(kC2), x);
  const typename S::V z = S::mul(x, x);
  typename S::V y = S::set1(kP0);
  y = S::fmadd(y, x, S::set1(kP1));
  y = S::fmadd(y, x, S::set1(kP2));
  y = S::fmadd(y, x, S::set1(kP3));
  y = S::fmadd(y, x, S::set1(kP4));
  y = S::fmadd(y, x, S::set1(kP5));
  y = S::add(S::fmadd(y, z, x), S::set1(1.0f));
  return S::mul(y, S::pow2(fx));
}

// erf_scalar: Abramowitz-Stegun 7.1.26 as at::vec computes it.
template <class S>
inline typename S::V erf(typename S::V v) {
  using namespace vec_math;
  const typename S::V neg_zero = S::set1(-0.0f), one = S::set1(1.0f);
  const typename S::V sign = S::bit_and(neg_zero, v);
  const typename S::V a = S::bit_xor(sign, v);
  const typename S::V t = S::div(one, S::fmadd(S::set1(kErfP), a, one));
  typename S::V r = S::fmadd(S::set1(kErfA5), t, S::set1(kErfA4));
  r = S::fmadd(r, t, S::set1(kErfA3));
  r = S::fmadd(r, t, S::set1(kErfA2));
  r = S::fmadd(r, t, S::set1(kErfA1));
  const typename S::V e = S::bit_xor(neg_zero, exp<S>(S::bit_xor(neg_zero, S::mul(v, v))));
  return S::bit_xor(sign, S::fmadd(S::mul(e, t), r, one));
}

// gelu_scalar: x * 0.5 * (1 + erf(x / sqrt 2)).
template <class S>
inline typename S::V gelu(typename S::V x) {
  const typename S::V e = erf<S>(S::mul(x, S::set1(vec_math::kSqrtHalf)));
  return S::mul(S::mul(x, S::set1(0.5f)), S::add(S::set1(1.0f), e));
}

// gelu_tanh_scalar: x / (1 + exp(-2 beta (x + kappa x^3))).
template <class S>
inline typename S::V gelu_tanh(typename S::V x) {
  using namespace vec_math;
  const typename S::V cube = S::mul(S::mul(x, x), x);
  const typename S::V inner = S::mul(S::set1(kGeluBeta), S::add(x, S::mul(S::set1(kGeluKappa), cube)));
  return S::div(x, S::add(S::set1(1.0f), exp<S>(S::mul(S::set1(-2.0f), inner))));
}

// x[i] = f(x[i]) for i < n, the widest vectors first and the tail in one masked vector.
template <class S, class F>
inline void map(float* x, long n, F f) {
  long i = 0;
  for (; i + S::kWidth <= n; i += S::kWidth) S::store(x + i, f(S::load(x + i)));
  if (i < n) {
    const int rest = static_cast<int>(n - i);
    S::store(x + i, f(S::load(x + i, rest)), rest);
  }
}

}  // namespace attnlab::ATTNLAB_ISA_NS::simd

#endif
