// The one forward pass (see transformer.h), one plain step per function. Follows transformers' eager
// path: modeling_bert.py (BertEmbeddings, BertSelfAttention + eager_attention_forward, BertSelfOutput,
// BertIntermediate, BertOutput, BertPooler) for post-LN encoders; modeling_llama.py (LlamaModel,
// LlamaDecoderLayer, LlamaAttention, LlamaMLP, LlamaRMSNorm, LlamaRotaryEmbedding), modeling_qwen3.py
// (q_norm, k_norm) and masking_utils.py (causal and sliding-window masks) for pre-LN decoders.
#include "model/transformer.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>

#include "attnlab/error.h"
#include "core/float_buffer.h"
#include "model/families.h"
#include "model/gguf_model.h"
#include "model/rope.h"
#include "ops/attention.h"
#include "ops/decoder_ops.h"
#include "ops/norm_act.h"
#include "ops/packed_linear.h"

namespace attnlab {
namespace {

// The linear weights repacked for the kernels; the checkpoint's pages of the originals go (or their
// converted copies), so memory holds one copy of each weight. bf16: rounded to bfloat16.
void pack(TransformerModel& m, bool bf16) {
  const ModelSpec& s = m.spec;
  ModelWeights& w = m.weights;
  const int h = s.hidden, inter = s.intermediate;
  const auto release = [&](Tensor& t) {
    if (!t.data) return;
    if (t.owned.empty()) {  // zero copy: the map's pages can go (read again from the file if touched)
      for (const auto& f : m.checkpoints)
        if (f->contains(t.data)) f->release(t.data, t.bytes());
    } else {  // a converted copy: freed, the packed copy replaces it
      std::vector<float>().swap(t.owned);
      t.data = nullptr;
    }
  };
  const auto prefetch = [&](const Tensor& t) {
    if (t.data && t.owned.empty())
      for (const auto& f : m.checkpoints)
        if (f->contains(t.data)) f->prefetch(t.data, t.bytes());
  };
  const auto concat = [](std::initializer_list<std::pair<const Tensor*, int>> parts) {
    std::vector<float> out;
    for (auto [t, n] : parts) out.insert(out.end(), t->data, t->data + n);
    return out;
  };
  // Stacked weights: quantized panels when every part is a GGUF matrix of one integer form (and
  // bf16 is off), else float32 (bf16) panels of the parts, dequantized first where they are quantized.
  const auto stack = [&](std::initializer_list<std::pair<Tensor*, int>> parts, int in) {
    QuantForm form{}, first{};
    bool quantized = !bf16;
    for (auto [t, rows] : parts) {
      if (!t->quantized() || !quant_form(t->quant.type, &form)) quantized = false;
      else if (t == parts.begin()->first) first = form;
      else if (form.group != first.group || form.offsets != first.offsets || form.nibbles != first.nibbles) quantized = false;
    }
    if (quantized) {
      std::vector<QuantRows> blocks;
      for (auto [t, rows] : parts) {
        const Tensor* src = t;
        blocks.push_back({rows, [src, in](int r, int8_t* q, float* sc, float* off) {
                            decode_quant_row(src->quant.type, src->quant.row(r), in, q, sc, off);
                          }});
      }
      return pack_quantized(blocks, in, {first.group, first.offsets, first.nibbles});
    }
    std::vector<WeightBlock> blocks;
    for (auto [t, rows] : parts) {
      dequantize_tensor(*t);
      prefetch(*t);
      blocks.push_back({t->data, rows});
    }
    return pack_weights(blocks, in, bf16);
  };
  // A quantized tensor's file pages go once packed (the embedding keeps its blocks for lookups).
  const auto release_quant = [&](Tensor& t, bool keep) {
    if (!t.quantized() || !m.gguf || keep) return;
    const size_t rows = static_cast<size_t>(t.shape[0]);
    if (t.quant.row_of.empty()) m.gguf->release(t.quant.data, rows * t.quant.row_bytes);
    t.quant = QuantSource{};
  };
  for (LayerWeights& L : w.layers) {
    L.qkv_p = stack({{&L.wq, s.q_dim()}, {&L.wk, s.kv_dim()}, {&L.wv, s.kv_dim()}}, h);
    if (L.bq.data) L.qkv_b = concat({{&L.bq, s.q_dim()}, {&L.bk, s.kv_dim()}, {&L.bv, s.kv_dim()}});
    L.o_p = stack({{&L.wo, h}}, s.q_dim());
    if (s.gated_ffn) {
      L.up_p = stack({{&L.w_gate, inter}, {&L.w_up, inter}}, h);
      if (L.b_up.data) L.up_b = concat({{&L.b_gate, inter}, {&L.b_up, inter}});
    } else {
      L.up_p = stack({{&L.w_up, inter}}, h);
      if (L.b_up.data) L.up_b = concat({{&L.b_up, inter}});
    }
    L.down_p = stack({{&L.w_down, h}}, inter);
    for (Tensor* t : {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      release(*t);
      release_quant(*t, false);
    }
  }
  if (w.has_pooler) {
    w.pooler_p = stack({{&w.pooler_w, h}}, h);
    release(w.pooler_w);
  }
  if (s.lm_head) {
    w.lm_head_p = stack({{s.tied_embeddings ? &w.embed : &w.lm_head, s.vocab_size}}, h);
    release(w.lm_head);
    release_quant(w.lm_head, false);
  }
}

// Gemma's RMSNorm scales by (1.0 + weight.float()): the sum, rounded to float32 once here, is the
// weight every norm then multiplies by (the same product, so the same bits).
void offset_norm_weights(TransformerModel& m) {
  const float offset = m.spec.norm_weight_offset;
  const auto shift = [&](Tensor& t) {
    if (!t.data) return;
    const size_t n = t.bytes() / sizeof(float);
    std::vector<float> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = offset + t.data[i];
    t.owned.swap(out);  // a zero-copy tensor becomes an owned copy (norm weights are small)
    t.data = t.owned.data();
  };
  for (LayerWeights& L : m.weights.layers)
    for (Tensor* t : {&L.attn_norm_w, &L.post_attn_norm, &L.ffn_norm_w, &L.post_ffn_norm, &L.q_norm, &L.k_norm}) shift(*t);
  shift(m.weights.final_norm_w);
}

// A batch is packed: the rows of every sequence follow each other with no padding, so the linear
// layers read each weight once for the whole batch and no work is spent on padding; attention
// runs per sequence.
struct Packed {
  std::vector<int> offset;  // first row of each sequence; offset.back() = total rows
  int rows() const { return offset.back(); }
  int len(size_t s) const { return offset[s + 1] - offset[s]; }
  size_t count() const { return offset.size() - 1; }
};

// cos / sin tables per sequence length (rotary models; dynamic NTK depends on the length), and per
// layer kind when windowed layers rotate with their own base (Gemma 3's local rope).
struct RopeTables {
  using Table = std::pair<std::vector<float>, std::vector<float>>;
  std::map<int, Table> by_len, local_by_len;
  void prepare(const ModelSpec& s, const Packed& p) {
    if (s.positions != Positions::kRope) return;
    const bool local = s.local_rope_on_windowed &&
                       std::any_of(s.window.begin(), s.window.end(), [](int w) { return w > 0; });
    for (size_t i = 0; i < p.count(); ++i) {
      auto& t = by_len[p.len(i)];
      if (t.first.empty()) rope_tables(s, s.rope, p.len(i), t.first, t.second);
      if (!local) continue;
      auto& u = local_by_len[p.len(i)];
      if (u.first.empty()) rope_tables(s, s.local_rope, p.len(i), u.first, u.second);
    }
  }
  const Table& of(const ModelSpec& s, int layer, int len) const {
    return (&s.rope_of_layer(layer) == &s.local_rope ? local_by_len : by_len).at(len);
  }
};

// Activations reused by every layer of a forward pass, and kept per thread between passes (a few
// MB for bert-base; see release_if_large): fresh pages for each call would cost a page fault and a
// page clear per 4 kB. Every buffer is written in full before it is read.
struct Workspace {
  FloatBuffer qkv;      // [rows, q_dim + 2 kv_dim]
  FloatBuffer context;  // [rows, q_dim]
  FloatBuffer proj;     // [rows, hidden]
  FloatBuffer mid;      // [rows, intermediate] (gated: [rows, 2 intermediate])
  FloatBuffer gated;    // [rows, intermediate] (gated MLPs)
  FloatBuffer normed;   // [rows, hidden] (pre-LN)
  void resize(const ModelSpec& s, int rows) {
    const size_t r = static_cast<size_t>(rows);
    qkv.resize(r * (s.q_dim() + 2 * s.kv_dim()));
    context.resize(r * s.q_dim());
    proj.resize(r * s.hidden);
    mid.resize(r * s.intermediate * (s.gated_ffn ? 2 : 1));
    gated.resize(s.gated_ffn ? r * s.intermediate : 0);
    normed.resize(s.pre_norm || s.final_norm ? r * s.hidden : 0);
  }
  void trim() { release_if_large({&qkv, &context, &proj, &mid, &gated, &normed}); }
};

// x: [rows, hidden] -> out: [rows, hidden] = norm(x) with the spec's kind (out may be x). An RMSNorm
// weight already holds offset + w (load_model adds the spec's norm_weight_offset once).
void norm_rows(const ModelSpec& s, const float* x, int rows, const Tensor& w, const Tensor& b, float* out) {
  const float eps = static_cast<float>(s.norm_eps);
  if (s.norm == NormKind::kRmsNorm) {
    rms_norm_rows(x, rows, s.hidden, w.data, eps, out);
    return;
  }
  if (out != x) std::copy_n(x, static_cast<size_t>(rows) * s.hidden, out);
  layer_norm_rows(out, rows, s.hidden, w.data, b.data, eps);
}

void add_in_place(float* x, const float* add, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = x[i] + add[i];
}

// ids: [rows] -> x: [rows, hidden] = embed[id] (+ type[tt]) (+ position[t + offset]), then the
// embeddings' norm; positions restart per sequence. HF order: (inputs_embeds + token_type_embeddings)
// + position_embeddings.
void embed(const TransformerModel& m, const Packed& p, std::span<const Encoding> batch, float* x) {
  const ModelSpec& s = m.spec;
  const ModelWeights& w = m.weights;
  const size_t h = static_cast<size_t>(s.hidden);
  for (size_t q = 0; q < p.count(); ++q) {
    const Encoding& e = batch[q];
    for (int t = 0; t < p.len(q); ++t) {
      float* out = x + static_cast<size_t>(p.offset[q] + t) * h;
      const int id = e.input_ids[static_cast<size_t>(t)];
      const float* word = out;
      if (w.embed.quantized())  // a GGUF embedding keeps its blocks: this row dequantized, bit for bit
        dequantize_row(w.embed.quant.type, w.embed.quant.row(id), out, static_cast<int64_t>(h));
      else
        word = w.embed.data + static_cast<size_t>(id) * h;
      if (s.embed_scale != 0) {
        for (size_t i = 0; i < h; ++i) out[i] = word[i] * s.embed_scale;
      } else {
        if (word != out) std::copy_n(word, h, out);
      }
      if (w.types.data) {
        const float* type = w.types.data + static_cast<size_t>(e.type_id(static_cast<size_t>(t))) * h;
        for (size_t i = 0; i < h; ++i) out[i] = out[i] + type[i];
      }
      if (s.positions == Positions::kLearned) {
        const float* pos = w.positions.data + static_cast<size_t>(t + s.position_offset) * h;
        for (size_t i = 0; i < h; ++i) out[i] = out[i] + pos[i];
      }
    }
  }
  if (s.embed_norm) norm_rows(s, x, p.rows(), w.embed_norm_w, w.embed_norm_b, x);
}

// Where a layer's attention probabilities go: per sequence a whole [heads, len, len] block (probs), or,
// with rows set, blocks of query rows through one reused buffer (RunOptions::on_attention_rows).
struct ProbsOut {
  std::vector<float*> probs;                              // [heads, len, len] per sequence
  const std::function<void(const AttentionRows&)>* rows = nullptr;
  float* buffer = nullptr;                                // rows: [heads, block rows, len]
  size_t buffer_floats = 0;
};

// Query rows per block for a sequence of len tokens and `heads` heads in `floats` floats: at least one.
int rows_per_block(size_t floats, int heads, int len) {
  const size_t per_row = static_cast<size_t>(heads) * static_cast<size_t>(len);
  return static_cast<int>(std::clamp<size_t>(floats / per_row, 1, static_cast<size_t>(len)));
}

// in: [rows, hidden] -> ws.context: [rows, q_dim]; probabilities to `out`.
// zero_value_rows: rows whose value vectors (bias included) are set to 0 in every head before
// attention, as ValueZeroing's attention does (value zeroing; empty in a forward pass).
void self_attention(const TransformerModel& m, int layer, const Packed& p, const RopeTables& ropes, const float* in,
                    const ProbsOut& out, Workspace& ws, std::span<const int> zero_value_rows) {
  const ModelSpec& s = m.spec;
  const LayerWeights& L = m.weights.layers[static_cast<size_t>(layer)];
  const int q_dim = s.q_dim(), kv_dim = s.kv_dim(), ld = q_dim + 2 * kv_dim;
  // One packed layer computes [query | key | value] per row: qkv: [rows, q_dim + 2 kv_dim].
  float* qkv = ws.qkv.data();
  linear_packed(in, p.rows(), L.qkv_p, L.qkv_b.empty() ? nullptr : L.qkv_b.data(), qkv);
  for (int row : zero_value_rows) std::fill_n(qkv + static_cast<size_t>(row) * ld + q_dim + kv_dim, kv_dim, 0.0f);
  const float eps = static_cast<float>(s.norm_eps);
  if (s.qk_norm) {  // Qwen3, Gemma 3: RMSNorm over head_dim on each query and key head, before the rotation
    rms_norm_heads(qkv, p.rows(), s.heads, s.head_dim, ld, L.q_norm.data, eps);
    rms_norm_heads(qkv + q_dim, p.rows(), s.kv_heads, s.head_dim, ld, L.k_norm.data, eps);
  }
  if (s.positions == Positions::kRope)
    for (size_t q = 0; q < p.count(); ++q) {
      const auto& [cos, sin] = ropes.of(s, layer, p.len(q));
      float* base = qkv + static_cast<size_t>(p.offset[q]) * ld;
      apply_rope(base, p.len(q), s.heads, s.head_dim, ld, cos.data(), sin.data());
      apply_rope(base + q_dim, p.len(q), s.kv_heads, s.head_dim, ld, cos.data(), sin.data());
    }
  // HF multiplies the scores by scaling = head_dim ** -0.5 (a Python float, applied in float32).
  const double scale = s.attention_scale > 0 ? s.attention_scale : std::pow(static_cast<double>(s.head_dim), -0.5);
  AttentionShape shape{s.heads, s.kv_heads, s.head_dim, ld, static_cast<float>(scale), q_dim, s.causal,
                       s.window.empty() ? 0 : s.window[static_cast<size_t>(layer)]};
  std::vector<AttentionSequence> batch(p.count());
  for (size_t q = 0; q < p.count(); ++q) {
    const float* base = qkv + static_cast<size_t>(p.offset[q]) * ld;
    batch[q] = {base, base + q_dim, base + q_dim + kv_dim, p.len(q), out.rows ? out.buffer : out.probs[q],
                ws.context.data() + static_cast<size_t>(p.offset[q]) * q_dim};
  }
  if (!out.rows) {
    multi_head_attention(batch, shape);
    return;
  }
  for (size_t q = 0; q < p.count(); ++q) {
    const int len = p.len(q), block = rows_per_block(out.buffer_floats, s.heads, len);
    for (int r0 = 0; r0 < len; r0 += block) {
      AttentionSequence a = batch[q];
      a.row0 = r0;
      a.row1 = std::min(len, r0 + block);
      multi_head_attention(std::span<const AttentionSequence>(&a, 1), shape);
      const size_t rows = static_cast<size_t>(a.row1 - r0);
      (*out.rows)(AttentionRows{static_cast<int>(q), layer, r0,
                                {out.buffer, {static_cast<size_t>(s.heads), rows, static_cast<size_t>(len)}}});
    }
  }
}

// in: [rows, hidden] -> ws.proj: [rows, hidden] = down(act(gate in) * up in) with act SiLU or GELU-tanh, or
// down(gelu(up in)): the MLPs load_model admits
void feed_forward(const TransformerModel& m, const LayerWeights& L, const float* in, int rows, Workspace& ws) {
  const ModelSpec& s = m.spec;
  if (s.gated_ffn) {
    linear_packed(in, rows, L.up_p, L.up_b.empty() ? nullptr : L.up_b.data(), ws.mid.data());
    if (s.activation == FfnActivation::kGeluTanh) {
      gelu_tanh_gate(ws.mid.data(), rows, s.intermediate, ws.gated.data());
    } else {
      silu_gate(ws.mid.data(), rows, s.intermediate, ws.gated.data());
    }
    linear_packed(ws.gated.data(), rows, L.down_p, L.b_down.data, ws.proj.data());
  } else {
    linear_packed(in, rows, L.up_p, L.up_b.empty() ? nullptr : L.up_b.data(), ws.mid.data(), Activation::kGelu);
    linear_packed(ws.mid.data(), rows, L.down_p, L.b_down.data, ws.proj.data());
  }
}

// x: [rows, hidden] -> [rows, hidden], in place; probabilities to `probs`
void run_layer(const TransformerModel& m, int layer, const Packed& p, const RopeTables& ropes, float* x,
               const ProbsOut& probs, Workspace& ws, std::span<const int> zero_value_rows = {}) {
  const ModelSpec& s = m.spec;
  const LayerWeights& L = m.weights.layers[static_cast<size_t>(layer)];
  const int rows = p.rows();
  const size_t n = static_cast<size_t>(rows) * s.hidden;
  const float eps = static_cast<float>(s.norm_eps);
  if (s.pre_norm) {
    // x = x + O(attention(norm(x))); x = x + mlp(norm(x)); sandwich norms also normalise each
    // sublayer's output before its residual: x = x + norm(O(...)), x = x + norm(mlp(...))
    norm_rows(s, x, rows, L.attn_norm_w, L.attn_norm_b, ws.normed.data());
    self_attention(m, layer, p, ropes, ws.normed.data(), probs, ws, zero_value_rows);
    linear_packed(ws.context.data(), rows, L.o_p, L.bo.data, ws.proj.data());
    if (s.sandwich_norm) norm_rows(s, ws.proj.data(), rows, L.post_attn_norm, {}, ws.proj.data());
    add_in_place(x, ws.proj.data(), n);
    norm_rows(s, x, rows, L.ffn_norm_w, L.ffn_norm_b, ws.normed.data());
    feed_forward(m, L, ws.normed.data(), rows, ws);
    if (s.sandwich_norm) norm_rows(s, ws.proj.data(), rows, L.post_ffn_norm, {}, ws.proj.data());
    add_in_place(x, ws.proj.data(), n);
    return;
  }
  // x = LN(x + O(attention(x))); x = LN(x + mlp(x))
  self_attention(m, layer, p, ropes, x, probs, ws, zero_value_rows);
  linear_packed(ws.context.data(), rows, L.o_p, L.bo.data, ws.proj.data());
  add_layer_norm_rows(x, ws.proj.data(), rows, s.hidden, L.attn_norm_w.data, L.attn_norm_b.data, eps);
  feed_forward(m, L, x, rows, ws);
  add_layer_norm_rows(x, ws.proj.data(), rows, s.hidden, L.ffn_norm_w.data, L.ffn_norm_b.data, eps);
}

void check_input(const ModelSpec& s, const Encoding& e) {
  const size_t seq = e.input_ids.size();
  if (seq == 0) throw Error("empty input: at least one token is needed", kExitInput);
  if (!e.token_type_ids.empty() && e.token_type_ids.size() != seq)
    throw Error("token_type_ids has " + std::to_string(e.token_type_ids.size()) + " entries, input_ids has " +
                    std::to_string(seq),
                kExitInput);
  if (s.positions == Positions::kLearned && seq + s.position_offset > static_cast<size_t>(s.max_positions))
    throw Error("input has " + std::to_string(seq) + " tokens, the model accepts at most " +
                    std::to_string(s.max_positions - s.position_offset) + " (max_position_embeddings)",
                kExitInput);
  for (size_t t = 0; t < seq; ++t) {
    const int id = e.input_ids[t];
    if (id < 0 || id >= s.vocab_size)
      throw Error("token id " + std::to_string(id) + " at position " + std::to_string(t) +
                      " is outside the vocabulary (vocab_size " + std::to_string(s.vocab_size) + ")",
                  kExitInput);
    const int type = e.type_id(t);
    if (type != 0 && (type < 0 || type >= s.type_vocab))
      throw Error("token type id " + std::to_string(type) + " at position " + std::to_string(t) +
                      (s.type_vocab > 0 ? " is outside [0, " + std::to_string(s.type_vocab) + ")"
                                        : std::string(": this model has no token types")),
                  kExitInput);
  }
}

// The attention probabilities a batch returns ([layer][head][seq][seq] floats per sequence). Real
// models at their context need up to a few GB; only a hostile config or input comes near this, and
// it should fail here, not in an allocation.
constexpr double kMaxAttentionBytes = 8.0 * (uint64_t{1} << 30);

// Copies what the pass returns per layer beyond attention: x [rows, hidden] into hidden_states[slot],
// and the layer's packed [q | k | v] rows into query [layer][head][seq][head_dim] and key / value
// [layer][kv_head][seq][head_dim].
void keep_layer_extras(const ModelSpec& s, const Packed& p, const RunOptions& options, int slot, const float* x,
                       const float* qkv, std::vector<Result>& outs) {
  const size_t h = static_cast<size_t>(s.hidden), d = static_cast<size_t>(s.head_dim);
  const size_t ld = static_cast<size_t>(s.q_dim() + 2 * s.kv_dim());
  for (size_t q = 0; q < outs.size(); ++q) {
    const size_t len = static_cast<size_t>(p.len(q)), first = static_cast<size_t>(p.offset[q]);
    if (options.hidden_states && x)
      std::copy_n(x + first * h, len * h, outs[q].hidden_states.data() + static_cast<size_t>(slot) * len * h);
    if (!options.qkv || slot == 0 || !qkv) continue;
    const size_t layer = static_cast<size_t>(slot - 1);
    const struct {
      std::vector<float>* out;
      int heads;
      size_t column;
    } parts[3] = {{&outs[q].query, s.heads, 0},
                  {&outs[q].key, s.kv_heads, static_cast<size_t>(s.q_dim())},
                  {&outs[q].value, s.kv_heads, static_cast<size_t>(s.q_dim() + s.kv_dim())}};
    for (const auto& part : parts)
      for (int head = 0; head < part.heads; ++head) {
        float* dst = part.out->data() + ((layer * part.heads + head) * len) * d;
        for (size_t t = 0; t < len; ++t)
          std::copy_n(qkv + (first + t) * ld + part.column + static_cast<size_t>(head) * d, d, dst + t * d);
      }
  }
}

}  // namespace

TransformerModel load_model(const std::filesystem::path& dir, const LoadOptions& options) {
  TransformerModel m;
  m.dir = dir;
  std::unique_ptr<GgufFile>& gguf = m.gguf;
  if (is_gguf_file(dir)) {
    gguf = std::make_unique<GgufFile>(dir);
    m.spec = read_gguf_spec(*gguf);
  } else {
    m.spec = read_model_config(dir / "config.json");
  }
  // The MLPs feed_forward computes; a family whose spec asks for another must add it there, not get these.
  const bool gated = m.spec.gated_ffn && (m.spec.activation == FfnActivation::kSilu ||
                                          m.spec.activation == FfnActivation::kGeluTanh);
  const bool plain_gelu = !m.spec.gated_ffn && m.spec.activation == FfnActivation::kGeluErf;
  if (!gated && !plain_gelu)
    throw Error((gguf ? dir : dir / "config.json").string() + ": " + m.spec.model_type +
                    "'s MLP is neither gated (SiLU, GELU-tanh) nor a plain GELU (erf), those the forward pass computes",
                kExitInput);
  std::vector<TensorSlot> table = tensor_table(m.spec, m.weights);
  if (gguf) {
    load_gguf_tensors(*gguf, m.spec, table, !options.dequantize);
  } else {
    CheckpointFiles checkpoint = open_checkpoint(dir);
    load_tensors(checkpoint, table, [&](const std::string& name) { return checkpoint_names(m.spec, name); });
    m.checkpoints = std::move(checkpoint.files);
  }
  m.weights.has_pooler = m.spec.pooler && m.weights.pooler_w.data && m.weights.pooler_b.data;
  if (m.spec.norm_weight_offset != 0) offset_norm_weights(m);
  pack(m, options.bf16_weights);
  for (const auto& c : m.checkpoints) c->throw_if_changed();  // truncated while we read it
  if (gguf) gguf->throw_if_changed();
  return m;
}

std::vector<Result> forward_batch(const TransformerModel& m, std::span<const Encoding> batch, const RunOptions& options) {
  const ModelSpec& s = m.spec;
  const ModelWeights& w = m.weights;
  Packed p;
  p.offset.push_back(0);
  const bool by_rows = static_cast<bool>(options.on_attention_rows);
  if (by_rows && options.attentions)
    throw Error("RunOptions: on_attention_rows needs attentions = false (the blocks are not kept)", kExitFailure);
  double attention_bytes = 0;
  size_t longest = 0;
  for (const Encoding& e : batch) {
    check_input(s, e);
    const double seq = static_cast<double>(e.size());
    longest = std::max(longest, e.size());
    p.offset.push_back(p.offset.back() + static_cast<int>(e.size()));
    if (by_rows) continue;  // one block of rows at a time: bounded by attention_block_bytes
    attention_bytes += 4.0 * (options.attentions ? s.layers : 1) * s.heads * seq * seq;
    if (attention_bytes > kMaxAttentionBytes)
      throw Error("input of " + std::to_string(e.size()) + " tokens would need " +
                      std::to_string(static_cast<long long>(attention_bytes / (1 << 30))) +
                      " GiB for the attention probabilities of " + std::to_string(s.layers) + " layers x " +
                      std::to_string(s.heads) + " heads; the limit is 8 GiB",
                  kExitInput);
  }
  std::vector<Result> outs(batch.size());
  if (batch.empty()) return outs;
  const size_t h = static_cast<size_t>(s.hidden);
  std::vector<std::shared_ptr<FloatBuffer>> attention(batch.size());
  for (size_t q = 0; q < outs.size(); ++q) {
    Result& r = outs[q];
    r.encoding = batch[q];
    r.num_layers = s.layers;
    r.num_heads = s.heads;
    r.num_kv_heads = s.kv_heads;
    r.hidden = s.hidden;
    r.head_dim = s.head_dim;
    r.vocab_size = s.vocab_size;
    const size_t n = batch[q].size();
    const size_t block = static_cast<size_t>(s.heads) * n * n;
    if (!by_rows) attention[q] = std::make_shared<FloatBuffer>(options.attentions ? block * s.layers : block);
    if (options.hidden_states) r.hidden_states.resize(static_cast<size_t>(s.layers + 1) * n * h);
    if (options.qkv) {
      r.query.resize(static_cast<size_t>(s.layers) * n * s.q_dim());
      r.key.resize(static_cast<size_t>(s.layers) * n * s.kv_dim());
      r.value.resize(r.key.size());
    }
  }
  FloatBuffer x(static_cast<size_t>(p.rows()) * h);
  embed(m, p, batch, x.data());
  RopeTables ropes;
  ropes.prepare(s, p);
  ProbsOut probs;
  probs.probs.assign(outs.size(), nullptr);
  FloatBuffer row_block;
  if (by_rows) {
    const int rows = rows_per_block(options.attention_block_bytes / sizeof(float), s.heads, static_cast<int>(longest));
    row_block = FloatBuffer(static_cast<size_t>(s.heads) * rows * longest);
    probs.rows = &options.on_attention_rows;
    probs.buffer = row_block.data();
    probs.buffer_floats = row_block.size();
  }
  std::vector<LayerView> views(outs.size());
  thread_local Workspace ws;
  ws.resize(s, p.rows());
  struct Trim {
    Workspace& ws;
    ~Trim() { ws.trim(); }  // also when a layer throws (bad_alloc)
  } trim{ws};
  const bool extras = options.hidden_states || options.qkv;
  if (extras) keep_layer_extras(s, p, options, 0, x.data(), nullptr, outs);
  for (int l = 0; l < s.layers; ++l) {
    const size_t layer = options.attentions ? static_cast<size_t>(l) : 0;
    if (!by_rows)
      for (size_t q = 0; q < outs.size(); ++q)
        probs.probs[q] = attention[q]->data() + layer * s.heads * p.len(q) * p.len(q);
    run_layer(m, l, p, ropes, x.data(), probs, ws);
    // ws.qkv still holds this layer's projections: only self_attention writes it. The last hidden state
    // of a model with a final norm is recorded after that norm, as transformers' hidden_states[-1].
    const bool normed_last = s.final_norm && l + 1 == s.layers;
    if (extras) keep_layer_extras(s, p, options, l + 1, normed_last ? nullptr : x.data(), ws.qkv.data(), outs);
    if (options.on_layer) {
      for (size_t q = 0; q < outs.size(); ++q) {
        const size_t n = static_cast<size_t>(p.len(q));
        views[q] = {static_cast<int>(q), l, by_rows ? ArrayView<3>{} : ArrayView<3>{probs.probs[q], {size_t(s.heads), n, n}},
                    {x.data() + static_cast<size_t>(p.offset[q]) * h, {n, h}}};
      }
      options.on_layer(views);
    }
  }
  // The final norm (pre-LN models), then the heads.
  const float* last = x.data();
  if (s.final_norm) {
    norm_rows(s, x.data(), p.rows(), w.final_norm_w, w.final_norm_b, ws.normed.data());
    last = ws.normed.data();
    if (options.hidden_states) keep_layer_extras(s, p, options, s.layers, last, nullptr, outs);
  }
  for (size_t q = 0; q < outs.size(); ++q) {
    const float* first = last + static_cast<size_t>(p.offset[q]) * h;
    if (options.last_hidden) outs[q].last_hidden_state.assign(first, first + static_cast<size_t>(p.len(q)) * h);
  }
  if (options.last_hidden && w.has_pooler) {
    // first tokens' hidden states [count, hidden] -> tanh(W h + b): one pass over the weight for the batch
    FloatBuffer firsts(outs.size() * h), pooled(outs.size() * h);
    for (size_t q = 0; q < outs.size(); ++q) std::copy_n(last + static_cast<size_t>(p.offset[q]) * h, h, firsts.data() + q * h);
    linear_packed(firsts.data(), static_cast<int>(outs.size()), w.pooler_p, w.pooler_b.data, pooled.data());
    tanh_inplace(pooled.data(), static_cast<long>(pooled.size()));
    for (size_t q = 0; q < outs.size(); ++q) outs[q].pooler_output.assign(pooled.data() + q * h, pooled.data() + (q + 1) * h);
  }
  if (s.lm_head && options.logits) {
    const size_t vocab = static_cast<size_t>(s.vocab_size);
    if (options.all_logits) {
      for (size_t q = 0; q < outs.size(); ++q) {
        outs[q].logits.resize(static_cast<size_t>(p.len(q)) * vocab);
        linear_packed(last + static_cast<size_t>(p.offset[q]) * h, p.len(q), w.lm_head_p, nullptr, outs[q].logits.data());
        if (s.final_logit_softcap > 0)
          softcap(outs[q].logits.data(), static_cast<long>(outs[q].logits.size()), s.final_logit_softcap);
      }
    } else {
      // logits: [count, vocab] of each sequence's last position, one pass over the head
      FloatBuffer lasts(outs.size() * h), logits(outs.size() * vocab);
      for (size_t q = 0; q < outs.size(); ++q)
        std::copy_n(last + static_cast<size_t>(p.offset[q + 1] - 1) * h, h, lasts.data() + q * h);
      linear_packed(lasts.data(), static_cast<int>(outs.size()), w.lm_head_p, nullptr, logits.data());
      if (s.final_logit_softcap > 0) softcap(logits.data(), static_cast<long>(logits.size()), s.final_logit_softcap);
      for (size_t q = 0; q < outs.size(); ++q) outs[q].logits.assign(logits.data() + q * vocab, logits.data() + (q + 1) * vocab);
    }
  }
  for (size_t q = 0; q < outs.size(); ++q)
    if (options.attentions) {
      const auto& block = attention[q];
      outs[q].attentions = AttentionTensor(std::shared_ptr<const float>(block, block->data()), s.layers, s.heads,
                                           p.len(q));
    }
  // A checkpoint shortened on disk while this model maps it reads zeros for the missing pages.
  for (const auto& c : m.checkpoints) c->throw_if_changed();
  if (m.gguf) m.gguf->throw_if_changed();
  return outs;
}

Result forward(const TransformerModel& m, std::span<const int> ids, std::span<const int> types,
               const RunOptions& options) {
  Encoding e;
  e.input_ids.assign(ids.begin(), ids.end());
  e.token_type_ids.assign(types.begin(), types.end());
  return std::move(forward_batch(m, std::span<const Encoding>(&e, 1), options)[0]);
}

void layer_zeroing_values(const TransformerModel& m, int layer, const float* x, int seq, int first, int count,
                          float* out) {
  const ModelSpec& s = m.spec;
  const size_t n = static_cast<size_t>(seq), h = static_cast<size_t>(s.hidden);
  const size_t block = static_cast<size_t>(s.heads) * n * n;
  // `count` copies of the sequence, packed as a batch: copy k zeroes the values of token first + k.
  Packed p;
  std::vector<int> zero_rows(static_cast<size_t>(count));
  FloatBuffer probs_block(static_cast<size_t>(count) * block);
  ProbsOut probs;
  probs.probs.assign(static_cast<size_t>(count), nullptr);
  for (int k = 0; k < count; ++k) {
    p.offset.push_back(k * seq);
    zero_rows[static_cast<size_t>(k)] = k * seq + first + k;
    probs.probs[static_cast<size_t>(k)] = probs_block.data() + static_cast<size_t>(k) * block;
    std::copy_n(x, n * h, out + static_cast<size_t>(k) * n * h);
  }
  p.offset.push_back(count * seq);
  RopeTables ropes;
  ropes.prepare(s, p);
  Workspace ws;
  ws.resize(s, p.rows());
  run_layer(m, layer, p, ropes, out, probs, ws, zero_rows);
  // The last layer's output as hidden_states reports it: after the final norm.
  if (s.final_norm && layer + 1 == s.layers)
    norm_rows(s, out, p.rows(), m.weights.final_norm_w, m.weights.final_norm_b, out);
}

}  // namespace attnlab
