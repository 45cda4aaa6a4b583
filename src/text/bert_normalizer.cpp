// BertNormalizer + BertPreTokenizer. Character classes come from tables generated from the real library
// (text/bert_unicode_tables.h); NFD and lowercasing come from utf8proc plus the generated overrides.
#include "text/bert_normalizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <span>

#include "text/bert_unicode_tables.h"

namespace attnlab {
namespace {

bool in_ranges(std::span<const bert_tables::CodepointRange> ranges, char32_t c) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), c,
                             [](char32_t v, const bert_tables::CodepointRange& r) { return v < r.first; });
  return it != ranges.begin() && c <= std::prev(it)->last;
}

const bert_tables::CodepointMapping* find_override(std::span<const bert_tables::CodepointMapping> table, char32_t c) {
  auto it = std::lower_bound(table.begin(), table.end(), c,
                             [](const bert_tables::CodepointMapping& m, char32_t v) { return m.from < v; });
  return it != table.end() && it->from == c ? &*it : nullptr;
}

bool is_nonspacing_mark(char32_t c) { return c >= 0x300 && in_ranges(bert_tables::kNonspacingMarks, c); }

int combining_class(char32_t c) {
  return c < 0x300 ? 0 : utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

// Canonical decomposition of the whole text, with canonical ordering of combining marks.
std::u32string nfd(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size() + text.size() / 4);
  utf8proc_int32_t buf[32];
  for (char32_t c : text) {
    if (c < 0xC0) {
      out.push_back(c);
      continue;
    }
    if (const auto* o = find_override(bert_tables::kNfdOverrides, c)) {
      out.append(o->to);
      continue;
    }
    const utf8proc_ssize_t n =
        utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32, UTF8PROC_DECOMPOSE, nullptr);
    if (n <= 0 || n > 32) {
      out.push_back(c);  // not a valid code point for utf8proc: leave it alone
      continue;
    }
    for (utf8proc_ssize_t i = 0; i < n; ++i) out.push_back(static_cast<char32_t>(buf[i]));
  }
  // Stable sort of every run of non-starters by combining class (Unicode canonical ordering).
  for (size_t i = 0; i < out.size();) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  return out;
}

void append_lowercase(std::u32string& out, char32_t c) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
  } else if (const auto* o = find_override(bert_tables::kLowercaseOverrides, c)) {
    out.append(o->to);
  } else {
    out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
  }
}

}  // namespace

bool is_bert_whitespace(char32_t c) {
  switch (c) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

bool is_bert_punctuation(char32_t c) { return in_ranges(bert_tables::kPunctuation, c); }

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::u32string bert_normalize(std::u32string_view text, const BertNormalizerOptions& options) {
  std::u32string s;
  s.reserve(text.size());
  for (char32_t c : text) {
    if (options.clean_text) {
      if (in_ranges(bert_tables::kCleanTextDropped, c)) continue;
      if (is_bert_whitespace(c)) c = U' ';
    }
    if (options.handle_chinese_chars && is_chinese_char(c)) {
      s.push_back(U' ');
      s.push_back(c);
      s.push_back(U' ');
    } else {
      s.push_back(c);
    }
  }
  if (options.strip_accents) {
    std::u32string d = nfd(s);
    std::erase_if(d, is_nonspacing_mark);
    s = std::move(d);
  }
  if (options.lowercase) {
    std::u32string lower;
    lower.reserve(s.size());
    for (char32_t c : s) append_lowercase(lower, c);
    s = std::move(lower);
  }
  return s;
}

std::vector<std::u32string_view> bert_pre_tokenize(std::u32string_view text) {
  std::vector<std::u32string_view> words;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    const bool space = is_bert_whitespace(c);
    if (space || is_bert_punctuation(c)) {
      if (i > start) words.push_back(text.substr(start, i - start));
      if (!space) words.push_back(text.substr(i, 1));
      start = i + 1;
    }
  }
  if (text.size() > start) words.push_back(text.substr(start));
  return words;
}

}  // namespace attnlab
