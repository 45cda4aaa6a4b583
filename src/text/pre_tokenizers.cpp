// tokenizers' pre-tokenizers (src/pre_tokenizers/{byte_level,split,metaspace,whitespace,bert,digits,
// punctuation,delimiter,sequence}.rs).
#include "text/pre_tokenizers.h"

#include "core/utf8.h"
#include "text/normalizers.h"
#include "text/regex.h"

namespace attnlab {
namespace {

using json_fields::Where;
using nlohmann::json;

SplitBehavior parse_behavior(const json& v, const Where& w) {
  const std::string& b = json_fields::as_string(v, w);
  if (b == "Removed") return SplitBehavior::kRemoved;
  if (b == "Isolated") return SplitBehavior::kIsolated;
  if (b == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (b == "Contiguous") return SplitBehavior::kContiguous;
  w.fail("unknown behavior '" + b + "' (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous)");
}

char32_t single_char(const json& v, const Where& w) {
  const std::string& s = json_fields::as_string(v, w);
  size_t len = 0;
  if (s.empty()) w.fail("expected one character, found an empty string");
  const Utf8Step step = decode_utf8_at(s, 0);
  len = step.length;
  if (!step.valid || len != s.size()) w.fail("expected one character, found \"" + s + "\"");
  return step.code_point;
}

// The Whitespace pre-tokenizer's regex \w+|[^\w\s]+, inverted and removed: runs of word characters, runs
// of other non-space characters; whitespace separates them.
void whitespace_words(NormalizedString&& n, std::vector<NormalizedString>& out) {
  const std::string& s = n.get();
  size_t i = 0;
  while (i < s.size()) {
    size_t len = 0;
    char32_t c = utf8_char_at(s, i, len);
    if (is_rust_whitespace(c)) {
      i += len;
      continue;
    }
    const bool word = is_regex_word_char(c);
    const size_t start = i;
    i += len;
    while (i < s.size()) {
      c = utf8_char_at(s, i, len);
      if (is_rust_whitespace(c) || is_regex_word_char(c) != word) break;
      i += len;
    }
    if (auto piece = n.slice_normalized({start, i})) out.push_back(std::move(*piece));
  }
}

}  // namespace

PreTokenizer PreTokenizer::from_json(const json& j, const Where& where) {
  PreTokenizer p;
  if (!j.is_null()) add(j, where, p.steps_);
  return p;
}

void PreTokenizer::add(const json& j, const Where& w, std::vector<Step>& steps) {
  using namespace json_fields;
  const std::string type = type_of(j, w);
  Step s{};
  if (type == "Sequence") {
    const json& list = require(j, "pretokenizers", w);
    if (!list.is_array()) w.key("pretokenizers").fail("expected a list, found " + type_name(list));
    for (size_t i = 0; i < list.size(); ++i) add(list[i], w.key("pretokenizers").index(i), steps);
    return;
  } else if (type == "ByteLevel") {
    s.kind = Kind::kByteLevel;
    s.add_prefix_space = bool_field(j, "add_prefix_space", w);
    bool_field_or(j, "trim_offsets", true, w);  // only the post-processor and decoder use it
    s.use_regex = bool_field_or(j, "use_regex", true, w);
    if (s.use_regex) {
      s.regex = std::make_shared<const Regex>(kGpt2SplitPattern, w.source + ": " + w.path + " (ByteLevel's regex)");
      s.pattern = Pattern::of_regex(*s.regex);
    }
  } else if (type == "Split") {
    s.kind = Kind::kSplit;
    s.pattern = compile_pattern(require(j, "pattern", w), w.key("pattern"), s.regex);
    s.behavior = parse_behavior(require(j, "behavior", w), w.key("behavior"));
    s.pattern.invert = bool_field(j, "invert", w);
  } else if (type == "Metaspace") {
    s.kind = Kind::kMetaspace;
    s.replacement = single_char(require(j, "replacement", w), w.key("replacement"));
    append_utf8(s.replacement_utf8, s.replacement);
    if (const json* scheme = optional(j, "prepend_scheme")) {
      const std::string& v = as_string(*scheme, w.key("prepend_scheme"));
      if (v == "always") s.prepend = Prepend::kAlways;
      else if (v == "first") s.prepend = Prepend::kFirst;
      else if (v == "never") s.prepend = Prepend::kNever;
      else w.key("prepend_scheme").fail("unknown prepend_scheme '" + v + "' (always, first, never)");
    }
    if (const json* aps = optional(j, "add_prefix_space"); aps && !as_bool(*aps, w.key("add_prefix_space"))) {
      if (s.prepend != Prepend::kNever)
        w.key("add_prefix_space").fail("add_prefix_space does not match declared prepend_scheme");
      s.prepend = Prepend::kNever;
    }
    s.split = bool_field_or(j, "split", true, w);
  } else if (type == "Whitespace") {
    s.kind = Kind::kWhitespace;
  } else if (type == "WhitespaceSplit") {
    s.kind = Kind::kWhitespaceSplit;
  } else if (type == "BertPreTokenizer") {
    s.kind = Kind::kBert;
  } else if (type == "Digits") {
    s.kind = Kind::kDigits;
    s.individual_digits = bool_field_or(j, "individual_digits", false, w);
  } else if (type == "Punctuation") {
    s.kind = Kind::kPunctuation;
    const json* b = optional(j, "behavior");
    s.behavior = b ? parse_behavior(*b, w.key("behavior")) : SplitBehavior::kIsolated;
  } else if (type == "CharDelimiterSplit") {
    s.kind = Kind::kCharDelimiter;
    s.delimiter = single_char(require(j, "delimiter", w), w.key("delimiter"));
  } else {
    w.key("type").fail("unknown pre-tokenizer '" + type +
                       "' (attnlab reads ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, BertPreTokenizer, "
                       "Digits, Punctuation, CharDelimiterSplit, Sequence)");
  }
  steps.push_back(std::move(s));
}

void PreTokenizer::pre_tokenize(PreTokenizedString& p) const {
  for (const Step& s : steps_) {
    switch (s.kind) {
      case Kind::kByteLevel:
        p.split([&](NormalizedString&& n, std::vector<NormalizedString>& out) {
          if (s.add_prefix_space && (n.get().empty() || n.get()[0] != ' ')) n.prepend(" ");
          if (s.use_regex)
            out = n.split(s.pattern, SplitBehavior::kIsolated);
          else
            out.push_back(std::move(n));
        });
        for (auto& split : p.splits)
          if (!split.tokens) byte_level_transform(split.normalized);
        break;
      case Kind::kSplit:
        p.split([&](NormalizedString&& n, std::vector<NormalizedString>& out) { out = n.split(s.pattern, s.behavior); });
        break;
      case Kind::kMetaspace:
        p.split([&](NormalizedString&& n, std::vector<NormalizedString>& out) {
          n.replace(Pattern::of_char(U' '), s.replacement_utf8);
          const bool starts = n.get().compare(0, s.replacement_utf8.size(), s.replacement_utf8) == 0;
          if (s.prepend == Prepend::kAlways ? !starts
                                            : s.prepend == Prepend::kFirst && !starts && n.offsets_original().start == 0)
            n.prepend(s.replacement_utf8);
          if (s.split)
            out = n.split(Pattern::of_char(s.replacement), SplitBehavior::kMergedWithNext);
          else
            out.push_back(std::move(n));
        });
        break;
      case Kind::kWhitespace:
        p.split([](NormalizedString&& n, std::vector<NormalizedString>& out) { whitespace_words(std::move(n), out); });
        break;
      case Kind::kWhitespaceSplit:
        p.split([](NormalizedString&& n, std::vector<NormalizedString>& out) {
          out = n.split(Pattern::of_predicate(is_rust_whitespace), SplitBehavior::kRemoved);
        });
        break;
      case Kind::kBert:
        p.split([](NormalizedString&& n, std::vector<NormalizedString>& out) {
          out = n.split(Pattern::of_predicate(is_rust_whitespace), SplitBehavior::kRemoved);
        });
        p.split([](NormalizedString&& n, std::vector<NormalizedString>& out) {
          out = n.split(Pattern::of_predicate(is_tokenizers_punctuation), SplitBehavior::kIsolated);
        });
        break;
      case Kind::kDigits:
        p.split([&](NormalizedString&& n, std::vector<NormalizedString>& out) {
          out = n.split(Pattern::of_predicate(is_rust_numeric),
                        s.individual_digits ? SplitBehavior::kIsolated : SplitBehavior::kContiguous);
        });
        break;
      case Kind::kPunctuation:
        p.split([&](NormalizedString&& n, std::vector<NormalizedString>& out) {
          out = n.split(Pattern::of_predicate(is_tokenizers_punctuation), s.behavior);
        });
        break;
      case Kind::kCharDelimiter:
        p.split([&](NormalizedString&& n, std::vector<NormalizedString>& out) {
          out = n.split(Pattern::of_char(s.delimiter), SplitBehavior::kRemoved);
        });
        break;
    }
  }
}

}  // namespace attnlab
