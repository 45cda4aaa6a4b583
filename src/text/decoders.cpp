// tokenizers' decoders: the JSON forms of decoders/mod.rs (tagged, then the untagged legacy forms) and
// each decoder's decode_chain, including the places where Rust's string functions behave unlike C++'s.
#include "text/decoders.h"

#include <cctype>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>

#include "attnlab/error.h"
#include "core/utf8.h"
#include "text/byte_level.h"
#include "text/json_fields.h"

namespace attnlab {
namespace {

using json_fields::Where;
using nlohmann::json;

enum class Kind { kBpe, kByteLevel, kWordPiece, kMetaspace, kCtc, kSequence, kReplace, kFuse, kStrip, kByteFallback };
enum class Prepend { kAlways, kFirst, kNever };

constexpr int kMaxDepth = 64;  // serde_json stops at 128 levels; a Sequence level is two (object, array)

std::string quote(std::string_view s) {
  std::string cut(s.substr(0, 80));
  while (!cut.empty() && cut.size() < s.size() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80)
    cut.pop_back();
  std::string q = json(cut).dump(-1, ' ', false, json::error_handler_t::replace);
  if (cut.size() < s.size()) q += "... (" + std::to_string(s.size()) + " bytes)";
  return q;
}

// The step at s[i]: one character of valid UTF-8, else one maximal invalid sequence (tokens from Rust are
// always valid; this keeps arbitrary bytes from reading past the end).
Utf8Step step_at(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  return b < 0x80 ? Utf8Step{b, 1, true} : decode_utf8_at(s, i);
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const Utf8Step c = step_at(s, i);
    if (!c.valid) return false;
    i += c.length;
  }
  return true;
}

// Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes one U+FFFD.
std::string utf8_lossy(std::string_view s) {
  if (valid_utf8(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const Utf8Step c = step_at(s, i);
    if (c.valid)
      out.append(s.substr(i, c.length));
    else
      append_utf8(out, kReplacementChar);
    i += c.length;
  }
  return out;
}

// Rust's str::replace: non-overlapping matches left to right; an empty pattern matches at every
// character boundary, the start and the end included (so "" -> `to`, "ab" -> to a to b to).
std::string rust_replace(std::string_view s, std::string_view from, std::string_view to) {
  std::string out;
  if (from.empty()) {
    out.reserve(s.size() + (s.size() + 1) * to.size());
    out.append(to);
    for (size_t i = 0; i < s.size();) {
      const size_t n = step_at(s, i).length;
      out.append(s.substr(i, n));
      out.append(to);
      i += n;
    }
    return out;
  }
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string_view::npos; pos = hit + from.size()) {
    out.append(s.substr(pos, hit - pos));
    out.append(to);
  }
  out.append(s.substr(pos));
  return out;
}

// decoders/wordpiece.rs: cleanup.
std::string wordpiece_cleanup(std::string s) {
  static constexpr std::pair<std::string_view, std::string_view> kSteps[] = {
      {" .", "."},   {" ?", "?"},           {" !", "!"},   {" ,", ","},     {" ' ", "'"},    {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
  };
  for (const auto& [from, to] : kSteps)
    if (s.find(from) != std::string::npos) s = rust_replace(s, from, to);
  return s;
}

// A Replace pattern given as a regular expression, when it is a literal string: characters without
// meaning in Oniguruma's syntax, or a backslash before an ASCII punctuation character. nullopt otherwise.
std::optional<std::string> regex_literal(std::string_view re) {
  static constexpr std::string_view kMeta = "\\^$.|?*+()[]{}";
  std::string out;
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\') {
      if (i + 1 >= re.size()) return std::nullopt;
      const auto n = static_cast<unsigned char>(re[i + 1]);
      if (n >= 0x80 || !std::ispunct(n)) return std::nullopt;  // \s, \d, \x41, \p{..}: not literals
      out.push_back(static_cast<char>(n));
      ++i;
    } else if (kMeta.find(c) != std::string_view::npos) {
      return std::nullopt;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

struct Decoder::Node {
  Kind kind = Kind::kFuse;
  std::string where;  // "tokenizer.json: decoder.decoders[1]", for errors while decoding
  std::string text;   // BPEDecoder suffix, WordPiece prefix, Replace pattern, CTC pad token
  std::string text2;  // Replace content, CTC word delimiter
  std::string ch;     // Metaspace replacement / Strip content, as UTF-8
  char32_t cp = 0;    // the same as a code point
  bool cleanup = false;
  Prepend prepend = Prepend::kAlways;
  uint64_t start = 0, stop = 0;
  std::vector<Node> children;

  void chain(std::vector<std::string>& tokens) const;
};

namespace {

using Node = Decoder::Node;

Node make_node(Kind kind, const std::string& where) {
  Node n;
  n.kind = kind;
  n.where = where;
  return n;
}

// Field readers with serde's rules: a required field must be present and not null; a field with a
// #[serde(default)] may be absent but not null; an Option field may be absent or null. Each returns
// false (tried) or throws (strict) on a mismatch.
struct Reader {
  const json& j;
  const Where& w;
  bool strict;  // false while trying the untagged legacy forms: report a mismatch instead of throwing

  bool fail(std::string_view key, const std::string& what) const {
    if (strict) w.key(key).fail(what);
    return false;
  }
  const json* find(std::string_view key) const {
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
  }
  bool string(std::string_view key, std::string& out) const {
    const json* v = find(key);
    if (v == nullptr) return strict ? (w.fail("missing field '" + std::string(key) + "'"), false) : false;
    if (!v->is_string()) return fail(key, "expected a string, found " + std::string(v->type_name()));
    out = v->get<std::string>();
    return true;
  }
  bool boolean(std::string_view key, bool& out, bool required = true) const {
    const json* v = find(key);
    if (v == nullptr) {
      if (!required) return true;
      return strict ? (w.fail("missing field '" + std::string(key) + "'"), false) : false;
    }
    if (!v->is_boolean()) return fail(key, "expected true or false, found " + std::string(v->type_name()));
    out = v->get<bool>();
    return true;
  }
  // Option<bool>: absent or null is "not given".
  bool optional_boolean(std::string_view key, std::optional<bool>& out) const {
    const json* v = find(key);
    if (v == nullptr || v->is_null()) return true;
    if (!v->is_boolean()) return fail(key, "expected true, false or null, found " + std::string(v->type_name()));
    out = v->get<bool>();
    return true;
  }
  bool unsigned_int(std::string_view key, uint64_t& out) const {
    const json* v = find(key);
    if (v == nullptr) return strict ? (w.fail("missing field '" + std::string(key) + "'"), false) : false;
    if (v->is_number_unsigned()) {
      out = v->get<uint64_t>();
      return true;
    }
    return fail(key,
                "expected a non-negative integer, found " + (v->is_number() ? v->dump() : std::string(v->type_name())));
  }
  // A Rust char: a string of exactly one code point.
  bool character(std::string_view key, std::string& utf8, char32_t& cp) const {
    std::string s;
    if (!string(key, s)) return false;
    const Utf8Step c = s.empty() ? Utf8Step{0, 0, false} : step_at(s, 0);
    if (!c.valid || c.length != s.size()) return fail(key, "expected a single character, found " + quote(s));
    utf8 = s;
    cp = c.code_point;
    return true;
  }
};

bool parse_replace_pattern(const Reader& r, Node& n) {
  const json* p = r.find("pattern");
  if (p == nullptr) return r.strict ? (r.w.fail("missing field 'pattern'"), false) : false;
  if (!p->is_object() || p->size() != 1 || !(p->contains("String") || p->contains("Regex")) ||
      !p->begin().value().is_string())
    return r.fail("pattern", "expected {\"String\": \"...\"} or {\"Regex\": \"...\"}");
  const std::string& s = p->begin().value().get_ref<const std::string&>();
  if (p->begin().key() == "String") {
    n.text = s;
    return true;
  }
  std::optional<std::string> lit = regex_literal(s);
  if (!lit) {
    // tokenizers compiles it with Oniguruma; attnlab decodes only literal patterns for now.
    r.w.key("pattern").key("Regex").fail(quote(s) +
                                         ": a Replace decoder with a regular expression is not supported "
                                         "(only a literal string)");
  }
  n.text = *lit;
  return true;
}

// The untagged legacy forms, in DecoderUntagged's order. Only the variants whose "type" is not
// required can match an object without a known "type".
bool try_legacy(const json& j, const Where& w, Node& n) {
  const Reader r{j, w, false};
  {
    Node c = make_node(Kind::kBpe, n.where);
    if (r.string("suffix", c.text)) return n = std::move(c), true;
  }
  {
    Node c = make_node(Kind::kWordPiece, n.where);
    if (r.string("prefix", c.text) && r.boolean("cleanup", c.cleanup)) return n = std::move(c), true;
  }
  {
    Node c = make_node(Kind::kCtc, n.where);
    if (r.string("pad_token", c.text) && r.string("word_delimiter_token", c.text2) && r.boolean("cleanup", c.cleanup))
      return n = std::move(c), true;
  }
  {
    Node c = make_node(Kind::kReplace, n.where);
    // A regular expression that tokenizers compiles but attnlab does not take still ends the search
    // here, with the error (parse_replace_pattern throws it whatever the mode).
    if (r.find("content") && r.find("content")->is_string() && parse_replace_pattern(r, c) &&
        r.string("content", c.text2))
      return n = std::move(c), true;
  }
  {
    Node c = make_node(Kind::kStrip, n.where);
    if (r.character("content", c.ch, c.cp) && r.unsigned_int("start", c.start) && r.unsigned_int("stop", c.stop))
      return n = std::move(c), true;
  }
  return false;
}

Node parse(const json& j, const Where& w, int depth) {
  if (depth > kMaxDepth) w.fail("decoders nested more than " + std::to_string(kMaxDepth) + " deep");
  if (!j.is_object()) w.fail("expected a decoder object, found " + std::string(j.type_name()));
  Node n = make_node(Kind::kFuse, w.source + ": " + w.path);
  static const std::pair<std::string_view, Kind> kTypes[] = {
      {"BPEDecoder", Kind::kBpe},
      {"ByteLevel", Kind::kByteLevel},
      {"WordPiece", Kind::kWordPiece},
      {"Metaspace", Kind::kMetaspace},
      {"CTC", Kind::kCtc},
      {"Sequence", Kind::kSequence},
      {"Replace", Kind::kReplace},
      {"Fuse", Kind::kFuse},
      {"Strip", Kind::kStrip},
      {"ByteFallback", Kind::kByteFallback},
  };
  const json* type = j.contains("type") ? &j["type"] : nullptr;
  std::optional<Kind> kind;
  if (type != nullptr && type->is_string())
    for (const auto& [name, k] : kTypes)
      if (type->get_ref<const std::string&>() == name) kind = k;
  if (!kind) {
    if (try_legacy(j, w, n)) return n;
    w.fail(type == nullptr ? "no \"type\", and the fields match no decoder"
                           : "unknown decoder type " + quote(type->dump()) +
                                 " (attnlab reads BPEDecoder, ByteLevel, WordPiece, Metaspace, CTC, Sequence, "
                                 "Replace, Fuse, Strip, ByteFallback)");
  }
  n.kind = *kind;
  const Reader r{j, w, true};
  switch (n.kind) {
    case Kind::kBpe:
      r.string("suffix", n.text);
      break;
    case Kind::kByteLevel: {
      bool unused = true;
      r.boolean("add_prefix_space", unused);
      r.boolean("trim_offsets", unused);
      r.boolean("use_regex", unused, /*required=*/false);  // #[serde(default = "default_true")]: not null
      break;
    }
    case Kind::kWordPiece:
      r.string("prefix", n.text);
      r.boolean("cleanup", n.cleanup);
      break;
    case Kind::kMetaspace: {
      r.character("replacement", n.ch, n.cp);
      std::optional<bool> add_prefix_space, split;
      r.optional_boolean("add_prefix_space", add_prefix_space);
      r.optional_boolean("split", split);
      if (const json* v = r.find("str_rep"); v && !v->is_null() && !v->is_string())
        w.key("str_rep").fail("expected a string or null, found " + std::string(v->type_name()));
      n.prepend = Prepend::kAlways;  // the default when absent
      if (const json* v = r.find("prepend_scheme")) {
        const std::string s = v->is_string() ? v->get<std::string>() : std::string();
        if (s == "always")
          n.prepend = Prepend::kAlways;
        else if (s == "first")
          n.prepend = Prepend::kFirst;
        else if (s == "never")
          n.prepend = Prepend::kNever;
        else
          w.key("prepend_scheme").fail("expected \"always\", \"first\" or \"never\", found " + quote(v->dump()));
      }
      if (add_prefix_space == false) {
        if (n.prepend != Prepend::kNever)
          w.key("add_prefix_space").fail("false does not match prepend_scheme (which is \"always\" when not given)");
      }
      break;
    }
    case Kind::kCtc:
      r.string("pad_token", n.text);
      r.string("word_delimiter_token", n.text2);
      r.boolean("cleanup", n.cleanup);
      break;
    case Kind::kSequence: {
      const json* list = r.find("decoders");
      if (list == nullptr) w.fail("missing field 'decoders'");
      if (!list->is_array())
        w.key("decoders").fail("expected an array of decoders, found " + std::string(list->type_name()));
      n.children.reserve(list->size());
      for (size_t i = 0; i < list->size(); ++i)
        n.children.push_back(parse((*list)[i], w.key("decoders").index(i), depth + 1));
      break;
    }
    case Kind::kReplace:
      parse_replace_pattern(r, n);
      r.string("content", n.text2);
      break;
    case Kind::kStrip:
      r.character("content", n.ch, n.cp);
      r.unsigned_int("start", n.start);
      r.unsigned_int("stop", n.stop);
      break;
    case Kind::kFuse:
    case Kind::kByteFallback:
      break;
  }
  return n;
}

// ByteFallback's test: exactly "<0x" + two characters + ">", and those two parse as Rust's
// u8::from_str_radix(_, 16) parses them (which takes a leading '+': "<0x+A>" is byte 0x0A).
int fallback_byte(std::string_view t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  auto hex = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  if (t[3] == '+') return hex(t[4]);
  const int hi = hex(t[3]), lo = hex(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

void flush_bytes(std::string& bytes, size_t count, std::vector<std::string>& out) {
  if (count == 0) return;
  if (valid_utf8(bytes)) {
    out.push_back(bytes);
  } else {
    for (size_t k = 0; k < count; ++k) out.emplace_back("\xEF\xBF\xBD");  // one U+FFFD per byte token
  }
  bytes.clear();
}

// Strip on one token: at most `start` leading and `stop` trailing `content` characters. tokenizers
// indexes past the token (a panic) when stop reaches beyond a token made of `content` only, and slices
// backwards when the cuts cross; both are errors here.
std::string strip_token(const Node& n, const std::string& token) {
  std::vector<size_t> bounds;  // character starts, then the end
  std::vector<char32_t> chars;
  for (size_t i = 0; i < token.size();) {
    const Utf8Step c = step_at(token, i);
    bounds.push_back(i);
    chars.push_back(c.valid ? c.code_point : kReplacementChar);
    i += c.length;
  }
  bounds.push_back(token.size());
  const size_t len = chars.size();
  size_t start_cut = 0;
  for (size_t i = 0; i < len && i < n.start; ++i) {
    if (chars[i] != n.cp) break;
    start_cut = i + 1;
  }
  size_t stop_cut = len;
  for (uint64_t i = 0; i < n.stop; ++i) {
    if (i >= len)
      throw Error(n.where + ": Strip with stop " + std::to_string(n.stop) + " cannot strip " + quote(token) +
                      " (tokenizers panics: index out of bounds)",
                  kExitInput);
    const size_t index = len - i - 1;
    if (chars[index] != n.cp) break;
    stop_cut = index;
  }
  if (start_cut > stop_cut)
    throw Error(n.where + ": Strip with start " + std::to_string(n.start) + " and stop " + std::to_string(n.stop) +
                    " cannot strip " + quote(token) + " (tokenizers panics: the cuts cross)",
                kExitInput);
  return token.substr(bounds[start_cut], bounds[stop_cut] - bounds[start_cut]);
}

}  // namespace

void Decoder::Node::chain(std::vector<std::string>& tokens) const {
  switch (kind) {
    case Kind::kBpe: {
      // decoders/bpe.rs: the suffix becomes a space, except in the last token where it goes.
      for (size_t i = 0; i < tokens.size(); ++i)
        tokens[i] = rust_replace(tokens[i], text, i + 1 == tokens.size() ? "" : " ");
      return;
    }
    case Kind::kByteLevel: {
      // Each token's characters back to bytes when all are in the table, else its own UTF-8 bytes;
      // then the whole as one lossy UTF-8 string.
      std::string bytes;
      for (const std::string& t : tokens) {
        const size_t mark = bytes.size();
        bool all = true;
        for (size_t i = 0; i < t.size() && all;) {
          const Utf8Step c = step_at(t, i);
          const int b = c.valid ? unicode_to_byte(c.code_point) : -1;
          if (b < 0)
            all = false;
          else
            bytes.push_back(static_cast<char>(b));
          i += c.length;
        }
        if (!all) bytes.resize(mark), bytes.append(t);
      }
      tokens.assign(1, utf8_lossy(bytes));
      return;
    }
    case Kind::kWordPiece:
      for (size_t i = 0; i < tokens.size(); ++i) {
        std::string& t = tokens[i];
        if (i != 0) {
          if (t.compare(0, text.size(), text) == 0)
            t.erase(0, text.size());
          else
            t.insert(0, " ");
        }
        if (cleanup) t = wordpiece_cleanup(std::move(t));
      }
      return;
    case Kind::kMetaspace: {
      // Every replacement character becomes a space, except in the first token where (unless the
      // scheme is "never") all of them go, not only a leading one.
      for (size_t i = 0; i < tokens.size(); ++i)
        tokens[i] = rust_replace(tokens[i], ch, i == 0 && prepend != Prepend::kNever ? "" : " ");
      return;
    }
    case Kind::kCtc: {
      std::vector<std::string> out;
      for (size_t i = 0; i < tokens.size(); ++i) {
        if (i > 0 && tokens[i] == tokens[i - 1]) continue;  // itertools' dedup
        std::string t = rust_replace(tokens[i], text, "");
        if (cleanup) t = rust_replace(wordpiece_cleanup(std::move(t)), text2, " ");
        if (!t.empty()) out.push_back(std::move(t));
      }
      tokens = std::move(out);
      return;
    }
    case Kind::kSequence:
      for (const Node& c : children) c.chain(tokens);
      return;
    case Kind::kReplace:
      // Oniguruma's find_matches: an empty token stays empty even for an empty pattern.
      for (std::string& t : tokens)
        if (!t.empty()) t = rust_replace(t, text, text2);
      return;
    case Kind::kFuse: {
      std::string all;
      for (const std::string& t : tokens) all += t;
      tokens.assign(1, std::move(all));
      return;
    }
    case Kind::kStrip:
      for (std::string& t : tokens) t = strip_token(*this, t);
      return;
    case Kind::kByteFallback: {
      std::vector<std::string> out;
      out.reserve(tokens.size());
      std::string bytes;
      size_t count = 0;
      for (std::string& t : tokens) {
        const int b = fallback_byte(t);
        if (b >= 0) {
          bytes.push_back(static_cast<char>(b));
          ++count;
          continue;
        }
        flush_bytes(bytes, count, out);
        count = 0;
        out.push_back(std::move(t));
      }
      flush_bytes(bytes, count, out);
      tokens = std::move(out);
      return;
    }
  }
}

Decoder::Decoder() = default;

Decoder Decoder::from_json(const json& decoder, const std::string& source) {
  Decoder d;
  if (decoder.is_null()) return d;
  d.root_ = std::make_shared<const Node>(parse(decoder, Where{source, "decoder"}, 0));
  return d;
}

std::vector<std::string> Decoder::decode_chain(std::vector<std::string> tokens) const {
  if (root_) root_->chain(tokens);
  return tokens;
}

std::string Decoder::decode(const std::vector<std::string>& tokens) const {
  std::string out;
  if (!root_) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) out.push_back(' ');
      out += tokens[i];
    }
    return out;
  }
  for (const std::string& t : decode_chain(tokens)) out += t;
  return out;
}

}  // namespace attnlab
