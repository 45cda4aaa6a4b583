// tokenizer.json's "pre_tokenizer": tokenizers' pre-tokenizers (src/pre_tokenizers/*.rs) over a
// PreTokenizedString, the list of pieces the model then tokenizes one by one.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "text/json_fields.h"
#include "text/normalized_string.h"

namespace attnlab {

class Regex;

// tokenizers' PreTokenizedString: pieces of the (normalized) text, some already tokens (added tokens).
struct PreTokenizedString {
  struct Split {
    NormalizedString normalized;
    std::optional<std::vector<ModelToken>> tokens;
  };
  std::vector<Split> splits;

  // Replaces every piece without tokens by what f(piece, out) appends to out; empty pieces are dropped.
  template <class F>
  void split(F&& f) {
    std::vector<Split> next;
    next.reserve(splits.size());
    std::vector<NormalizedString> parts;
    for (Split& s : splits) {
      if (s.tokens) {
        next.push_back(std::move(s));
        continue;
      }
      parts.clear();
      f(std::move(s.normalized), parts);
      for (NormalizedString& p : parts)
        if (!p.empty()) next.push_back({std::move(p), std::nullopt});
    }
    splits = std::move(next);
  }
};

class PreTokenizer {
 public:
  // The "pre_tokenizer" value (an object, or null for none). Sequences are flattened.
  static PreTokenizer from_json(const nlohmann::json& j, const json_fields::Where& where);

  void pre_tokenize(PreTokenizedString& p) const;

 private:
  enum class Kind { kByteLevel, kSplit, kMetaspace, kWhitespace, kWhitespaceSplit, kBert, kDigits, kPunctuation,
                    kCharDelimiter };
  enum class Prepend { kAlways, kFirst, kNever };
  struct Step {
    Kind kind;
    bool add_prefix_space = true, use_regex = true;  // ByteLevel
    Pattern pattern;                                 // Split
    std::shared_ptr<const Regex> regex;
    SplitBehavior behavior = SplitBehavior::kIsolated;  // Split, Punctuation
    char32_t replacement = U'\u2581';                   // Metaspace
    std::string replacement_utf8;
    Prepend prepend = Prepend::kAlways;
    bool split = true;
    bool individual_digits = false;  // Digits
    char32_t delimiter = 0;          // CharDelimiterSplit
  };
  static void add(const nlohmann::json& j, const json_fields::Where& where, std::vector<Step>& steps);
  std::vector<Step> steps_;
};

// GPT-2's split, which ByteLevel applies when use_regex is true.
inline constexpr const char* kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace attnlab
