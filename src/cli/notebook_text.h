// The notebook's printed text, shared by `attnlab toy`, `attnlab attention` and `attnlab demo`,
// so every command that shows a notebook cell prints it in the notebook's exact words.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attnlab/engine.h"
#include "attnlab/toy.h"

namespace attnlab::cli {

// Cell 0's "Seed set to N" and cell 1's prints (torch's tensor format, grad_fn included).
std::string toy_notebook_text(const std::string& seed_text, const Matrix& x, const Matrix& non_attention,
                              const ToyAttention& attention);

// get_bert_cls_attention()'s prints: header, Sentence, Tokens, "<query token> attention to each
// token:" and one "token: 0.1234" line per token. row_label_prefix (e.g. "Layer 2, head 5: ")
// goes in front of the row header when a row other than the notebook's is shown.
std::string bert_example_text(const std::string& sentence, const std::optional<std::string>& pair,
                              const std::vector<std::string>& tokens, int query, std::span<const float> row,
                              const std::string& row_label_prefix = "",
                              const std::string& title = "BERT Attention Example");

// The example's header: the notebook's "BERT Attention Example" for BERT, else naming the model type.
std::string example_title(const ModelInfo& info);

}  // namespace attnlab::cli
