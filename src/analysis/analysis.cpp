// attnlab/analysis.h's entry points: method names, and one forward pass with what each method needs.
#include "attnlab/analysis.h"

#include "analysis/attribution_methods.h"
#include "api/engine_access.h"
#include "attnlab/error.h"
#include "core/thread_pool.h"

namespace attnlab {

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names{"rollout", "rollout-noresidual", "flow",         "norm", "norm-heads",
                                              "alti",    "alti-rollout",       "value-zeroing"};
  return names;
}

const std::string& method_name(Method method) { return method_names().at(static_cast<size_t>(method)); }

Method parse_method(std::string_view name) {
  const std::vector<std::string>& names = method_names();
  std::string valid;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<Method>(i);
    valid += (i ? ", " : "") + names[i];
  }
  throw Error("unknown method '" + std::string(name) + "'; valid methods: " + valid, kExitUsage);
}

namespace {

// [layers][n * n] -> Attribution [layers, n, n]
Attribution per_layer(Method method, const std::vector<std::vector<double>>& layers, int n) {
  std::vector<double> all;
  for (const auto& l : layers) all.insert(all.end(), l.begin(), l.end());
  return make_attribution(method, {layers.size(), size_t(n), size_t(n)}, all);
}

}  // namespace

void check_flow_length(int n, const AnalysisOptions& options) {
  if (n > kMaxFlowTokens && !options.force)
    throw Error("flow: the input has " + std::to_string(n) + " tokens; attention flow solves n^2 max-flow problems " +
                    "and runs on at most " + std::to_string(kMaxFlowTokens) +
                    " tokens unless forced (--force; it takes minutes beyond that)",
                kExitInput);
}

bool needs_only_attentions(Method method) {
  return method == Method::kRollout || method == Method::kRolloutNoResidual || method == Method::kFlow;
}

Attribution attention_attribution(const AttentionTensor& attentions, Method method, const AnalysisOptions& options) {
  if (attentions.empty())
    throw Error(method_name(method) + ": the run kept no attention (RunOptions::attentions was off)", kExitUsage);
  switch (method) {
    case Method::kRollout: return attention_rollout(attentions, /*residual=*/true);
    case Method::kRolloutNoResidual: return attention_rollout(attentions, /*residual=*/false);
    case Method::kFlow:
      check_flow_length(attentions.seq_len(), options);
      return attention_flow(attentions);
    default:
      throw Error(method_name(method) + " needs the model's hidden states and weights, not only attention: run it with "
                                        "analyze()",
                  kExitUsage);
  }
}

Attribution analyze(const Engine& engine, const Encoding& input, Method method, const AnalysisOptions& options) {
  const int n = static_cast<int>(input.size());
  if (method == Method::kFlow) check_flow_length(n, options);
  if ((method == Method::kAlti || method == Method::kAltiRollout) && engine.info().pre_norm)
    throw Error(method_name(method) + ": ALTI (Ferrando et al. 2022) decomposes a post-LN encoder layer, whose "
                                      "LayerNorm follows the residual sum, as its reference code does; " +
                    engine.info().name + " is a pre-LN " + engine.info().model_type +
                    " model, for which no published decomposition is implemented here. Use norm, norm-heads, "
                    "value-zeroing, rollout, rollout-noresidual or flow",
                kExitUsage);
  const bool decomposes = method == Method::kNorm || method == Method::kNormHeads || method == Method::kAlti ||
                          method == Method::kAltiRollout;
  RunOptions run_options;
  run_options.hidden_states = decomposes || method == Method::kValueZeroing;
  run_options.qkv = decomposes;
  const Result run = engine.run(input, run_options);
  if (needs_only_attentions(method)) {
    ScopedThreads threads(EngineAccess::threads(engine));
    return attention_attribution(run.attentions, method, options);
  }
  const TransformerModel& model = EngineAccess::model(engine);
  ScopedThreads threads(EngineAccess::threads(engine));
  switch (method) {
    case Method::kNorm:
    case Method::kNormHeads:
      return norm_analysis(model, run, method == Method::kNormHeads);
    case Method::kAlti:
      return per_layer(method, alti_contributions(model, run), n);
    case Method::kAltiRollout:
      return make_attribution(method, {size_t(n), size_t(n)}, layer_product(alti_contributions(model, run), n));
    default:
      return per_layer(method, value_zeroing_scores(model, run), n);
  }
}

}  // namespace attnlab
