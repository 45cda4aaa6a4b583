// Vectorised exp and erf-GELU with scalar twins. The GELU follows PyTorch's own CPU kernel
// (at::vec erf: Abramowitz-Stegun 7.1.26 with an exp of -x^2), so attnlab rounds where the
// reference does rather than being "more exact" than it.
#pragma once

namespace attnlab {

// x[i] = exp(x[i]), in place; about 1 ulp (Cephes expf range reduction + polynomial).
void exp_inplace(float* x, long n);
float exp_scalar(float x);  // the scalar twin, same algorithm

// The erf approximation of at::vec::Vectorized<float>::erf (|error| < 1.5e-7) and its scalar twin.
float erf_scalar(float x);

// x[i] = x * 0.5 * (1 + erf(x / sqrt 2)), in place (torch GeluKernel, approximate="none").
void gelu_erf_fast(float* x, long n);
float gelu_scalar(float x);

}  // namespace attnlab
