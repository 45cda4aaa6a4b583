// Grouping inputs into forward passes, one policy for every front end (corpus, serve, Python): consecutive
// batches within a count and a token budget, and a failed batch rerun input by input so that one bad
// input fails alone while the others get their results.
//
// Thread safety: the functions keep no state; run_batches() is as thread-safe as Engine::run_batch().
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <span>
#include <vector>

#include "attnlab/encoding.h"
#include "attnlab/engine.h"

namespace attnlab {

// The shared defaults. 32 inputs: the batch the benchmarks give transformers and ONNX Runtime. 4096
// tokens: a pass's activations stay near 4 * 4096 * (4 * hidden + intermediate) bytes (~100 MB for
// bert-base) and one layer's attention at most 4 * heads * 4096 * max_tokens bytes (bert-base, 512-token
// texts: 96 MiB).
inline constexpr size_t kDefaultBatchInputs = 32;
inline constexpr size_t kDefaultBatchTokens = 4096;

struct BatchLimits {
  size_t max_inputs = kDefaultBatchInputs;  // inputs per pass; 0 = no limit
  // Tokens per pass, counted as the engine pays them: Engine::run_batch packs its inputs (no padding),
  // so a pass costs the sum of their lengths. 0 = no limit. An input longer than this runs alone.
  size_t max_tokens = kDefaultBatchTokens;

  // Whether an input of `tokens` tokens must open a new batch after one that holds `inputs` inputs of
  // `batch_tokens` tokens in all. Never for an empty batch: one input is always allowed alone.
  bool starts_new_batch(size_t inputs, size_t batch_tokens, size_t tokens) const {
    if (inputs == 0) return false;
    return (max_inputs > 0 && inputs >= max_inputs) || (max_tokens > 0 && batch_tokens + tokens > max_tokens);
  }
};

// Inputs [begin, end) of a sequence: one forward pass.
struct BatchRange {
  size_t begin = 0, end = 0;
  size_t size() const { return end - begin; }
  bool operator==(const BatchRange&) const = default;
};

// `inputs` split into consecutive batches within `limits`, in order, each as large as the limits allow
// (a new batch opens only when the next input does not fit). Empty for no inputs.
std::vector<BatchRange> split_batches(std::span<const Encoding> inputs, const BatchLimits& limits = {});

// One input's outcome: its result, or what its forward pass threw (any exception: attnlab::Error for an
// input the engine rejects, std::bad_alloc, ...; rethrow it to read it). `result` is empty on failure.
struct BatchOutcome {
  Result result;
  std::exception_ptr error;
  bool ok() const { return error == nullptr; }
};

// Runs `inputs` through `engine` in the batches of split_batches(), one outcome per input, in order;
// results equal single runs bit for bit. A batch of more than one input that throws is rerun one input
// at a time, so each input gets its own result or its own error; nothing is thrown for an input.
//
// `options.on_layer` sees every pass, reruns included; its LayerView::input is the index in `inputs`
// (not in the pass). An observer that accumulates must forget what a failed pass showed it:
// `on_rerun(i)` is called just before input i is rerun alone (after the views of the failed pass, before
// those of the rerun).
std::vector<BatchOutcome> run_batches(const Engine& engine, std::span<const Encoding> inputs,
                                      const RunOptions& options = {}, const BatchLimits& limits = {},
                                      const std::function<void(size_t input)>& on_rerun = {});

}  // namespace attnlab
