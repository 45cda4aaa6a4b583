// tokenizers' NormalizedString and Pattern, ported operation for operation (src/tokenizer/normalizer.rs,
// pattern.rs at huggingface/tokenizers 3ba8ad0), and unicode-normalization-alignments' decomposition and
// recomposition with their per-character changes (n1t0/unicode-normalization decompose.rs, recompose.rs).
#include "text/normalized_string.h"

#include <utf8proc.h>

#include <algorithm>
#include <span>

#include "core/utf8.h"
#include "text/regex.h"
#include "text/unicode_tables.h"

namespace attnlab {
namespace {

using bert_tables::CodepointMapping;
using bert_tables::CodepointRange;

bool in_ranges(std::span<const CodepointRange> ranges, char32_t c) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), c,
                             [](char32_t v, const CodepointRange& r) { return v < r.first; });
  return it != ranges.begin() && c <= std::prev(it)->last;
}

const CodepointMapping* find_override(std::span<const CodepointMapping> table, char32_t c) {
  auto it = std::lower_bound(table.begin(), table.end(), c,
                             [](const CodepointMapping& m, char32_t v) { return m.from < v; });
  return it != table.end() && it->from == c ? &*it : nullptr;
}

size_t utf8_len(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

std::vector<char32_t> chars_of(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    out.push_back(utf8_char_at(s, i, len));
    i += len;
  }
  return out;
}

int combining_class(char32_t c) {
  return c < 0x300 ? 0 : utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class;
}

// Appends the full decomposition of c (canonical, or compatibility when compat).
void decompose_char(char32_t c, bool compat, std::vector<char32_t>& out) {
  if (c < 0xA0) {
    out.push_back(c);
    return;
  }
  if (const auto* o = find_override(compat ? unicode_tables::kNfkdOverrides : bert_tables::kNfdOverrides, c)) {
    out.insert(out.end(), o->to.begin(), o->to.end());
    return;
  }
  utf8proc_int32_t buf[32];
  const utf8proc_option_t options =
      compat ? static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT) : UTF8PROC_DECOMPOSE;
  const utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), buf, 32, options, nullptr);
  if (n <= 0 || n > 32) {
    out.push_back(c);
    return;
  }
  for (utf8proc_ssize_t i = 0; i < n; ++i) out.push_back(static_cast<char32_t>(buf[i]));
}

// The primary composite of the pair, or 0 (Hangul included: utf8proc composes algorithmically).
char32_t compose_pair(char32_t a, char32_t b) {
  utf8proc_int32_t buf[2] = {static_cast<utf8proc_int32_t>(a), static_cast<utf8proc_int32_t>(b)};
  const utf8proc_ssize_t n = utf8proc_normalize_utf32(buf, 2, UTF8PROC_COMPOSE);
  return n == 1 ? static_cast<char32_t>(buf[0]) : 0;
}

// Decompositions::next over the whole text: each source character's pieces (the first with change 0,
// the rest 1), then every run of non-starters stably sorted by combining class, changes moving with
// their characters.
std::vector<NormalizedString::Change> decompositions(std::string_view text, bool compat) {
  struct Item {
    int ccc;
    NormalizedString::Change ch;
  };
  std::vector<Item> items;
  std::vector<char32_t> pieces;
  for (size_t i = 0; i < text.size();) {
    size_t len = 0;
    const char32_t c = utf8_char_at(text, i, len);
    i += len;
    pieces.clear();
    decompose_char(c, compat, pieces);
    for (size_t k = 0; k < pieces.size(); ++k) items.push_back({combining_class(pieces[k]), {pieces[k], k ? 1 : 0}});
  }
  for (size_t i = 0; i < items.size();) {
    if (items[i].ccc == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < items.size() && items[j].ccc != 0) ++j;
    std::stable_sort(items.begin() + static_cast<std::ptrdiff_t>(i), items.begin() + static_cast<std::ptrdiff_t>(j),
                     [](const Item& a, const Item& b) { return a.ccc < b.ccc; });
    i = j;
  }
  std::vector<NormalizedString::Change> out;
  out.reserve(items.size());
  for (const Item& it : items) out.push_back(it.ch);
  return out;
}

