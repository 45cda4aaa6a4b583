// The reference forward pass (see bert_reference.h), following transformers' modeling_bert.py
// step by step: one plain function per layer, each op a scalar twin from ops/.
#include "model/bert_reference.h"

#include <cmath>
#include <string>

#include "attnlab/error.h"
#include "ops/attention.h"
#include "ops/linear.h"
#include "ops/norm_act.h"
#include "ops/vec_math.h"

namespace attnlab {

namespace {

using Floats = std::vector<float>;

const float* fp32(const Tensor& t, const char* what) {
  if (!t.data)
    throw Error(std::string("bert_forward_reference: no fp32 copy of ") + what +
                " (the checkpoint stores it in F16/BF16 and the loader keeps only the packed weights)");
  return t.data;
}

// x: [seq, in] -> [seq, out] = x W^T + b   (nn.Linear)
Floats dense(const Floats& x, int seq, int in, const Tensor& w, const Tensor& b, int out, const char* what) {
  Floats y(static_cast<size_t>(seq) * out);
  linear_naive(x.data(), seq, in, fp32(w, what), fp32(b, what), out, y.data());
  return y;
}

// x: [seq, hidden] -> LayerNorm(x + residual), the sum rounded to float first as torch's add
void add_layer_norm(Floats& x, const Floats& residual, int seq, int hidden, const Tensor& w, const Tensor& b,
                    float eps) {
  for (size_t i = 0; i < x.size(); ++i) x[i] = x[i] + residual[i];
  layer_norm_rows_naive(x.data(), seq, hidden, fp32(w, "LayerNorm weight"), fp32(b, "LayerNorm bias"), eps);
}

// ids: [seq] -> [seq, hidden] = LayerNorm((word[id] + type[tt]) + position[t])
Floats embed(const TransformerModel& m, std::span<const int> ids, std::span<const int> types) {
  const int h = m.spec.hidden, seq = static_cast<int>(ids.size());
  const ModelWeights& w = m.weights;
  const float *word = fp32(w.embed, "word embeddings"), *type = fp32(w.types, "token type embeddings"),
              *pos = fp32(w.positions, "position embeddings");
  Floats x(static_cast<size_t>(seq) * h);
  for (int t = 0; t < seq; ++t)
    for (int i = 0; i < h; ++i)
      x[static_cast<size_t>(t) * h + i] = (word[static_cast<size_t>(ids[t]) * h + i] +
                                           type[static_cast<size_t>(types[t]) * h + i]) +
                                          pos[static_cast<size_t>(t) * h + i];
  layer_norm_rows_naive(x.data(), seq, h, fp32(w.embed_norm_w, "embeddings LayerNorm"), fp32(w.embed_norm_b, "embeddings LayerNorm"),
                        static_cast<float>(m.spec.norm_eps));
  return x;
}

// x: [seq, hidden] -> [seq, hidden] in place; probs out: [heads, seq, seq]
void encoder_layer(const ModelSpec& c, const LayerWeights& L, Floats& x, int seq, float* probs) {
  const int h = c.hidden, heads = c.heads, d = c.head_dim;
  const float eps = static_cast<float>(c.norm_eps);
  // Self-attention: softmax(q k^T * head_dim^-0.5) v per head (HF multiplies by a float32 scaling).
  const Floats q = dense(x, seq, h, L.wq, L.bq, h, "query");
  const Floats k = dense(x, seq, h, L.wk, L.bk, h, "key");
  const Floats v = dense(x, seq, h, L.wv, L.bv, h, "value");
  const float scaling = static_cast<float>(std::pow(static_cast<double>(d), -0.5));
  Floats context(static_cast<size_t>(seq) * h);
  multi_head_attention_naive(q.data(), k.data(), v.data(), seq, heads, d, /*ld=*/h, scaling, probs, context.data(),
                             /*context_ld=*/h);
  // BertSelfOutput: LayerNorm(dense(context) + x)
  Floats attn = dense(context, seq, h, L.wo, L.bo, h, "attention output");
  add_layer_norm(attn, x, seq, h, L.attn_norm_w, L.attn_norm_b, eps);
  x.swap(attn);
  // BertIntermediate + BertOutput: LayerNorm(dense(gelu(dense(x))) + x)
  Floats mid = dense(x, seq, h, L.w_up, L.b_up, c.intermediate, "intermediate");
  for (float& f : mid) f = gelu_scalar(f);
  Floats out = dense(mid, seq, c.intermediate, L.w_down, L.b_down, h, "output");
  add_layer_norm(out, x, seq, h, L.ffn_norm_w, L.ffn_norm_b, eps);
  x.swap(out);
}

}  // namespace

BertReferenceOutput bert_forward_reference(const TransformerModel& m, std::span<const int> ids, std::span<const int> types) {
  const ModelSpec& c = m.spec;
  const int seq = static_cast<int>(ids.size()), h = c.hidden;
  bool ok = seq > 0 && types.size() == ids.size() && seq <= c.max_positions;
  for (int t = 0; ok && t < seq; ++t)
    ok = ids[t] >= 0 && ids[t] < c.vocab_size && types[t] >= 0 && types[t] < c.type_vocab;
  if (!ok)
    throw Error("bert_forward_reference: input of " + std::to_string(seq) +
                    " tokens is empty, too long, or has ids outside the vocabulary (bert_forward says which)",
                kExitInput);
  BertReferenceOutput out;
  out.seq_len = seq;
  out.num_layers = c.layers;
  out.num_heads = c.heads;
  out.hidden = h;
  out.attentions.resize(static_cast<size_t>(c.layers) * c.heads * seq * seq);
  Floats x = embed(m, ids, types);
  out.hidden_states = x;
  for (int l = 0; l < c.layers; ++l) {
    encoder_layer(c, m.weights.layers[static_cast<size_t>(l)], x, seq,
                  out.attentions.data() + static_cast<size_t>(l) * c.heads * seq * seq);
    out.hidden_states.insert(out.hidden_states.end(), x.begin(), x.end());
  }
  out.last_hidden_state = x;
  if (m.weights.has_pooler) {  // BertPooler: tanh(dense(first token))
    const Floats first(x.begin(), x.begin() + h);
    out.pooler_output = dense(first, 1, h, m.weights.pooler_w, m.weights.pooler_b, h, "pooler");
    for (float& f : out.pooler_output) f = std::tanh(f);
  }
  return out;
}

}  // namespace attnlab
