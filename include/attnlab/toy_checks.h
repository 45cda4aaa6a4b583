// The notebook's "what to look for" checks on the toy layers, computed rather than claimed:
// attention rows sum to 1, and changing one token moves every attention row but no other
// non-attention row.
#pragma once

#include <string>
#include <string_view>
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

// What `attnlab toy --json` prints and the viewer's toy page embeds: one JSON object with the seed (as
// written, e.g. from toy::parse_seed), input, both layers' outputs, Q, K, V, scores, attention weights,
// every parameter, row sums and the context check; floats with 9 significant digits, then a newline.
std::string toy_json(const toy::Run& run, const ContextTest& context, std::string_view seed_text, float delta);

}  // namespace attnlab