// Recompositions::next over decomposed input: the same state machine, so composites carry
// `composee.change + change - 1`.
std::vector<NormalizedString::Change> recompositions(const std::vector<NormalizedString::Change>& in) {
  using Change = NormalizedString::Change;
  std::vector<Change> out;
  out.reserve(in.size());
  std::vector<Change> buffer;
  std::optional<Change> composee;
  int last_ccc = -1;  // -1: None
  auto flush_buffer = [&] {
    out.insert(out.end(), buffer.begin(), buffer.end());
    buffer.clear();
  };
  for (const Change& ch : in) {
    const int ch_class = combining_class(ch.c);
    if (!composee) {
      if (ch_class != 0) {
        out.push_back(ch);
        continue;
      }
      composee = ch;
      continue;
    }
    const Change k = *composee;
    if (last_ccc < 0) {
      if (const char32_t r = compose_pair(k.c, ch.c)) {
        composee = Change{r, k.change + ch.change - 1};
        continue;
      }
      if (ch_class == 0) {
        composee = ch;
        out.push_back(k);
        continue;
      }
      buffer.push_back(ch);
      last_ccc = ch_class;
      continue;
    }
    if (last_ccc >= ch_class) {  // ch is blocked from the composee
      if (ch_class == 0) {
        composee = ch;
        last_ccc = -1;
        out.push_back(k);  // then Purging: the buffered marks
        flush_buffer();
        continue;
      }
      buffer.push_back(ch);
      last_ccc = ch_class;
      continue;
    }
    if (const char32_t r = compose_pair(k.c, ch.c)) {
      composee = Change{r, k.change + ch.change - 1};
      continue;
    }
    buffer.push_back(ch);
    last_ccc = ch_class;
  }
  // Finished: the composee first, then what was buffered after it.
  if (composee) out.push_back(*composee);
  flush_buffer();
  return out;
}

bool is_ascii(std::string_view s) {
  for (unsigned char b : s)
    if (b >= 0x80) return false;
  return true;
}

void push_splits(std::vector<PatternSpan>& out, std::string_view inside,
                 const std::vector<std::pair<size_t, size_t>>& matches) {
  if (inside.empty()) {
    out.push_back({{0, 0}, false});
    return;
  }
  size_t prev = 0;
  for (const auto& [start, end] : matches) {
    if (prev != start) out.push_back({{prev, start}, false});
    out.push_back({{start, end}, true});
    prev = end;
  }
  if (prev != inside.size()) out.push_back({{prev, inside.size()}, false});
}

}  // namespace

char32_t utf8_char_at(std::string_view s, size_t i, size_t& len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    len = 1;
    return b0;
  }
  const Utf8Step step = decode_utf8_at(s, i);
  len = step.length;
  return step.code_point;
}

bool is_rust_whitespace(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return in_ranges(unicode_tables::kWhitespace, c);
}
bool is_rust_numeric(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return in_ranges(unicode_tables::kNumeric, c);
}
bool is_regex_word_char(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return in_ranges(unicode_tables::kWordChars, c);
}
bool is_tokenizers_punctuation(char32_t c) { return in_ranges(bert_tables::kPunctuation, c); }
bool is_combining_mark(char32_t c) { return c >= 0x300 && in_ranges(unicode_tables::kCombiningMarks, c); }
bool is_nonspacing_mark_bert(char32_t c) { return c >= 0x300 && in_ranges(bert_tables::kNonspacingMarks, c); }

void Pattern::find_matches(std::string_view inside, std::vector<PatternSpan>& out) const {
  const size_t first = out.size();
  switch (kind) {
    case Kind::kLiteral: {
      std::vector<std::pair<size_t, size_t>> matches;
      for (size_t at = inside.find(literal); at != std::string_view::npos; at = inside.find(literal, at + literal.size()))
        matches.emplace_back(at, at + literal.size());
      push_splits(out, inside, matches);
      break;
    }
    case Kind::kRegex: {
      std::vector<std::pair<size_t, size_t>> matches;
      if (!inside.empty()) regex->find_all(inside, matches);
      push_splits(out, inside, matches);
      break;
    }
    case Kind::kChar:
    case Kind::kPredicate: {
      if (inside.empty()) {
        out.push_back({{0, 0}, false});
        break;
      }
      size_t last_offset = 0, last_seen = 0;
      for (size_t i = 0; i < inside.size();) {
        size_t len = 0;
        const char32_t c = utf8_char_at(inside, i, len);
        last_seen = i + len;
        if (kind == Kind::kChar ? c == ch : predicate(c)) {
          if (last_offset < i) out.push_back({{last_offset, i}, false});
          out.push_back({{i, i + len}, true});
          last_offset = i + len;
        }
        i += len;
      }
      if (last_seen > last_offset) out.push_back({{last_offset, last_seen}, false});
      break;
    }
  }
  if (invert)
    for (size_t i = first; i < out.size(); ++i) out[i].is_match = !out[i].is_match;
}

