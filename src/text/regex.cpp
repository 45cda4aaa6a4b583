// tokenizer.json's regexes (Oniguruma syntax) matched as tokenizers' onig find_iter matches them: translated
// to PCRE2 (JIT), or, for the pre-tokenizer patterns of GPT-2, Llama 3 and Qwen2, a hand-written matcher.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "text/regex.h"

#include <pcre2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <vector>

#include "attnlab/error.h"
#include "text/regex_unicode_tables.h"

namespace attnlab {
namespace {

using regex_tables::CodepointRange;
using regex_tables::Property;

// A refusal or syntax error found while translating; the constructor adds `what` and the pattern.
struct Refusal {
  std::string why;
};

// ---------------------------------------------------------------------------------------------
// UTF-8

// Whether `text` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF), checked once per
// find_all so that neither PCRE2 (which would check again at every search) nor the hand matcher must.
bool valid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char b0 = s[i];
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    int need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      need = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      need = 2;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      need = 3;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(need) >= n) return false;
    if (s[i + 1] < lo || s[i + 1] > hi) return false;
    for (int k = 2; k <= need; ++k)
      if ((s[i + k] & 0xC0) != 0x80) return false;
    i += need + 1;
  }
  return true;
}

// The code point at s[i] of valid UTF-8, and its length in bytes.
inline char32_t decode_at(const unsigned char* s, size_t i, size_t& len) {
  const unsigned char b0 = s[i];
  if (b0 < 0x80) {
    len = 1;
    return b0;
  }
  if (b0 < 0xE0) {
    len = 2;
    return (char32_t{b0 & 0x1Fu} << 6) | (s[i + 1] & 0x3Fu);
  }
  if (b0 < 0xF0) {
    len = 3;
    return (char32_t{b0 & 0x0Fu} << 12) | (char32_t{s[i + 1] & 0x3Fu} << 6) | (s[i + 2] & 0x3Fu);
  }
  len = 4;
  return (char32_t{b0 & 0x07u} << 18) | (char32_t{s[i + 1] & 0x3Fu} << 12) | (char32_t{s[i + 2] & 0x3Fu} << 6) |
         (s[i + 3] & 0x3Fu);
}

// Bytes of the UTF-8 sequence that starts with `b0` (valid UTF-8).
inline size_t utf8_length(unsigned char b0) { return b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4; }

// ---------------------------------------------------------------------------------------------
// Oniguruma's character sets (regex_unicode_tables.cpp, swept from the real library)

const Property* find_property(std::string_view key) {
  const auto& aliases = regex_tables::kPropertyAliases;
  auto it = std::lower_bound(aliases.begin(), aliases.end(), key,
                             [](const regex_tables::PropertyAlias& a, std::string_view k) { return a.name < k; });
  if (it == aliases.end() || it->name != key) return nullptr;
  return &regex_tables::kProperties[static_cast<size_t>(it->property)];
}

const Property& property(std::string_view key) {
  const Property* p = find_property(key);
  if (p == nullptr) throw Error("regex: no table for " + std::string(key));  // a bug: the tables are generated
  return *p;
}

// The classes the hand matchers test, one byte per code point in a two-stage table (256-code-point
// blocks, identical blocks shared): Oniguruma's \p{L}, \p{N} and \s.
enum : uint8_t { kLetter = 1, kNumber = 2, kSpace = 4 };

class ClassTable {
 public:
  ClassTable() {
    std::vector<uint8_t> flat(0x110000, 0);
    const std::pair<const char*, uint8_t> sets[] = {{"l", kLetter}, {"n", kNumber}, {"\\s", kSpace}};
    for (const auto& [key, bit] : sets)
      for (const CodepointRange& r : property(key).ranges)
        for (char32_t c = r.first; c <= r.last; ++c) flat[c] |= bit;
    for (size_t block = 0; block < kBlocks; ++block) {
      const uint8_t* data = flat.data() + block * 256;
      size_t found = blocks_.size();
      for (size_t b = 0; b < blocks_.size(); ++b)
        if (std::memcmp(blocks_[b].data(), data, 256) == 0) {
          found = b;
          break;
        }
      if (found == blocks_.size()) {
        blocks_.emplace_back();
        std::memcpy(blocks_.back().data(), data, 256);
      }
      stage1_[block] = static_cast<uint16_t>(found);
    }
    std::memcpy(ascii_.data(), flat.data(), 128);
  }
  uint8_t operator()(char32_t c) const { return c < 128 ? ascii_[c] : blocks_[stage1_[c >> 8]][c & 0xFF]; }

 private:
  static constexpr size_t kBlocks = 0x110000 / 256;
  std::array<uint8_t, 128> ascii_{};
  std::array<uint16_t, kBlocks> stage1_{};
  std::vector<std::array<uint8_t, 256>> blocks_;
};

const ClassTable& class_table() {
  static const ClassTable table;
  return table;
}

// ---------------------------------------------------------------------------------------------
// Oniguruma (its default syntax, ONIG_SYNTAX_ONIGURUMA) -> PCRE2

std::string hex_escape(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "\\x{%X}", static_cast<unsigned>(c));
  return buf;
}

// A set of code points as PCRE2 can say it: class items (negated or not), or, for what a PCRE2 class
// cannot say (Oniguruma's nested negated classes and && intersections), an expression matching one
// character of the set.
struct CharSet {
  std::string items;
  bool negated = false;
  std::string expr;

