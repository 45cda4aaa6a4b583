// WordPiece vocabulary and greedy longest-match-first segmentation, as tokenizers' models/wordpiece.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnlab {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct WordPiece {
  std::unordered_map<std::string, int, StringHash, std::equal_to<>> token_to_id;
  // id -> token. A map, not a vector: tokenizer.json may number its vocabulary sparsely, and a
  // single id of 2^31 - 1 must not allocate two billion strings.
  std::unordered_map<int, std::string> id_to_token;
  int id_end = 0;               // largest id + 1
  size_t max_token_bytes = 0;   // longest vocabulary entry: no longer piece can match
  std::string unk_token = "[UNK]";       // must be in the vocabulary
  int unk_id = -1;
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;  // longer words become [UNK]

  // Records token <-> id; a later token with the same string wins the string -> id direction.
  void add(std::string token, int id) {
    if (token.size() > max_token_bytes) max_token_bytes = token.size();
    token_to_id[token] = id;
    if (id >= id_end) id_end = id + 1;
    id_to_token[id] = std::move(token);
  }
  int find(std::string_view token) const {
    auto it = token_to_id.find(token);
    return it == token_to_id.end() ? -1 : it->second;
  }
  // Appends the pieces of one pre-tokenized word (UTF-8): the longest vocabulary prefix, then the
  // longest "##"-prefixed continuation, and so on; a word with any unmatched rest is one [UNK].
  void tokenize(std::string_view word, std::vector<std::string>& tokens, std::vector<int>& ids) const;
};

}  // namespace attnlab
