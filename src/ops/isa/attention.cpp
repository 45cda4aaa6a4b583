// Multi-head attention's kernels (see ops/attention.h), built once per instruction set
// (ops/isa/kernels.h): per head and block of query rows, the scores, softmax and context, on a
// small register-blocked kernel; tasks (a head's block of rows, or a whole short sentence) spread
// over the pool.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/attention.h"
#include "ops/isa/kernels.h"
#include "ops/isa/transpose.h"
#include "core/thread_pool.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTNLAB_HAVE_AVX2 1
#if defined(__AVX512F__)
#define ATTNLAB_HAVE_AVX512 1
#endif
#endif

namespace attnlab::ATTNLAB_ISA_NS {

namespace {

// c: [rows, 8 NV] (stride ldc) = alpha * a: [rows, kdim] (stride lda) . b: [kdim, 8 NV] (stride
// ldb); each output sums its kdim products in order, then multiplies by alpha once.
template <int NR, int NV>
void small_tile(const float* a, int lda, const float* b, int ldb, int kdim, float alpha, float* c, int ldc,
                int cols) {
  static_assert(NR * NV <= 12, "accumulators must fit in registers");
#ifdef ATTNLAB_HAVE_AVX2
  __m256 acc[NR][NV];
#pragma GCC unroll 6
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int k = 0; k < kdim; ++k) {
    const float* bk = b + static_cast<size_t>(k) * ldb;
    __m256 w[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) w[v] = _mm256_loadu_ps(bk + 8 * v);
#pragma GCC unroll 6
    for (int r = 0; r < NR; ++r) {
      const __m256 x = _mm256_broadcast_ss(a + static_cast<size_t>(r) * lda + k);
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(x, w[v], acc[r][v]);
    }
  }
  const __m256 s = _mm256_set1_ps(alpha);
  if (cols == 8 * NV) {
#pragma GCC unroll 6
    for (int r = 0; r < NR; ++r)
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v)
        _mm256_storeu_ps(c + static_cast<size_t>(r) * ldc + 8 * v, _mm256_mul_ps(acc[r][v], s));
    return;
  }
  // The last columns of a row whose length is not a multiple of 8: lanes past `cols` not stored.
  // Every loop over acc fully unrolled: one indexed at run time and GCC keeps the whole array in
  // memory, storing twelve registers per k step.
  __m256i mask[NV];
#pragma GCC unroll 3
  for (int v = 0; v < NV; ++v)
    mask[v] = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8 * v), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#pragma GCC unroll 6
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v)
      _mm256_maskstore_ps(c + static_cast<size_t>(r) * ldc + 8 * v, mask[v], _mm256_mul_ps(acc[r][v], s));
#else
  for (int r = 0; r < NR; ++r)
    for (int j = 0; j < cols; ++j) {
      float acc = 0.0f;
      for (int k = 0; k < kdim; ++k)
        acc = std::fma(a[static_cast<size_t>(r) * lda + k], b[static_cast<size_t>(k) * ldb + j], acc);
      c[static_cast<size_t>(r) * ldc + j] = acc * alpha;
    }
#endif
}

