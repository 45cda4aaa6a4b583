// Norm-based analysis (Kobayashi et al. 2020; gorokoba560/norm-analysis-of-transformer) and ALTI
// (Ferrando et al. 2022; mt-upc/transformer-contributions contributions.py + normalize_contributions
// 'min_sum'): both decompose each layer's attention block output into one vector per source token.
// Inputs are float32 from the forward pass; every product is accumulated in double.
#include <algorithm>
#include <cmath>

#include "analysis/attribution_methods.h"
#include "core/thread_pool.h"

namespace attnlab {
namespace {

// The packed [out, in] weight back in nn.Linear's row-major layout, widened to double.
std::vector<double> unpack(const PackedWeight& w) {
  const std::vector<float> f = unpack_weight(w);
  return std::vector<double>(f.begin(), f.end());
}

// One layer's transformed vectors f_h(x_j) = (x_j W_V^h + b_V^h) W_O^h (no b_O): [heads][n][hidden],
// from the value vectors the forward pass computed ([heads][n][head_dim]) and the output projection.
struct Transformed {
  int heads = 0, n = 0, hidden = 0;
  std::vector<double> f;
  const double* at(int head, int j) const { return f.data() + (static_cast<size_t>(head) * n + j) * hidden; }
};

Transformed transform(const TransformerModel& m, const Result& run, int layer) {
  const int heads = run.num_heads, n = run.seq_len(), hidden = run.hidden, dh = run.head_dim;
  const int kv_heads = run.num_kv_heads, group = heads / kv_heads, q_dim = heads * dh;
  // W_O: [hidden, q_dim]; query head h's columns h * head_dim ..; its value head h / group (GQA).
  const std::vector<double> wo = unpack(m.weights.layers[static_cast<size_t>(layer)].o_p);
  Transformed t{heads, n, hidden, std::vector<double>(static_cast<size_t>(heads) * n * hidden)};
  parallel_for(heads * n, [&](int task) {
    const int h = task / n, j = task % n;
    const float* v = run.value.data() + ((static_cast<size_t>(layer) * kv_heads + h / group) * n + j) * dh;
    double* out = t.f.data() + static_cast<size_t>(task) * hidden;
    for (int o = 0; o < hidden; ++o) {
      const double* w = wo.data() + static_cast<size_t>(o) * q_dim + static_cast<size_t>(h) * dh;
      double s = 0.0;
      for (int d = 0; d < dh; ++d) s += static_cast<double>(v[d]) * w[d];
      out[o] = s;
    }
  });
  return t;
}

// std(-1, unbiased=False): divides by hidden, as LayerNorm's own variance does.
double biased_std(const std::vector<double>& x) {
  double mean = 0.0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double ss = 0.0;
  for (double v : x) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(x.size()));
}

// ALTI's contributions of one layer, rows normalised ([n * n]). For query i, the attention block's
// output before LayerNorm is sum_j v_ij + b_O with v_ij = sum_h alpha_hij f_h(x_j) + [i == j] x_i;
// LayerNorm's linear part maps v_ij to T_i(x_j) = (v_ij - mean(v_ij)) * gamma / s_i and the whole
// to y_i = (sum_j (v_ij - mean) * gamma + (b_O - mean(b_O)) * gamma) / s_i + beta, where s_i is the
// reference's scale: the biased std of the pre-LayerNorm state (contributions.py's
// (pre_ln_states + eps).std(-1, unbiased=False); the eps shifts every element and leaves the std as
// it is, so LayerNorm's own eps inside the square root is not part of it).
// c_ij = max(0, ||y_i||_1 - ||T_i(x_j) - y_i + 1e-6||_1) (F.pairwise_distance adds its eps to the
// difference), divided by the row's sum.
std::vector<double> alti_layer(const TransformerModel& m, const Result& run, int layer) {
  const Transformed t = transform(m, run, layer);
  const int heads = t.heads, n = t.n, hidden = t.hidden;
  const LayerWeights& L = m.weights.layers[static_cast<size_t>(layer)];
  const float *b_o = L.bo.data, *gamma = L.attn_norm_w.data, *beta = L.attn_norm_b.data;
  const float* x = run.hidden_states.data() + static_cast<size_t>(layer) * n * hidden;
  double b_mean = 0.0;
  for (int o = 0; o < hidden; ++o) b_mean += b_o[o];
  b_mean /= hidden;
  std::vector<double> scores(static_cast<size_t>(n) * n);
  parallel_for(n, [&](int i) {
    std::vector<double> v(static_cast<size_t>(n) * hidden, 0.0), pre(static_cast<size_t>(hidden)),
        y(static_cast<size_t>(hidden), 0.0);
    for (int j = 0; j < n; ++j) {
      double* vij = v.data() + static_cast<size_t>(j) * hidden;
      for (int h = 0; h < heads; ++h) {
        const double a = run.attentions.row(layer, h, i)[static_cast<size_t>(j)];
        const double* f = t.at(h, j);
        for (int o = 0; o < hidden; ++o) vij[o] += a * f[o];
      }
      if (j == i)
        for (int o = 0; o < hidden; ++o) vij[o] += x[static_cast<size_t>(i) * hidden + o];
    }
    for (int o = 0; o < hidden; ++o) {
      double s = b_o[o];
      for (int j = 0; j < n; ++j) s += v[static_cast<size_t>(j) * hidden + o];
      pre[static_cast<size_t>(o)] = s;
    }
    const double scale = 1.0 / biased_std(pre);
    // v_ij -> T_i(x_j) in place; y_i accumulates them.
    for (int j = 0; j < n; ++j) {
      double* vij = v.data() + static_cast<size_t>(j) * hidden;
      double mean = 0.0;
      for (int o = 0; o < hidden; ++o) mean += vij[o];
      mean /= hidden;
      for (int o = 0; o < hidden; ++o) {
        vij[o] = (vij[o] - mean) * gamma[o] * scale;
        y[static_cast<size_t>(o)] += vij[o];
      }
    }
    double y_norm = 0.0;
    for (int o = 0; o < hidden; ++o) {
      y[static_cast<size_t>(o)] += (b_o[o] - b_mean) * gamma[o] * scale + beta[o];
      y_norm += std::abs(y[static_cast<size_t>(o)]);
    }
    double* row = scores.data() + static_cast<size_t>(i) * n;
    double sum = 0.0;
    for (int j = 0; j < n; ++j) {
      const double* tij = v.data() + static_cast<size_t>(j) * hidden;
      double d = 0.0;
      for (int o = 0; o < hidden; ++o) d += std::abs(tij[o] - y[static_cast<size_t>(o)] + 1e-6);
      row[j] = std::max(0.0, y_norm - d);
      sum += row[j];
    }
    for (int j = 0; j < n; ++j) row[j] /= sum;
  });
  return scores;
}

}  // namespace

