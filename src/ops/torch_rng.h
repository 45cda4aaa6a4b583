// PyTorch-compatible CPU randomness: the mt19937 stream behind torch.manual_seed(N) and the float32
// uniform_ draw, so that a seed means the same numbers in attnlab as in a PyTorch notebook.
#pragma once

#include <cstdint>
#include <span>

namespace attnlab {

// Mirrors at::CPUGeneratorImpl: a 32-bit Mersenne Twister seeded with the low 32 bits of the seed
// (at::mt19937 calls init_genrand(seed & 0xffffffff)).
class TorchGenerator {
 public:
  explicit TorchGenerator(uint64_t seed) { manual_seed(seed); }
  void manual_seed(uint64_t seed);
  uint32_t random();  // next 32-bit output, like CPUGeneratorImpl::random()

 private:
  static constexpr int kStateSize = 624;
  uint32_t state_[kStateSize];
  int next_ = kStateSize;
};

// tensor.uniform_(from, to) on a contiguous float32 CPU tensor: one random() per element, in order.
// `from` and `to` arrive as doubles (Python floats) and are cast to float first, as ATen does.
void uniform_(TorchGenerator& gen, std::span<float> out, double from, double to);

// The float draw itself: 24 random bits scaled to [0, 1), then x * (to - from) + from in float.
float uniform_float(uint32_t bits, float from, float to);

}  // namespace attnlab