NormalizedString::NormalizedString(std::string text) : original_(text), normalized_(std::move(text)) {
  alignments_.reserve(normalized_.size());
  for (size_t i = 0; i < normalized_.size();) {
    size_t len = 0;
    utf8_char_at(normalized_, i, len);
    for (size_t k = 0; k < len; ++k) alignments_.push_back({i, i + len});
    i += len;
  }
}

std::optional<Offsets> NormalizedString::normalized_to_original(Offsets r) const {
  if (r.start == r.end) return r;
  if (r.start > r.end || r.end > alignments_.size()) return std::nullopt;
  return Offsets{alignments_[r.start].start, alignments_[r.end - 1].end};
}

std::optional<Offsets> NormalizedString::original_to_normalized(Offsets r) const {
  if (r.start == r.end) return r;
  if (r.start > r.end) return std::nullopt;
  std::optional<size_t> start, end;
  for (size_t i = 0; i < alignments_.size(); ++i) {
    const Offsets& a = alignments_[i];
    if (r.end < a.end) break;
    if (!start && r.start <= a.start && a.start != a.end) start = i;
    end = i + 1;
  }
  if (start && end) return Offsets{*start, *end};
  if (start) return Offsets{*start, *start};
  if (end) return Offsets{*end, *end};
  return std::nullopt;
}

std::optional<NormalizedString> NormalizedString::slice_normalized(Offsets r) const {
  auto boundary = [this](size_t at) {
    return at == normalized_.size() ||
           (at < normalized_.size() && (static_cast<unsigned char>(normalized_[at]) & 0xC0) != 0x80);
  };
  if (r.start > r.end || !boundary(r.start) || !boundary(r.end)) return std::nullopt;
  const std::optional<Offsets> orig = normalized_to_original(r);
  if (!orig) return std::nullopt;
  NormalizedString s;
  // tokenizers' get_range_original: the original bytes, or "" where the range does not fit.
  if (orig->start <= orig->end && orig->end <= original_.size())
    s.original_ = original_.substr(orig->start, orig->end - orig->start);
  s.normalized_ = normalized_.substr(r.start, r.end - r.start);
  const size_t shift = orig->start;
  s.alignments_.reserve(r.end - r.start);
  for (size_t i = r.start; i < r.end; ++i)
    s.alignments_.push_back({alignments_[i].start >= shift ? alignments_[i].start - shift : 0,
                             alignments_[i].end >= shift ? alignments_[i].end - shift : 0});
  s.original_shift_ = original_shift_ + orig->start;
  return s;
}

void NormalizedString::transform_range(Offsets n_range, const std::vector<Change>& dest, size_t initial_offset) {
  // The characters being replaced, to follow the change in byte sizes along the way.
  const std::string_view replaced(normalized_.data() + n_range.start, n_range.end - n_range.start);
  size_t cursor = 0;  // bytes of `replaced` consumed
  auto take_chars = [&](size_t n) {
    size_t bytes = 0;
    for (size_t k = 0; k < n && cursor < replaced.size(); ++k) {
      size_t len = 0;
      utf8_char_at(replaced, cursor, len);
      cursor += len;
      bytes += len;
    }
    return bytes;
  };
  size_t offset = take_chars(initial_offset) + n_range.start;
  std::vector<Offsets> alignments;
  alignments.reserve(n_range.end - n_range.start);
  std::string normalized;
  normalized.reserve(n_range.end - n_range.start);
  for (const Change& d : dest) {
    const size_t idx = offset;
    Offsets align{0, 0};
    if (d.change > 0) {
      if (idx >= 1) align = alignments_[std::min(idx, alignments_.size()) - 1];
    } else if (idx < alignments_.size()) {
      align = alignments_[idx];
    } else if (!alignments_.empty()) {
      align = alignments_.back();
    }
    size_t replaced_size = 0;
    if (d.change <= 0) replaced_size = take_chars(1);
    size_t removed = 0;
    if (d.change < 0) removed = take_chars(static_cast<size_t>(-d.change));
    offset += replaced_size + removed;
    const size_t len = utf8_len(d.c);
    alignments.insert(alignments.end(), len, align);
    append_utf8(normalized, d.c);
  }
  alignments_.erase(alignments_.begin() + static_cast<std::ptrdiff_t>(n_range.start),
                    alignments_.begin() + static_cast<std::ptrdiff_t>(n_range.end));
  alignments_.insert(alignments_.begin() + static_cast<std::ptrdiff_t>(n_range.start), alignments.begin(),
                     alignments.end());
  normalized_.replace(n_range.start, n_range.end - n_range.start, normalized);
}

