// Glue shared by the model commands: find and open a model, read text arguments, tokenize with
// the model's length limit. Parses and prints; all work happens in the library.
#pragma once

#include <optional>
#include <string>

#include "io/model_locator.h"
#include "model/bert.h"
#include "text/bert_tokenizer.h"

namespace attnlab::cli {

struct Session {
  LocatedModel where;
  BertTokenizer tokenizer;
  std::optional<BertModel> model;  // empty when only the tokenizer was asked for
};

// Locates the model (printing the fallback notice, if any, on stderr) and loads it.
Session open_session(const std::string& model_arg, bool load_weights, const LoadOptions& options = {});

// A text argument: "-" reads all of standard input (any bytes).
std::string read_text_argument(const std::string& value);

// Tokenizes to at most max_position_embeddings tokens (HF truncation=True), warning on stderr when
// text is cut; with no_truncate, an input that is too long is an error instead.
Encoding encode_text(const Session& s, const std::string& text, const std::optional<std::string>& pair,
                     bool no_truncate);

}  // namespace attnlab::cli
