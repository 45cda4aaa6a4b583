// Matrix products (OpenBLAS sgemm) and the scalar twins the tests compare against; linear() itself
// lives in linear_fast.cpp.
#include "ops/linear.h"

#include <cblas.h>


namespace attnlab {

void linear_naive(const float* x, int rows, int in, const float* w, const float* b, int out,
                  float* y) {
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < out; ++o) {
      double acc = 0.0;  // double accumulation: the twin is exact to float rounding
      for (int i = 0; i < in; ++i) acc += static_cast<double>(x[r * in + i]) * w[o * in + i];
      y[r * out + o] = static_cast<float>(acc + (b ? b[o] : 0.0f));
    }
  }
}

void matmul(const float* a, const float* b, int m, int k, int n, float* c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
}

void matmul_naive(const float* a, const float* b, int m, int k, int n, float* c) {
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int p = 0; p < k; ++p) acc += static_cast<double>(a[i * k + p]) * b[p * n + j];
      c[i * n + j] = static_cast<float>(acc);
    }
  }
}

}  // namespace attnlab