  bool simple() const { return expr.empty(); }
  std::string pcre() const {
    if (!expr.empty()) return "(?:" + expr + ")";  // one atom, for a quantifier after it
    if (items.empty()) return negated ? "(?s:.)" : "(?!)";
    return (negated ? "[^" : "[") + items + "]";
  }
};

CharSet unite(const CharSet& a, const CharSet& b) {
  if (a.simple() && b.simple() && !a.negated && !b.negated) return {a.items + b.items, false, {}};
  return {{}, false, "(?:" + a.pcre() + "|" + b.pcre() + ")"};
}

CharSet negate(const CharSet& a) {
  if (a.simple()) return {a.items, !a.negated, {}};
  return {{}, false, "(?!" + a.pcre() + ")(?s:.)"};
}

CharSet intersect(const CharSet& a, const CharSet& b) { return {{}, false, "(?=" + a.pcre() + ")" + b.pcre()}; }

std::string range_items(std::span<const CodepointRange> ranges) {
  std::string s;
  for (const CodepointRange& r : ranges) {
    s += hex_escape(r.first);
    if (r.last != r.first) {
      s += '-';
      s += hex_escape(r.last);
    }
  }
  return s;
}

class Translator {
 public:
  // `use_bases`: PCRE2 was built with the Unicode version the tables' PCRE2 bases were checked against,
  // so \p{L} may be said as PCRE2's own \p{L} plus the letters assigned since (faster than the ranges).
  Translator(std::string_view pattern, bool use_bases) : p_(pattern), use_bases_(use_bases) {}

  std::string run() {
    while (i_ < p_.size()) step();
    while (!groups_.empty() && groups_.back().inline_option) pop_group();
    if (!groups_.empty()) throw Refusal{"has an unmatched '('"};
    return out_;
  }

 private:
  enum class Prev { kNone, kAtom, kQuantifier, kAssertion };
  struct Group {
    size_t start;  // in out_
    bool lookaround;
    bool caseless, dotall;
    bool capture = false;        // capturing, named, atomic or option: Oniguruma's "bag", which may be repeated
    bool inline_option = false;  // "(?i)": closed with the group around it
    int items = 0;               // in the current alternative
    bool single_anchor = false, invalid_target = false;
  };

  bool at(size_t k, char c) const { return i_ + k < p_.size() && p_[i_ + k] == c; }
  char32_t next_char() {
    // The pattern is checked to be UTF-8 before translation.
    size_t len;
    const char32_t c = decode_at(reinterpret_cast<const unsigned char*>(p_.data()), i_, len);
    i_ += len;
    return c;
  }

  void step() {
    const char c = p_[i_];
    switch (c) {
      case '\\': {
        ++i_;
        Escape e = escape(false);
        if (e.kind == Escape::kChar) {
          literal(e.cp);
        } else if (e.kind == Escape::kSet) {
          if (caseless_ && !e.caseless_ok) throw Refusal{"uses a character property or \\w under (?i)"};
          atom(e.set.pcre());
        } else if (e.kind == Escape::kAtom) {
          atom(e.text);
        } else {
          assertion(e.text);
        }
        return;
      }
      case '[': {
        ++i_;
        ClassInfo info;
        CharSet set = char_class(info);
        if (caseless_ && info.has_sets) throw Refusal{"uses a character property or \\w in a class under (?i)"};
        if (caseless_ && info.has_multi_fold)
          throw Refusal{"has a character class under (?i) with a character that case-folds to several (ß)"};
        atom(set.pcre());
        return;
      }
      case '(':
        open_group();
        return;
      case ')':
        close_group();
        return;
      case '|':
        ++i_;
        out_ += '|';
        if (!groups_.empty()) {
          Group& g = groups_.back();
          g.invalid_target = g.invalid_target || (g.items == 1 && g.single_anchor);
          g.items = 0;
        }
        prev_ = Prev::kNone;
        fold_prev_.reset();
        return;
      case '*':
      case '+':
      case '?':
        ++i_;
        quantifier(std::string(1, c), false, false);
        return;
      case '{': {
        std::string q;
        bool fixed;
        if (interval(q, fixed)) {
          quantifier(q, true, fixed);
        } else {
          ++i_;
          literal('{');
        }
        return;
      }
      case '^':
      case '$':
        ++i_;
        assertion(std::string(1, c));
        return;
      case '.':
        ++i_;
        atom(".");
        return;
      default:
        literal(next_char());
    }
  }

  // Oniguruma refuses to repeat an anchor, or a non-capturing group with an alternative that is one
  // (its is_invalid_quantifier_target): (?:a|^)? does not compile. Each frame counts its alternative's items.
  void note_item(bool anchor) {
    if (groups_.empty()) return;
    Group& g = groups_.back();
    if (++g.items == 1) g.single_anchor = anchor;
  }

  void atom(const std::string& text) {
    note_item(false);
    atom_start_ = out_.size();
    out_ += text;
    prev_ = Prev::kAtom;
    fold_prev_.reset();
  }

  void assertion(const std::string& text) {
    note_item(true);
    out_ += text;
    prev_ = Prev::kAssertion;
    fold_prev_.reset();
  }