#ifdef ATTNLAB_HAVE_AVX512
// The AVX-512 build's tile: c: [rows, 16 NV] as small_tile, in 16-wide vectors, up to 12 x 2 = 24
// accumulators; the same sums in the same order.
template <int NR, int NV>
void small_tile512(const float* a, int lda, const float* b, int ldb, int kdim, float alpha, float* c, int ldc,
                   int cols) {
  static_assert(NR * NV <= 24, "accumulators must fit in registers");
  __m512 acc[NR][NV];
#pragma GCC unroll 12
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  for (int k = 0; k < kdim; ++k) {
    const float* bk = b + static_cast<size_t>(k) * ldb;
    __m512 w[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) w[v] = _mm512_loadu_ps(bk + 16 * v);
#pragma GCC unroll 12
    for (int r = 0; r < NR; ++r) {
      const __m512 x = _mm512_set1_ps(a[static_cast<size_t>(r) * lda + k]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(x, w[v], acc[r][v]);
    }
  }
  // Lanes past `cols` not stored.
  const __m512 s = _mm512_set1_ps(alpha);
  __mmask16 mask[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) mask[v] = static_cast<__mmask16>((1u << std::clamp(cols - 16 * v, 0, 16)) - 1u);
#pragma GCC unroll 12
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      _mm512_mask_storeu_ps(c + static_cast<size_t>(r) * ldc + 16 * v, mask[v], _mm512_mul_ps(acc[r][v], s));
}
#endif

// The tile of the build: 16-wide vectors in the AVX-512 build, else 8-wide.
template <int NR, int NV>
void build_tile(const float* a, int lda, const float* b, int ldb, int kdim, float alpha, float* c, int ldc, int cols) {
#ifdef ATTNLAB_HAVE_AVX512
  small_tile512<NR, NV>(a, lda, b, ldb, kdim, alpha, c, ldc, cols);
#else
  small_tile<NR, NV>(a, lda, b, ldb, kdim, alpha, c, ldc, cols);
#endif
}

// The last 1 to NR - 1 rows of a column block, as one tile of that many rows.
template <int NR, int NV>
void row_tail(int n, const float* a, int lda, const float* b, int ldb, int kdim, float alpha, float* c, int ldc,
              int cols) {
  if constexpr (NR > 1) {
    if (n == NR - 1) build_tile<NR - 1, NV>(a, lda, b, ldb, kdim, alpha, c, ldc, cols);
    else row_tail<NR - 1, NV>(n, a, lda, b, ldb, kdim, alpha, c, ldc, cols);
  }
}

// Every row against one block of NV vectors' columns of b (which stays in L1 while the rows pass),
// of which the first `cols` are stored; NR rows per tile, the last 1 to NR - 1 in one more.
template <int NR, int NV>
void column_block(const float* a, int lda, const float* b, int ldb, int rows, int kdim, float alpha, float* c, int ldc,
                  int cols) {
  int i = 0;
  for (; i + NR <= rows; i += NR)
    build_tile<NR, NV>(a + static_cast<size_t>(i) * lda, lda, b, ldb, kdim, alpha, c + static_cast<size_t>(i) * ldc,
                       ldc, cols);
  if (i < rows)
    row_tail<NR, NV>(rows - i, a + static_cast<size_t>(i) * lda, lda, b, ldb, kdim, alpha,
                     c + static_cast<size_t>(i) * ldc, ldc, cols);
}

// c: [rows, n] = alpha * a . b as above; b's rows hold n rounded up to 16 floats (zero padding).
#ifdef ATTNLAB_HAVE_AVX512
// 12 x 32 tiles (24 accumulators); the last 1-31 columns as 12 x 32 (17-31) or 12 x 16 (1-16).
void small_gemm(const float* a, int lda, const float* b, int ldb, int rows, int kdim, int n, float alpha, float* c,
                int ldc) {
  int j = 0;
  for (; n - j >= 32; j += 32) column_block<12, 2>(a, lda, b + j, ldb, rows, kdim, alpha, c + j, ldc, 32);
  const int r = n - j;
  if (r > 16) column_block<12, 2>(a, lda, b + j, ldb, rows, kdim, alpha, c + j, ldc, r);
  else if (r > 0) column_block<12, 1>(a, lda, b + j, ldb, rows, kdim, alpha, c + j, ldc, r);
}
#else
// 6 x 16 tiles (twelve accumulators, as the linear layers' kernel); the last 1-24 columns in one
// block: 17-24 as 4 x 24 tiles (twelve accumulators again: an 8-wide block alone would have six,
// too few to cover the FMA latency), 9-16 as 6 x 16, 1-8 as 6 x 8.
void small_gemm(const float* a, int lda, const float* b, int ldb, int rows, int kdim, int n, float alpha, float* c,
                int ldc) {
  int j = 0;
  for (; n - j > 24; j += 16) column_block<6, 2>(a, lda, b + j, ldb, rows, kdim, alpha, c + j, ldc, 16);
  const int r = n - j;
  if (r > 16) column_block<4, 3>(a, lda, b + j, ldb, rows, kdim, alpha, c + j, ldc, r);
  else if (r > 8) column_block<6, 2>(a, lda, b + j, ldb, rows, kdim, alpha, c + j, ldc, r);
  else if (r > 0) column_block<6, 1>(a, lda, b + j, ldb, rows, kdim, alpha, c + j, ldc, r);
}
#endif

// Query rows of one head per block: the block's scores (<= 128 kB) stay in L2 from the score
// product through softmax to the context product, so each probability is written to memory once
// instead of a whole seq x seq matrix (1 MB at 512 tokens) going out and back between steps.
// Whole 12-row tiles (two 6-row ones in the 256-bit build) per block, so only a head's last block
// ends in a tile of fewer rows (with too few accumulators to cover the FMA latency).
constexpr int kBlockFloats = 32 * 1024;
int rows_per_block(int seq) {
  const int rows = std::clamp(kBlockFloats / seq, 8, seq);
  return rows >= 12 ? rows / 12 * 12 : rows;
}

// Query rows [r0, r1) of one head: p: rows [p_row0, ...) of [seq, seq] (row i at p + (i - p_row0) *
// seq) and c: [seq, *] (stride c_ld), block by block.
// HF: matmul(query, key^T) * scaling, (+ mask), softmax, matmul(probs, value); each float dot product
// is multiplied by scaling once, exactly as the separate multiply does. k, v and each block's q are
// first copied (k transposed) into contiguous rows padded to 16 floats: read in place, their rows
// sit 3 x hidden floats apart, one TLB entry each, and the products ran far below the kernel's rate.
// Causal: a block of query rows [i0, i1) computes scores only over keys [lo(i0), i1), softmaxes
// each row over its own visible keys and writes exact zeros elsewhere, so the products over a
// masked key add 0 * v and the context equals the sum over visible keys.
void head_rows(const float* q, const float* k, const float* v, int seq, int d, int ld, float scaling, float* p,
               int p_row0, float* c, int c_ld, int r0, int r1, bool causal, int window) {
  const int seq16 = (seq + 15) / 16 * 16, d16 = (d + 15) / 16 * 16;
  const auto first_key = [&](int i) { return causal && window > 0 ? std::max(0, i - window + 1) : 0; };
  const int k0 = first_key(r0), k1 = causal ? r1 : seq;  // the keys any of these rows sees
  thread_local Scratch kt, vp, qp;
  // Only keys [k0, k1) are copied and read. The tiles load whole vectors past a span's last column
  // (lanes they do not store): zeros there, and 32 floats of slack after the last row.
  kt.resize(static_cast<size_t>(d) * seq16 + 32);
  vp.resize(static_cast<size_t>(seq) * d16);
  transpose(k + static_cast<size_t>(k0) * ld, ld, k1 - k0, d, kt.data() + k0, seq16);
  for (int e = 0; e < d; ++e) {
    float* row = kt.data() + static_cast<size_t>(e) * seq16;
    std::fill(row + k1, row + std::min(seq16, k1 + 32), 0.0f);
  }
  std::fill_n(kt.data() + static_cast<size_t>(d) * seq16, 32, 0.0f);
  if (d16 != d)
    for (int j = k0; j < k1; ++j) std::fill_n(vp.data() + static_cast<size_t>(j) * d16 + d, d16 - d, 0.0f);
  for (int j = k0; j < k1; ++j) {
    const float* vj = v + static_cast<size_t>(j) * ld;
    float* vpj = vp.data() + static_cast<size_t>(j) * d16;
    for (int e = 0; e < d; ++e) vpj[e] = vj[e];  // short rows: no memcpy calls
  }
  const int block = rows_per_block(seq);
  qp.resize(static_cast<size_t>(block) * d);
  for (int i0 = r0; i0 < r1; i0 += block) {
    const int rows = std::min(block, r1 - i0);
    float* pb = p + static_cast<size_t>(i0 - p_row0) * seq;
    // The block's query rows, contiguous: each column block of scores reads them all again.
    for (int i = 0; i < rows; ++i) {
      const float* qi = q + static_cast<size_t>(i0 + i) * ld;
      float* dst = qp.data() + static_cast<size_t>(i) * d;
      for (int e = 0; e < d; ++e) dst[e] = qi[e];
    }
    if (!causal) {
      small_gemm(qp.data(), d, kt.data(), seq16, rows, d, seq, scaling, pb, seq);
      softmax_rows(pb, rows, seq);
      small_gemm(pb, seq, vp.data(), d16, rows, seq, d, 1.0f, c + static_cast<size_t>(i0) * c_ld, c_ld);
      continue;
    }
    const int j0 = first_key(i0), j1 = i0 + rows;  // keys [j0, j1) of the block
    small_gemm(qp.data(), d, kt.data() + j0, seq16, rows, d, j1 - j0, scaling, pb + j0, seq);
    for (int i = 0; i < rows; ++i) {
      const int row = i0 + i, lo = first_key(row);
      float* pr = pb + static_cast<size_t>(i) * seq;
      softmax_rows(pr + lo, 1, row + 1 - lo);
      std::fill(pr, pr + lo, 0.0f);
      std::fill(pr + row + 1, pr + seq, 0.0f);
    }
    small_gemm(pb + j0, seq, vp.data() + static_cast<size_t>(j0) * d16, d16, rows, j1 - j0, d, 1.0f,
               c + static_cast<size_t>(i0) * c_ld, c_ld);
  }
}

// One task: query rows [r0, r1) of heads [h0, h1) of sequence s.
struct Task {
  int s, h0, h1, r0, r1;
};

// A sequence this short is one task, all heads: its q, k and v rows (3 x hidden floats each, far
// apart) come into cache once rather than once per head. Longer ones are a task per head, each
// copying its k and v once, with the query rows split further only when there are fewer than two
// heads per thread, so the threads finish together.
constexpr int kOneTaskBelow = 96;

}  // namespace

