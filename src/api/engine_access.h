// Library-internal access to what an Engine holds, for the analysis methods that need the weights
// and reruns of single layers (src/analysis/). Not part of the public surface.
#pragma once

#include "attnlab/engine.h"
#include "model/transformer.h"

namespace attnlab {

struct EngineAccess {
  // The loaded model; Error when the engine was opened tokenizer_only.
  static const TransformerModel& model(const Engine& engine);
  // EngineOptions::threads the engine was opened with (0 = the default), for ScopedThreads.
  static int threads(const Engine& engine);
};

}  // namespace attnlab
