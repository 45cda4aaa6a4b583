// The PyTorch-compatible generator against the MT19937 reference and PyTorch's own draws.
#include "ops/torch_rng.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "../support/fixtures.h"

namespace attnlab {
namespace {

TEST(TorchGenerator, MatchesStdMt19937Stream) {
  // at::mt19937 is the standard MT19937; std::mt19937 is an independent implementation of it.
  for (uint32_t seed : {0u, 103u, 5489u, 0xffffffffu}) {
    std::mt19937 ref(seed);
    TorchGenerator gen(seed);
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(gen.random(), ref()) << "seed " << seed << " draw " << i;
  }
}

TEST(TorchGenerator, SeedUsesLow32Bits) {
  TorchGenerator a(103), b((uint64_t{1} << 32) + 103);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.random(), b.random());
}

TEST(TorchGenerator, UniformMatchesPyTorchFirstLinearWeight) {
  // The first nn.Linear(4, 4) weight after manual_seed(103) is a plain uniform_ over 16 floats.
  const auto fx = testing::load_json("toy_seed103.json");
  const auto want = testing::flat(fx["parameters"]["non_attention.linear"]["weight"]);
  TorchGenerator gen(103);
  std::vector<float> got(16);
  const double bound = std::sqrt(3.0) * (std::sqrt(2.0 / (1.0 + std::pow(std::sqrt(5.0), 2.0))) / 2.0);
  uniform_(gen, got, -bound, bound);
  testing::expect_bit_identical(got, want, "uniform_ draw");
}

}  // namespace
}  // namespace attnlab
