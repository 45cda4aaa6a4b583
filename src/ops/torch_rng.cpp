// PyTorch-compatible mt19937 and uniform_ (see torch_rng.h).
// Built with -ffp-contract=off (whole project): the draw must be a separate multiply and add, not an FMA.
#include "ops/torch_rng.h"

namespace attnlab {

void TorchGenerator::manual_seed(uint64_t seed) {
  state_[0] = static_cast<uint32_t>(seed & 0xffffffffu);
  for (int i = 1; i < kStateSize; ++i) {
    state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  next_ = kStateSize;
}

uint32_t TorchGenerator::random() {
  constexpr int kM = 397;
  constexpr uint32_t kMatrixA = 0x9908b0dfu, kUpper = 0x80000000u, kLower = 0x7fffffffu;
  if (next_ >= kStateSize) {  // regenerate the whole state block
    for (int i = 0; i < kStateSize; ++i) {
      uint32_t y = (state_[i] & kUpper) | (state_[(i + 1) % kStateSize] & kLower);
      state_[i] = state_[(i + kM) % kStateSize] ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
    }
    next_ = 0;
  }
  uint32_t y = state_[next_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

float uniform_float(uint32_t bits, float from, float to) {
  // at::uniform_real_distribution<float>: (bits & (2^24 - 1)) * 2^-24, in float arithmetic.
  constexpr uint32_t kMask = (1u << 24) - 1;
  constexpr float kDivisor = 1.0f / static_cast<float>(1u << 24);
  float x = static_cast<float>(bits & kMask) * kDivisor;
  return x * (to - from) + from;
}

void uniform_(TorchGenerator& gen, std::span<float> out, double from, double to) {
  const float lo = static_cast<float>(from), hi = static_cast<float>(to);
  for (float& v : out) v = uniform_float(gen.random(), lo, hi);
}

}  // namespace attnlab
