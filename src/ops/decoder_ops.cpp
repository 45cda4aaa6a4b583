// Decoder steps (decoder_ops.h), following transformers' modeling_llama.py: LlamaRMSNorm,
// LlamaMLP, apply_rotary_pos_emb, eager_attention_forward with a causal (sliding) mask.
#include "ops/decoder_ops.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/thread_pool.h"
#include "ops/vec_math.h"

namespace attnlab {
namespace {

// fn(first, last) over [0, n) in a few chunks per pool thread.
template <class F>
void for_chunks(long n, F&& fn) {
  const long chunks = std::max(1L, std::min(n, static_cast<long>(num_threads()) * 4));
  parallel_for(static_cast<int>(chunks), [&](int c) { fn(n * c / chunks, n * (c + 1) / chunks); });
}

}  // namespace

namespace {

// One vector: out = weight * (x * rsqrt(mean(x^2) + eps)).
void rms_norm_one(const float* x, int cols, const float* weight, float eps, float* out) {
  double sum = 0;
  for (int i = 0; i < cols; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float variance = static_cast<float>(sum / cols);
  const float inv = 1.0f / std::sqrt(variance + eps);
  for (int i = 0; i < cols; ++i) out[i] = weight[i] * (x[i] * inv);
}

}  // namespace

void rms_norm_rows(const float* x, int rows, int cols, const float* weight, float eps, float* out) {
  for_chunks(rows, [&](long first, long last) {
    for (long r = first; r < last; ++r)
      rms_norm_one(x + static_cast<size_t>(r) * cols, cols, weight, eps, out + static_cast<size_t>(r) * cols);
  });
}

void rms_norm_heads(float* x, int rows, int heads, int head_dim, int ld, const float* weight, float eps) {
  for_chunks(static_cast<long>(rows) * heads, [&](long first, long last) {
    for (long t = first; t < last; ++t) {
      float* v = x + static_cast<size_t>(t / heads) * ld + static_cast<size_t>(t % heads) * head_dim;
      rms_norm_one(v, head_dim, weight, eps, v);
    }
  });
}

namespace {

// gate_up: [rows, 2 inter] -> out: [rows, inter] = act(gate) * up
template <class Act>
void gate(const float* gate_up, int rows, int inter, float* out, Act act) {
  for_chunks(rows, [&](long first, long last) {
    for (long r = first; r < last; ++r) {
      const float* g = gate_up + static_cast<size_t>(r) * 2 * inter;
      const float* u = g + inter;
      float* o = out + static_cast<size_t>(r) * inter;
      for (int i = 0; i < inter; ++i) o[i] = act(g[i]) * u[i];
    }
  });
}

}  // namespace

void silu_gate(const float* gate_up, int rows, int inter, float* out) {
  gate(gate_up, rows, inter, out, [](float x) { return x / (1.0f + std::exp(-x)); });
}

void gelu_tanh_gate(const float* gate_up, int rows, int inter, float* out) {
  for_chunks(rows, [&](long first, long last) {
    for (long r = first; r < last; ++r) {
      const float* g = gate_up + static_cast<size_t>(r) * 2 * inter;
      gelu_tanh_mul(g, g + inter, out + static_cast<size_t>(r) * inter, inter);
    }
  });
}

void softcap(float* x, long n, float cap) {
  for (long i = 0; i < n; ++i) x[i] = std::tanh(x[i] / cap) * cap;
}

void apply_rope(float* x, int rows, int heads, int head_dim, int ld, const float* cos, const float* sin) {
  const int half = head_dim / 2;
  for_chunks(rows, [&](long first, long last) {
    std::vector<float> rot(static_cast<size_t>(head_dim));
    for (long r = first; r < last; ++r) {
      const float* c = cos + static_cast<size_t>(r) * head_dim;
      const float* s = sin + static_cast<size_t>(r) * head_dim;
      for (int h = 0; h < heads; ++h) {
        float* xh = x + static_cast<size_t>(r) * ld + static_cast<size_t>(h) * head_dim;
        for (int i = 0; i < half; ++i) {
          rot[i] = -xh[i + half];
          rot[i + half] = xh[i];
        }
        // (q * cos) + (rotate_half(q) * sin), each product rounded before the sum as torch does.
        for (int i = 0; i < head_dim; ++i) {
          const float a = xh[i] * c[i];
          const float b = rot[i] * s[i];
          xh[i] = a + b;
        }
      }
    }
  });
}

}  // namespace attnlab
