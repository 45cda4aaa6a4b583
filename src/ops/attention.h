// Multi-head scaled dot-product attention on packed [seq, heads * head_dim] rows, writing the
// probabilities out as a first-class result. Knows nothing of BERT.
#pragma once

#include <span>

namespace attnlab {

// q, k, v: [seq, ld] with head h in columns [h * head_dim, (h + 1) * head_dim).
// probs out: [heads, seq, seq] = softmax((q_h k_h^T) * scaling) row-wise;
// context out: [seq, context_ld], head h's columns = probs_h v_h.
void multi_head_attention(const float* q, const float* k, const float* v, int seq, int heads, int head_dim, int ld,
                          float scaling, float* probs, float* context, int context_ld);

// Several sequences at once (a packed batch) in one pass over the thread pool, not one each: a
// short sequence is one task (all heads), a longer one a task per head and block of query rows.
struct AttentionSequence {
  const float *q, *k, *v;  // [seq, ld] each, as above
  int seq;
  float* probs;    // [heads, seq, seq]
  float* context;  // [seq, context_ld]
};
void multi_head_attention(std::span<const AttentionSequence> batch, int heads, int head_dim, int ld, float scaling,
                          int context_ld);

// The scalar twin: plain loops, double accumulation.
void multi_head_attention_naive(const float* q, const float* k, const float* v, int seq, int heads, int head_dim,
                                int ld, float scaling, float* probs, float* context, int context_ld);

}  // namespace attnlab
