// Linear maps and matrix products in float32, each with a plain scalar twin used by the tests.
#pragma once

namespace attnlab {

// y: [rows, out] = x: [rows, in] · w: [out, in]^T + b: [out]   (nn.Linear; b may be null)
void linear(const float* x, int rows, int in, const float* w, const float* b, int out, float* y);
void linear_naive(const float* x, int rows, int in, const float* w, const float* b, int out, float* y);

// OpenBLAS runs single-threaded inside attnlab's own pool: one threading model, no oversubscription.
void blas_single_thread();

// Row-major c: [m, n] = alpha · op(a) · op(b) + beta · c through cblas_sgemm, one caller at a time.
// attnlab links OpenBLAS's serial build (no BLAS worker threads; cmake/dependencies.cmake), whose
// work buffers are not locked: two threads inside it at once corrupt each other's results.
void blas_sgemm(bool transpose_a, bool transpose_b, int m, int n, int k, float alpha, const float* a, int lda,
                const float* b, int ldb, float beta, float* c, int ldc);

// c: [m, n] = a: [m, k] · b: [k, n]
void matmul(const float* a, const float* b, int m, int k, int n, float* c);
void matmul_naive(const float* a, const float* b, int m, int k, int n, float* c);

}  // namespace attnlab
