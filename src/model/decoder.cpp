// The decoder forward pass (decoder.h), one plain step per function, following transformers'
// modeling_llama.py (LlamaModel, LlamaDecoderLayer, LlamaAttention + eager_attention_forward, LlamaMLP,
// LlamaRMSNorm, LlamaRotaryEmbedding with modeling_rope_utils.py's scalings), modeling_qwen3.py (q_norm,
// k_norm) and masking_utils.py (causal and sliding-window masks).
#include "model/decoder.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "attnlab/error.h"
#include "ops/decoder_ops.h"
#include "ops/packed_linear.h"

namespace attnlab {
namespace {

// inv_freq: [head_dim / 2] and the factor cos/sin are multiplied by, as the rope type's init function
// computes them for a pass over `seq` positions. Python floats are doubles; tensors float32.
std::vector<float> inverse_frequencies(const ModelSpec& s, int seq, double& attention_scaling) {
  const RopeSpec& r = s.rope;
  const int dim = s.head_dim, half = dim / 2;
  attention_scaling = 1.0;
  auto base_freqs = [&](double base) {  // 1.0 / (base ** (arange(0, dim, 2).float() / dim)), float32
    std::vector<float> f(static_cast<size_t>(half));
    for (int i = 0; i < half; ++i) {
      const float e = static_cast<float>(2 * i) / static_cast<float>(dim);
      f[static_cast<size_t>(i)] = 1.0f / std::pow(static_cast<float>(base), e);
    }
    return f;
  };
  if (r.type == "default") return base_freqs(r.theta);
  if (r.type == "linear") {
    std::vector<float> f = base_freqs(r.theta);
    for (float& x : f) x /= static_cast<float>(r.factor);
    return f;
  }
  if (r.type == "dynamic") {
    // dynamic_frequency_update: recomputed once the pass is longer than max_position_embeddings.
    if (seq <= s.max_positions) return base_freqs(r.theta);
    const double base = r.theta * std::pow((r.factor * seq / s.max_positions) - (r.factor - 1),
                                           static_cast<double>(dim) / (dim - 2));
    return base_freqs(base);
  }
  if (r.type == "llama3") {
    std::vector<float> f = base_freqs(r.theta);
    const double old_context = r.original_max_position_embeddings;
    const float low_wavelen = static_cast<float>(old_context / r.low_freq_factor);
    const float high_wavelen = static_cast<float>(old_context / r.high_freq_factor);
    const float factor = static_cast<float>(r.factor);
    for (float& inv : f) {
      const float wavelen = static_cast<float>(2 * std::numbers::pi) / inv;
      float llama = wavelen > low_wavelen ? inv / factor : inv;
      const float smooth = (static_cast<float>(old_context) / wavelen - static_cast<float>(r.low_freq_factor)) /
                           static_cast<float>(r.high_freq_factor - r.low_freq_factor);
      const float smoothed = (1.0f - smooth) * llama / factor + smooth * llama;
      const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
      inv = medium ? smoothed : llama;
    }
    return f;
  }
  // yarn
  auto mscale = [](double scale, double m) { return scale <= 1 ? 1.0 : 0.1 * m * std::log(scale) + 1.0; };
  if (r.attention_factor >= 0) {
    attention_scaling = r.attention_factor;
  } else if (r.mscale != 0 && r.mscale_all_dim != 0) {
    attention_scaling = mscale(r.factor, r.mscale) / mscale(r.factor, r.mscale_all_dim);
  } else {
    attention_scaling = mscale(r.factor, 1.0);
  }
  auto correction_dim = [&](double rotations) {
    return (dim * std::log(r.original_max_position_embeddings / (rotations * 2 * std::numbers::pi))) /
           (2 * std::log(r.theta));
  };
  double low = correction_dim(r.beta_fast), high = correction_dim(r.beta_slow);
  if (r.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;
  std::vector<float> f(static_cast<size_t>(half));
  for (int i = 0; i < half; ++i) {
    const float pos = std::pow(static_cast<float>(r.theta), static_cast<float>(2 * i) / static_cast<float>(dim));
    const float extrapolation = 1.0f / pos;
    const float interpolation = 1.0f / (static_cast<float>(r.factor) * pos);
    const float ramp = std::clamp((static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low), 0.0f, 1.0f);
    const float extrapolation_factor = 1.0f - ramp;
    f[static_cast<size_t>(i)] = interpolation * (1.0f - extrapolation_factor) + extrapolation * extrapolation_factor;
  }
  return f;
}

// cos, sin: [seq, head_dim] = cos/sin(cat(freqs, freqs)) * attention_scaling, freqs = position * inv_freq.
void rope_tables(const ModelSpec& s, int seq, std::vector<float>& cos, std::vector<float>& sin) {
  double scaling = 1.0;
  const std::vector<float> inv = inverse_frequencies(s, seq, scaling);
  const int dim = s.head_dim, half = dim / 2;
  const float sc = static_cast<float>(scaling);
  cos.assign(static_cast<size_t>(seq) * dim, 0.0f);
  sin.assign(cos.size(), 0.0f);
  for (int t = 0; t < seq; ++t)
    for (int i = 0; i < half; ++i) {
      const float freq = static_cast<float>(t) * inv[static_cast<size_t>(i)];
      const float c = std::cos(freq) * sc, si = std::sin(freq) * sc;
      for (int k : {i, i + half}) {
        cos[static_cast<size_t>(t) * dim + k] = c;
        sin[static_cast<size_t>(t) * dim + k] = si;
      }
    }
}

constexpr double kMaxAttentionBytes = 8.0 * (uint64_t{1} << 30);

}  // namespace

DecoderOutput decoder_forward(const DecoderModel& m, std::span<const int> ids, const DecoderOptions& options) {
  const ModelSpec& s = m.spec;
  const DecoderWeights& w = m.weights;
  const int n = static_cast<int>(ids.size()), h = s.hidden;
  if (n == 0) throw Error("empty input: at least one token is needed", kExitInput);
  for (int t = 0; t < n; ++t)
    if (ids[t] < 0 || ids[t] >= s.vocab_size)
      throw Error("token id " + std::to_string(ids[t]) + " at position " + std::to_string(t) +
                      " is outside the vocabulary (vocab_size " + std::to_string(s.vocab_size) + ")",
                  kExitInput);
  const double attention_bytes = 4.0 * s.layers * s.heads * static_cast<double>(n) * n;
  if (attention_bytes > kMaxAttentionBytes)
    throw Error("input of " + std::to_string(n) + " tokens would need " +
                    std::to_string(static_cast<long long>(attention_bytes / (1 << 30))) +
                    " GiB for the attention probabilities; the limit is 8 GiB",
                kExitInput);
  DecoderOutput out;
  out.seq_len = n;
  out.num_layers = s.layers;
  out.num_heads = s.heads;
  out.hidden = h;
  out.vocab = s.vocab_size;
  const size_t block = static_cast<size_t>(s.heads) * n * n;
  out.attentions.resize(block * s.layers);
  const size_t rows = static_cast<size_t>(n);
  if (options.hidden_states) out.hidden_states.resize(static_cast<size_t>(s.layers + 1) * rows * h);

  // x: [seq, hidden] = embed_tokens[ids]
  std::vector<float> x(rows * h), xn(rows * h), ctx(rows * s.q_dim()), proj(rows * h);
  for (int t = 0; t < n; ++t)
    std::memcpy(x.data() + static_cast<size_t>(t) * h, w.embed.data + static_cast<size_t>(ids[t]) * h, sizeof(float) * h);
  if (options.hidden_states) std::copy(x.begin(), x.end(), out.hidden_states.begin());
  std::vector<float> cos, sin;
  rope_tables(s, n, cos, sin);
  const int qkv_ld = s.q_dim() + 2 * s.kv_dim();
  std::vector<float> qkv(rows * qkv_ld), gate_up(rows * 2 * s.intermediate), mid(rows * s.intermediate);
  const float eps = static_cast<float>(s.norm_eps);
  const float scaling = static_cast<float>(std::pow(static_cast<double>(s.head_dim), -0.5));

  for (int l = 0; l < s.layers; ++l) {
    const DecoderLayerWeights& L = w.layers[static_cast<size_t>(l)];
    float* probs = out.attentions.data() + static_cast<size_t>(l) * block;
    // Attention: xn = norm(x); [q | k | v] = xn W^T (+ b); q, k normed per head (Qwen3) and rotated.
    rms_norm_rows(x.data(), n, h, L.attn_norm.data, eps, xn.data());
    linear_packed(xn.data(), n, L.qkv_p, L.qkv_b.empty() ? nullptr : L.qkv_b.data(), qkv.data());
    float* q = qkv.data();
    float* k = q + s.q_dim();
    float* v = k + s.kv_dim();
    if (s.qk_norm) {
      rms_norm_heads(q, n, s.heads, s.head_dim, qkv_ld, L.q_norm.data, eps);
      rms_norm_heads(k, n, s.kv_heads, s.head_dim, qkv_ld, L.k_norm.data, eps);
    }
    apply_rope(q, n, s.heads, s.head_dim, qkv_ld, cos.data(), sin.data());
    apply_rope(k, n, s.kv_heads, s.head_dim, qkv_ld, cos.data(), sin.data());
    // probs: [heads, seq, seq]; ctx: [seq, q_dim]
    causal_attention(q, k, v, n, s.heads, s.kv_heads, s.head_dim, qkv_ld, qkv_ld, scaling,
                     s.window[static_cast<size_t>(l)], probs, ctx.data(), s.q_dim());
    linear_packed(ctx.data(), n, L.o_p, L.bo.data, proj.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] = x[i] + proj[i];
    // MLP: x += down(silu(gate xn) * up xn), xn = norm(x)
    rms_norm_rows(x.data(), n, h, L.ffn_norm.data, eps, xn.data());
    linear_packed(xn.data(), n, L.gate_up_p, L.gate_up_b.empty() ? nullptr : L.gate_up_b.data(), gate_up.data());
    silu_gate(gate_up.data(), n, s.intermediate, mid.data());
    linear_packed(mid.data(), n, L.down_p, L.b_down.data, proj.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] = x[i] + proj[i];
    if (options.hidden_states && l + 1 < s.layers)
      std::copy(x.begin(), x.end(), out.hidden_states.begin() + static_cast<long>((l + 1) * rows * h));
    if (options.on_layer) options.on_layer(l, probs, x.data());
  }
  // The final norm; hidden_states' last entry is after it, as transformers records it.
  out.last_hidden_state.resize(rows * h);
  rms_norm_rows(x.data(), n, h, w.final_norm.data, eps, out.last_hidden_state.data());
  if (options.hidden_states)
    std::copy(out.last_hidden_state.begin(), out.last_hidden_state.end(),
              out.hidden_states.begin() + static_cast<long>(s.layers * rows * h));
  // logits: [vocab] of the last position, or [seq, vocab]
  if (options.all_logits) {
    out.logits.resize(rows * s.vocab_size);
    linear_packed(out.last_hidden_state.data(), n, w.lm_head_p, nullptr, out.logits.data());
  } else {
    out.logits.resize(static_cast<size_t>(s.vocab_size));
    linear_packed(out.last_hidden_state.data() + (rows - 1) * h, 1, w.lm_head_p, nullptr, out.logits.data());
  }
  for (const auto& c : m.checkpoints) c->throw_if_changed();
  return out;
}

}  // namespace attnlab
