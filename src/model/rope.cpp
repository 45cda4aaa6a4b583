// Rotary position tables (see rope.h), following transformers' modeling_rope_utils.py
// (_compute_default_rope_parameters, _compute_linear_scaling_rope_parameters,
// _compute_dynamic_ntk_parameters, _compute_yarn_parameters, _compute_llama3_parameters) and
// LlamaRotaryEmbedding.forward.
#include "model/rope.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace attnlab {

// inv_freq: [head_dim / 2] and the factor cos/sin are multiplied by, as the rope type's init function
// computes them for a pass over `seq` positions. Python floats are doubles; tensors float32.
std::vector<float> rope_inverse_frequencies(const ModelSpec& s, const RopeSpec& r, int seq, double& attention_scaling) {
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
void rope_tables(const ModelSpec& s, const RopeSpec& r, int seq, std::vector<float>& cos, std::vector<float>& sin) {
  double scaling = 1.0;
  const std::vector<float> inv = rope_inverse_frequencies(s, r, seq, scaling);
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

}  // namespace attnlab
