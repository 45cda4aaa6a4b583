// The notebook's "what to look for" checks on the toy layers, computed rather than claimed:
// attention rows sum to 1, and changing one token moves every attention row but no other
// non-attention row.
#pragma once

#include <vector>

#include "attnlab/toy.h"

namespace attnlab {

// Sum of each row, accumulated in double.
std::vector<double> row_sums(const Matrix& m);

struct ContextTest {
  int changed_token = 0;    // 0-based row of the input that was changed
  Matrix changed_input;     // the input after the change
  // Per output row: max |after - before| and whether the row is bit-identical.
  std::vector<float> non_attention_max_change;
  std::vector<bool> non_attention_identical;
  std::vector<float> attention_max_change;
  std::vector<bool> attention_identical;
};

// Adds `delta` to every feature of token `token`, reruns both layers and compares with the original.
ContextTest run_context_test(const ToyParameters& params, const Matrix& x, int token, float delta);

}  // namespace attnlab
