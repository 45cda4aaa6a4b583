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

// Tokenizes to at most the model's length (transformers' truncation=True), warning on stderr when
// text is cut; with no_truncate, an input that is too long is an error instead.
Encoding encode_text(const Engine& engine, const std::string& text, const std::optional<std::string>& pair,
                     bool no_truncate);

}  // namespace attnlab::cli
