// LayerNorm and activations (see norm_act.h); LayerNorm's kernel is in ops/isa/norm_act.cpp.
#include "ops/norm_act.h"

#include <cmath>

#include "ops/isa/kernels.h"

namespace attnlab {

void add_layer_norm_rows(float* x, const float* add, int rows, int cols, const float* weight, const float* bias,
                         float eps) {
  kernels().add_layer_norm_rows(x, add, rows, cols, weight, bias, eps);
}

void layer_norm_rows(float* x, int rows, int cols, const float* weight, const float* bias, float eps) {
  add_layer_norm_rows(x, nullptr, rows, cols, weight, bias, eps);
}

void layer_norm_rows_naive(float* x, int rows, int cols, const float* weight, const float* bias, float eps) {
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<size_t>(r) * cols;
    double sum = 0.0;
    for (int c = 0; c < cols; ++c) sum += v[c];
    const double mean = sum / cols;
    double sq = 0.0;
    for (int c = 0; c < cols; ++c) sq += (v[c] - mean) * (v[c] - mean);
    const double rstd = 1.0 / std::sqrt(sq / cols + static_cast<double>(eps));
    for (int c = 0; c < cols; ++c) v[c] = static_cast<float>((v[c] - mean) * rstd) * weight[c] + bias[c];
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
