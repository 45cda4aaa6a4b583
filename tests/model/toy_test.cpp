// Golden tests of the notebook's toy layers against real PyTorch (fixtures: tools/make_toy_fixtures.py).
#include "attnlab/toy.h"

#include <gtest/gtest.h>

#include "../support/fixtures.h"
#include "attnlab/toy_checks.h"

namespace attnlab {
namespace {

using testing::expect_bit_identical;
using testing::expect_close;
using testing::flat;

class ToyGolden : public ::testing::TestWithParam<int> {};

TEST_P(ToyGolden, ParametersBitIdenticalOutputsWithin1e6) {
  const int seed = GetParam();
  const auto fx = testing::load_json("toy_seed" + std::to_string(seed) + ".json");
  const ToyParameters p = make_toy_parameters(static_cast<uint64_t>(static_cast<long long>(seed)));
  const auto& fp = fx["parameters"];
  // RNG-produced weights: tolerance 0, bit for bit.
  const std::pair<const char*, const Linear*> layers[] = {
      {"non_attention.linear", &p.non_attention}, {"query", &p.query}, {"key", &p.key}, {"value", &p.value}};
  for (const auto& [name, lin] : layers) {
    expect_bit_identical(lin->weight.data, flat(fp[name]["weight"]), std::string(name) + ".weight");
    expect_bit_identical(lin->bias, flat(fp[name]["bias"]), std::string(name) + ".bias");
  }
  const Matrix x = notebook_toy_input();
  expect_bit_identical(x.data, flat(fx["input"]), "input");
  // Outputs go through sgemm and exp, whose summation order differs from PyTorch's: 1e-6.
  const Matrix na = non_attention_forward(p.non_attention, x);
  const ToyAttention at = simple_attention_forward(p, x);
  expect_close(na.data, flat(fx["non_attention_output"]), 1e-6, "non_attention_output seed " + std::to_string(seed));
  expect_close(at.weights.data, flat(fx["attention_weights"]), 1e-6, "attention_weights seed " + std::to_string(seed));
  expect_close(at.output.data, flat(fx["attention_output"]), 1e-6, "attention_output seed " + std::to_string(seed));
  expect_close(at.queries.data, flat(fx["queries"]), 1e-6, "queries seed " + std::to_string(seed));
  expect_close(at.keys.data, flat(fx["keys"]), 1e-6, "keys seed " + std::to_string(seed));
  expect_close(at.values.data, flat(fx["values"]), 1e-6, "values seed " + std::to_string(seed));
  expect_close(at.scores.data, flat(fx["scores"]), 1e-6, "scores seed " + std::to_string(seed));
}

INSTANTIATE_TEST_SUITE_P(Seeds, ToyGolden, ::testing::Values(103, 0, 42, 2024, -5));

TEST(ToyChecks, AttentionRowsSumToOne) {
  const ToyParameters p = make_toy_parameters(103);
  for (double s : row_sums(simple_attention_forward(p, notebook_toy_input()).weights)) EXPECT_NEAR(s, 1.0, 1e-6);
}

TEST(ToyChecks, ContextChangesEveryAttentionRowButNoOtherNonAttentionRow) {
  const ToyParameters p = make_toy_parameters(103);
  for (int token = 0; token < 4; ++token) {
    const ContextTest t = run_context_test(p, notebook_toy_input(), token, 1.0f);
    for (int r = 0; r < 4; ++r) {
      EXPECT_EQ(t.non_attention_identical[r], r != token) << "token " << token << " row " << r;
      EXPECT_FALSE(t.attention_identical[r]) << "token " << token << " row " << r;
      EXPECT_GT(t.attention_max_change[r], 0.0f);
    }
  }
}

}  // namespace
}  // namespace attnlab
