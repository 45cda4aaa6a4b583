// tokenizers' decoders (src/decoders/*.rs, with the decoder sides of ByteLevel, Metaspace and Replace):
// tokens back to text, string for string as Tokenizer::decode produces it.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace attnlab {

class Decoder {
 public:
  // No decoder (tokenizer.json "decoder": null): decode_chain returns the tokens as they are and decode
  // joins them with single spaces, as Tokenizer::decode does without one.
  Decoder();

  // tokenizer.json's "decoder" object (null gives the no-decoder Decoder): ByteLevel, Metaspace,
  // ByteFallback, Fuse, Strip, Replace, WordPiece, BPEDecoder, CTC and Sequence, with the fields, defaults
  // and legacy forms tokenizers' deserializer takes (an object without a known "type" is tried as
  // BPEDecoder, WordPiece, CTC, Replace, then Strip). A Replace with a regular expression is taken only
  // when it is a literal. Throws attnlab::Error (kExitInput) naming `source` and the field
  // ("tokenizer.json: decoder.decoders[2].content").
  static Decoder from_json(const nlohmann::json& decoder, const std::string& source);

  bool is_none() const { return root_ == nullptr; }

  // tokenizers' Decoder::decode_chain: each decoder maps the token list to a new one, in order.
  // Throws attnlab::Error (kExitInput) where tokenizers panics: a Strip asked to cut more characters
  // than a token has.
  std::vector<std::string> decode_chain(std::vector<std::string> tokens) const;

  // decode_chain, then the results concatenated (or, with no decoder, the tokens joined with spaces).
  // Bytes that are not UTF-8 after ByteLevel become U+FFFD as Rust's String::from_utf8_lossy makes them
  // (one per maximal invalid sequence); a ByteFallback run of <0xNN> tokens that is not UTF-8 becomes
  // one U+FFFD per token.
  std::string decode(const std::vector<std::string>& tokens) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
};

}  // namespace attnlab
