// Rotary position embedding tables for a ModelSpec's RopeSpec, as transformers computes them.
#pragma once

#include <vector>

#include "model/spec.h"

namespace attnlab {

// inv_freq: [head_dim / 2] and the factor cos/sin are multiplied by (attention_scaling), as the rope
// type's init function computes them for a pass over `seq` positions (dynamic NTK depends on it).
// Python floats are doubles; tensors float32, as there.
std::vector<float> rope_inverse_frequencies(const ModelSpec& spec, const RopeSpec& rope, int seq,
                                            double& attention_scaling);

// cos, sin: [seq, head_dim] = cos/sin(cat(freqs, freqs)) * attention_scaling, freqs = position * inv_freq.
// `rope` is the spec's rope or, for a layer that has its own, its local_rope (ModelSpec::rope_of_layer).
void rope_tables(const ModelSpec& spec, const RopeSpec& rope, int seq, std::vector<float>& cos, std::vector<float>& sin);

}  // namespace attnlab
