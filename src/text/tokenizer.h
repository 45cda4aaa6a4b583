// A tokenizer assembled from tokenizer.json, identical to Hugging Face tokenizers: normalizer, added
// tokens, pre-tokenizer, model (BPE or WordPiece), post-processor and decoder, each with tokenizers' own
// names and semantics (src/tokenizer/mod.rs: encode_single_sequence, post_process, decode).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "text/added_vocabulary.h"
#include "text/normalizers.h"
#include "text/pre_tokenizers.h"
#include "text/token_types.h"
#include "text/wordpiece.h"

namespace attnlab {

class Bpe;
class Decoder;
class PostProcessor;

class Tokenizer {
 public:
  // Offsets as tokenizers' Rust API gives them (bytes) or as its Python binding does (characters,
  // converted before post-processing as encode_char_offsets does).
  enum class OffsetUnit { kBytes, kChars };

  // Reads tokenizer.json (a regular file of at most 64 MB, io/text_file.h). Throws attnlab::Error (kExitInput) naming the file and
  // the field for anything it cannot read: an unknown component, type or option, a wrong type.
  static Tokenizer from_file(const std::filesystem::path& file);
  static Tokenizer from_json_text(std::string_view text, const std::string& source);
  // A parsed tokenizer.json document; errors name `source` and the field.
  static Tokenizer from_json(const nlohmann::json& document, const std::string& source);
  // A WordPiece tokenizer from its parts (BERT's vocab.txt + tokenizer_config.json): `normalizer` and
  // `pre_tokenizer` as tokenizer.json writes them (null: none), no post-processor.
  static Tokenizer from_wordpiece(const nlohmann::json& normalizer, const nlohmann::json& pre_tokenizer,
                                  WordPiece model, const std::vector<AddedTokenSpec>& added, const std::string& source);

  // Encodes one text or a pair. Text may hold any bytes: invalid UTF-8 is read as Python's
  // bytes.decode("utf-8", errors="replace") reads it, and offsets index that decoded text.
  TokenEncoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                       bool add_special_tokens = true, OffsetUnit unit = OffsetUnit::kBytes) const;

  // One sequence before post-processing (tokenizers' encode_single_sequence): tokens, ids, offsets,
  // word ids (the pre-tokenized piece each token comes from), type ids all `type_id`.
  TokenEncoding encode_one(std::string_view text, int type_id = 0, OffsetUnit unit = OffsetUnit::kBytes) const;

  // tokenizers' decode: ids to tokens (added tokens first), optionally without special tokens, through
  // the decoder (or joined with spaces when there is none).
  std::string decode(const std::vector<int>& ids, bool skip_special_tokens = false) const;

  int token_to_id(std::string_view token) const;      // -1 if absent
  const std::string* id_to_token(int id) const;        // nullptr if absent
  size_t vocab_size() const;                           // model + added tokens (tokenizers' get_vocab_size(true))
  const AddedVocabulary& added_tokens() const { return added_; }
  std::string model_type() const;                      // "BPE" or "WordPiece"
  const std::string& source() const { return source_; }

 private:
  struct Model;
  TokenEncoding encode_sequence(const std::string& text, int type_id, OffsetUnit unit) const;

  std::string source_;
  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  std::shared_ptr<const Model> model_;
  std::shared_ptr<const PostProcessor> post_processor_;
  std::shared_ptr<const Decoder> decoder_;  // null: tokens joined with spaces
  AddedVocabulary added_;
};

// Byte offsets into `text` as tokenizers' BytesToCharOffsetConverter turns them into character offsets
// (a byte inside a character counts as that character; an unconvertible pair is left as it is).
Offsets bytes_to_char_offsets(std::string_view text, Offsets bytes, const std::vector<size_t>& char_of_byte);
std::vector<size_t> char_index_of_bytes(std::string_view text);

}  // namespace attnlab
