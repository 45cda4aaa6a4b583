// Attention rollout and attention flow (Abnar & Zuidema 2020), as samiraabnar/attention_flow's
// compute_joint_attention and compute_flows compute them, on the head-averaged attention.
#include <algorithm>
#include <limits>

#include "analysis/attribution_methods.h"
#include "attnlab/error.h"
#include "core/thread_pool.h"

namespace attnlab {
namespace {

// [n * n]: mean over heads of one layer's attention ([heads, n, n] at `data`); with residual, + I and
// each row divided by its sum (rownorm(W + I), the reference's "residual attention" matrix).
void head_mean(const float* data, int heads, int n, bool residual, std::vector<double>& w) {
  const size_t nn = static_cast<size_t>(n) * n;
  w.assign(nn, 0.0);
  for (int h = 0; h < heads; ++h) {
    const float* m = data + static_cast<size_t>(h) * nn;
    for (size_t k = 0; k < nn; ++k) w[k] += m[k];
  }
  for (double& v : w) v /= heads;
  if (!residual) return;
  for (int i = 0; i < n; ++i) {
    double* row = w.data() + static_cast<size_t>(i) * n;
    row[i] += 1.0;
    double sum = 0.0;
    for (int j = 0; j < n; ++j) sum += row[j];
    for (int j = 0; j < n; ++j) row[j] /= sum;
  }
}

// next = m . joint, [n * n] each, summed in the order of compute_joint_attention's matmul.
void multiply_into(const std::vector<double>& m, const std::vector<double>& joint, int n, std::vector<double>& next) {
  std::fill(next.begin(), next.end(), 0.0);
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < n; ++k) {
      const double a = m[static_cast<size_t>(i) * n + k];
      const double* src = joint.data() + static_cast<size_t>(k) * n;
      double* dst = next.data() + static_cast<size_t>(i) * n;
      for (int j = 0; j < n; ++j) dst[j] += a * src[j];
    }
}


// Max flow on the layered attention graph: node (l, a) = l * n + a for layer boundary l in [0, L]
// (0 = the input tokens); an edge from (l, a) down to (l - 1, b) with capacity Â_l[a][b] for each
// positive entry. Dinic's algorithm (any exact max-flow gives the value networkx's Edmonds-Karp
// gives), doubles, one residual graph per thread reset for each (source, sink) pair.
class LayeredFlow {
 public:
  LayeredFlow(const std::vector<std::vector<double>>& layers, int n)
      : nodes_((static_cast<int>(layers.size()) + 1) * n) {
    first_.assign(static_cast<size_t>(nodes_) + 1, 0);
    // Count edges per node: down edges from layers >= 1, their reverses into layers <= L - 1.
    std::vector<int> degree(static_cast<size_t>(nodes_), 0);
    for (size_t l = 0; l < layers.size(); ++l)
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b)
          if (layers[l][static_cast<size_t>(a) * n + b] > 0) {
            ++degree[static_cast<size_t>((l + 1) * n + a)];
            ++degree[static_cast<size_t>(l * n + b)];
          }
    for (int v = 0; v < nodes_; ++v) first_[v + 1] = first_[v] + degree[v];
    to_.resize(static_cast<size_t>(first_[nodes_]));
    reverse_.resize(to_.size());
    capacity_.assign(to_.size(), 0.0);
    std::vector<int> next(first_.begin(), first_.end() - 1);
    for (size_t l = 0; l < layers.size(); ++l)
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b) {
          const double c = layers[l][static_cast<size_t>(a) * n + b];
          if (!(c > 0)) continue;
          const int u = static_cast<int>(l + 1) * n + a, v = static_cast<int>(l) * n + b;
          const int e = next[u]++, r = next[v]++;
          to_[e] = v, reverse_[e] = r, capacity_[e] = c;
          to_[r] = u, reverse_[r] = e;  // residual reverse edge, capacity 0
        }
  }

  double max_flow(int source, int sink) const {
    std::vector<double> residual = capacity_;
    std::vector<int> level(static_cast<size_t>(nodes_)), it(static_cast<size_t>(nodes_)), queue;
    double flow = 0.0;
    for (;;) {
      std::fill(level.begin(), level.end(), -1);
      level[source] = 0;
      queue.assign(1, source);
      for (size_t q = 0; q < queue.size(); ++q)
        for (int e = first_[queue[q]]; e < first_[queue[q] + 1]; ++e)
          if (residual[e] > kEps && level[to_[e]] < 0) {
            level[to_[e]] = level[queue[q]] + 1;
            queue.push_back(to_[e]);
          }
      if (level[sink] < 0) return flow;
      std::copy(first_.begin(), first_.end() - 1, it.begin());
      while (const double f = push(source, sink, std::numeric_limits<double>::infinity(), residual, level, it))
        flow += f;
    }
  }

 private:
  // Residual capacities this small are rounding left over from cancelled flow, not capacity.
  static constexpr double kEps = 1e-14;

  double push(int v, int sink, double limit, std::vector<double>& residual, const std::vector<int>& level,
              std::vector<int>& it) const {
    if (v == sink) return limit;
    for (int& e = it[v]; e < first_[v + 1]; ++e) {
      const int w = to_[e];
      if (residual[e] <= kEps || level[w] != level[v] + 1) continue;
      const double f = push(w, sink, std::min(limit, residual[e]), residual, level, it);
      if (f > 0) {
        residual[e] -= f;
        residual[reverse_[e]] += f;
        return f;
      }
    }
    return 0.0;
  }

  int nodes_;
  std::vector<int> first_, to_, reverse_;  // edges of node v: [first_[v], first_[v + 1])
  std::vector<double> capacity_;
};

}  // namespace

