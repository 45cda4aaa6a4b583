// Vectorised exp and GELU (see ops/vec_math.h), built once per instruction set
// (ops/isa/kernels.h). Every AVX2 loop computes the formula of its scalar twin in vec_math.cpp,
// which also does the tails and the whole of the scalar build.
#include <algorithm>

#include "ops/isa/kernels.h"
#include "ops/thread_pool.h"
#include "ops/vec_math.h"
#include "ops/vec_math_constants.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTNLAB_HAVE_AVX2 1
#endif

namespace attnlab::ATTNLAB_ISA_NS {
namespace {

using namespace vec_math;

#ifdef ATTNLAB_HAVE_AVX2
inline __m256 exp256(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(kExpLo)), _mm256_set1_ps(kExpHi));
  __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(kC1), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(kC2), x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 y = _mm256_set1_ps(kP0);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(kP1));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(kP2));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(kP3));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(kP4));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(kP5));
  y = _mm256_fmadd_ps(y, z, x);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.0f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

inline __m256 erf256(__m256 v) {
  const __m256 neg_zero = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_and_ps(neg_zero, v);
  const __m256 a = _mm256_xor_ps(sign, v);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(kErfP), a, one));
  __m256 r = _mm256_fmadd_ps(_mm256_set1_ps(kErfA5), t, _mm256_set1_ps(kErfA4));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(kErfA3));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(kErfA2));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(kErfA1));
  const __m256 e = _mm256_xor_ps(neg_zero, exp256(_mm256_xor_ps(neg_zero, _mm256_mul_ps(v, v))));
  return _mm256_xor_ps(sign, _mm256_fmadd_ps(_mm256_mul_ps(e, t), r, one));
}
#endif

void gelu_range(float* x, long n) {
  long i = 0;
#ifdef ATTNLAB_HAVE_AVX2
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), alpha = _mm256_set1_ps(kSqrtHalf);
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 e = erf256(_mm256_mul_ps(v, alpha));
    _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_mul_ps(v, half), _mm256_add_ps(one, e)));
  }
#endif
  for (; i < n; ++i) x[i] = gelu_scalar(x[i]);
}

}  // namespace

void exp_inplace(float* x, long n) {
  long i = 0;
#ifdef ATTNLAB_HAVE_AVX2
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp256(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) x[i] = exp_scalar(x[i]);
}

void gelu_erf_fast(float* x, long n) {
  // Long inputs spread over the pool in chunks of whole vectors.
  constexpr long kChunk = 1 << 16;
  if (n < 2 * kChunk) return gelu_range(x, n);
  const int chunks = static_cast<int>((n + kChunk - 1) / kChunk);
  parallel_for(chunks, [&](int c) { gelu_range(x + c * kChunk, std::min(kChunk, n - c * kChunk)); });
}

}  // namespace attnlab::ATTNLAB_ISA_NS
