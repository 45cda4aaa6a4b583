// Vectorised exp and GELU (see vec_math.h). Every AVX2 loop has a scalar twin computing the same
// formula; tests compare them.
#include "ops/vec_math.h"

#include <cmath>
#include <cstdint>
#include <algorithm>
#include <cstring>

#include "ops/thread_pool.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTNLAB_HAVE_AVX2 1
#endif

namespace attnlab {
namespace {

// Cephes expf constants.
constexpr float kExpHi = 88.3762626647949f, kExpLo = -88.3762626647949f;
constexpr float kLog2e = 1.44269504088896341f, kC1 = 0.693359375f, kC2 = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f,
                kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;

// Abramowitz-Stegun 7.1.26, the constants at::vec uses.
constexpr float kErfP = 0.3275911f, kErfA1 = 0.254829592f, kErfA2 = -0.284496736f, kErfA3 = 1.421413741f,
                kErfA4 = -1.453152027f, kErfA5 = 1.061405429f;
constexpr float kSqrtHalf = 0.70710678118654752440f;

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

}  // namespace

float exp_scalar(float x) {
  x = std::fmin(std::fmax(x, kExpLo), kExpHi);
  const float fx = std::nearbyint(x * kLog2e);
  x = std::fma(-fx, kC1, x);
  x = std::fma(-fx, kC2, x);
  const float z = x * x;
  float y = kP0;
  y = std::fma(y, x, kP1);
  y = std::fma(y, x, kP2);
  y = std::fma(y, x, kP3);
  y = std::fma(y, x, kP4);
  y = std::fma(y, x, kP5);
  y = std::fma(y, z, x) + 1.0f;
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(fx) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return y * scale;
}

float erf_scalar(float v) {
  const float a = std::fabs(v);
  const float t = 1.0f / std::fma(kErfP, a, 1.0f);
  float r = std::fma(kErfA5, t, kErfA4);
  r = std::fma(r, t, kErfA3);
  r = std::fma(r, t, kErfA2);
  r = std::fma(r, t, kErfA1);
  const float e = -exp_scalar(-(v * v));
  return std::copysign(std::fma(e * t, r, 1.0f), v);
}

float gelu_scalar(float x) { return x * 0.5f * (1.0f + erf_scalar(x * kSqrtHalf)); }

void exp_inplace(float* x, long n) {
  long i = 0;
#ifdef ATTNLAB_HAVE_AVX2
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, exp256(_mm256_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) x[i] = exp_scalar(x[i]);
}

static void gelu_range(float* x, long n);

void gelu_erf_fast(float* x, long n) {
  // Long inputs spread over the pool in chunks of whole vectors.
  constexpr long kChunk = 1 << 16;
  if (n < 2 * kChunk) return gelu_range(x, n);
  const int chunks = static_cast<int>((n + kChunk - 1) / kChunk);
  parallel_for(chunks, [&](int c) { gelu_range(x + c * kChunk, std::min(kChunk, n - c * kChunk)); });
}

static void gelu_range(float* x, long n) {
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

}  // namespace attnlab
