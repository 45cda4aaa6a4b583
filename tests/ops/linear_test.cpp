// Fast ops against their scalar twins.
#include "ops/linear.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "../support/random.h"
#include "../support/fixtures.h"
#include "ops/softmax.h"

namespace attnlab {
namespace {

using testing::random_vector;

TEST(Linear, MatchesNaive) {
  for (auto [rows, in, out] : {std::tuple{1, 4, 4}, {9, 384, 1152}, {17, 64, 33}}) {
    const auto x = random_vector(static_cast<size_t>(rows) * in, 1), w = random_vector(static_cast<size_t>(out) * in, 2),
               b = random_vector(out, 3);
    std::vector<float> fast(static_cast<size_t>(rows) * out), slow(fast.size());
    linear(x.data(), rows, in, w.data(), b.data(), out, fast.data());
    linear_naive(x.data(), rows, in, w.data(), b.data(), out, slow.data());
    // Different summation orders over `in` terms of size ~1: 1e-4 relative to sqrt(in) growth.
    testing::expect_close(fast, slow, 1e-4, "linear " + std::to_string(rows) + "x" + std::to_string(in));
  }
}

TEST(Matmul, MatchesNaive) {
  const int m = 7, k = 13, n = 5;
  const auto a = random_vector(m * k, 4), b = random_vector(k * n, 5);
  std::vector<float> fast(m * n), slow(m * n);
  matmul(a.data(), b.data(), m, k, n, fast.data());
  matmul_naive(a.data(), b.data(), m, k, n, slow.data());
  testing::expect_close(fast, slow, 1e-5, "matmul 7x13x5");
}

TEST(Softmax, RowsSumToOneAndAreShiftInvariant) {
  std::vector<float> x = {1.0f, 2.0f, 3.0f, 1001.0f, 1002.0f, 1003.0f};
  softmax_rows(x.data(), 2, 3);
  for (int r = 0; r < 2; ++r) EXPECT_NEAR(x[r * 3] + x[r * 3 + 1] + x[r * 3 + 2], 1.0f, 1e-6);
  for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(x[c], x[3 + c]);
}

}  // namespace
}  // namespace attnlab
