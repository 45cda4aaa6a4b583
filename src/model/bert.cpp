// BERT forward pass, one plain function per layer (see bert.h). Follows transformers'
// modeling_bert.py (BertEmbeddings, BertSelfAttention + eager_attention_forward, BertSelfOutput,
// BertIntermediate, BertOutput, BertPooler).
#include "model/bert.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "attnlab/error.h"
#include "ops/attention.h"
#include "ops/packed_linear.h"
#include "ops/norm_act.h"
#include "ops/vec_math.h"

namespace attnlab {

BertModel load_bert_model(const std::filesystem::path& dir, const LoadOptions& options) {
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
  pack_weights(*m.checkpoint, m.config, m.weights, options.bf16_weights);
  m.checkpoint->throw_if_changed();  // truncated while we read it
  return m;
}

namespace {

// A batch is packed: the rows of every sequence follow each other with no padding, so the linear
// layers read each weight once for the whole batch and no work is spent on padding; attention
// runs per sequence.
struct Packed {
  std::vector<int> offset;  // first row of each sequence; offset.back() = total rows
  int rows() const { return offset.back(); }
  int len(size_t s) const { return offset[s + 1] - offset[s]; }
  size_t count() const { return offset.size() - 1; }
};

// ids: [rows] -> x: [rows, hidden] = LayerNorm(word[id] + type[tt] + position[t]); positions restart per sequence
void embed(const BertModel& m, const Packed& p, std::span<const int> ids, std::span<const int> types, float* x) {
  const BertConfig& c = m.config;
  const BertWeights& w = m.weights;
  const int h = c.hidden_size;
  for (size_t s = 0; s < p.count(); ++s) {
    for (int t = 0; t < p.len(s); ++t) {
      const int row = p.offset[s] + t;
      const float* word = w.word_emb.data + static_cast<size_t>(ids[row]) * h;
      const float* type = w.type_emb.data + static_cast<size_t>(types[row]) * h;
      const float* pos = w.pos_emb.data + static_cast<size_t>(t) * h;
      float* out = x + static_cast<size_t>(row) * h;
      // HF order: (inputs_embeds + token_type_embeddings) + position_embeddings.
      for (int i = 0; i < h; ++i) out[i] = (word[i] + type[i]) + pos[i];
    }
  }
  layer_norm_rows(x, p.rows(), h, w.emb_ln_w.data, w.emb_ln_b.data, static_cast<float>(c.layer_norm_eps));
}

// Activations reused by every layer of a forward pass, and kept per thread between passes (a few
// MB for bert-base; see release_if_large): fresh pages for each call would cost a page fault and a
// page clear per 4 kB. Every buffer is written in full before it is read.
struct Workspace {
  FloatBuffer qkv;      // [rows, 3 hidden]
  FloatBuffer context;  // [rows, hidden]
  FloatBuffer proj;     // [rows, hidden]
  FloatBuffer mid;      // [rows, intermediate]
  void resize(const BertConfig& c, int rows) {
    qkv.resize(static_cast<size_t>(rows) * 3 * c.hidden_size);
    context.resize(static_cast<size_t>(rows) * c.hidden_size);
    proj.resize(context.size());
    mid.resize(static_cast<size_t>(rows) * c.intermediate_size);
  }
  void trim() { release_if_large({&qkv, &context, &proj, &mid}); }
};

// x: [rows, hidden] -> context: [rows, hidden]; probs out: per sequence [heads, len, len].
// zero_value_rows: rows whose value vectors (bias included) are set to 0 in every head before
// attention, as ValueZeroing's BertSelfAttention does (value zeroing; empty in a forward pass).
void self_attention(const BertConfig& c, const LayerWeights& L, const Packed& p, const float* x, float* context,
                    const std::vector<float*>& probs, Workspace& ws, std::span<const int> zero_value_rows) {
  const int h = c.hidden_size, rows = p.rows();
  // One packed layer computes [query | key | value] per row: qkv: [rows, 3 hidden].
  FloatBuffer& qkv = ws.qkv;
  linear_packed(x, rows, L.qkv_p, L.qkv_b.data(), qkv.data());
  for (int row : zero_value_rows) std::fill_n(qkv.data() + static_cast<size_t>(row) * 3 * h + 2 * h, h, 0.0f);
  // HF multiplies the scores by scaling = head_dim ** -0.5 (a Python float, applied in float32).
  const float scaling = static_cast<float>(std::pow(static_cast<double>(c.head_dim()), -0.5));
  std::vector<AttentionSequence> batch(p.count());
  for (size_t s = 0; s < p.count(); ++s) {
    const float* base = qkv.data() + static_cast<size_t>(p.offset[s]) * 3 * h;
    batch[s] = {base, base + h, base + 2 * h, p.len(s), probs[s], context + static_cast<size_t>(p.offset[s]) * h};
  }
  multi_head_attention(batch, c.num_attention_heads, c.head_dim(), 3 * h, scaling, h);
}

// x: [rows, hidden] -> [rows, hidden], in place: LayerNorm(x + W2 gelu(W1 x + b1) + b2)
void feed_forward(const BertConfig& c, const LayerWeights& L, float* x, int rows, Workspace& ws) {
  const int h = c.hidden_size;
  FloatBuffer &mid = ws.mid, &out = ws.proj;
  linear_packed(x, rows, L.inter_p, L.inter_b.data, mid.data(), Activation::kGelu);
  linear_packed(mid.data(), rows, L.out_p, L.out_b.data, out.data());
  add_layer_norm_rows(x, out.data(), rows, h, L.out_ln_w.data, L.out_ln_b.data, static_cast<float>(c.layer_norm_eps));
}

// x: [rows, hidden] -> [rows, hidden], in place; probs out: per sequence [heads, len, len]
void encoder_layer(const BertConfig& c, const LayerWeights& L, const Packed& p, float* x,
                   const std::vector<float*>& probs, Workspace& ws, std::span<const int> zero_value_rows = {}) {
  const int h = c.hidden_size, rows = p.rows();
  FloatBuffer &context = ws.context, &attn = ws.proj;
  self_attention(c, L, p, x, context.data(), probs, ws, zero_value_rows);
  linear_packed(context.data(), rows, L.attn_out_p, L.attn_out_b.data, attn.data());
  add_layer_norm_rows(x, attn.data(), rows, h, L.attn_ln_w.data, L.attn_ln_b.data,
                      static_cast<float>(c.layer_norm_eps));
  feed_forward(c, L, x, rows, ws);
}

// first tokens' hidden states [n, hidden] -> tanh(W h + b) [n, hidden]: one pass over the weight
// for the whole batch
void pool(const BertModel& m, const float* first, int n, float* out) {
  const int h = m.config.hidden_size;
  linear_packed(first, n, m.weights.pooler_p, m.weights.pooler_b.data, out);
  tanh_inplace(out, static_cast<long>(n) * h);
}

void check_input(const BertConfig& c, std::span<const int> ids, std::span<const int> types) {
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
}

}  // namespace

// The attention probabilities a batch returns ([layer][head][seq][seq] floats per sequence). Real
// BERTs need at most a few hundred MB; only a hostile config (max_position_embeddings in the
// hundreds of thousands) comes near this, and it should fail here, not in an allocation.
constexpr double kMaxAttentionBytes = 8.0 * (uint64_t{1} << 30);

// Copies what the pass returns per layer beyond attention: x [rows, hidden] into hidden_states[slot],
// and the layer's packed [q | k | v] rows into query / key / value [layer][head][seq][head_dim].
void keep_layer_extras(const BertConfig& c, const Packed& p, const ForwardOptions& options, int slot,
                       const float* x, const float* qkv, std::vector<BertOutput>& outs) {
  const int h = c.hidden_size, heads = c.num_attention_heads, dh = c.head_dim();
  for (size_t s = 0; s < outs.size(); ++s) {
    const size_t len = static_cast<size_t>(p.len(s));
    const size_t first = static_cast<size_t>(p.offset[s]);
    if (options.hidden_states)
      std::copy_n(x + first * h, len * h, outs[s].hidden_states.data() + static_cast<size_t>(slot) * len * h);
    if (!options.qkv || slot == 0) continue;
    const int layer = slot - 1;
    std::vector<float>* parts[3] = {&outs[s].query, &outs[s].key, &outs[s].value};
    for (int part = 0; part < 3; ++part)
      for (int head = 0; head < heads; ++head) {
        float* dst = parts[part]->data() + ((static_cast<size_t>(layer) * heads + head) * len) * dh;
        for (size_t t = 0; t < len; ++t)
          std::copy_n(qkv + (first + t) * 3 * h + static_cast<size_t>(part) * h + static_cast<size_t>(head) * dh,
                      dh, dst + t * dh);
      }
  }
}

std::vector<BertOutput> bert_forward_batch(const BertModel& m, const std::vector<BertInput>& batch,
                                           const ForwardOptions& options) {
  const BertConfig& c = m.config;
  Packed p;
  p.offset.push_back(0);
  std::vector<int> ids, types;
  double attention_bytes = 0;
  for (const BertInput& in : batch) {
    check_input(c, in.input_ids, in.token_type_ids);
    const double seq = static_cast<double>(in.input_ids.size());
    attention_bytes += 4.0 * (options.keep_attentions ? c.num_hidden_layers : 1) * c.num_attention_heads * seq * seq;
    if (attention_bytes > kMaxAttentionBytes)
      throw Error("input of " + std::to_string(in.input_ids.size()) + " tokens would need " +
                      std::to_string(static_cast<long long>(attention_bytes / (1 << 30))) +
                      " GiB for the attention probabilities of " + std::to_string(c.num_hidden_layers) +
                      " layers x " + std::to_string(c.num_attention_heads) + " heads; the limit is 8 GiB",
                  kExitInput);
    ids.insert(ids.end(), in.input_ids.begin(), in.input_ids.end());
    types.insert(types.end(), in.token_type_ids.begin(), in.token_type_ids.end());
    p.offset.push_back(static_cast<int>(ids.size()));
  }
  std::vector<BertOutput> outs(batch.size());
  if (batch.empty()) return outs;
  const int h = c.hidden_size;
  for (size_t s = 0; s < outs.size(); ++s) {
    BertOutput& o = outs[s];
    o.seq_len = p.len(s);
    o.num_layers = c.num_hidden_layers;
    o.num_heads = c.num_attention_heads;
    o.hidden = h;
    const size_t block = static_cast<size_t>(c.num_attention_heads) * o.seq_len * o.seq_len;
    o.attentions.resize(options.keep_attentions ? block * c.num_hidden_layers : block);
    if (options.hidden_states) o.hidden_states.resize(static_cast<size_t>(c.num_hidden_layers + 1) * o.seq_len * h);
    if (options.qkv)
      for (auto* v : {&o.query, &o.key, &o.value}) v->resize(static_cast<size_t>(c.num_hidden_layers) * o.seq_len * h);
  }
  FloatBuffer x(static_cast<size_t>(p.rows()) * h);
  embed(m, p, ids, types, x.data());
  std::vector<float*> probs(outs.size());
  std::vector<const float*> hidden(outs.size());
  for (size_t s = 0; s < outs.size(); ++s) hidden[s] = x.data() + static_cast<size_t>(p.offset[s]) * h;
  thread_local Workspace ws;
  ws.resize(c, p.rows());
  struct Trim {
    Workspace& ws;
    ~Trim() { ws.trim(); }  // also when a layer throws (bad_alloc)
  } trim{ws};
  const bool extras = options.hidden_states || options.qkv;
  if (extras) keep_layer_extras(c, p, options, 0, x.data(), nullptr, outs);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const size_t layer = options.keep_attentions ? static_cast<size_t>(l) : 0;
    for (size_t s = 0; s < outs.size(); ++s)
      probs[s] = outs[s].attentions.data() + layer * c.num_attention_heads * p.len(s) * p.len(s);
    encoder_layer(c, m.weights.layers[l], p, x.data(), probs, ws);
    // ws.qkv still holds this layer's projections: only self_attention writes it.
    if (extras) keep_layer_extras(c, p, options, l + 1, x.data(), ws.qkv.data(), outs);
    if (options.on_layer) options.on_layer(l, probs, hidden);
  }
  if (options.last_hidden) {
    FloatBuffer firsts, pooled;
    if (m.weights.has_pooler) {
      firsts.resize(outs.size() * h);
      pooled.resize(firsts.size());
    }
    for (size_t s = 0; s < outs.size(); ++s) {
      const float* first = x.data() + static_cast<size_t>(p.offset[s]) * h;
      outs[s].last_hidden_state.assign(first, first + static_cast<size_t>(p.len(s)) * h);
      if (m.weights.has_pooler) std::copy_n(first, h, firsts.data() + s * h);
    }
    if (m.weights.has_pooler) {
      pool(m, firsts.data(), static_cast<int>(outs.size()), pooled.data());
      for (size_t s = 0; s < outs.size(); ++s)
        outs[s].pooler_output.assign(pooled.data() + s * h, pooled.data() + (s + 1) * h);
    }
  }
  // A checkpoint shortened on disk while this model maps it read zeros for the missing pages.
  if (m.checkpoint) m.checkpoint->throw_if_changed();
  return outs;
}

