// exp and GELU (see vec_math.h): the scalar twins here, the vector kernels in
// ops/isa/vec_math.cpp (one formula: vec_math_constants.h).
#include "ops/vec_math.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "ops/isa/kernels.h"
#include "ops/vec_math_constants.h"

namespace attnlab {

using namespace vec_math;

float exp_scalar(float x) {
  x = std::fmin(std::fmax(x, kExpLo), kExpHi);
  const float fx = std::nearbyint(x * kLog2e);
  x = std::fma(-fx, kC1, x);
  x = std::fma(-fx, kC2, x);
  const float z = x * x;
  float y = kP0;
  y = std::fma(y, x, kP1);
  y = std::fma(y, x, kP2);
  y = std::fma(y, x, kP3);
  y = std::fma(y, x, kP4);
  y = std::fma(y, x, kP5);
  y = std::fma(y, z, x) + 1.0f;
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(fx) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return y * scale;
}

float erf_scalar(float v) {
  const float a = std::fabs(v);
  const float t = 1.0f / std::fma(kErfP, a, 1.0f);
  float r = std::fma(kErfA5, t, kErfA4);
  r = std::fma(r, t, kErfA3);
  r = std::fma(r, t, kErfA2);
  r = std::fma(r, t, kErfA1);
  const float e = -exp_scalar(-(v * v));
  return std::copysign(std::fma(e * t, r, 1.0f), v);
}

float gelu_scalar(float x) { return x * 0.5f * (1.0f + erf_scalar(x * kSqrtHalf)); }

float gelu_tanh_scalar(float x) {
  const float inner = kGeluBeta * (x + kGeluKappa * (x * x * x));
  return x / (1.0f + exp_scalar(-2.0f * inner));
}

void gelu_tanh_mul(const float* gate, const float* up, float* out, long n) { kernels().gelu_tanh_mul(gate, up, out, n); }

void exp_inplace(float* x, long n) { kernels().exp_inplace(x, n); }

void gelu_erf_fast(float* x, long n) { kernels().gelu_erf_fast(x, n); }

}  // namespace attnlab
