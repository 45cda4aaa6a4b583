// The notebook's toy layers (cells 1-2): NonAttentionExample (one nn.Linear per token) and
// SimpleAttentionExample (single-head Q/K/V, scaled dot product, softmax), with PyTorch's
// parameter initialisation so that a seed gives the notebook's exact weights.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/matrix.h"

namespace attnlab {

// nn.Linear(in, out): weight [out, in], bias [out].
struct Linear {
  Matrix weight;
  std::vector<float> bias;
};

// Parameters in the notebook's construction order after torch.manual_seed(seed):
// NonAttentionExample().linear, then SimpleAttentionExample().query, .key, .value.
struct ToyParameters {
  Linear non_attention;
  Linear query;
  Linear key;
  Linear value;
};
ToyParameters make_toy_parameters(uint64_t seed, int dim = 4);

// The notebook's 4 tokens x 4 features.
Matrix notebook_toy_input();

// x: [tokens, dim] -> [tokens, dim]; each row independently.
Matrix non_attention_forward(const Linear& linear, const Matrix& x);

struct ToyAttention {
  Matrix weights;  // [tokens, tokens], rows sum to 1
  Matrix output;   // [tokens, dim]
  // The steps in between, as forward() computes them: Q, K, V [tokens, dim] and the scaled
  // scores Q K^T / sqrt(dim) [tokens, tokens] before the softmax.
  Matrix queries, keys, values, scores;
};
// x: [tokens, dim] -> output [tokens, dim], weights [tokens, tokens]:
// softmax(Q K^T / sqrt(dim)) V.
ToyAttention simple_attention_forward(const ToyParameters& params, const Matrix& x);

namespace toy {

// The notebook's cells 1-2 after torch.manual_seed(seed): parameters, the 4 x 4 input and both layers' outputs.
struct Run {
  ToyParameters parameters;
  Matrix input;
  Matrix non_attention;  // [tokens, dim]
  ToyAttention attention;
};
Run run(uint64_t seed = 103);

// A seed as torch.manual_seed takes it: any integer in [-2^63, 2^64 - 1], negatives as two's complement.
// Stores the canonical decimal text (no '+', no leading zeros) in *canonical when given; throws
// attnlab::Error (usage) naming --seed otherwise.
uint64_t parse_seed(std::string_view text, std::string* canonical = nullptr);

}  // namespace toy
}  // namespace attnlab
