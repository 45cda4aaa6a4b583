// tokenizer.json's "added_tokens": tokenizers' AddedVocabulary (src/tokenizer/added_vocabulary.rs), the
// tokens matched in the text before the model, longest first.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "text/normalizers.h"
#include "text/pre_tokenizers.h"
#include "text/wordpiece.h"

namespace attnlab {

struct AddedTokenSpec {
  std::string content;
  bool single_word = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = true;
  bool special = false;
};

class AddedVocabulary {
 public:
  // tokenizers' add_tokens: ids come from the model's vocabulary (or an earlier added token) when the
  // content is there, else the next free id after the model's vocabulary; the ids written in
  // tokenizer.json are not read, as tokenizers does not read them.
  void add_tokens(const std::vector<AddedTokenSpec>& tokens, const std::function<int(std::string_view)>& model_token_to_id,
                  size_t model_vocab_size, const Normalizer& normalizer);

  // Splits the text around added tokens: first the non-normalized ones in the raw text, then the
  // pieces are normalized and the normalized ones are matched in them.
  PreTokenizedString extract_and_normalize(const Normalizer& normalizer, std::string_view text) const;

  int token_to_id(std::string_view content) const;  // -1 if not an added token
  // tokenizers' simple_id_to_token: the content (normalized when the token is), or nullptr.
  const std::string* id_to_token(int id) const;
  bool is_special(std::string_view token) const { return special_.count(std::string(token)) != 0; }
  size_t size() const { return by_id_.size(); }
  const std::unordered_map<int, AddedTokenSpec>& tokens() const { return by_id_; }
  int max_id() const { return max_id_; }

 private:
  // A byte trie over the patterns, for leftmost-longest matching.
  struct Trie {
    struct Node {
      std::unordered_map<unsigned char, int> next;
      int id = -1;  // token id ending here
    };
    std::vector<Node> nodes{1};
    void insert(std::string_view s, int id);
    bool empty() const { return nodes.size() == 1 && nodes[0].id < 0; }
  };
  struct Match {
    int id;  // -1: not a token
    Offsets offsets;
  };
  std::vector<Match> find_matches(std::string_view sentence, const Trie& trie) const;
  void split_with(PreTokenizedString& p, const Trie& trie, const Normalizer* normalizer) const;
  void refresh();

  std::unordered_map<std::string, int, StringHash, std::equal_to<>> by_content_;
  std::unordered_map<int, AddedTokenSpec> by_id_;
  std::unordered_map<int, std::string> normalized_cache_;
  std::unordered_set<std::string> special_;
  std::vector<int> order_;  // ids in the order they were added
  Trie raw_, normalized_;
  int max_id_ = -1;
};

}  // namespace attnlab
