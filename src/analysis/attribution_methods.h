// The methods of attnlab/analysis.h on one forward pass's outputs, shared by the files of
// src/analysis/ that implement them. Matrices are row-major doubles: [n, n] per layer.
#pragma once

#include <vector>

#include "attnlab/analysis.h"
#include "model/transformer.h"

namespace attnlab {

// per_layer: [layers][n * n] -> R = M_L ... M_1 ([n * n]), as compute_joint_attention's loop
// (joint_0 = M_1, joint_l = M_l . joint_{l-1}).
std::vector<double> layer_product(const std::vector<std::vector<double>>& per_layer, int n);

// [n * n] doubles or [blocks][n * n] doubles -> an Attribution of float32 scores with `shape`.
Attribution make_attribution(Method method, std::vector<size_t> shape, const std::vector<double>& scores);

// Norm-based analysis (Kobayashi et al. 2020) and ALTI (Ferrando et al. 2022). `run` holds the
// attentions, hidden_states and value vectors of `model` on one input.
Attribution norm_analysis(const TransformerModel& model, const Result& run, bool per_head);
// ALTI's per-layer contributions [layers][n * n] (rows normalised).
std::vector<std::vector<double>> alti_contributions(const TransformerModel& model, const Result& run);

// Value zeroing (Mohebbi et al. 2023): [layers][n * n], rows normalised. `run` holds hidden_states.
std::vector<std::vector<double>> value_zeroing_scores(const TransformerModel& model, const Result& run);

}  // namespace attnlab
