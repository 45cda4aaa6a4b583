// Multi-head attention (see attention.h): per head and block of query rows, the scores, softmax
// and context; sgemm for long sequences, a direct kernel for short ones. Tasks spread over the pool.
#include "ops/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/float_buffer.h"
#include "ops/linear.h"
#include "ops/softmax.h"
#include "ops/thread_pool.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTNLAB_HAVE_AVX2 1
#endif

namespace attnlab {

namespace {

// Below this many tokens a head's products are a few thousand FMAs, and sgemm's fixed cost per
// call (argument checks, buffer setup, packing) outweighs them: measured on the corpus benchmark
// (sentences of 7-67 tokens), 295,000 sgemm calls took 1.5 s for 33 GFLOP.
constexpr int kDirectBelow = 96;

// c: [rows, n] (stride ldc) = alpha * a: [rows, kdim] (stride lda) . b: [kdim, n] (stride ldb),
// n a multiple of 8; each output sums its kdim products in order, then multiplies by alpha once.
// Two rows by 32 columns per pass (eight accumulators), then narrower tails.
template <int NR, int NV>
void small_tile(const float* a, int lda, const float* b, int ldb, int kdim, float alpha, float* c, int ldc) {
#ifdef ATTNLAB_HAVE_AVX2
  __m256 acc[NR][NV];
#pragma GCC unroll 3
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  for (int k = 0; k < kdim; ++k) {
    const float* bk = b + static_cast<size_t>(k) * ldb;
#pragma GCC unroll 3
    for (int r = 0; r < NR; ++r) {
      const __m256 x = _mm256_broadcast_ss(a + static_cast<size_t>(r) * lda + k);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(x, _mm256_loadu_ps(bk + 8 * v), acc[r][v]);
    }
  }
  const __m256 s = _mm256_set1_ps(alpha);
#pragma GCC unroll 3
  for (int r = 0; r < NR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(c + static_cast<size_t>(r) * ldc + 8 * v, _mm256_mul_ps(acc[r][v], s));
#else
  for (int r = 0; r < NR; ++r)
    for (int j = 0; j < 8 * NV; ++j) {
      float acc = 0.0f;
      for (int k = 0; k < kdim; ++k) acc = std::fma(a[static_cast<size_t>(r) * lda + k], b[static_cast<size_t>(k) * ldb + j], acc);
      c[static_cast<size_t>(r) * ldc + j] = acc * alpha;
    }
#endif
}

template <int NR>
void small_tiles(const float* a, int lda, const float* b, int ldb, int kdim, int n, float alpha, float* c, int ldc) {
  int j = 0;
  // 32 columns at a time; the rest (8-24) in one tile. FMA latency x issue width needs ~8
  // independent accumulators: callers pass 4 rows when they can, so 16-column tails still have 8.
  for (; j + 32 <= n; j += 32) small_tile<NR, 4>(a, lda, b + j, ldb, kdim, alpha, c + j, ldc);
  switch ((n - j) / 8) {
    case 3: small_tile<NR, 3>(a, lda, b + j, ldb, kdim, alpha, c + j, ldc); break;
    case 2: small_tile<NR, 2>(a, lda, b + j, ldb, kdim, alpha, c + j, ldc); break;
    case 1: small_tile<NR, 1>(a, lda, b + j, ldb, kdim, alpha, c + j, ldc); break;
    default: break;
  }
}

void small_gemm(const float* a, int lda, const float* b, int ldb, int rows, int kdim, int n, float alpha, float* c,
                int ldc) {
  int i = 0;
  if (n >= 32)  // row pairs: 2 x 4 vectors
    for (; i + 2 <= rows; i += 2)
      small_tiles<2>(a + static_cast<size_t>(i) * lda, lda, b, ldb, kdim, n, alpha, c + static_cast<size_t>(i) * ldc, ldc);
  for (; i + 3 <= rows; i += 3)  // narrow outputs: three rows at a time (up to 3 x 3 vectors)
    small_tiles<3>(a + static_cast<size_t>(i) * lda, lda, b, ldb, kdim, n, alpha, c + static_cast<size_t>(i) * ldc, ldc);
  for (; i < rows; ++i)
    small_tiles<1>(a + static_cast<size_t>(i) * lda, lda, b, ldb, kdim, n, alpha, c + static_cast<size_t>(i) * ldc, ldc);
}

// One head of a short sequence, query rows [0, rows): p: [rows, seq] and c (stride c_ld). k and v
// are copied out first (k transposed), each into contiguous rows padded to 8 floats: read in
// place, their rows sit 3 x hidden floats apart, one TLB entry each, and the products ran at a
// third of sgemm's rate.
void head_direct(const float* q, const float* k, const float* v, int rows, int seq, int d, int ld, float scaling,
                 float* p, float* c, int c_ld) {
  const int seq8 = (seq + 7) / 8 * 8, d8 = (d + 7) / 8 * 8;
  thread_local FloatBuffer kt, vp, scores, ctx;
  kt.assign(static_cast<size_t>(d) * seq8, 0.0f);
  vp.assign(static_cast<size_t>(seq) * d8, 0.0f);
  scores.resize(static_cast<size_t>(rows) * seq8);
  for (int j = 0; j < seq; ++j)
    for (int e = 0; e < d; ++e) {
      kt[static_cast<size_t>(e) * seq8 + j] = k[static_cast<size_t>(j) * ld + e];
      vp[static_cast<size_t>(j) * d8 + e] = v[static_cast<size_t>(j) * ld + e];
    }
  small_gemm(q, ld, kt.data(), seq8, rows, d, seq8, scaling, scores.data(), seq8);
  for (int i = 0; i < rows; ++i)
    std::copy_n(scores.data() + static_cast<size_t>(i) * seq8, seq, p + static_cast<size_t>(i) * seq);
  softmax_rows(p, rows, seq);
  if (d == d8) return small_gemm(p, seq, vp.data(), d8, rows, seq, d8, 1.0f, c, c_ld);
  ctx.resize(static_cast<size_t>(rows) * d8);
  small_gemm(p, seq, vp.data(), d8, rows, seq, d8, 1.0f, ctx.data(), d8);
  for (int i = 0; i < rows; ++i) std::copy_n(ctx.data() + static_cast<size_t>(i) * d8, d, c + static_cast<size_t>(i) * c_ld);
}

// One task: query rows [i0, i0 + rows) of heads [h0, h1) of sequence s.
struct Task {
  int s, h0, h1, i0, rows;
  double cost() const { return static_cast<double>(h1 - h0) * rows; }  // x seq: FMAs per head dim
};

void run_task(const AttentionSequence& a, const Task& t, int head_dim, int ld, float scaling, int context_ld) {
  const int seq = a.seq;
  for (int h = t.h0; h < t.h1; ++h) {
    float* p = a.probs + (static_cast<size_t>(h) * seq + t.i0) * seq;
    const size_t col = static_cast<size_t>(h) * head_dim;
    const float* q = a.q + static_cast<size_t>(t.i0) * ld + col;
    float* c = a.context + static_cast<size_t>(t.i0) * context_ld + col;
    // HF: matmul(query, key^T) * scaling, softmax, matmul(probs, value). Both paths round each
    // float dot product times scaling once, exactly as the separate multiply does.
    if (seq < kDirectBelow) {
      head_direct(q, a.k + col, a.v + col, t.rows, seq, head_dim, ld, scaling, p, c, context_ld);
      continue;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t.rows, seq, head_dim, scaling, q, ld, a.k + col, ld, 0.0f,
                p, seq);
    softmax_rows(p, t.rows, seq);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t.rows, head_dim, seq, 1.0f, p, seq, a.v + col, ld, 0.0f,
                c, context_ld);
  }
}

}  // namespace

void multi_head_attention(std::span<const AttentionSequence> batch, int heads, int head_dim, int ld, float scaling,
                          int context_ld) {
  blas_single_thread();
  // Work in blocks of query rows whose scores (rows x seq floats, <= 128 kB) stay in L2 from the
  // score product through softmax to the context product: each probability is written to memory
  // once, instead of a head's whole seq x seq matrix (1 MB at 512 tokens) going out to L3 or DRAM
  // and back between steps. Rows are independent, so the results equal whole-head products.
  constexpr int kBlockFloats = 32 * 1024;
  std::vector<Task> tasks;
  for (size_t s = 0; s < batch.size(); ++s) {
    const int seq = batch[s].seq;
    if (seq <= 0) continue;
    // A short sequence is one task, all heads: its q, k and v rows (3 x hidden floats each, far
    // apart) come into cache once rather than once per head.
    if (seq < kDirectBelow) {
      tasks.push_back({static_cast<int>(s), 0, heads, 0, seq});
      continue;
    }
    const int block = std::clamp(kBlockFloats / seq, 8, seq);
    for (int h = 0; h < heads; ++h)
      for (int i0 = 0; i0 < seq; i0 += block)
        tasks.push_back({static_cast<int>(s), h, h + 1, i0, std::min(block, seq - i0)});
  }
  // Longest first: the threads, taking tasks in turn, then finish together (sentences of a batch
  // differ in length ten times over, in work a hundred times).
  std::stable_sort(tasks.begin(), tasks.end(), [&](const Task& x, const Task& y) {
    return x.cost() * batch[static_cast<size_t>(x.s)].seq > y.cost() * batch[static_cast<size_t>(y.s)].seq;
  });
  parallel_for(static_cast<int>(tasks.size()), [&](int i) {
    const Task& t = tasks[static_cast<size_t>(i)];
    run_task(batch[static_cast<size_t>(t.s)], t, head_dim, ld, scaling, context_ld);
  });
}

void multi_head_attention(const float* q, const float* k, const float* v, int seq, int heads, int head_dim, int ld,
                          float scaling, float* probs, float* context, int context_ld) {
  const AttentionSequence one{q, k, v, seq, probs, context};
  multi_head_attention(std::span<const AttentionSequence>(&one, 1), heads, head_dim, ld, scaling, context_ld);
}

void multi_head_attention_naive(const float* q, const float* k, const float* v, int seq, int heads, int head_dim,
                                int ld, float scaling, float* probs, float* context, int context_ld) {
  for (int h = 0; h < heads; ++h) {
    float* p = probs + static_cast<size_t>(h) * seq * seq;
    for (int i = 0; i < seq; ++i)
      for (int j = 0; j < seq; ++j) {
        double s = 0.0;
        for (int e = 0; e < head_dim; ++e)
          s += static_cast<double>(q[static_cast<size_t>(i) * ld + h * head_dim + e]) * k[static_cast<size_t>(j) * ld + h * head_dim + e];
        p[static_cast<size_t>(i) * seq + j] = static_cast<float>(s) * scaling;
      }
    softmax_rows_naive(p, seq, seq);
    for (int i = 0; i < seq; ++i)
      for (int e = 0; e < head_dim; ++e) {
        double acc = 0.0;
        for (int j = 0; j < seq; ++j)
          acc += static_cast<double>(p[static_cast<size_t>(i) * seq + j]) * v[static_cast<size_t>(j) * ld + h * head_dim + e];
        context[static_cast<size_t>(i) * context_ld + h * head_dim + e] = static_cast<float>(acc);
      }
  }
}

}  // namespace attnlab