  void literal(char32_t cp) {
    if (caseless_) {
      // Oniguruma folds strings as a whole (ß matches "ss", "st" matches ﬅ); PCRE2 folds one character at
      // a time. Refuse what could tell the two apart.
      const auto& multi = regex_tables::kMultiCharFold;
      if (std::binary_search(multi.begin(), multi.end(), cp))
        throw Refusal{"has a character under (?i) that case-folds to several (" + hex_escape(cp) + ")"};
      if (fold_prev_) {
        const auto& pairs = regex_tables::kFoldPrefixPairs;
        const regex_tables::FoldPair pair{*fold_prev_, cp};
        const auto less = [](const regex_tables::FoldPair& a, const regex_tables::FoldPair& b) {
          return a.first != b.first ? a.first < b.first : a.second < b.second;
        };
        if (std::binary_search(pairs.begin(), pairs.end(), pair, less))
          throw Refusal{"has characters under (?i) that Oniguruma would match against one character (\"" +
                        hex_escape(*fold_prev_) + hex_escape(cp) + "\" ~ ligature)"};
      }
    }
    note_item(false);
    atom_start_ = out_.size();
    if (cp < 0x80 && std::isalnum(static_cast<int>(cp))) {
      out_ += static_cast<char>(cp);
    } else if (cp < 0x80 && cp > 0x20 && cp != 0x7F) {
      out_ += '\\';
      out_ += static_cast<char>(cp);
    } else {
      out_ += hex_escape(cp);
    }
    prev_ = Prev::kAtom;
    fold_prev_ = caseless_ ? std::optional<char32_t>(cp) : std::nullopt;
  }

  // `q` is "*", "+", "?" or an interval "{n,m}" (already consumed).
  void quantifier(const std::string& q, bool is_interval, bool fixed) {
    if (prev_ == Prev::kQuantifier)
      throw Refusal{"has a quantifier after a quantifier (Oniguruma's nested repeat), which is not translated"};
    if (prev_ != Prev::kAtom) throw Refusal{"has a quantifier with nothing (or an anchor) to repeat"};
    out_ += q;
    // Oniguruma: '?' after a quantifier makes it lazy except after a fixed {n} (where it is a nested
    // repeat); '+' makes *, + and ? possessive, but after an interval it is a nested repeat.
    if (at(0, '?') && !fixed) {
      out_ += '?';
      ++i_;
    } else if (at(0, '+') && !is_interval) {
      out_ += '+';
      ++i_;
    } else if ((at(0, '?') && fixed) || (at(0, '+') && is_interval)) {
      // x{n}? is (?:x{n})?, x{n,m}+ is (?:x{n,m})+.
      out_.insert(atom_start_, "(?:");
      out_ += ')';
      out_ += p_[i_++];
    }
    prev_ = Prev::kQuantifier;
  }

  // Oniguruma's fetch_interval at p_[i_] == '{': true (and consumed) for {n}, {n,}, {,m}, {n,m}; false
  // for a '{' Oniguruma reads as a literal.
  bool interval(std::string& q, bool& fixed) {
    size_t j = i_ + 1;
    const auto number = [&](long& v) {
      const size_t start = j;
      v = 0;
      while (j < p_.size() && p_[j] >= '0' && p_[j] <= '9') {
        v = std::min(v * 10 + (p_[j] - '0'), 1000000L);
        ++j;
      }
      return j > start;
    };
    long low, up = -1;
    const bool has_low = number(low);
    if (j >= p_.size()) return false;
    fixed = false;
    if (p_[j] == ',') {
      ++j;
      if (!number(up)) {
        if (!has_low) return false;
        up = -1;  // {n,}
      }
    } else {
      if (!has_low) return false;
      up = low;
      fixed = true;
    }
    if (j >= p_.size() || p_[j] != '}') return false;
    ++j;
    if (low > 100000 || up > 100000) throw Refusal{"has a repeat count over 100000"};
    if (up >= 0 && low > up) throw Refusal{"has an interval {n,m} with n > m"};
    if (low > 65535 || up > 65535) throw Refusal{"has a repeat count over 65535 (PCRE2's limit)"};
    q = "{" + std::to_string(low) + (fixed ? "" : ",") + (up >= 0 && !fixed ? std::to_string(up) : "") + "}";
    i_ = j;
    return true;
  }

  void open_group() {
    ++i_;  // '('
    Group g{out_.size(), false, caseless_, dotall_};
    if (at(0, '*')) throw Refusal{"uses \"(*\" (a callout or verb), which is not translated"};
    if (!at(0, '?')) {  // captures do not change what matches; nothing refers to them (backrefs are refused)
      g.capture = true;
      push(g, "(?:");
      return;
    }
    ++i_;
    if (i_ >= p_.size()) throw Refusal{"ends inside a group"};
    const char c = p_[i_];
    if (c == ':' || c == '>') {
      ++i_;
      g.capture = c == '>';
      push(g, c == ':' ? "(?:" : "(?>");
    } else if (c == '=' || c == '!') {
      ++i_;
      g.lookaround = true;
      push(g, std::string("(?") + c);
    } else if (c == '<' && (at(1, '=') || at(1, '!'))) {
      const char k = p_[i_ + 1];
      i_ += 2;
      g.lookaround = true;
      push(g, std::string("(?<") + k);
    } else if (c == '<' || c == '\'') {
      const char close = c == '<' ? '>' : '\'';
      size_t j = i_ + 1;
      while (j < p_.size() && (std::isalnum(static_cast<unsigned char>(p_[j])) || p_[j] == '_')) ++j;
      if (j == i_ + 1 || j >= p_.size() || p_[j] != close) throw Refusal{"has an invalid group name"};
      i_ = j + 1;
      g.capture = true;
      push(g, "(?:");
    } else if (c == '#') {
      const size_t end = p_.find(')', i_);
      if (end == std::string_view::npos) throw Refusal{"has an unterminated comment (?#"};
      if (p_.substr(i_, end - i_).find('\\') != std::string_view::npos)
        throw Refusal{"has a backslash in a comment (?#...)"};
      i_ = end + 1;
    } else if (c == 'i' || c == 'm' || c == '-') {
      options(g);
    } else {
      throw Refusal{std::string("uses the group \"(?") + c + "\", which is not translated"};
    }
  }