std::vector<double> layer_product(const std::vector<std::vector<double>>& per_layer, int n) {
  std::vector<double> joint = per_layer.at(0), next(static_cast<size_t>(n) * n);
  for (size_t l = 1; l < per_layer.size(); ++l) {
    multiply_into(per_layer[l], joint, n, next);
    joint.swap(next);
  }
  return joint;
}

Attribution make_attribution(Method method, std::vector<size_t> shape, const std::vector<double>& scores) {
  Attribution a;
  a.method = method;
  a.shape = std::move(shape);
  a.scores.assign(scores.begin(), scores.end());
  return a;
}

Attribution attention_rollout(const AttentionTensor& attentions, bool residual) {
  RolloutBuilder builder(residual);
  for (int l = 0; l < attentions.layers(); ++l) {
    const ArrayView<4> all = attentions.view();
    const size_t block = all.shape[1] * all.shape[2] * all.shape[3];
    builder.add_layer(ArrayView<3>{all.data + static_cast<size_t>(l) * block, {all.shape[1], all.shape[2], all.shape[3]}});
  }
  return builder.result();
}

void RolloutBuilder::add_layer(const ArrayView<3>& attention) {
  const int heads = static_cast<int>(attention.shape[0]), n = static_cast<int>(attention.shape[1]);
  if (layers_ == 0) {
    n_ = n;
    head_mean(attention.data, heads, n, residual_, joint_);
    next_.assign(joint_.size(), 0.0);
  } else {
    if (n != n_) throw Error("rollout: layer of " + std::to_string(n) + " tokens after layers of " + std::to_string(n_));
    head_mean(attention.data, heads, n, residual_, layer_);
    multiply_into(layer_, joint_, n, next_);
    joint_.swap(next_);
  }
  ++layers_;
}

Attribution RolloutBuilder::result() const {
  if (layers_ == 0) throw Error("rollout: no layer was added");
  const size_t n = static_cast<size_t>(n_);
  return make_attribution(residual_ ? Method::kRollout : Method::kRolloutNoResidual, {n, n}, joint_);
}

Attribution attention_flow(const AttentionTensor& attentions) {
  const int n = attentions.seq_len(), layers = attentions.layers();
  std::vector<std::vector<double>> capacities;
  for (int l = 0; l < layers; ++l) {
    capacities.emplace_back();
    head_mean(attentions.head(l, 0).data(), attentions.heads(), attentions.seq_len(), /*residual=*/true,
              capacities.back());
  }
  const LayeredFlow graph(capacities, n);
  // Row i: the flow from the last layer's node i to each input token j, divided by the row's sum.
  std::vector<double> flows(static_cast<size_t>(n) * n);
  parallel_for(n * n, [&](int task) {
    const int i = task / n, j = task % n;
    flows[static_cast<size_t>(task)] = graph.max_flow(/*source=*/layers * n + i, /*sink=*/j);
  });
  for (int i = 0; i < n; ++i) {
    double sum = 0.0;
    for (int j = 0; j < n; ++j) sum += flows[static_cast<size_t>(i) * n + j];
    for (int j = 0; j < n; ++j) flows[static_cast<size_t>(i) * n + j] /= sum;
  }
  return make_attribution(Method::kFlow, {size_t(n), size_t(n)}, flows);
}

}  // namespace attnlab
