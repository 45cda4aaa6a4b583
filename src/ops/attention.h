// Multi-head scaled dot-product attention on packed [seq, heads * head_dim] rows, writing the
// probabilities out as a first-class result: bidirectional or causal, with grouped key/value heads
// and an optional sliding window. Knows nothing of any model family.
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
  const float *q, *k, *v;  // [seq, ld] each, as above (k, v: kv_heads heads)
  int seq;
  float* probs;    // [heads, seq, seq]; with a row range, [heads, row1 - row0, seq]
  float* context;  // [seq, context_ld]
  // Only query rows [row0, row1) (row1 0: every row): their probabilities and context rows, the
  // same bits as in a whole pass. A long sequence goes through in blocks of rows, so only one
  // block of probabilities is ever held.
  int row0 = 0, row1 = 0;
  int rows_end() const { return row1 > 0 ? row1 : seq; }
};
void multi_head_attention(std::span<const AttentionSequence> batch, int heads, int head_dim, int ld, float scaling,
                          int context_ld);

// What every sequence of a batch shares. Query head h reads key/value head h / (heads / kv_heads), as
// transformers' repeat_kv. causal: query i sees keys [0, i]; with window > 0 only (i - window, i]
// (transformers' sliding-window mask). Keys a query does not see get probability exactly 0 and no
// work: scores are computed only over each block of query rows' visible span.
struct AttentionShape {
  int heads = 0, kv_heads = 0, head_dim = 0;
  int ld = 0;          // row stride of q, k and v
  float scaling = 1.0f;
  int context_ld = 0;  // row stride of context
  bool causal = false;
  int window = 0;      // 0: none
};
void multi_head_attention(std::span<const AttentionSequence> batch, const AttentionShape& shape);

// The scalar twin: plain loops, double accumulation.
void multi_head_attention_naive(const float* q, const float* k, const float* v, int seq, int heads, int head_dim,
                                int ld, float scaling, float* probs, float* context, int context_ld);
void multi_head_attention_naive(const AttentionSequence& sequence, const AttentionShape& shape);

}  // namespace attnlab
