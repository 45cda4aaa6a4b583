// LayerNorm's kernel (see ops/norm_act.h), built once per instruction set (ops/isa/kernels.h).
// Statistics accumulate in double so the result is the exactly rounded float of the true value,
// whatever order PyTorch's vector kernel sums in.
#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "ops/isa/kernels.h"

#if defined(__AVX2__)
#include <immintrin.h>
#define ATTNLAB_HAVE_AVX2 1
#endif

namespace attnlab::ATTNLAB_ISA_NS {

namespace {

#ifdef ATTNLAB_HAVE_AVX2
double hsum(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
__m256d low_pd(__m256 f) { return _mm256_cvtps_pd(_mm256_castps256_ps128(f)); }
__m256d high_pd(__m256 f) { return _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)); }
#else
// Lanes l and l + 4 first (two 4-wide accumulators added), then the halves, then the pair: the
// order of the vector code's hsum, so every build gives the same bits.
double hsum(const double (&s)[8]) {
  const double t0 = s[0] + s[4], t1 = s[1] + s[5], t2 = s[2] + s[6], t3 = s[3] + s[7];
  return (t0 + t2) + (t1 + t3);
}
#endif

// Rows [r0, r1): v = add + x (add may be null), the statistics in double (eight lanes: two 4-wide
// double accumulators), then float((v - mean) * rstd) * weight + bias, as the scalar twin.
void layer_norm_range(float* x, const float* add, int r0, int r1, int cols, const float* weight, const float* bias,
                      float eps) {
  for (int r = r0; r < r1; ++r) {
    float* v = x + static_cast<size_t>(r) * cols;
    const float* a = add ? add + static_cast<size_t>(r) * cols : nullptr;
    double sum = 0.0;
    int c = 0;
#ifdef ATTNLAB_HAVE_AVX2
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    for (; c + 8 <= cols; c += 8) {
      __m256 f = _mm256_loadu_ps(v + c);
      if (a) {
        f = _mm256_add_ps(_mm256_loadu_ps(a + c), f);
        _mm256_storeu_ps(v + c, f);
      }
      s0 = _mm256_add_pd(s0, low_pd(f));
      s1 = _mm256_add_pd(s1, high_pd(f));
    }
    sum = hsum(_mm256_add_pd(s0, s1));
#else
    double s[8] = {};  // the vector code's eight lanes, summed in its order
    for (; c + 8 <= cols; c += 8)
      for (int l = 0; l < 8; ++l) {
        if (a) v[c + l] = a[c + l] + v[c + l];
        s[l] += v[c + l];
      }
    sum = hsum(s);
#endif
    for (; c < cols; ++c) {
      if (a) v[c] = a[c] + v[c];
      sum += v[c];
    }
    const double mean = sum / cols;
    double sq = 0.0;
    c = 0;
#ifdef ATTNLAB_HAVE_AVX2
    const __m256d m = _mm256_set1_pd(mean);
    __m256d q0 = _mm256_setzero_pd(), q1 = q0;
    for (; c + 8 <= cols; c += 8) {
      const __m256 f = _mm256_loadu_ps(v + c);
      const __m256d d0 = _mm256_sub_pd(low_pd(f), m), d1 = _mm256_sub_pd(high_pd(f), m);
      q0 = _mm256_add_pd(q0, _mm256_mul_pd(d0, d0));
      q1 = _mm256_add_pd(q1, _mm256_mul_pd(d1, d1));
    }
    sq = hsum(_mm256_add_pd(q0, q1));
#else
    double q[8] = {};
    for (; c + 8 <= cols; c += 8)
      for (int l = 0; l < 8; ++l) q[l] += (v[c + l] - mean) * (v[c + l] - mean);
    sq = hsum(q);
#endif
    for (; c < cols; ++c) sq += (v[c] - mean) * (v[c] - mean);
    const double rstd = 1.0 / std::sqrt(sq / cols + static_cast<double>(eps));
    c = 0;
#ifdef ATTNLAB_HAVE_AVX2
    const __m256d rs = _mm256_set1_pd(rstd);
    for (; c + 8 <= cols; c += 8) {
      const __m256 f = _mm256_loadu_ps(v + c);
      const __m128 lo = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_sub_pd(low_pd(f), m), rs));
      const __m128 hi = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_sub_pd(high_pd(f), m), rs));
      const __m256 n = _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1);
      _mm256_storeu_ps(v + c, _mm256_add_ps(_mm256_mul_ps(n, _mm256_loadu_ps(weight + c)), _mm256_loadu_ps(bias + c)));
    }
#endif
    for (; c < cols; ++c) v[c] = static_cast<float>((v[c] - mean) * rstd) * weight[c] + bias[c];
  }
}

}  // namespace

void add_layer_norm_rows(float* x, const float* add, int rows, int cols, const float* weight, const float* bias,
                         float eps) {
  constexpr int kRowsPerTask = 32;
  if (rows < 2 * kRowsPerTask) return layer_norm_range(x, add, 0, rows, cols, weight, bias, eps);
  parallel_for((rows + kRowsPerTask - 1) / kRowsPerTask, [&](int t) {
    layer_norm_range(x, add, t * kRowsPerTask, std::min(rows, (t + 1) * kRowsPerTask), cols, weight, bias, eps);
  });
}

}  // namespace attnlab::ATTNLAB_ISA_NS
