// BERT forward pass, one plain function per layer (see bert.h). Follows transformers'
// modeling_bert.py (BertEmbeddings, BertSelfAttention + eager_attention_forward, BertSelfOutput,
// BertIntermediate, BertOutput, BertPooler).
#include "model/bert.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "ops/attention.h"
#include "ops/linear.h"
#include "ops/norm_act.h"
#include "ops/vec_math.h"

namespace attnlab {

BertModel load_bert_model(const std::filesystem::path& dir) {
  BertModel m;
  m.dir = dir;
  m.config = read_bert_config(dir / "config.json");
  const auto st = dir / "model.safetensors";
  if (!std::filesystem::exists(st)) {
    std::string hint;
    if (std::filesystem::exists(dir / "pytorch_model.bin"))
      hint = " (this directory has only pytorch_model.bin; convert it with transformers: "
             "AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True))";
    throw Error(st.string() + ": missing model weights" + hint, kExitInput);
  }
  m.checkpoint = std::make_unique<SafetensorsFile>(st);
  load_weights(*m.checkpoint, m.config, m.weights);
  return m;
}

namespace {

// ids: [seq] -> x: [seq, hidden] = LayerNorm(word[id] + type[tt] + position[t])
void embed(const BertModel& m, std::span<const int> ids, std::span<const int> types, float* x) {
  const BertConfig& c = m.config;
  const BertWeights& w = m.weights;
  const int seq = static_cast<int>(ids.size()), h = c.hidden_size;
  for (int t = 0; t < seq; ++t) {
    const float* word = w.word_emb.data + static_cast<size_t>(ids[t]) * h;
    const float* type = w.type_emb.data + static_cast<size_t>(types[t]) * h;
    const float* pos = w.pos_emb.data + static_cast<size_t>(t) * h;
    float* out = x + static_cast<size_t>(t) * h;
    // HF order: (inputs_embeds + token_type_embeddings) + position_embeddings.
    for (int i = 0; i < h; ++i) out[i] = (word[i] + type[i]) + pos[i];
  }
  layer_norm_rows(x, seq, h, w.emb_ln_w.data, w.emb_ln_b.data, static_cast<float>(c.layer_norm_eps));
}

// x: [seq, hidden] -> context: [seq, hidden]; probs out: [heads, seq, seq]
void self_attention(const BertConfig& c, const LayerWeights& L, const float* x, int seq, float* context,
                    float* probs) {
  const int h = c.hidden_size;
  std::vector<float> q(static_cast<size_t>(seq) * h), k(q.size()), v(q.size());
  linear(x, seq, h, L.query_w.data, L.query_b.data, h, q.data());
  linear(x, seq, h, L.key_w.data, L.key_b.data, h, k.data());
  linear(x, seq, h, L.value_w.data, L.value_b.data, h, v.data());
  // HF multiplies the scores by scaling = head_dim ** -0.5 (a Python float, applied in float32).
  const float scaling = static_cast<float>(std::pow(static_cast<double>(c.head_dim()), -0.5));
  multi_head_attention(q.data(), k.data(), v.data(), seq, c.num_attention_heads, c.head_dim(), h, scaling, probs,
                       context);
}

// x: [seq, hidden] -> [seq, hidden], in place: LayerNorm(x + W2 gelu(W1 x + b1) + b2)
void feed_forward(const BertConfig& c, const LayerWeights& L, float* x, int seq) {
  const int h = c.hidden_size, inter = c.intermediate_size;
  std::vector<float> mid(static_cast<size_t>(seq) * inter), out(static_cast<size_t>(seq) * h);
  linear(x, seq, h, L.inter_w.data, L.inter_b.data, inter, mid.data());
  gelu_erf_fast(mid.data(), static_cast<long>(mid.size()));
  linear(mid.data(), seq, inter, L.out_w.data, L.out_b.data, h, out.data());
  for (size_t i = 0; i < out.size(); ++i) x[i] = out[i] + x[i];
  layer_norm_rows(x, seq, h, L.out_ln_w.data, L.out_ln_b.data, static_cast<float>(c.layer_norm_eps));
}

// x: [seq, hidden] -> [seq, hidden], in place; probs out: [heads, seq, seq]
void encoder_layer(const BertConfig& c, const LayerWeights& L, float* x, int seq, float* probs) {
  const int h = c.hidden_size;
  std::vector<float> context(static_cast<size_t>(seq) * h), attn(context.size());
  self_attention(c, L, x, seq, context.data(), probs);
  linear(context.data(), seq, h, L.attn_out_w.data, L.attn_out_b.data, h, attn.data());
  for (size_t i = 0; i < attn.size(); ++i) x[i] = attn[i] + x[i];
  layer_norm_rows(x, seq, h, L.attn_ln_w.data, L.attn_ln_b.data, static_cast<float>(c.layer_norm_eps));
  feed_forward(c, L, x, seq);
}

// first token's hidden state [hidden] -> tanh(W h + b) [hidden]
void pool(const BertModel& m, const float* first, float* out) {
  const int h = m.config.hidden_size;
  linear(first, 1, h, m.weights.pooler_w.data, m.weights.pooler_b.data, h, out);
  tanh_inplace(out, h);
}

}  // namespace

BertOutput bert_forward(const BertModel& m, std::span<const int> ids, std::span<const int> types) {
  const BertConfig& c = m.config;
  const int seq = static_cast<int>(ids.size());
  if (seq == 0) throw Error("empty input: at least one token is needed", kExitInput);
  if (types.size() != ids.size())
    throw Error("token_type_ids has " + std::to_string(types.size()) + " entries, input_ids has " +
                    std::to_string(ids.size()),
                kExitInput);
  if (seq > c.max_position_embeddings)
    throw Error("input has " + std::to_string(seq) + " tokens, the model accepts at most " +
                    std::to_string(c.max_position_embeddings) + " (max_position_embeddings)",
                kExitInput);
  for (int t = 0; t < seq; ++t) {
    if (ids[t] < 0 || ids[t] >= c.vocab_size)
      throw Error("token id " + std::to_string(ids[t]) + " at position " + std::to_string(t) +
                      " is outside the vocabulary (vocab_size " + std::to_string(c.vocab_size) + ")",
                  kExitInput);
    if (types[t] < 0 || types[t] >= c.type_vocab_size)
      throw Error("token type id " + std::to_string(types[t]) + " at position " + std::to_string(t) +
                      " is outside [0, " + std::to_string(c.type_vocab_size) + ")",
                  kExitInput);
  }

  BertOutput out;
  out.seq_len = seq;
  out.num_layers = c.num_hidden_layers;
  out.num_heads = c.num_attention_heads;
  out.hidden = c.hidden_size;
  const size_t per_layer = static_cast<size_t>(c.num_attention_heads) * seq * seq;
  out.attentions.resize(per_layer * c.num_hidden_layers);
  out.last_hidden_state.resize(static_cast<size_t>(seq) * c.hidden_size);
  float* x = out.last_hidden_state.data();
  embed(m, ids, types, x);
  for (int l = 0; l < c.num_hidden_layers; ++l)
    encoder_layer(c, m.weights.layers[l], x, seq, out.attentions.data() + per_layer * l);
  if (m.weights.has_pooler) {
    out.pooler_output.resize(c.hidden_size);
    pool(m, x, out.pooler_output.data());
  }
  return out;
}

}  // namespace attnlab
