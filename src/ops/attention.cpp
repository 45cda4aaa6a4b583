// Multi-head attention (see attention.h): the kernels are in ops/isa/attention.cpp, built once per
// instruction set; here the dispatch and the scalar twin.
#include "ops/attention.h"

#include <algorithm>

#include "ops/isa/kernels.h"
#include "ops/softmax.h"

namespace attnlab {

void multi_head_attention(std::span<const AttentionSequence> batch, const AttentionShape& shape) {
  kernels().multi_head_attention(batch, shape);
}

void multi_head_attention(std::span<const AttentionSequence> batch, int heads, int head_dim, int ld, float scaling,
                          int context_ld) {
  multi_head_attention(batch, AttentionShape{heads, heads, head_dim, ld, scaling, context_ld, false, 0});
}

void multi_head_attention(const float* q, const float* k, const float* v, int seq, int heads, int head_dim, int ld,
                          float scaling, float* probs, float* context, int context_ld) {
  const AttentionSequence one{q, k, v, seq, probs, context};
  multi_head_attention(std::span<const AttentionSequence>(&one, 1), heads, head_dim, ld, scaling, context_ld);
}

void multi_head_attention_naive(const float* q, const float* k, const float* v, int seq, int heads, int head_dim,
                                int ld, float scaling, float* probs, float* context, int context_ld) {
  multi_head_attention_naive(AttentionSequence{q, k, v, seq, probs, context},
                             AttentionShape{heads, heads, head_dim, ld, scaling, context_ld, false, 0});
}

void multi_head_attention_naive(const AttentionSequence& a, const AttentionShape& shape) {
  const int seq = a.seq, d = shape.head_dim, ld = shape.ld, group = shape.heads / shape.kv_heads;
  const int r0 = a.row0, r1 = a.rows_end();
  for (int h = 0; h < shape.heads; ++h) {
    const size_t qc = static_cast<size_t>(h) * d, kc = static_cast<size_t>(h / group) * d;
    float* p = a.probs + (static_cast<size_t>(h) * (r1 - r0) - r0) * seq;  // row i at p + i * seq
    for (int i = r0; i < r1; ++i) {
      const int lo = shape.causal && shape.window > 0 ? std::max(0, i - shape.window + 1) : 0;
      const int hi = shape.causal ? i + 1 : seq;  // keys [lo, hi)
      float* row = p + static_cast<size_t>(i) * seq;
      std::fill(row, row + seq, 0.0f);
      for (int j = lo; j < hi; ++j) {
        double s = 0.0;
        for (int e = 0; e < d; ++e)
          s += static_cast<double>(a.q[static_cast<size_t>(i) * ld + qc + e]) * a.k[static_cast<size_t>(j) * ld + kc + e];
        row[j] = static_cast<float>(s) * shape.scaling;
      }
      softmax_rows_naive(row + lo, 1, hi - lo);
      for (int e = 0; e < d; ++e) {
        double acc = 0.0;
        for (int j = lo; j < hi; ++j) acc += static_cast<double>(row[j]) * a.v[static_cast<size_t>(j) * ld + kc + e];
        a.context[static_cast<size_t>(i) * shape.context_ld + qc + e] = static_cast<float>(acc);
      }
    }
  }
}

}  // namespace attnlab
