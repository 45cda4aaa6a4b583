// Glue shared by the model commands: open an engine (drawing download progress and saying any
// notice on stderr), read text arguments, tokenize with the model's length limit.
#pragma once

#include <optional>
#include <string>

#include "attnlab/engine.h"

namespace attnlab::cli {

// Opens the model through the engine; says the engine's notice (fallback model, stale cache) on
// stderr and shows downloads: a live bar per file on a TTY, else one "downloading" line per file.
Engine open_engine(const std::string& model_arg, EngineOptions options = {});

// A text argument: "-" reads all of standard input (any bytes).
std::string read_text_argument(const std::string& value);

// What a command does with a text longer than the model takes: cut it to the model's length
// (transformers' truncation=True) with a warning on stderr ending in `when_cut`, or refuse it with
// an error ending in `when_refused`, prefixed by `subject` when one is given.
struct LengthPolicy {
  bool truncate = true;
  std::string_view when_cut;      // how to refuse instead, e.g. "Use --no-truncate to refuse instead."
  std::string_view when_refused;  // how to cut instead, e.g. "drop --no-truncate to cut it"
  std::string_view subject;       // e.g. "the --compare text"; empty: none
};

// The `attention`, `tokens` and `demo` commands' policy: cut unless --no-truncate.
LengthPolicy truncate_unless(bool no_truncate);

Encoding encode_text(const Engine& engine, const std::string& text, const std::optional<std::string>& pair,
                     const LengthPolicy& policy);

}  // namespace attnlab::cli
