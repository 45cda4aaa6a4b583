// Byte-pair encoding, token for token as Hugging Face tokenizers' BPE model (models/bpe/{model,word,
// serialization}.rs): the model of GPT-2, Llama, Gemma and most tokenizer.json files since.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/token_types.h"

namespace attnlab {

struct BpeOptions {
  std::optional<std::string> unk_token;   // replaces characters not in the vocabulary; none: they vanish
  std::string continuing_subword_prefix;  // put before every character but a word's first ("##")
  std::string end_of_word_suffix;         // put after a word's last character ("</w>")
  bool fuse_unk = false;                  // consecutive unknown characters make one unk token
  bool byte_fallback = false;             // an unknown character becomes its bytes' <0xNN> tokens when all exist
  bool ignore_merges = false;             // a word that is itself in the vocabulary is one token
  // tokenizer.json's "dropout": only the two deterministic values. 0 is no dropout; 1 drops every merge
  // (tokenizers then also skips the ignore_merges lookup, which lives on its cached path only).
  float dropout = 0.0f;
  // tokenizers' BpeBuilder::cache_capacity: words (under 256 bytes) whose result is kept; 0 keeps none.
  // Results are the same either way. Not part of tokenizer.json.
  size_t cache_capacity = 10000;
};

class Bpe {
 public:
  // `vocab` in order (a later entry for the same string wins, as tokenizers' hash map does; an id held by
  // several strings maps back to the first of them still in the vocabulary). `merges` in rank order; a
  // pair listed twice keeps its later rank. Throws attnlab::Error (kExitInput) naming `where` and the
  // field (e.g. "tokenizer.json: model.merges[12]") when an id is outside [0, 2147483646], a merge names
  // a token not in the vocabulary, or its merged token is not in it (tokenizers: "Token `x` out of
  // vocabulary", or a panic where the merged token is longer than any entry), or dropout is not 0 or 1.
  Bpe(const std::vector<std::pair<std::string, int>>& vocab,
      const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
      std::string where = "BPE model");

  // tokenizer.json's "model" object ("type": "BPE" or absent): vocab, merges as ["a", "b"] pairs or as
  // "a b" strings (exactly one space; "#version" lines skipped), the options above, unknown keys ignored,
  // nulls meaning "not set" — what tokenizers' deserializer accepts, except a dropout other than null, 0
  // or 1, which is random and refused. Errors name `source` and the field: "<source>: model.merges[3]".
  static Bpe from_json(const nlohmann::json& model, const std::string& source);

  // Appends the tokens of one pre-tokenized word, as tokenizers' BPE::tokenize: offsets are bytes into
  // `sequence` as tokenizers computes them (a dropped unknown character shifts the later ones; byte
  // fallback counts every byte of the prefixed piece). Empty input gives nothing. Throws attnlab::Error
  // (kExitInput) when an unknown character needs unk_token and it is not in the vocabulary. Safe to call
  // from many threads at once.
  void tokenize(std::string_view sequence, std::vector<ModelToken>& out) const;

  int token_to_id(std::string_view token) const;  // -1 when absent
  const std::string* id_to_token(int id) const;   // nullptr when absent
  size_t vocab_size() const;                      // distinct strings
  size_t merges_size() const;                     // distinct pairs
  const BpeOptions& options() const;

  struct Impl;
  struct Cache;

 private:
  explicit Bpe(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
  std::shared_ptr<Cache> cache_;  // word -> merged symbols; bounded, shared by copies, thread-safe
};

}  // namespace attnlab
