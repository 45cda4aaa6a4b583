// The notebook's "Key Observations" numbers, computed as the notebook computes them.
#pragma once

#include <span>

#include "attnlab/matrix.h"

namespace attnlab {

// attention_weights.mean().item(): the mean of every entry, as float32.
float mean_interaction_strength(const Matrix& attention_weights);

// int(np.argmax(values)): index of the first largest value.
int strongest_index(std::span<const float> values);

}  // namespace attnlab
