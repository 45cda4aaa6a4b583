// Constants of the exp and erf approximations (vec_math.h), shared by the scalar twins and the
// vector kernels (ops/isa/vec_math.cpp) so both compute one formula.
#pragma once

namespace attnlab::vec_math {

// Cephes expf constants.
constexpr float kExpHi = 88.3762626647949f, kExpLo = -88.3762626647949f;
constexpr float kLog2e = 1.44269504088896341f, kC1 = 0.693359375f, kC2 = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f, kP3 = 4.1665795894e-2f,
                kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;

// Abramowitz-Stegun 7.1.26, the constants at::vec uses.
constexpr float kErfP = 0.3275911f, kErfA1 = 0.254829592f, kErfA2 = -0.284496736f, kErfA3 = 1.421413741f,
                kErfA4 = -1.453152027f, kErfA5 = 1.061405429f;
constexpr float kSqrtHalf = 0.70710678118654752440f;

// GELU's tanh approximation, as torch's GeluKernelImpl (GeluType::Tanh) in float32: beta = sqrt(2 / pi).
constexpr float kGeluBeta = 0.7978845608028654f, kGeluKappa = 0.044715f;

}  // namespace attnlab::vec_math
