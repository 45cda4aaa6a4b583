// The fast path of linear(): short inputs (a sentence of a few dozen tokens) are bound by reading
// the weights, so a streaming kernel reads each weight row once, from DRAM, and reuses it from
// cache for every token; long inputs go to OpenBLAS sgemm. Both split the outputs over the pool.
#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "ops/linear.h"
#include "ops/thread_pool.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTNLAB_HAVE_AVX2 1
#endif

namespace attnlab {
namespace {

constexpr int kStreamingMaxRows = 32;  // above this sgemm wins (measured; see bench/README)
constexpr int kOutBlock = 4;           // weight rows per register block
constexpr int kRowBlock = 2;           // input rows per register block (4 x 3 = 12 accumulators)

#ifdef ATTNLAB_HAVE_AVX2
inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

// y[r, o] for o in [o0, o0 + OB), r in [r0, r0 + RB): dot products over `in` (a multiple of 8).
template <int OB, int RB>
inline void dot_block(const float* x, int in, const float* w, int o0, int r0, float* acc_out) {
  __m256 acc[OB][RB];
  for (int j = 0; j < OB; ++j)
    for (int r = 0; r < RB; ++r) acc[j][r] = _mm256_setzero_ps();
  const float* wr[OB];
  for (int j = 0; j < OB; ++j) wr[j] = w + static_cast<size_t>(o0 + j) * in;
  const float* xr[RB];
  for (int r = 0; r < RB; ++r) xr[r] = x + static_cast<size_t>(r0 + r) * in;
  for (int i = 0; i < in; i += 8) {
    __m256 xv[RB];
    for (int r = 0; r < RB; ++r) xv[r] = _mm256_loadu_ps(xr[r] + i);
    for (int j = 0; j < OB; ++j) {
      const __m256 wv = _mm256_loadu_ps(wr[j] + i);
      for (int r = 0; r < RB; ++r) acc[j][r] = _mm256_fmadd_ps(wv, xv[r], acc[j][r]);
    }
  }
  for (int j = 0; j < OB; ++j)
    for (int r = 0; r < RB; ++r) acc_out[j * RB + r] = hsum(acc[j][r]);
}

template <int OB>
void rows_block(const float* x, int rows, int in, const float* w, const float* b, int out, float* y, int o0) {
  float acc[OB * kRowBlock];
  int r0 = 0;
  const auto store = [&](int rb) {
    for (int j = 0; j < OB; ++j)
      for (int r = 0; r < rb; ++r) y[static_cast<size_t>(r0 + r) * out + o0 + j] = acc[j * rb + r] + (b ? b[o0 + j] : 0.0f);
  };
  for (; r0 + kRowBlock <= rows; r0 += kRowBlock) {
    dot_block<OB, kRowBlock>(x, in, w, o0, r0, acc);
    store(kRowBlock);
  }
  if (rows - r0 == 2) {
    dot_block<OB, 2>(x, in, w, o0, r0, acc);
    store(2);
  } else if (rows - r0 == 1) {
    dot_block<OB, 1>(x, in, w, o0, r0, acc);
    store(1);
  }
}
#endif

// Outputs [o_begin, o_end) of y = x w^T + b for a short x.
void streaming_range(const float* x, int rows, int in, const float* w, const float* b, int out, float* y, int o_begin,
                     int o_end) {
#ifdef ATTNLAB_HAVE_AVX2
  if (in % 8 == 0) {
    int o = o_begin;
    for (; o + kOutBlock <= o_end; o += kOutBlock) rows_block<kOutBlock>(x, rows, in, w, b, out, y, o);
    for (; o < o_end; ++o) rows_block<1>(x, rows, in, w, b, out, y, o);
    return;
  }
#endif
  for (int o = o_begin; o < o_end; ++o)
    for (int r = 0; r < rows; ++r) {
      float acc = 0.0f;
      const float* xr = x + static_cast<size_t>(r) * in;
      const float* wr = w + static_cast<size_t>(o) * in;
      for (int i = 0; i < in; ++i) acc += xr[i] * wr[i];
      y[static_cast<size_t>(r) * out + o] = acc + (b ? b[o] : 0.0f);
    }
}

}  // namespace

// OpenBLAS runs single-threaded inside attnlab's own pool: one threading model, no oversubscription.
void blas_single_thread() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

void linear(const float* x, int rows, int in, const float* w, const float* b, int out, float* y) {
  if (rows <= kStreamingMaxRows) {
    // Split outputs into chunks (multiples of the block) so every thread streams its own weight rows.
    const int threads = num_threads();
    const int chunks = std::max(1, std::min(threads * 4, out / (kOutBlock * 8)));
    const int per = ((out + chunks - 1) / chunks + kOutBlock - 1) / kOutBlock * kOutBlock;
    parallel_for(chunks, [&](int c) {
      const int o0 = c * per, o1 = std::min(out, o0 + per);
      if (o0 < o1) streaming_range(x, rows, in, w, b, out, y, o0, o1);
    });
    return;
  }
  // Long inputs: sgemm on column slices of the output, one slice per task.
  // Like torch.addmm: start from the broadcast bias, then accumulate x w^T on top (beta = 1).
  blas_single_thread();
  const int threads = num_threads();
  const int slices = threads == 1 ? 1 : threads * 2;
  const int per = ((out + slices - 1) / slices + 15) / 16 * 16;
  parallel_for(slices, [&](int sl) {
    const int o0 = sl * per, o1 = std::min(out, o0 + per);
    if (o0 >= o1) return;
    for (int r = 0; r < rows; ++r) {
      float* yr = y + static_cast<size_t>(r) * out + o0;
      if (b) std::memcpy(yr, b + o0, sizeof(float) * (o1 - o0));
      else std::memset(yr, 0, sizeof(float) * (o1 - o0));
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, o1 - o0, in, 1.0f, x, in, w + static_cast<size_t>(o0) * in,
                in, 1.0f, y + o0, out);
  });
}

}  // namespace attnlab
