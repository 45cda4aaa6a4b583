// The notebook's printed text (see notebook_text.h).
#include "cli/notebook_text.h"

#include "attnlab/text_format.h"

namespace attnlab::cli {

std::string toy_notebook_text(const std::string& seed_text, const Matrix& x, const Matrix& na,
                              const ToyAttention& at) {
  std::string s = "Seed set to " + seed_text + "\n";
  s += "=== Non-Attention Example ===\n";
  s += "Input tokens:\n" + torch_tensor_text(x) + "\n";
  s += "\nOutput (independent processing):\n" + torch_tensor_text(na, "AddmmBackward0") + "\n";
  s += "\n=== Attention Example ===\n";
  s += "Attention weights (token-to-token influence):\n" + torch_tensor_text(at.weights, "SoftmaxBackward0") + "\n";
  s += "\nOutput (context-aware processing):\n" + torch_tensor_text(at.output, "MmBackward0") + "\n";
  return s;
}

std::string bert_example_text(const std::string& sentence, const std::optional<std::string>& pair,
                              const std::vector<std::string>& tokens, int query, std::span<const float> row,
                              const std::string& row_label_prefix, const std::string& title) {
  std::string s = "\n=== " + title + " ===\n";
  s += "Sentence: " + sentence + "\n";
  if (pair) s += "Pair: " + *pair + "\n";
  s += "Tokens: " + python_list_repr(tokens) + "\n";
  s += "\n" + row_label_prefix + tokens[query] + " attention to each token:\n";
  for (size_t k = 0; k < tokens.size(); ++k) s += tokens[k] + ": " + python_fixed(row[k], 4) + "\n";
  return s;
}

std::string example_title(const ModelInfo& info) {
  return info.family == "bert" ? "BERT Attention Example" : "Attention Example (" + info.model_type + ")";
}

}  // namespace attnlab::cli
