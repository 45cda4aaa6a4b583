// Multi-head attention (see attention.h): the kernels are in ops/isa/attention.cpp, built once per
// instruction set; here the dispatch and the scalar twin.
#include "ops/attention.h"

#include "ops/isa/kernels.h"
#include "ops/softmax.h"

namespace attnlab {

void multi_head_attention(std::span<const AttentionSequence> batch, int heads, int head_dim, int ld, float scaling,
                          int context_ld) {
  kernels().multi_head_attention(batch, heads, head_dim, ld, scaling, context_ld);
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
