// Toy-layer checks (see toy_checks.h).
#include "attnlab/toy_checks.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace attnlab {

std::vector<double> row_sums(const Matrix& m) {
  std::vector<double> sums(m.rows, 0.0);
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c) sums[r] += m.at(r, c);
  return sums;
}

static void compare_rows(const Matrix& before, const Matrix& after, std::vector<float>& max_change,
                         std::vector<bool>& identical) {
  for (int r = 0; r < before.rows; ++r) {
    float mc = 0.0f;
    for (int c = 0; c < before.cols; ++c) mc = std::max(mc, std::abs(after.at(r, c) - before.at(r, c)));
    max_change.push_back(mc);
    identical.push_back(std::memcmp(before.row(r), after.row(r), sizeof(float) * before.cols) == 0);
  }
}

ContextTest run_context_test(const ToyParameters& params, const Matrix& x, int token, float delta) {
  ContextTest t;
  t.changed_token = token;
  t.changed_input = x;
  for (int c = 0; c < x.cols; ++c) t.changed_input.at(token, c) += delta;
  const Matrix na_before = non_attention_forward(params.non_attention, x);
  const Matrix na_after = non_attention_forward(params.non_attention, t.changed_input);
  const ToyAttention at_before = simple_attention_forward(params, x);
  const ToyAttention at_after = simple_attention_forward(params, t.changed_input);
  compare_rows(na_before, na_after, t.non_attention_max_change, t.non_attention_identical);
  compare_rows(at_before.output, at_after.output, t.attention_max_change, t.attention_identical);
  return t;
}

}  // namespace attnlab
