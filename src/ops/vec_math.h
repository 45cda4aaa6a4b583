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

// out[i] = gelu_tanh(gate[i]) * up[i] (Gemma's gated MLP): torch's 0.5 x (1 + tanh(u)), u = beta (x +
// kappa x^3), computed as the equal x / (1 + exp(-2u)) with exp_scalar's exp, which avoids the
// cancellation of 1 + tanh for negative u; within a few float32 ulps of torch's value.
void gelu_tanh_mul(const float* gate, const float* up, float* out, long n);
float gelu_tanh_scalar(float x);

}  // namespace attnlab
