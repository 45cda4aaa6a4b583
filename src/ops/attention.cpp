// Multi-head attention (see attention.h): one sgemm for the scores and one for the context per
// head, heads spread over the thread pool.
#include "ops/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/linear.h"
#include "ops/softmax.h"
#include "ops/thread_pool.h"

namespace attnlab {

void multi_head_attention(const float* q, const float* k, const float* v, int seq, int heads, int head_dim, int ld,
                          float scaling, float* probs, float* context, int context_ld) {
  blas_single_thread();
  // Work in blocks of query rows whose scores (rows x seq floats, <= 128 kB) stay in L2 from the
  // score product through softmax to the context product: each probability is written to memory
  // once, instead of a head's whole seq x seq matrix (1 MB at 512 tokens) going out to L3 or DRAM
  // and back between steps. Rows are independent, so the results equal whole-head products.
  constexpr int kBlockFloats = 32 * 1024;
  const int block = std::clamp(kBlockFloats / seq, 8, seq);
  const int blocks = (seq + block - 1) / block;
  parallel_for(heads * blocks, [&](int t) {
    const int h = t / blocks, i0 = t % blocks * block, rows = std::min(block, seq - i0);
    float* p = probs + (static_cast<size_t>(h) * seq + i0) * seq;
    const size_t col = static_cast<size_t>(h) * head_dim;
    // HF: matmul(query, key^T) * scaling, softmax, matmul(probs, value). alpha = scaling rounds
    // each float dot product times scaling once, exactly as the separate multiply does.
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, seq, head_dim, scaling, q + static_cast<size_t>(i0) * ld + col,
                ld, k + col, ld, 0.0f, p, seq);
    softmax_rows(p, rows, seq);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, head_dim, seq, 1.0f, p, seq, v + col, ld, 0.0f,
                context + static_cast<size_t>(i0) * context_ld + col, context_ld);
  });
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