void multi_head_attention(std::span<const AttentionSequence> batch, const AttentionShape& shape) {
  const int heads = shape.heads, head_dim = shape.head_dim, group = shape.heads / shape.kv_heads;
  std::vector<Task> tasks;
  for (size_t s = 0; s < batch.size(); ++s) {
    const int seq = batch[s].seq, r0 = batch[s].row0, rows = batch[s].rows_end() - r0;
    if (seq <= 0 || rows <= 0) continue;
    if (seq < kOneTaskBelow) {
      tasks.push_back({static_cast<int>(s), 0, heads, r0, r0 + rows});
      continue;
    }
    const int parts = std::min(rows, (2 * num_threads() + heads - 1) / heads);
    for (int h = 0; h < heads; ++h)
      for (int part = 0; part < parts; ++part)
        tasks.push_back({static_cast<int>(s), h, h + 1, r0 + rows * part / parts, r0 + rows * (part + 1) / parts});
  }
  // Longest first: the threads, taking tasks in turn, then finish together (sentences of a batch
  // differ in length ten times over, in work a hundred times).
  auto cost = [&](const Task& t) {
    const double keys = shape.causal ? 0.5 * (t.r0 + t.r1) : batch[static_cast<size_t>(t.s)].seq;
    return static_cast<double>(t.h1 - t.h0) * (t.r1 - t.r0) * keys;
  };
  std::stable_sort(tasks.begin(), tasks.end(), [&](const Task& x, const Task& y) { return cost(x) > cost(y); });
  parallel_for(static_cast<int>(tasks.size()), [&](int i) {
    const Task& t = tasks[static_cast<size_t>(i)];
    const AttentionSequence& a = batch[static_cast<size_t>(t.s)];
    for (int h = t.h0; h < t.h1; ++h) {
      const size_t col = static_cast<size_t>(h) * head_dim, kv_col = static_cast<size_t>(h / group) * head_dim;
      const size_t rows = static_cast<size_t>(a.rows_end() - a.row0);
      head_rows(a.q + col, a.k + kv_col, a.v + kv_col, a.seq, head_dim, shape.ld, shape.scaling,
                a.probs + static_cast<size_t>(h) * rows * a.seq, a.row0, a.context + col, shape.context_ld, t.r0,
                t.r1, shape.causal, shape.window);
    }
  });
}

}  // namespace attnlab::ATTNLAB_ISA_NS
