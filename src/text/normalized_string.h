// A piece of text being normalized, with the alignment of every normalized byte to the original
// bytes it came from: tokenizers' NormalizedString (src/tokenizer/normalizer.rs), operation for
// operation, so that offsets come out as tokenizers reports them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/token_types.h"

namespace attnlab {

class Regex;

// What tokenizers' Pattern trait finds (src/tokenizer/pattern.rs): a covering of the whole string by
// ordered, contiguous byte ranges, each flagged as a match or not.
struct PatternSpan {
  Offsets offsets;
  bool is_match;
};

// The patterns components split and replace on: a literal string, a compiled regex, or a per-character
// predicate; `invert` flips every flag (tokenizers' Invert).
struct Pattern {
  enum class Kind { kLiteral, kChar, kRegex, kPredicate };
  Kind kind = Kind::kLiteral;
  std::string literal;  // non-empty (an empty one is a regex: it matches everywhere, as Oniguruma's "")
  char32_t ch = 0;
  const Regex* regex = nullptr;       // not owned
  bool (*predicate)(char32_t) = nullptr;
  bool invert = false;

  static Pattern of_literal(std::string s) { Pattern p; p.kind = Kind::kLiteral; p.literal = std::move(s); return p; }
  static Pattern of_char(char32_t c) { Pattern p; p.kind = Kind::kChar; p.ch = c; return p; }
  static Pattern of_regex(const Regex& r) { Pattern p; p.kind = Kind::kRegex; p.regex = &r; return p; }
  static Pattern of_predicate(bool (*f)(char32_t)) { Pattern p; p.kind = Kind::kPredicate; p.predicate = f; return p; }

  void find_matches(std::string_view inside, std::vector<PatternSpan>& out) const;
};

// tokenizers' SplitDelimiterBehavior.
enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

class NormalizedString {
 public:
  // One new character of a transformation and how it relates to the current ones (tokenizers'
  // `(char, isize)`): 0 replaces the next current character, 1 is inserted (aligned like the one
  // before it), -n replaces the next one and removes the n after it.
  struct Change {
    char32_t c;
    int change;
  };

  NormalizedString() = default;
  explicit NormalizedString(std::string text);  // valid UTF-8

  const std::string& get() const { return normalized_; }
  const std::string& original() const { return original_; }
  size_t len() const { return normalized_.size(); }
  size_t len_original() const { return original_.size(); }
  bool empty() const { return normalized_.empty(); }
  // Where this piece sits in the whole original text, in bytes.
  Offsets offsets_original() const { return {original_shift_, original_shift_ + original_.size()}; }

  // A normalized byte range as an original byte range (relative to this piece); nullopt where
  // tokenizers' convert_offsets gives None.
  std::optional<Offsets> normalized_to_original(Offsets range) const;
  std::optional<Offsets> original_to_normalized(Offsets range) const;
  // The slice of a normalized byte range (on character boundaries), with its alignments.
  std::optional<NormalizedString> slice_normalized(Offsets range) const;

  void transform_range(Offsets normalized_range, const std::vector<Change>& dest, size_t initial_offset);
  void transform(const std::vector<Change>& dest, size_t initial_offset) {
    transform_range({0, normalized_.size()}, dest, initial_offset);
  }

  void nfd();
  void nfkd();
  void nfc();
  void nfkc();
  void filter(bool (*keep)(char32_t));
  void prepend(std::string_view s);
  void append(std::string_view s);
  void map(char32_t (*f)(char32_t));
  void lowercase();
  void replace(const Pattern& pattern, std::string_view content);
  std::vector<NormalizedString> split(const Pattern& pattern, SplitBehavior behavior) const;
  void lstrip() { lrstrip(true, false); }
  void rstrip() { lrstrip(false, true); }
  void strip() { lrstrip(true, true); }

  const std::vector<Offsets>& alignments() const { return alignments_; }

 private:
  void lrstrip(bool left, bool right);
  void normalize_form(bool compose, bool compat);

  std::string original_;
  std::string normalized_;
  std::vector<Offsets> alignments_;  // one per normalized byte: its original byte range
  size_t original_shift_ = 0;
};

// Character classes as tokenizers' components test them (tables generated from the real library).
bool is_rust_whitespace(char32_t c);   // char::is_whitespace
bool is_rust_numeric(char32_t c);      // char::is_numeric
bool is_regex_word_char(char32_t c);   // the regex crate's \w
bool is_tokenizers_punctuation(char32_t c);  // ASCII punctuation or the unicode_categories crate's P*
bool is_combining_mark(char32_t c);    // unicode-normalization's is_combining_mark
bool is_nonspacing_mark_bert(char32_t c);

// Decodes one valid UTF-8 character at s[i]; `len` gets its byte length.
char32_t utf8_char_at(std::string_view s, size_t i, size_t& len);

}  // namespace attnlab
