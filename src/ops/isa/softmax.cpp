// Row-wise softmax's kernel (see ops/softmax.h), built once per instruction set
// (ops/isa/kernels.h): the steps of ATen's vectorised CPU kernel (_vec_softmax_lastdim), in plain
// loops the compiler vectorises for the build's instruction set without reordering a sum.
#include "ops/isa/kernels.h"
#include "ops/isa/simd_math.h"

namespace attnlab::ATTNLAB_ISA_NS {

namespace {

// at::vec::reduce_all with 8-lane vectors (ATen's AVX2 build): lane-wise accumulation over whole
// vectors, the tail folded into its lanes, then a halving tree
// (128-bit halves, 64-bit pairs, neighbours). Max and sum then come out as ATen's do, in a few
// cycles per 8 values instead of one dependent add per value.
template <typename Op>
float reduce_all(const float* v, int n, Op op) {
  constexpr int kLanes = 8;
  float acc[kLanes];
  if (n < kLanes) {  // ATen: one partial vector, reduced over its first n lanes
    float r = v[0];
    for (int i = 1; i < n; ++i) r = op(r, v[i]);
    return r;
  }
  for (int l = 0; l < kLanes; ++l) acc[l] = v[l];
  int d = kLanes;
  for (; d + kLanes <= n; d += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = op(acc[l], v[d + l]);
  for (int l = 0; d + l < n; ++l) acc[l] = op(acc[l], v[d + l]);
  for (int l = 0; l < 4; ++l) acc[l] = op(acc[l], acc[l + 4]);
  for (int l = 0; l < 2; ++l) acc[l] = op(acc[l], acc[l + 2]);
  return op(acc[0], acc[1]);
}

#if defined(__AVX2__) && defined(__FMA__)
// The largest of v[0, n) (n >= 1), in four independent vectors: a max is exact in any order, and
// one running vector would wait on each max's latency.
float row_max(const float* v, int n) {
  using S = simd::Widest;
  constexpr int W = S::kWidth;
  if (n < W) return reduce_all(v, n, [](float a, float b) { return a > b ? a : b; });
  S::V m0 = S::load(v), m1 = m0, m2 = m0, m3 = m0;
  int c = 0;
  for (; c + 4 * W <= n; c += 4 * W) {
    m0 = S::max(m0, S::load(v + c));
    m1 = S::max(m1, S::load(v + c + W));
    m2 = S::max(m2, S::load(v + c + 2 * W));
    m3 = S::max(m3, S::load(v + c + 3 * W));
  }
  for (; c + W <= n; c += W) m0 = S::max(m0, S::load(v + c));
  if (c < n) m1 = S::max(m1, S::load(v + n - W));  // the last W values, some seen already
  alignas(64) float lanes[W];
  S::store(lanes, S::max(S::max(m0, m1), S::max(m2, m3)));
  float m = lanes[0];
  for (int l = 1; l < W; ++l) m = lanes[l] > m ? lanes[l] : m;
  return m;
}

// v[c] = exp(v[c] - max) for c < n, returning their sum as reduce_all adds it (n >= 8): 8-lane
// partial sums over whole 8-float chunks in order, the tail folded into its lanes, then the tree.
// One pass: the adds' dependency chain runs under the exponentials.
float exp_shifted_sum(float* v, int n, float max) {
  using S = simd::Widest;
  const S::V m = S::set1(max);
  __m256 acc = _mm256_setzero_ps();
  bool started = false;
  auto add8 = [&](__m256 e) {
    acc = started ? _mm256_add_ps(acc, e) : e;
    started = true;
  };
  auto add = [&](auto e) {
    if constexpr (S::kWidth == 8) {
      add8(e);
    } else {
      // Zero-masked extracts: GCC 12 reports the unmasked ones (bug 105593, see simd_math.h).
      add8(_mm512_maskz_extractf32x8_ps(0xff, e, 0));
      add8(_mm512_maskz_extractf32x8_ps(0xff, e, 1));
    }
  };
  int c = 0;
  for (; c + S::kWidth <= n; c += S::kWidth) {
    const S::V e = simd::exp<S>(S::sub(S::load(v + c), m));
    S::store(v + c, e);
    add(e);
  }
  if (c < n) {
    const int rest = n - c;
    const S::V e = simd::exp<S>(S::sub(S::load(v + c, rest), m));
    S::store(v + c, e, rest);
    for (int h = 0; h < rest; h += 8) {
      alignas(64) float lanes[S::kWidth];
      S::store(lanes, e);
      const __m256 part = _mm256_load_ps(lanes + h);
      if (rest - h >= 8) add8(part);
      else acc = _mm256_add_ps(acc, _mm256_and_ps(part, _mm256_castsi256_ps(simd::F8::first(rest - h))));
    }
  }
  alignas(32) float a[8];
  _mm256_store_ps(a, acc);
  for (int l = 0; l < 4; ++l) a[l] += a[l + 4];
  for (int l = 0; l < 2; ++l) a[l] += a[l + 2];
  return a[0] + a[1];
}
#endif

}  // namespace

void softmax_rows(float* x, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<long>(r) * cols;
    float sum;
#if defined(__AVX2__) && defined(__FMA__)
    if (cols >= 8) {
      sum = exp_shifted_sum(v, cols, row_max(v, cols));
    } else
#endif
    {
      const float max = reduce_all(v, cols, [](float a, float b) { return a > b ? a : b; });
      for (int c = 0; c < cols; ++c) v[c] -= max;
      exp_inplace(v, cols);
      sum = reduce_all(v, cols, [](float a, float b) { return a + b; });
    }
    const float inv = 1.0f / sum;
    for (int c = 0; c < cols; ++c) v[c] *= inv;
  }
}

}  // namespace attnlab::ATTNLAB_ISA_NS