  // (?imx-imx) and (?imx-imx:...): Oniguruma's i is PCRE2's i, its m (dot matches newline) PCRE2's s.
  void options(Group& g) {
    bool neg = false, caseless = caseless_, dotall = dotall_;
    std::string on, off;
    while (i_ < p_.size() && p_[i_] != ':' && p_[i_] != ')') {
      const char c = p_[i_++];
      if (c == '-') {
        if (neg) throw Refusal{"has an invalid option group"};
        neg = true;
      } else if (c == 'i') {
        caseless = !neg;
        (neg ? off : on) += 'i';
      } else if (c == 'm') {
        dotall = !neg;
        (neg ? off : on) += 's';
      } else {
        throw Refusal{std::string("uses the option (?") + c + "), which is not translated"};
      }
    }
    if (i_ >= p_.size()) throw Refusal{"ends inside an option group"};
    const std::string open = "(?" + on + (off.empty() ? "" : "-" + off) + ":";
    if (p_[i_++] == ':') {
      g.capture = true;  // an option group is a node of its own in Oniguruma, which may be repeated
      push(g, open);
    } else {
      // Oniguruma scopes "(?i)" to the rest of the enclosing group, alternatives included: a(?i)b|c is
      // a(?i:b|c). So it opens a group closed with the enclosing one.
      note_item(false);
      g.capture = g.inline_option = true;
      groups_.push_back(g);
      out_ += open;
      prev_ = Prev::kNone;
    }
    caseless_ = caseless;
    dotall_ = dotall;
  }

  void push(const Group& g, const std::string& open) {
    ++groups_seen_;
    groups_.push_back(g);
    out_ += open;
    prev_ = Prev::kNone;
    fold_prev_.reset();
  }

  void close_group() {
    ++i_;
    while (!groups_.empty() && groups_.back().inline_option) pop_group();
    if (groups_.empty()) throw Refusal{"has an unmatched ')'"};
    pop_group();
  }

  void pop_group() {
    const Group g = groups_.back();
    groups_.pop_back();
    out_ += ')';
    caseless_ = g.caseless;
    dotall_ = g.dotall;
    const bool anchor = g.lookaround || (!g.capture && (g.invalid_target || (g.items == 1 && g.single_anchor)));
    note_item(anchor);
    prev_ = anchor ? Prev::kAssertion : Prev::kAtom;
    atom_start_ = g.start;
    fold_prev_.reset();
  }

  struct Escape {
    enum Kind { kChar, kSet, kAtom, kAssertion } kind = kChar;
    char32_t cp = 0;
    CharSet set;
    std::string text;
    bool caseless_ok = true;  // a set that case folding cannot change (\s, \d, \h)
  };

  CharSet property_set(const Property& prop, bool negated) const {
    CharSet s;
    if (use_bases_ && !prop.pcre2_base.empty())
      s.items = std::string(prop.pcre2_base) + range_items(prop.pcre2_extra);
    else
      s.items = range_items(prop.ranges);
    s.negated = negated;
    return s;
  }

  uint32_t hex_digits(size_t max, size_t& count) {
    uint32_t v = 0;
    count = 0;
    while (count < max && i_ < p_.size() && std::isxdigit(static_cast<unsigned char>(p_[i_]))) {
      const char h = p_[i_++];
      v = v * 16 + static_cast<uint32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
      ++count;
    }
    return v;
  }

