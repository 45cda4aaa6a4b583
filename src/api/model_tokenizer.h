// The tokenizer an Engine holds, whatever the family: BERT's (BertTokenizerFast, from tokenizer.json
// or vocab.txt, with transformers' truncation) or any tokenizer.json (HfTokenizer), producing the
// engine's Encoding with each special token's role.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "attnlab/encoding.h"
#include "attnlab/tokenizer.h"
#include "text/bert_tokenizer.h"

namespace attnlab {

class ModelTokenizer {
 public:
  ModelTokenizer() = default;
  // family "bert": BertTokenizer::from_directory; a GGUF file: its metadata's tokenizer; else
  // dir/tokenizer.json (+ tokenizer_config.json); a
  // folder without one gets a tokenizer that only spells ids ("<id N>") and refuses text.
  static ModelTokenizer open(const std::filesystem::path& dir, const std::string& family);

  // max_length = 0: no limit; else truncated as transformers' truncation=True (right side, the
  // post-processor's special tokens kept) and Encoding::truncated set.
  Encoding encode(std::string_view text, std::optional<std::string_view> pair, int max_length) const;
  Encoding from_ids(std::span<const int> ids) const;  // tokens spelled, roles set; ids must be in range
  std::string decode(std::span<const int> ids) const;
  std::string token(int id) const;  // the vocabulary's spelling; "<id N>" for an id it lacks
  int vocab_size() const;

 private:
  TokenRole role_of(int id, bool special) const;
  std::variant<std::monostate, BertTokenizer, HfTokenizer> impl_;
  std::unordered_map<int, TokenRole> roles_;  // special token id -> role
  std::string missing_;                       // the tokenizer.json a folder lacks
};

}  // namespace attnlab
