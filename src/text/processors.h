// tokenizer.json's "post_processor" as Hugging Face tokenizers applies it (src/processors/*.rs, ByteLevel's
// in src/pre_tokenizers/byte_level.rs, Tokenizer::post_process): special tokens, type ids, sequence ids,
// offset trimming and the merge of a pair.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "text/token_types.h"

namespace attnlab {

// The original texts the two sequences' byte offsets index (valid UTF-8).
struct SequenceTexts {
  std::string_view a;
  std::string_view b;  // unused for a single sequence
};

class PostProcessor {
 public:
  // No post-processor (tokenizer.json "post_processor": null): tokenizers' default_process.
  PostProcessor();

  // Reads a tokenizer.json "post_processor" value (null allowed) the way tokenizers' serde does: an
  // untagged enum tried in the order RobertaProcessing, BertProcessing, ByteLevel, TemplateProcessing,
  // Sequence, so the first shape that fits wins whatever "type" says (only ByteLevel and Sequence check
  // it). Throws Error (kExitInput) "<source>: post_processor<.field>: ..." when nothing fits, e.g.
  // "tokenizer.json: post_processor.processors[1].single[2]: ...". Templates tokenizers accepts but panics
  // on (a special token missing from special_tokens, $B in the single template) load here too and throw
  // from process(), where tokenizers panics.
  static PostProcessor from_json(const nlohmann::json& j, const std::string& source);

  // Tokens process() adds to a single sequence or a pair (tokenizers' added_tokens /
  // num_special_tokens_to_add); what truncation subtracts from max_length.
  size_t added_tokens(bool is_pair) const;

  // tokenizers' Tokenizer::post_process without truncation and padding: `a` and `b` are what the model
  // gave each sequence (ids, tokens, offsets into that sequence's original text, word ids,
  // special_tokens_mask); their type_ids and sequence_ids are ignored (tokenizers sets them). The result
  // has the processor's special tokens (offsets {0, 0}, word -1), type ids and sequence ids, pair merged.
  //
  // trim_offsets (ByteLevel, RobertaProcessing) moves offsets past a token's leading and trailing 'Ġ'
  // and Unicode White_Space characters, one offset unit per character. tokenizers runs it on whatever
  // units the offsets are in by then: characters in its Python binding (encode_char_offsets, so in
  // transformers), bytes in Rust's encode(). The two differ when such a character is not one byte in
  // the original text: U+00A0 as an added token, U+3000 that NFKC made a space, the space ByteLevel's
  // add_prefix_space puts before a first character that is not ASCII. So:
  //  - without `texts`, the arithmetic is in the offsets' own unit: pass character offsets to get
  //    Python's results, byte offsets to get Rust encode()'s;
  //  - with `texts` (the original texts of a and b), offsets are bytes and trimming counts characters
  //    of the texts: Python's results, in bytes. Offsets beyond their text are an Error.
  TokenEncoding process(TokenEncoding a, std::optional<TokenEncoding> b, bool add_special_tokens,
                        const std::optional<SequenceTexts>& texts = std::nullopt) const;

  bool is_none() const { return root_ == nullptr; }

  struct Node;  // one processor (defined in processors.cpp)

 private:
  std::shared_ptr<const Node> root_;  // null: no post-processor
  std::string source_;
};

}  // namespace attnlab