  static Escape char_escape(uint32_t v) {
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) throw Refusal{"has an escape that is not a code point"};
    Escape e;
    e.cp = v;
    return e;
  }

  // After a backslash. Inside a class, \b is a backspace and anchors are refused.
  Escape escape(bool in_class) {
    if (i_ >= p_.size()) throw Refusal{"ends with a backslash"};
    const unsigned char c = static_cast<unsigned char>(p_[i_]);
    if (c >= 0x80) return char_escape(next_char());
    ++i_;
    Escape e;
    switch (c) {
      case 't':
        return char_escape(0x09);
      case 'n':
        return char_escape(0x0A);
      case 'r':
        return char_escape(0x0D);
      case 'f':
        return char_escape(0x0C);
      case 'v':
        return char_escape(0x0B);  // Oniguruma's \v is the vertical tab, PCRE2's a class
      case 'a':
        return char_escape(0x07);
      case 'e':
        return char_escape(0x1B);
      case 's':
      case 'S':
      case 'd':
      case 'D':
      case 'w':
      case 'W':
      case 'h':
      case 'H': {
        const char key[3] = {'\\', static_cast<char>(std::tolower(c)), 0};
        const Property* in_class_prop = in_class ? find_property(std::string("in:") + key) : nullptr;
        e.kind = Escape::kSet;
        e.set = property_set(in_class_prop != nullptr ? *in_class_prop : property(key), std::isupper(c) != 0);
        e.caseless_ok = std::tolower(c) != 'w';
        return e;
      }
      case 'p':
      case 'P': {
        if (!at(0, '{')) throw Refusal{"has \\p without {...}"};
        const size_t end = p_.find('}', i_);
        if (end == std::string_view::npos) throw Refusal{"has an unterminated \\p{"};
        std::string_view name = p_.substr(i_ + 1, end - i_ - 1);
        i_ = end + 1;
        bool negated = c == 'P';
        if (!name.empty() && name[0] == '^') {
          negated = !negated;
          name.remove_prefix(1);
        }
        std::string key;
        for (char ch : name)
          if (ch != ' ' && ch != '_' && ch != '-')
            key += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) != 0;
        });
        const Property* prop = plain && in_class ? find_property("in:" + key) : nullptr;
        if (prop == nullptr && plain) prop = find_property(key);
        if (prop == nullptr) throw Refusal{"uses the property \\p{" + std::string(name) + "}, which is not translated"};
        e.kind = Escape::kSet;
        e.set = property_set(*prop, negated);
        e.caseless_ok = false;
        return e;
      }
      case 'x': {
        size_t count;
        if (at(0, '{')) {
          ++i_;
          const uint32_t v = hex_digits(8, count);
          if (count == 0 || !at(0, '}')) throw Refusal{"has an invalid \\x{...}"};
          ++i_;
          return char_escape(v);
        }
        const uint32_t v = hex_digits(2, count);
        if (count == 0) throw Refusal{"has \\x without hex digits"};
        return char_escape(v);
      }
      case 'u': {
        size_t count;
        const uint32_t v = hex_digits(4, count);
        if (count != 4) throw Refusal{"has an invalid \\u escape"};
        return char_escape(v);
      }
      case 'o': {
        if (!at(0, '{')) throw Refusal{"has \\o without {...}"};
        ++i_;
        uint32_t v = 0;
        size_t count = 0;
        while (i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '7' && count < 11) v = v * 8 + (p_[i_++] - '0'), ++count;
        if (count == 0 || !at(0, '}')) throw Refusal{"has an invalid \\o{...}"};
        ++i_;
        return char_escape(v);
      }
      case '0': {
        uint32_t v = 0;
        for (int k = 0; k < 2 && i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '7'; ++k) v = v * 8 + (p_[i_++] - '0');
        return char_escape(v);
      }
      case 'b':
        if (in_class) return char_escape(0x08);
        e.kind = Escape::kAssertion;
        e.text = word_boundary(true);
        return e;
      case 'B':
        e.kind = Escape::kAssertion;
        e.text = word_boundary(false);
        break;
      case 'A':
      case 'z':
      case 'Z':
      case 'G':
        e.kind = Escape::kAssertion;
        e.text = std::string("\\") + static_cast<char>(c);
        break;
      case 'K':
        e.kind = Escape::kAssertion;
        e.text = "\\K";
        break;
      case 'R':  // Oniguruma's general newline, written out (PCRE2's \R depends on its build)
        e.kind = Escape::kAtom;
        e.text = "(?>\\r\\n|[\\n\\x{B}\\f\\r\\x{85}\\x{2028}\\x{2029}])";
        break;
      case 'N':
        e.kind = Escape::kAtom;
        e.text = "[^\\n]";
        break;
      case 'O':
        e.kind = Escape::kAtom;
        e.text = "(?s:.)";
        break;
      case 'X':
      case 'y':
      case 'Y':
        throw Refusal{std::string("uses \\") + static_cast<char>(c) + " (text segments), which is not translated"};
      case 'k':
      case 'g':
        throw Refusal{std::string("uses \\") + static_cast<char>(c) +
                      " (a backreference or call), which is not translated"};
      case 'c':
      case 'C':
      case 'M':
        throw Refusal{std::string("uses \\") + static_cast<char>(c) +
                      " (a control or meta escape), which is not translated"};
      default:
        if (c >= '1' && c <= '9') {
          // Oniguruma: \N is a backreference when N <= 9 or N <= the groups so far; else \8, \9 are
          // the digit and \NNN octal.
          long num = c - '0';
          for (size_t j = i_; j < p_.size() && std::isdigit(static_cast<unsigned char>(p_[j])); ++j)
            num = std::min(num * 10 + (p_[j] - '0'), 100000L);
          if (num <= 9 || num <= groups_seen_) throw Refusal{"uses a backreference, which is not translated"};
          if (c == '8' || c == '9') return char_escape(c);
          uint32_t v = c - '0';
          for (int k = 0; k < 2 && i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '7'; ++k) v = v * 8 + (p_[i_++] - '0');
          return char_escape(v);
        }
        // Anything else escaped is itself (Oniguruma reads an unknown letter escape such as \q as the letter).
        return char_escape(c);
    }
    if (in_class) throw Refusal{std::string("has \\") + static_cast<char>(c) + " inside a character class"};
    return e;
  }

  std::string word_boundary(bool boundary) const {
    const std::string w = property_set(property("\\w"), false).pcre();
    return boundary ? "(?:(?<=" + w + ")(?!" + w + ")|(?<!" + w + ")(?=" + w + "))"
                    : "(?:(?<=" + w + ")(?=" + w + ")|(?<!" + w + ")(?!" + w + "))";
  }

  struct ClassInfo {
    bool has_sets = false;        // properties, \w, POSIX brackets
    bool has_multi_fold = false;  // a literal (or a range over one) that case-folds to several characters
  };

  void note_literal(ClassInfo& info, char32_t first, char32_t last) const {
    const auto& multi = regex_tables::kMultiCharFold;
    auto it = std::lower_bound(multi.begin(), multi.end(), first);
    if (it != multi.end() && *it <= last) info.has_multi_fold = true;
  }

  // One class item that is a single character (for a range's ends), or nullopt for a set.
  std::optional<char32_t> class_char(CharSet& set, ClassInfo& info) {
    if (p_[i_] == '\\') {
      ++i_;
      Escape e = escape(true);
      if (e.kind == Escape::kChar) return e.cp;
      set = e.set;
      info.has_sets = info.has_sets || !e.caseless_ok;
      return std::nullopt;
    }
    return next_char();
  }

  // Oniguruma's character class after '[': nested classes, && intersections, POSIX brackets.
  CharSet char_class(ClassInfo& info) {
    bool negated = false;
    if (at(0, '^')) {
      negated = true;
      ++i_;
    }
    std::vector<CharSet> operands;  // of &&
    CharSet acc;
    bool acc_empty = true, first = true;
    const auto add = [&](const CharSet& s) {
      acc = acc_empty ? s : unite(acc, s);
      acc_empty = false;
    };
    for (;;) {
      if (i_ >= p_.size()) throw Refusal{"has an unterminated character class"};
      const char c = p_[i_];
      if (c == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      if (c == '&' && at(1, '&')) {
        if (acc_empty) throw Refusal{"has an empty operand of && in a character class"};
        operands.push_back(acc);
        acc = CharSet{};
        acc_empty = true;
        i_ += 2;
        continue;
      }
      if (c == '[') {
        if (at(1, ':')) {
          add(posix_bracket());
          info.has_sets = true;
          continue;
        }
        ++i_;
        add(char_class(info));
        continue;
      }
      CharSet set;
      const std::optional<char32_t> lo = class_char(set, info);
      const bool range = at(0, '-') && i_ + 1 < p_.size() && p_[i_ + 1] != ']';
      if (!lo) {
        if (range) throw Refusal{"has a range in a character class that starts at a class escape"};
        add(set);
        continue;
      }
      if (!range) {
        note_literal(info, *lo, *lo);
        add(CharSet{hex_escape(*lo), false, {}});
        continue;
      }
      ++i_;  // '-'
      if (p_[i_] == '[') throw Refusal{"has a range in a character class that ends at a class"};
      const std::optional<char32_t> hi = class_char(set, info);
      if (!hi) throw Refusal{"has a range in a character class that ends at a class escape"};
      if (*hi < *lo) throw Refusal{"has an empty range in a character class"};
      note_literal(info, *lo, *hi);
      add(CharSet{hex_escape(*lo) + "-" + hex_escape(*hi), false, {}});
    }
    if (acc_empty)
      throw Refusal{operands.empty() ? "has an empty character class"
                                     : "has an empty operand of && in a character class"};
    CharSet result = acc;
    for (auto it = operands.rbegin(); it != operands.rend(); ++it) result = intersect(*it, result);
    return negated ? negate(result) : result;
  }

  CharSet posix_bracket() {  // at "[:"
    const size_t end = p_.find(":]", i_ + 2);
    if (end == std::string_view::npos) throw Refusal{"has an unterminated POSIX bracket [:...:]"};
    std::string_view name = p_.substr(i_ + 2, end - i_ - 2);
    bool negated = false;
    if (!name.empty() && name[0] == '^') {
      negated = true;
      name.remove_prefix(1);
    }
    const Property* prop = find_property("[:" + std::string(name) + ":]");
    if (prop == nullptr) throw Refusal{"uses the POSIX bracket [:" + std::string(name) + ":], which is not translated"};
    i_ = end + 2;
    return property_set(*prop, negated);
  }

  std::string_view p_;
  bool use_bases_;
  size_t i_ = 0;
  std::string out_;
  std::vector<Group> groups_;
  size_t atom_start_ = 0;
  long groups_seen_ = 0;  // for telling \NN backreferences from octal escapes  // where the last atom begins in out_
  bool caseless_ = false, dotall_ = false;
  Prev prev_ = Prev::kNone;
  std::optional<char32_t> fold_prev_;
};

