// Plain types the tokenizer.json pipeline's components hand to one another (tokenizers' Token,
// Offsets and Encoding, src/tokenizer/{mod,encoding}.rs).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace attnlab {

// [start, end) in bytes; which string they index is said where they are produced.
struct Offsets {
  size_t start = 0;
  size_t end = 0;
  bool operator==(const Offsets& o) const { return start == o.start && end == o.end; }
};

// One token out of a model (BPE, WordPiece): its id, its string and its byte offsets into the piece of
// normalized text the model was given.
struct ModelToken {
  int id = -1;
  std::string value;
  Offsets offsets;
};

// One encoded sequence, or the merge of two with their special tokens (tokenizers' Encoding). All
// vectors have one entry per token. Offsets index the original text of the token's own sequence
// (bytes inside the library; front ends convert them to characters as tokenizers' Python binding does);
// special tokens added by a post-processor have {0, 0}.
struct TokenEncoding {
  std::vector<int> ids;
  std::vector<int> type_ids;             // 0 or 1 (the template's type id)
  std::vector<std::string> tokens;
  std::vector<Offsets> offsets;
  std::vector<int> special_tokens_mask;  // 1 for tokens a post-processor added (added tokens in the text: 0)
  std::vector<int> word_ids;             // -1 for none (tokenizers' word_ids() None)
  std::vector<int> sequence_ids;         // 0, 1, or -1 for tokens a post-processor added

  size_t size() const { return ids.size(); }
  // Appends token i of `other`.
  void push_from(const TokenEncoding& other, size_t i) {
    ids.push_back(other.ids[i]);
    type_ids.push_back(other.type_ids[i]);
    tokens.push_back(other.tokens[i]);
    offsets.push_back(other.offsets[i]);
    special_tokens_mask.push_back(other.special_tokens_mask[i]);
    word_ids.push_back(other.word_ids[i]);
    sequence_ids.push_back(other.sequence_ids[i]);
  }
  void push(int id, std::string token, Offsets off, int type_id, int special, int word, int sequence) {
    ids.push_back(id);
    type_ids.push_back(type_id);
    tokens.push_back(std::move(token));
    offsets.push_back(off);
    special_tokens_mask.push_back(special);
    word_ids.push_back(word);
    sequence_ids.push_back(sequence);
  }
};

}  // namespace attnlab