void NormalizedString::normalize_form(bool compose, bool compat) {
  if (is_ascii(normalized_)) return;  // every form leaves ASCII as it is: all changes 0
  std::vector<Change> dest = decompositions(normalized_, compat);
  if (compose) dest = recompositions(dest);
  transform(dest, 0);
}

void NormalizedString::nfd() { normalize_form(false, false); }
void NormalizedString::nfkd() { normalize_form(false, true); }
void NormalizedString::nfc() { normalize_form(true, false); }
void NormalizedString::nfkc() { normalize_form(true, true); }

void NormalizedString::filter(bool (*keep)(char32_t)) {
  int removed = 0;
  size_t removed_start = 0;
  std::vector<Change> transforms;
  transforms.reserve(normalized_.size());
  std::optional<char32_t> last_c;
  for (size_t i = 0; i < normalized_.size();) {
    size_t len = 0;
    const char32_t c = utf8_char_at(normalized_, i, len);
    i += len;
    if (keep(c)) {
      if (last_c)
        transforms.push_back({*last_c, -removed});
      else
        removed_start = static_cast<size_t>(removed);
      last_c = c;
      removed = 0;
    } else {
      ++removed;
    }
  }
  if (last_c) transforms.push_back({*last_c, -removed});
  transform(transforms, removed_start);
}

void NormalizedString::prepend(std::string_view s) {
  if (normalized_.empty()) return;
  size_t next_len = 0;
  const char32_t next = utf8_char_at(normalized_, 0, next_len);
  std::vector<Change> t;
  const std::vector<char32_t> cs = chars_of(s);
  for (size_t i = 0; i < cs.size(); ++i) t.push_back({cs[i], i != 0 ? 1 : 0});
  t.push_back({next, 1});
  transform_range({0, next_len}, t, 0);
}

void NormalizedString::append(std::string_view s) {
  std::vector<Change> t;
  if (normalized_.empty()) {
    for (char32_t c : chars_of(s)) t.push_back({c, 1});
    transform_range({0, 0}, t, 0);
    return;
  }
  size_t b = normalized_.size() - 1;
  while (b > 0 && (static_cast<unsigned char>(normalized_[b]) & 0xC0) == 0x80) --b;
  size_t len = 0;
  t.push_back({utf8_char_at(normalized_, b, len), 0});
  for (char32_t c : chars_of(s)) t.push_back({c, 1});
  transform_range({b, normalized_.size()}, t, 0);
}

void NormalizedString::map(char32_t (*f)(char32_t)) {
  std::vector<Change> t;
  t.reserve(normalized_.size());
  for (size_t i = 0; i < normalized_.size();) {
    size_t len = 0;
    t.push_back({f(utf8_char_at(normalized_, i, len)), 0});
    i += len;
  }
  transform(t, 0);
}

void NormalizedString::lowercase() {
  std::vector<Change> t;
  t.reserve(normalized_.size());
  bool changed = false;
  for (size_t i = 0; i < normalized_.size();) {
    size_t len = 0;
    const char32_t c = utf8_char_at(normalized_, i, len);
    i += len;
    if (c < 0x80) {
      const char32_t l = c >= 'A' && c <= 'Z' ? c + 32 : c;
      changed |= l != c;
      t.push_back({l, 0});
    } else if (const auto* o = find_override(bert_tables::kLowercaseOverrides, c)) {
      for (size_t k = 0; k < o->to.size(); ++k) t.push_back({o->to[k], k ? 1 : 0});
      changed = true;
    } else {
      const auto l = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
      changed |= l != c;
      t.push_back({l, 0});
    }
  }
  if (changed) transform(t, 0);
}