bool pcre2_unicode_matches_tables() {
  char version[32] = {};
  if (pcre2_config(PCRE2_CONFIG_UNICODE_VERSION, version) < 0) return false;
  return regex_tables::kPcre2BaseUnicodeVersion == version;
}

// ---------------------------------------------------------------------------------------------
// PCRE2 matching state, one per thread: match data (one pair: only the whole match is read), the match
// context with its limits, and the JIT stack.

// Oniguruma's own default retry limit in match is 10,000,000; PCRE2 counts differently, but the same
// order keeps legitimate patterns far from it and a catastrophic one to well under a second.
constexpr uint32_t kMatchLimit = 10'000'000;
constexpr uint32_t kDepthLimit = 1'000'000;
constexpr uint32_t kHeapLimitKiB = 256 * 1024;
constexpr size_t kJitStackMax = 8 << 20;

struct ThreadState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;
  ThreadState() {
    data = pcre2_match_data_create(1, nullptr);
    context = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(32 << 10, kJitStackMax, nullptr);
    if (data == nullptr || context == nullptr) throw Error("regex: out of memory for PCRE2 match data");
    pcre2_set_match_limit(context, kMatchLimit);
    pcre2_set_depth_limit(context, kDepthLimit);
    pcre2_set_heap_limit(context, kHeapLimitKiB);
    if (stack != nullptr) pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~ThreadState() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_jit_stack_free(stack);
  }
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;
};

ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  if (pcre2_get_error_message(code, buf, sizeof buf) < 0) return "PCRE2 error " + std::to_string(code);
  return reinterpret_cast<const char*>(buf);
}

