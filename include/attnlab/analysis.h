// Beyond raw attention weights: attention rollout and flow (Abnar & Zuidema 2020), norm-based
// analysis (Kobayashi et al. 2020), ALTI (Ferrando et al. 2022) and value zeroing (Mohebbi et al.
// 2023), computed as each paper's reference code does (README.md, "Attribution methods", says
// which choices were made where the papers differ).
//
// Thread safety: every call is a pure function of its arguments; calls on one Engine may run
// from any number of threads at once (see engine.h).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/engine.h"

namespace attnlab {

enum class Method {
  kRollout,            // R = Â_L ... Â_1, Â_l = rownorm(mean over heads of A_l + I): [n, n]
  kRolloutNoResidual,  // the same product of the head means without + I: [n, n]
  kFlow,               // max flow from each last-layer node to each input token over the Â_l graph: [n, n]
  kNorm,               // ||sum_h alpha_hij f_h(x_j)|| per layer: [layers, n, n]
  kNormHeads,          // ||alpha_hij f_h(x_j)|| per layer and head: [layers, heads, n, n]
  kAlti,               // ALTI's token-to-token contributions per layer: [layers, n, n]
  kAltiRollout,        // ALTI's layers aggregated (product without + I): [n, n]
  kValueZeroing,       // 1 - cos(x~_i, x_i) with token j's values zeroed, row-normalised: [layers, n, n]
};

// Every method by its command-line name ("rollout", "rollout-noresidual", "flow", "norm",
// "norm-heads", "alti", "alti-rollout", "value-zeroing"), in the order of Method.
const std::vector<std::string>& method_names();
const std::string& method_name(Method method);
// The method called `name`; Error(kExitUsage) listing the valid names when there is none.
Method parse_method(std::string_view name);

// Attention flow solves n^2 max-flow problems on a graph of (layers + 1) x n nodes and layers x n^2
// edges, so its cost grows at least as n^4; longer inputs than this are refused unless
// AnalysisOptions::force (64 tokens: about 2 s of CPU on MiniLM and on a bert-base-sized model).
inline constexpr int kMaxFlowTokens = 64;

struct AnalysisOptions {
  bool force = false;  // flow: run inputs longer than kMaxFlowTokens
};

// One method's scores for one input, float32, row-major; `shape` is [n, n], [layers, n, n] or
// [layers, heads, n, n] as listed at Method. Row i is token i's attribution over the tokens (of the
// input, for the aggregated methods; of the layer's input, for the per-layer ones).
struct Attribution {
  Method method = Method::kRollout;
  std::vector<size_t> shape;
  std::vector<float> scores;

  int seq_len() const { return static_cast<int>(shape.back()); }
  // The [n] row of token `query`; layer and head are used only where the shape has them.
  std::span<const float> row(int query, int layer = 0, int head = 0) const {
    const size_t n = shape.back();
    size_t block = 0;
    if (shape.size() == 3) block = static_cast<size_t>(layer);
    if (shape.size() == 4) block = static_cast<size_t>(layer) * shape[1] + static_cast<size_t>(head);
    return {scores.data() + (block * n + static_cast<size_t>(query)) * n, n};
  }
};

// Error(kExitInput) naming the limit when flow would run on n > kMaxFlowTokens tokens without
// options.force.
void check_flow_length(int n, const AnalysisOptions& options);

// Runs the model on `input` (with the hidden states and value vectors the method needs) and
// computes `method`. check_flow_length's error for flow, before the model runs; the engine's own
// errors otherwise. Uses the engine's kernel threads.
Attribution analyze(const Engine& engine, const Encoding& input, Method method, const AnalysisOptions& options = {});

// The methods that need nothing but attention (rollout, rollout-noresidual, flow), on attention a
// run already kept ([layers, heads, n, n]): the numbers analyze() gives, without another forward
// pass. check_flow_length's error for flow; Error(kExitUsage) for a method that needs the model.
bool needs_only_attentions(Method method);
Attribution attention_attribution(const AttentionTensor& attentions, Method method,
                                  const AnalysisOptions& options = {});

// The attention-only methods themselves ([layers, heads, n, n] in): rollout with or without the
// residual identity, and attention flow (no token limit here), each [n, n].
Attribution attention_rollout(const AttentionTensor& attentions, bool residual);

// Attention rollout built layer by layer, from RunOptions::on_layer's views, without keeping
// [layers, heads, n, n]: the same arithmetic, so the same numbers, as attention_rollout. Memory: two
// [n, n] double matrices.
class RolloutBuilder {
 public:
  explicit RolloutBuilder(bool residual = true) : residual_(residual) {}
  void add_layer(const ArrayView<3>& attention);  // [heads, n, n]; layers in order
  int layers() const { return layers_; }
  Attribution result() const;  // [n, n]; needs at least one layer

 private:
  bool residual_;
  int n_ = 0, layers_ = 0;
  std::vector<double> joint_, next_, layer_;
};
Attribution attention_flow(const AttentionTensor& attentions);

}  // namespace attnlab