Attribution norm_analysis(const TransformerModel& m, const Result& run, bool per_head) {
  const int layers = run.num_layers, heads = run.num_heads, n = run.seq_len();
  const size_t nn = static_cast<size_t>(n) * n;
  std::vector<double> scores(static_cast<size_t>(layers) * (per_head ? heads : 1) * nn);
  for (int l = 0; l < layers; ++l) {
    const Transformed t = transform(m, run, l);
    // gram[j][h][k] = f_h(x_j) . f_k(x_j): ||sum_h a_h f_h||^2 = sum_hk a_h a_k gram[h][k].
    std::vector<double> gram(static_cast<size_t>(n) * heads * heads);
    parallel_for(n, [&](int j) {
      for (int h = 0; h < heads; ++h)
        for (int k = 0; k <= h; ++k) {
          const double *a = t.at(h, j), *b = t.at(k, j);
          double s = 0.0;
          for (int o = 0; o < t.hidden; ++o) s += a[o] * b[o];
          gram[(static_cast<size_t>(j) * heads + h) * heads + k] = s;
          gram[(static_cast<size_t>(j) * heads + k) * heads + h] = s;
        }
    });
    parallel_for(n, [&](int i) {
      for (int j = 0; j < n; ++j) {
        const double* g = gram.data() + static_cast<size_t>(j) * heads * heads;
        if (per_head) {
          for (int h = 0; h < heads; ++h)
            scores[(static_cast<size_t>(l) * heads + h) * nn + static_cast<size_t>(i) * n + j] =
                run.attentions.row(l, h, i)[static_cast<size_t>(j)] * std::sqrt(g[static_cast<size_t>(h) * heads + h]);
          continue;
        }
        double s = 0.0;
        for (int h = 0; h < heads; ++h) {
          const double ah = run.attentions.row(l, h, i)[static_cast<size_t>(j)];
          for (int k = 0; k < heads; ++k)
            s += ah * run.attentions.row(l, k, i)[static_cast<size_t>(j)] * g[static_cast<size_t>(h) * heads + k];
        }
        scores[static_cast<size_t>(l) * nn + static_cast<size_t>(i) * n + j] = std::sqrt(std::max(0.0, s));
      }
    });
  }
  std::vector<size_t> shape = per_head ? std::vector<size_t>{size_t(layers), size_t(heads), size_t(n), size_t(n)}
                                      : std::vector<size_t>{size_t(layers), size_t(n), size_t(n)};
  return make_attribution(per_head ? Method::kNormHeads : Method::kNorm, std::move(shape), scores);
}

std::vector<std::vector<double>> alti_contributions(const TransformerModel& m, const Result& run) {
  std::vector<std::vector<double>> layers;
  for (int l = 0; l < run.num_layers; ++l) layers.push_back(alti_layer(m, run, l));
  return layers;
}

}  // namespace attnlab
