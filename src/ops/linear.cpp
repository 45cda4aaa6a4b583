// Matrix products on OpenBLAS sgemm, and the scalar twins the tests compare against. The model's
// layers use the packed kernel (packed_linear.h); these serve the toy layers and small products.
#include "ops/linear.h"

#include <cblas.h>

#include <cstring>
#include <mutex>


namespace attnlab {

void blas_single_thread() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

void blas_sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a, int lda,
                const float* b, int ldb, float beta, float* c, int ldc) {
  static std::mutex blas;
  blas_single_thread();
  const std::lock_guard lock(blas);
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans, m, n,
              k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void linear(const float* x, int rows, int in, const float* w, const float* b, int out, float* y) {
  // Like torch.addmm: start from the broadcast bias, then accumulate x w^T on top (beta = 1).
  for (int r = 0; r < rows; ++r) {
    if (b) std::memcpy(y + static_cast<size_t>(r) * out, b, sizeof(float) * out);
    else std::memset(y + static_cast<size_t>(r) * out, 0, sizeof(float) * out);
  }
  blas_sgemm(false, true, rows, out, in, 1.0f, x, in, w, in, 1.0f, y, out);
}

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
  blas_sgemm(false, false, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
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