void encoder_layer_zeroing_values(const BertModel& m, int layer, const float* x, int seq, int first, int count,
                                  float* out) {
  const BertConfig& c = m.config;
  const size_t n = static_cast<size_t>(seq), h = static_cast<size_t>(c.hidden_size);
  const size_t block = static_cast<size_t>(c.num_attention_heads) * n * n;
  // `count` copies of the sequence, packed as a batch: copy k zeroes the values of token first + k.
  Packed p;
  std::vector<int> zero_rows(static_cast<size_t>(count));
  FloatBuffer probs_block(static_cast<size_t>(count) * block);
  std::vector<float*> probs(static_cast<size_t>(count));
  for (int k = 0; k < count; ++k) {
    p.offset.push_back(k * seq);
    zero_rows[static_cast<size_t>(k)] = k * seq + first + k;
    probs[static_cast<size_t>(k)] = probs_block.data() + static_cast<size_t>(k) * block;
    std::copy_n(x, n * h, out + static_cast<size_t>(k) * n * h);
  }
  p.offset.push_back(count * seq);
  Workspace ws;
  ws.resize(c, p.rows());
  encoder_layer(c, m.weights.layers[static_cast<size_t>(layer)], p, out, probs, ws, zero_rows);
}

BertOutput bert_forward(const BertModel& m, std::span<const int> ids, std::span<const int> types) {
  std::vector<BertInput> one(1);
  one[0].input_ids.assign(ids.begin(), ids.end());
  one[0].token_type_ids.assign(types.begin(), types.end());
  return std::move(bert_forward_batch(m, one)[0]);
}

}  // namespace attnlab