void NormalizedString::replace(const Pattern& pattern, std::string_view content) {
  std::vector<PatternSpan> spans;
  pattern.find_matches(normalized_, spans);
  std::string new_normalized;
  new_normalized.reserve(normalized_.size());
  std::vector<Offsets> new_alignments;
  new_alignments.reserve(alignments_.size());
  const std::vector<char32_t> content_chars = chars_of(content);
  size_t last_end = 0;
  for (const PatternSpan& sp : spans) {
    if (!sp.is_match) continue;
    const size_t start = sp.offsets.start, end = sp.offsets.end;
    new_normalized.append(normalized_, last_end, start - last_end);
    new_alignments.insert(new_alignments.end(), alignments_.begin() + static_cast<std::ptrdiff_t>(last_end),
                          alignments_.begin() + static_cast<std::ptrdiff_t>(start));
    // Every inserted character takes the alignment of the matched text's last byte.
    const Offsets align = end >= 1 ? alignments_[end - 1] : Offsets{0, 0};
    for (char32_t c : content_chars) {
      new_alignments.insert(new_alignments.end(), utf8_len(c), align);
      append_utf8(new_normalized, c);
    }
    last_end = end;
  }
  new_normalized.append(normalized_, last_end, std::string::npos);
  new_alignments.insert(new_alignments.end(), alignments_.begin() + static_cast<std::ptrdiff_t>(last_end),
                        alignments_.end());
  normalized_ = std::move(new_normalized);
  alignments_ = std::move(new_alignments);
}

std::vector<NormalizedString> NormalizedString::split(const Pattern& pattern, SplitBehavior behavior) const {
  std::vector<PatternSpan> matches;
  pattern.find_matches(normalized_, matches);
  // (offsets, remove) per split.
  std::vector<PatternSpan> splits;
  splits.reserve(matches.size());
  switch (behavior) {
    case SplitBehavior::kIsolated:
      for (const PatternSpan& m : matches) splits.push_back({m.offsets, false});
      break;
    case SplitBehavior::kRemoved:
      splits = matches;
      break;
    case SplitBehavior::kContiguous: {
      bool previous_match = false;
      for (const PatternSpan& m : matches) {
        if (m.is_match == previous_match && !splits.empty())
          splits.back().offsets.end = m.offsets.end;
        else
          splits.push_back({m.offsets, false});
        previous_match = m.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithPrevious: {
      bool previous_match = false;
      for (const PatternSpan& m : matches) {
        if (m.is_match && !previous_match && !splits.empty())
          splits.back().offsets.end = m.offsets.end;
        else
          splits.push_back({m.offsets, false});
        previous_match = m.is_match;
      }
      break;
    }
    case SplitBehavior::kMergedWithNext: {
      bool previous_match = false;
      for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
        if (it->is_match && !previous_match && !splits.empty())
          splits.back().offsets.start = it->offsets.start;
        else
          splits.push_back({it->offsets, false});
        previous_match = it->is_match;
      }
      std::reverse(splits.begin(), splits.end());
      break;
    }
  }
  std::vector<NormalizedString> out;
  out.reserve(splits.size());
  for (const PatternSpan& sp : splits) {
    if (sp.is_match) continue;  // Removed: the delimiter goes
    std::optional<NormalizedString> s = slice_normalized(sp.offsets);
    if (s) out.push_back(std::move(*s));
  }
  return out;
}

void NormalizedString::lrstrip(bool left, bool right) {
  const std::vector<char32_t> cs = chars_of(normalized_);
  size_t leading = 0, trailing = 0;
  if (left)
    while (leading < cs.size() && is_rust_whitespace(cs[leading])) ++leading;
  if (right)
    while (trailing < cs.size() && is_rust_whitespace(cs[cs.size() - 1 - trailing])) ++trailing;
  if (leading == 0 && trailing == 0) return;
  const size_t count = cs.size();
  // tokenizers marks the last kept character by comparing its char index with the *byte* length
  // (`i == self.len() - trailing_spaces - 1`); kept as it is, it only matters for ASCII text.
  const long long marker = static_cast<long long>(normalized_.size()) - static_cast<long long>(trailing) - 1;
  std::vector<Change> t;
  t.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    if (i < leading || i + trailing >= count) continue;
    if (static_cast<long long>(i) == marker)
      t.push_back({cs[i], -static_cast<int>(trailing)});
    else
      t.push_back({cs[i], 0});
  }
  transform(t, leading);
}

}  // namespace attnlab
