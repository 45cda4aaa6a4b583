// BERT tokenizer identical to Hugging Face's BertTokenizerFast (the `tokenizers` library): one
// composition of the tokenizer.json pipeline (text/tokenizer.h: added tokens, BertNormalizer,
// BertPreTokenizer, WordPiece) read from a model directory, plus the [CLS] A [SEP] B [SEP] template and
// transformers' truncation.
//
// Input text may hold any bytes. Invalid UTF-8 is decoded like Python's bytes.decode("utf-8",
// errors="replace") (one U+FFFD per maximal invalid subsequence), which the normalizer's clean_text
// then deletes, so "ab\xFFcd" tokenizes like "abcd".
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/encoding.h"
#include "text/wordpiece.h"

namespace attnlab {

class Tokenizer;

struct BertNormalizerOptions {
  bool clean_text = true;            // drop NUL, U+FFFD and control chars; any whitespace -> ' '
  bool handle_chinese_chars = true;  // put spaces around CJK ideographs
  bool strip_accents = true;         // NFD, then drop nonspacing marks (tokenizer.json null: = lowercase)
  bool lowercase = true;             // Rust char::to_lowercase, per character (İ -> i + U+0307)
};

// A token matched literally in the text before WordPiece (tokenizer.json "added_tokens").
struct AddedToken {
  std::string content;  // e.g. "[MASK]"
  int id = -1;
  bool single_word = false;  // only match when not glued to word characters on either side
  bool lstrip = false;       // also swallow whitespace on the left
  bool rstrip = false;       // also swallow whitespace on the right
  bool normalized = false;   // match in the normalized text instead of the raw text
  bool special = false;
};

class BertTokenizer {
 public:
  // Reads a Hugging Face model directory: tokenizer.json if present (vocab + normalizer settings +
  // added tokens), else vocab.txt + tokenizer_config.json (do_lower_case, strip_accents,
  // tokenize_chinese_chars; special tokens from special_tokens_map.json / defaults [UNK] [CLS] [SEP]
  // [PAD] [MASK]). Throws attnlab::Error (kExitInput) naming the file at fault.
  static BertTokenizer from_directory(const std::filesystem::path& dir);

  // Single sentence or pair with special tokens. max_length = 0: no limit. Otherwise truncate like HF
  // truncation=True (longest_first for pairs), counting the special tokens. Like HF, a max_length
  // smaller than the number of special tokens (2 or 3) truncates nothing. An empty pair is dropped,
  // as transformers' tokenizer(text, "") does.
  Encoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt, int max_length = 0) const;
  std::vector<std::string> tokenize(std::string_view text) const;  // word pieces, no specials

  int vocab_size() const;                         // including added tokens
  int token_to_id(std::string_view token) const;  // -1 if absent
  const std::string& id_to_token(int id) const;   // throws attnlab::Error when out of range
  int pad_id() const { return pad_id_; }
  int cls_id() const { return cls_id_; }
  int sep_id() const { return sep_id_; }
  int unk_id() const { return model_.unk_id; }

  const BertNormalizerOptions& normalizer() const { return normalizer_; }
  const std::vector<AddedToken>& added_tokens() const { return added_; }

 private:
  struct Pieces {
    std::vector<std::string> tokens;
    std::vector<int> ids;
    std::vector<int> words;  // word index of each piece (tokenizers' word_ids)
  };
  Pieces split(std::string_view text) const;
  void finish_loading(const std::string& source);

  WordPiece model_;
  BertNormalizerOptions normalizer_;
  bool has_normalizer_ = true;
  std::vector<AddedToken> added_;
  std::shared_ptr<const Tokenizer> pipeline_;  // normalizer, pre-tokenizer, WordPiece, added tokens
  std::string cls_token_ = "[CLS]", sep_token_ = "[SEP]", pad_token_ = "[PAD]";
  int cls_id_ = -1, sep_id_ = -1, pad_id_ = -1;
};

}  // namespace attnlab
