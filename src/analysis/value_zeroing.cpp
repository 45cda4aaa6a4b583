// Value zeroing (Mohebbi et al. 2023; hmohebbi/ValueZeroing scoring/value_zeroing.py): for each
// layer and token j, the layer is rerun on its original input with token j's value vectors zeroed in
// every head; C_ij = cosine distance between the new and the original output of token i, each row
// divided by its sum. The distances are ~1e-6, so the cosine and the sums are taken in double.
#include <algorithm>
#include <cmath>

#include "analysis/attribution_methods.h"
#include "core/float_buffer.h"

namespace attnlab {
namespace {

// Reruns per packed batch: about this many rows, so a batch is big enough to stream each weight once
// for many reruns and small enough to bound memory (rows x (hidden + heads x seq) floats).
constexpr int kRowsPerBatch = 2048;

double cosine_distance(const float* a, const float* b, int hidden, double norm_b) {
  double dot = 0.0, aa = 0.0;
  for (int o = 0; o < hidden; ++o) {
    dot += static_cast<double>(a[o]) * b[o];
    aa += static_cast<double>(a[o]) * a[o];
  }
  // sklearn's cosine_distances clips to [0, 2].
  return std::clamp(1.0 - dot / (std::sqrt(aa) * norm_b), 0.0, 2.0);
}

}  // namespace

std::vector<std::vector<double>> value_zeroing_scores(const TransformerModel& m, const Result& run) {
  const int n = run.seq_len(), hidden = run.hidden;
  const size_t state = static_cast<size_t>(n) * hidden;
  const int chunk = std::clamp(kRowsPerBatch / n, 1, n);
  FloatBuffer zeroed(static_cast<size_t>(chunk) * state);
  std::vector<std::vector<double>> layers;
  for (int l = 0; l < run.num_layers; ++l) {
    const float* x = run.hidden_states.data() + static_cast<size_t>(l) * state;
    const float* y = run.hidden_states.data() + static_cast<size_t>(l + 1) * state;
    std::vector<double> norm_y(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      double s = 0.0;
      for (int o = 0; o < hidden; ++o)
        s += static_cast<double>(y[static_cast<size_t>(i) * hidden + o]) * y[static_cast<size_t>(i) * hidden + o];
      norm_y[static_cast<size_t>(i)] = std::sqrt(s);
    }
    std::vector<double> c(static_cast<size_t>(n) * n);
    for (int first = 0; first < n; first += chunk) {
      const int count = std::min(chunk, n - first);
      layer_zeroing_values(m, l, x, n, first, count, zeroed.data());
      for (int k = 0; k < count; ++k)
        for (int i = 0; i < n; ++i)
          c[static_cast<size_t>(i) * n + first + k] =
              cosine_distance(zeroed.data() + static_cast<size_t>(k) * state + static_cast<size_t>(i) * hidden,
                              y + static_cast<size_t>(i) * hidden, hidden, norm_y[static_cast<size_t>(i)]);
    }
    for (int i = 0; i < n; ++i) {
      double* row = c.data() + static_cast<size_t>(i) * n;
      double sum = 0.0;
      for (int j = 0; j < n; ++j) sum += row[j];
      // A row no zeroing moved (sum 0) has no attribution to share out: it stays 0, not NaN.
      if (sum > 0)
        for (int j = 0; j < n; ++j) row[j] /= sum;
    }
    layers.push_back(std::move(c));
  }
  return layers;
}

}  // namespace attnlab
