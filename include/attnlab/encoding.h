// A tokenized input: what the tokenizer produces and a forward pass consumes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace attnlab {

// Engine::encode refuses longer texts (Error, kExitInput): a BERT sees at most a few thousand tokens
// of them, and tokenizing holds ~30 bytes per input byte at its peak.
inline constexpr size_t kMaxTextBytes = size_t{16} << 20;

struct Encoding {
  std::vector<std::string> tokens;  // [CLS] the cat ... [SEP]
  std::vector<int> input_ids;
  std::vector<int> token_type_ids;  // 0 for [CLS] A [SEP], 1 for B [SEP]
  // Word of each token within its segment (tokenizers' word_ids()): -1 for special tokens; sub-words
  // of one word share an index, so they can be merged back into words.
  std::vector<int> word_ids;
  bool truncated = false;  // tokens were cut to fit max_length
  size_t size() const { return input_ids.size(); }
};

}  // namespace attnlab
