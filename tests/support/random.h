// Seeded uniform float vectors for kernel tests (std::mt19937: the same numbers on every platform).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace attnlab::testing {

inline std::vector<float> random_vector(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

}  // namespace attnlab::testing
