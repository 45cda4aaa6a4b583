// tokenizer.json's "normalizer": tokenizers' normalizers (src/normalizers/*.rs) over a NormalizedString.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "text/json_fields.h"
#include "text/normalized_string.h"

namespace attnlab {

class Regex;

class Normalizer {
 public:
  // The "normalizer" value (an object, or null for none). Sequences are flattened into one list.
  static Normalizer from_json(const nlohmann::json& j, const json_fields::Where& where);

  bool empty() const { return steps_.empty(); }
  void normalize(NormalizedString& s) const;

 private:
  enum class Kind { kBert, kNfd, kNfkd, kNfc, kNfkc, kLowercase, kStrip, kStripAccents, kReplace, kPrepend, kNmt,
                    kByteLevel };
  struct Step {
    Kind kind;
    // BertNormalizer
    bool clean_text = true, handle_chinese_chars = true, strip_accents = true, lowercase = true;
    // Strip
    bool strip_left = false, strip_right = false;
    // Replace (pattern), Prepend (content)
    Pattern pattern;
    std::shared_ptr<const Regex> regex;  // owns what pattern.regex points at
    std::string content;
  };
  static void add(const nlohmann::json& j, const json_fields::Where& where, std::vector<Step>& steps);
  std::vector<Step> steps_;
};

// Compiles a tokenizer.json pattern ({"String": s} or {"Regex": r}) as tokenizers does: a String is
// matched literally (an empty one is the empty regex, matching everywhere).
Pattern compile_pattern(const nlohmann::json& j, const json_fields::Where& where, std::shared_ptr<const Regex>& holder);

// Every byte of the text becomes its alphabet character (the first of a character's bytes replaces it, the
// others are inserted), as the ByteLevel normalizer and pre-tokenizer do.
void byte_level_transform(NormalizedString& s);

}  // namespace attnlab
