// Linear maps and matrix products in float32, each with a plain scalar twin used by the tests.
#pragma once

namespace attnlab {

// y: [rows, out] = x: [rows, in] · w: [out, in]^T + b: [out]   (nn.Linear; b may be null)
void linear(const float* x, int rows, int in, const float* w, const float* b, int out, float* y);
void linear_naive(const float* x, int rows, int in, const float* w, const float* b, int out, float* y);

// OpenBLAS runs single-threaded inside attnlab's own pool: one threading model, no oversubscription.
void blas_single_thread();

// c: [m, n] = a: [m, k] · b: [k, n]
void matmul(const float* a, const float* b, int m, int k, int n, float* c);
void matmul_naive(const float* a, const float* b, int m, int k, int n, float* c);

}  // namespace attnlab
