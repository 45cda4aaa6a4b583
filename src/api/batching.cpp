// See attnlab/batching.h: the one batching policy of the corpus run, the server and the Python package.
#include "attnlab/batching.h"

namespace attnlab {

std::vector<BatchRange> split_batches(std::span<const Encoding> inputs, const BatchLimits& limits) {
  std::vector<BatchRange> batches;
  size_t tokens = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const size_t n = inputs[i].size();
    if (batches.empty() || limits.starts_new_batch(batches.back().size(), tokens, n)) {
      batches.push_back({i, i});
      tokens = 0;
    }
    batches.back().end = i + 1;
    tokens += n;
  }
  return batches;
}

namespace {

// inputs[b.begin, b.end) as one pass into out[b.begin, b.end); what it threw, or null. The observer's
// views are renumbered from the pass's inputs to the whole sequence's.
std::exception_ptr run_pass(const Engine& engine, std::span<const Encoding> inputs, BatchRange b,
                            const RunOptions& options, std::span<BatchOutcome> out) {
  RunOptions pass = options;
  std::vector<LayerView> renumbered;
  if (options.on_layer && b.begin > 0)
    pass.on_layer = [&](std::span<const LayerView> views) {
      renumbered.assign(views.begin(), views.end());
      for (LayerView& v : renumbered) v.input += static_cast<int>(b.begin);
      options.on_layer(renumbered);
    };
  try {
    std::vector<Result> results = engine.run_batch(inputs.subspan(b.begin, b.size()), pass);
    for (size_t i = 0; i < results.size(); ++i) out[b.begin + i].result = std::move(results[i]);
    return nullptr;
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace

std::vector<BatchOutcome> run_batches(const Engine& engine, std::span<const Encoding> inputs, const RunOptions& options,
                                      const BatchLimits& limits, const std::function<void(size_t input)>& on_rerun) {
  std::vector<BatchOutcome> out(inputs.size());
  for (const BatchRange& b : split_batches(inputs, limits)) {
    std::exception_ptr failed = run_pass(engine, inputs, b, options, out);
    if (!failed) continue;
    if (b.size() == 1) {
      out[b.begin].error = failed;
      continue;
    }
    // Find the inputs at fault: each alone.
    for (size_t i = b.begin; i < b.end; ++i) {
      if (on_rerun) on_rerun(i);
      out[i].error = run_pass(engine, inputs, {i, i + 1}, options, out);
    }
  }
  return out;
}

}  // namespace attnlab
