// Decoder steps (decoder_ops.h), following transformers' modeling_llama.py: LlamaRMSNorm,
// LlamaMLP, apply_rotary_pos_emb, eager_attention_forward with a causal (sliding) mask.
#include "ops/decoder_ops.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "ops/thread_pool.h"

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

void silu_gate(const float* gate_up, int rows, int inter, float* out) {
  for_chunks(rows, [&](long first, long last) {
    for (long r = first; r < last; ++r) {
      const float* g = gate_up + static_cast<size_t>(r) * 2 * inter;
      const float* u = g + inter;
      float* o = out + static_cast<size_t>(r) * inter;
      for (int i = 0; i < inter; ++i) {
        const float silu = g[i] / (1.0f + std::exp(-g[i]));
        o[i] = silu * u[i];
      }
    }
  });
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

void causal_attention(const float* q, const float* k, const float* v, int seq, int heads, int kv_heads,
                      int head_dim, int q_ld, int kv_ld, float scaling, int window, float* probs, float* context,
                      int context_ld) {
  const int group = heads / kv_heads;
  const size_t n = static_cast<size_t>(seq);
  // One task per (head, query row) block.
  for_chunks(static_cast<long>(heads) * seq, [&](long first, long last) {
    std::vector<float> acc(static_cast<size_t>(head_dim));
    for (long task = first; task < last; ++task) {
      const int h = static_cast<int>(task / seq), i = static_cast<int>(task % seq);
      const int g = h / group;
      const float* qi = q + static_cast<size_t>(i) * q_ld + static_cast<size_t>(h) * head_dim;
      float* row = probs + (static_cast<size_t>(h) * n + i) * n;
      const int lo = window > 0 ? std::max(0, i - window + 1) : 0;
      std::fill(row, row + lo, 0.0f);
      std::fill(row + i + 1, row + n, 0.0f);
      float max = -INFINITY;
      for (int j = lo; j <= i; ++j) {
        const float* kj = k + static_cast<size_t>(j) * kv_ld + static_cast<size_t>(g) * head_dim;
        float dot = 0;
        for (int d = 0; d < head_dim; ++d) dot = std::fma(qi[d], kj[d], dot);
        row[j] = dot * scaling;
        max = std::max(max, row[j]);
      }
      double sum = 0;
      for (int j = lo; j <= i; ++j) {
        row[j] = std::exp(row[j] - max);
        sum += row[j];
      }
      const float inv_sum = static_cast<float>(sum);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int j = lo; j <= i; ++j) {
        row[j] = row[j] / inv_sum;
        const float* vj = v + static_cast<size_t>(j) * kv_ld + static_cast<size_t>(g) * head_dim;
        for (int d = 0; d < head_dim; ++d) acc[d] = std::fma(row[j], vj[d], acc[d]);
      }
      float* out = context + static_cast<size_t>(i) * context_ld + static_cast<size_t>(h) * head_dim;
      std::copy(acc.begin(), acc.end(), out);
    }
  });
}

}  // namespace attnlab