// ---------------------------------------------------------------------------------------------
// Hand-written matchers: the pre-tokenizer splits of GPT-2 (ByteLevel), Llama 3 and Qwen2. Every
// character starts a match of these patterns (a letter, a number, a space or anything else each has an
// alternative), so the leftmost match always starts where the last one ended and none is empty: each
// function returns the end of the match at `p` (< n), as Oniguruma's backtracking finds it.

enum class Known { kNone, kGpt2, kLlama3, kQwen2 };

constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

Known known_pattern(std::string_view pattern) {
  if (pattern == kGpt2Pattern) return Known::kGpt2;
  if (pattern == kLlama3Pattern) return Known::kLlama3;
  if (pattern == kQwen2Pattern) return Known::kQwen2;
  return Known::kNone;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text)
      : s_(reinterpret_cast<const unsigned char*>(text.data())), n_(text.size()), cls_(class_table()) {}

  size_t gpt2(size_t p) const {
    if (s_[p] == '\'' && p + 1 < n_) {
      if (const size_t e = contraction(p + 1, false)) return e;
    }
    if (s_[p] == ' ' && p + 1 < n_) {
      size_t len;
      const uint8_t c1 = cls_(decode_at(s_, p + 1, len));
      if (c1 & kLetter) return run(p + 1 + len, kLetter);
      if (c1 & kNumber) return run(p + 1 + len, kNumber);
      if (!(c1 & kSpace)) return run_other(p + 1 + len);
    }
    size_t len;
    const uint8_t c0 = cls_(decode_at(s_, p, len));
    if (c0 & kLetter) return run(p + len, kLetter);
    if (c0 & kNumber) return run(p + len, kNumber);
    if (!(c0 & kSpace)) return run_other(p + len);
    return spaces(p);
  }

  // Llama 3 (max_digits 3) and Qwen2 (1).
  size_t llama3(size_t p, int max_digits) const {
    if (s_[p] == '\'' && p + 1 < n_) {
      if (const size_t e = contraction(p + 1, true)) return e;
    }
    size_t len0;
    const char32_t ch0 = decode_at(s_, p, len0);
    const uint8_t c0 = cls_(ch0);
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c0 & kLetter) return run(p + len0, kLetter);
    if (!(c0 & kNumber) && ch0 != '\r' && ch0 != '\n' && p + len0 < n_) {
      size_t len1;
      if (cls_(decode_at(s_, p + len0, len1)) & kLetter) return run(p + len0 + len1, kLetter);
    }
    // \p{N}{1,max_digits}
    if (c0 & kNumber) {
      size_t q = p + len0;
      for (int k = 1; k < max_digits && q < n_; ++k) {
        size_t len;
        if (!(cls_(decode_at(s_, q, len)) & kNumber)) break;
        q += len;
      }
      return q;
    }
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    size_t q = p;
    if (ch0 == ' ' && p + 1 < n_) {
      size_t len1;
      if (!cls_(decode_at(s_, p + 1, len1))) q = p + 1;
    }
    if (q != p || !(c0 & kSpace)) {
      q = run_other(q + utf8_length(s_[q]));
      while (q < n_ && (s_[q] == '\r' || s_[q] == '\n')) ++q;
      return q;
    }
    // \s*[\r\n]+: the whitespace run up to its last \r or \n.
    size_t end = p, last_newline = n_;
    while (end < n_) {
      size_t len;
      const char32_t ch = decode_at(s_, end, len);
      if (!(cls_(ch) & kSpace)) break;
      if (ch == '\r' || ch == '\n') last_newline = end;
      end += len;
    }
    if (last_newline != n_) return last_newline + 1;
    return spaces(p);
  }

 private:
  // After an apostrophe at q - 1: 's|'t|'re|'ve|'m|'ll|'d, case-folded as Oniguruma folds them under
  // (?i) (S, and ſ U+017F for s).
  size_t contraction(size_t q, bool caseless) const {
    const auto is = [&](size_t k, char lower) {
      if (k >= n_) return size_t{0};
      const unsigned char b = s_[k];
      if (b == static_cast<unsigned char>(lower)) return size_t{1};
      if (!caseless) return size_t{0};
      if (b == static_cast<unsigned char>(lower - 32)) return size_t{1};
      if (lower == 's' && b == 0xC5 && k + 1 < n_ && s_[k + 1] == 0xBF) return size_t{2};
      return size_t{0};
    };
    for (char one : {'s', 't'})
      if (const size_t l = is(q, one)) return q + l;
    if (is(q, 'r') && is(q + 1, 'e')) return q + 2;
    if (is(q, 'v') && is(q + 1, 'e')) return q + 2;
    if (const size_t l = is(q, 'm')) return q + l;
    if (is(q, 'l') && is(q + 1, 'l')) return q + 2;
    if (const size_t l = is(q, 'd')) return q + l;
    return 0;
  }

  // The end of the run of characters with class bit `bit` from q.
  size_t run(size_t q, uint8_t bit) const {
    while (q < n_) {
      if (s_[q] < 0x80) {
        if (!(cls_(s_[q]) & bit)) break;
        ++q;
        continue;
      }
      size_t len;
      if (!(cls_(decode_at(s_, q, len)) & bit)) break;
      q += len;
    }
    return q;
  }

  // The end of the run of [^\s\p{L}\p{N}] from q.
  size_t run_other(size_t q) const {
    while (q < n_) {
      size_t len;
      if (cls_(decode_at(s_, q, len))) break;
      q += len;
    }
    return q;
  }

  // \s+(?!\S)|\s+ at p (a space): the whitespace run, less its last character when a non-space follows
  // and the run has more than one.
  size_t spaces(size_t p) const {
    size_t q = p, last = p;
    while (q < n_) {
      size_t len;
      if (!(cls_(decode_at(s_, q, len)) & kSpace)) break;
      last = q;
      q += len;
    }
    return q < n_ && last > p ? last : q;
  }

  const unsigned char* s_;
  size_t n_;
  const ClassTable& cls_;
};

