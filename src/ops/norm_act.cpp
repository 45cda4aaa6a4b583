// LayerNorm and activations (see norm_act.h). Statistics accumulate in double so the result is
// the exactly rounded float of the true value, whatever order PyTorch's vector kernel sums in.
#include "ops/norm_act.h"

#include <algorithm>
#include <cmath>

#include "ops/thread_pool.h"

namespace attnlab {

static void layer_norm_range(float* x, int r0, int r1, int cols, const float* weight, const float* bias, float eps);

void layer_norm_rows(float* x, int rows, int cols, const float* weight, const float* bias, float eps) {
  constexpr int kRowsPerTask = 32;
  if (rows < 2 * kRowsPerTask) return layer_norm_range(x, 0, rows, cols, weight, bias, eps);
  parallel_for((rows + kRowsPerTask - 1) / kRowsPerTask, [&](int t) {
    layer_norm_range(x, t * kRowsPerTask, std::min(rows, (t + 1) * kRowsPerTask), cols, weight, bias, eps);
  });
}

static void layer_norm_range(float* x, int r0, int r1, int cols, const float* weight, const float* bias, float eps) {
  for (int r = r0; r < r1; ++r) {
    float* v = x + static_cast<long>(r) * cols;
    double sum = 0.0;
    for (int c = 0; c < cols; ++c) sum += v[c];
    const double mean = sum / cols;
    double sq = 0.0;
    for (int c = 0; c < cols; ++c) sq += (v[c] - mean) * (v[c] - mean);
    const double rstd = 1.0 / std::sqrt(sq / cols + static_cast<double>(eps));
    for (int c = 0; c < cols; ++c)
      v[c] = static_cast<float>((v[c] - mean) * rstd) * weight[c] + bias[c];
  }
}

void gelu_erf(float* x, long n) {
  for (long i = 0; i < n; ++i) {
    const double v = x[i];
    x[i] = static_cast<float>(0.5 * v * (1.0 + std::erf(v * M_SQRT1_2)));
  }
}

void tanh_inplace(float* x, long n) {
  for (long i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
}

}  // namespace attnlab