// Which known patterns the hand matcher serves under Engine::kAuto: those equal to Oniguruma over
// tests/fixtures/tokenizers/regex_cases.json.gz (every code point included) and faster than PCRE2's JIT.
// bench/regex_bench.cpp, 4 MB of mixed text, one thread, 12 alternating runs on a shared 2-core machine:
// GPT-2 194-245 MB/s against PCRE2's 34-51, Llama 3 136-189 against 30-40, Qwen2 100-189 against 25-39.
// All three, then.
bool hand_matcher_preferred(Known known) { return known != Known::kNone; }

}  // namespace

struct Regex::Impl {
  std::string pattern, what, translated;
  Known known = Known::kNone;
  bool hand = false;
  pcre2_code* code = nullptr;
  bool jit = false;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { pcre2_code_free(code); }

  [[noreturn]] void give_up(const std::string& why, size_t text_size) const {
    throw Error(what + ": regex '" + printable_line(pattern) + "' " + why + " on a text of " +
                    std::to_string(text_size) + " bytes",
                kExitInput);
  }
};

Regex::Regex(std::string_view pattern, std::string_view what) : Regex(pattern, what, Engine::kAuto) {}

Regex::Regex(std::string_view pattern, std::string_view what, Engine engine) {
  auto impl = std::make_shared<Impl>();
  impl->pattern = std::string(pattern);
  impl->what = std::string(what);
  const auto refuse = [&](const std::string& why) {
    throw Error(impl->what + ": regex '" + printable_line(pattern) + "' " + why, kExitInput);
  };
  if (!valid_utf8(pattern)) refuse("is not valid UTF-8");
  impl->known = known_pattern(pattern);
  if (engine == Engine::kHandWritten && impl->known == Known::kNone) refuse("has no hand-written matcher");
  impl->hand = engine == Engine::kHandWritten || (engine == Engine::kAuto && hand_matcher_preferred(impl->known));
  try {
    static const bool use_bases = pcre2_unicode_matches_tables();
    impl->translated = Translator(pattern, use_bases).run();
  } catch (const Refusal& r) {
    refuse(r.why);
  }
  if (!impl->hand) {
    pcre2_compile_context* cc = pcre2_compile_context_create(nullptr);
    if (cc == nullptr) refuse("could not be compiled: out of memory");
    // Oniguruma's only newline is \n: for ^, $ (line anchors in Oniguruma: PCRE2's multiline) and '.'.
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    pcre2_set_bsr(cc, PCRE2_BSR_UNICODE);
    int error = 0;
    PCRE2_SIZE offset = 0;
    impl->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(impl->translated.data()), impl->translated.size(),
                               PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE | PCRE2_NEVER_BACKSLASH_C, &error, &offset, cc);
    pcre2_compile_context_free(cc);
    if (impl->code == nullptr) refuse("does not compile: " + pcre2_message(error));
    impl->jit = pcre2_jit_compile(impl->code, PCRE2_JIT_COMPLETE) == 0;
  }
  impl_ = std::move(impl);
}

Regex::~Regex() = default;

const std::string& Regex::pattern() const { return impl_->pattern; }

bool Regex::hand_written() const { return impl_->hand; }

void Regex::find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const {
  const Impl& impl = *impl_;
  const size_t n = text.size();
  if (!valid_utf8(text)) impl.give_up("was given text that is not valid UTF-8", n);

  if (impl.hand) {
    const Scanner scan(text);
    for (size_t p = 0; p < n;) {
      size_t e;
      switch (impl.known) {
        case Known::kGpt2:
          e = scan.gpt2(p);
          break;
        case Known::kLlama3:
          e = scan.llama3(p, 3);
          break;
        default:
          e = scan.llama3(p, 1);
          break;
      }
      out.emplace_back(p, e);
      p = e;
    }
    return;
  }

  // onig's FindMatches: search from the end of the last match; an empty match right where the last
  // match ended is skipped by searching again one character further.
  ThreadState& state = thread_state();
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
  size_t last_end = 0;
  std::optional<size_t> last_match_end;
  while (last_end <= n) {
    const int rc = impl.jit
                       ? pcre2_jit_match(impl.code, subject, n, last_end, PCRE2_NO_UTF_CHECK, state.data, state.context)
                       : pcre2_match(impl.code, subject, n, last_end, PCRE2_NO_UTF_CHECK, state.data, state.context);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      const bool limit = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
                         rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_NOMEMORY;
      impl.give_up(std::string(limit ? "gave up (too much backtracking: " : "failed (") + pcre2_message(rc) + ")", n);
    }
    const size_t s = ovector[0], e = ovector[1];
    if (s == e && last_match_end == e) {
      last_end += last_end < n ? utf8_length(static_cast<unsigned char>(text[last_end])) : 1;
      continue;
    }
    last_end = e;
    last_match_end = e;
    out.emplace_back(s, e);
  }
}

}  // namespace attnlab
