// tokenizers' normalizers (src/normalizers/{bert,unicode,utils,strip,replace,prepend,byte_level}.rs).
#include "text/normalizers.h"

#include <array>

#include "text/bert_unicode_tables.h"
#include "text/byte_level.h"
#include "text/regex.h"

namespace attnlab {
namespace {

using json_fields::Where;
using nlohmann::json;

bool bert_is_whitespace(char32_t c) { return c == '\t' || c == '\n' || c == '\r' || is_rust_whitespace(c); }

// clean_text's filter: drops NUL, U+FFFD and controls (Cc/Cf/Co..., but not \t \n \r).
bool bert_keep(char32_t c) {
  static const auto& dropped = bert_tables::kCleanTextDropped;
  auto it = std::upper_bound(dropped.begin(), dropped.end(), c,
                             [](char32_t v, const bert_tables::CodepointRange& r) { return v < r.first; });
  return !(it != dropped.begin() && c <= std::prev(it)->last);
}
char32_t bert_space(char32_t c) { return bert_is_whitespace(c) ? U' ' : c; }
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}
bool not_nonspacing_mark(char32_t c) { return !is_nonspacing_mark_bert(c); }
bool not_combining_mark(char32_t c) { return !is_combining_mark(c); }

bool nmt_keep(char32_t c) {
  return !((c >= 0x0001 && c <= 0x0008) || c == 0x000B || (c >= 0x000E && c <= 0x001F) || c == 0x007F ||
           c == 0x008F || c == 0x009F);
}
char32_t nmt_map(char32_t c) {
  switch (c) {
    case 0x0009: case 0x000A: case 0x000C: case 0x000D: case 0x1680: case 0x2028: case 0x2029: case 0x2581:
    case 0xFEFF: case 0xFFFD:
      return U' ';
    default:
      return c >= 0x200B && c <= 0x200F ? U' ' : c;
  }
}

}  // namespace

void byte_level_transform(NormalizedString& s) {
  if (s.empty()) return;
  std::vector<NormalizedString::Change> t;
  const std::string& text = s.get();
  t.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t len = 0;
    utf8_char_at(text, i, len);
    for (size_t k = 0; k < len; ++k) t.push_back({byte_to_unicode(static_cast<unsigned char>(text[i + k])), k ? 1 : 0});
    i += len;
  }
  s.transform(t, 0);
}

Pattern compile_pattern(const json& j, const Where& where, std::shared_ptr<const Regex>& holder) {
  if (!j.is_object() || j.size() != 1 || !(j.contains("String") || j.contains("Regex")))
    where.fail("expected {\"String\": ...} or {\"Regex\": ...}, found " + j.dump().substr(0, 200));
  if (j.contains("String")) {
    const std::string& s = json_fields::as_string(j["String"], where.key("String"));
    if (!s.empty()) return Pattern::of_literal(s);
    holder = std::make_shared<const Regex>("", where.source + ": " + where.path + ".String");
    return Pattern::of_regex(*holder);
  }
  const std::string& r = json_fields::as_string(j["Regex"], where.key("Regex"));
  holder = std::make_shared<const Regex>(r, where.source + ": " + where.path + ".Regex");
  return Pattern::of_regex(*holder);
}

Normalizer Normalizer::from_json(const json& j, const Where& where) {
  Normalizer n;
  if (!j.is_null()) add(j, where, n.steps_);
  return n;
}

void Normalizer::add(const json& j, const Where& w, std::vector<Step>& steps) {
  using namespace json_fields;
  const std::string type = type_of(j, w);
  Step s{};
  if (type == "Sequence") {
    const json& list = require(j, "normalizers", w);
    if (!list.is_array()) w.key("normalizers").fail("expected a list, found " + type_name(list));
    for (size_t i = 0; i < list.size(); ++i) add(list[i], w.key("normalizers").index(i), steps);
    return;
  } else if (type == "BertNormalizer") {
    s.kind = Kind::kBert;
    s.clean_text = bool_field_or(j, "clean_text", true, w);
    s.handle_chinese_chars = bool_field_or(j, "handle_chinese_chars", true, w);
    s.lowercase = bool_field_or(j, "lowercase", true, w);
    s.strip_accents = bool_field_or(j, "strip_accents", s.lowercase, w);  // null: follows lowercase
  } else if (type == "NFD") {
    s.kind = Kind::kNfd;
  } else if (type == "NFKD") {
    s.kind = Kind::kNfkd;
  } else if (type == "NFC") {
    s.kind = Kind::kNfc;
  } else if (type == "NFKC") {
    s.kind = Kind::kNfkc;
  } else if (type == "Lowercase") {
    s.kind = Kind::kLowercase;
  } else if (type == "Strip") {
    s.kind = Kind::kStrip;
    s.strip_left = bool_field(j, "strip_left", w);
    s.strip_right = bool_field(j, "strip_right", w);
  } else if (type == "StripAccents") {
    s.kind = Kind::kStripAccents;
  } else if (type == "Replace") {
    s.kind = Kind::kReplace;
    s.pattern = compile_pattern(require(j, "pattern", w), w.key("pattern"), s.regex);
    s.content = string_field(j, "content", w);
  } else if (type == "Prepend") {
    s.kind = Kind::kPrepend;
    s.content = string_field(j, "prepend", w);
  } else if (type == "Nmt") {
    s.kind = Kind::kNmt;
  } else if (type == "ByteLevel") {
    s.kind = Kind::kByteLevel;
  } else {
    w.key("type").fail("unknown normalizer '" + type +
                       "' (attnlab reads BertNormalizer, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, "
                       "Replace, Prepend, Nmt, ByteLevel, Sequence)");
  }
  steps.push_back(std::move(s));
}

void Normalizer::normalize(NormalizedString& n) const {
  for (const Step& s : steps_) {
    switch (s.kind) {
      case Kind::kBert:
        if (s.clean_text) {
          n.filter(bert_keep);
          n.map(bert_space);
        }
        if (s.handle_chinese_chars) {
          std::vector<NormalizedString::Change> t;
          bool any = false;
          const std::string& text = n.get();
          for (size_t i = 0; i < text.size();) {
            size_t len = 0;
            const char32_t c = utf8_char_at(text, i, len);
            i += len;
            if (is_chinese_char(c)) {
              t.push_back({U' ', 0});
              t.push_back({c, 1});
              t.push_back({U' ', 1});
              any = true;
            } else {
              t.push_back({c, 0});
            }
          }
          if (any) n.transform(t, 0);
        }
        if (s.strip_accents) {
          n.nfd();
          n.filter(not_nonspacing_mark);
        }
        if (s.lowercase) n.lowercase();
        break;
      case Kind::kNfd: n.nfd(); break;
      case Kind::kNfkd: n.nfkd(); break;
      case Kind::kNfc: n.nfc(); break;
      case Kind::kNfkc: n.nfkc(); break;
      case Kind::kLowercase: n.lowercase(); break;
      case Kind::kStrip:
        if (s.strip_left && s.strip_right) {
          n.strip();
        } else {
          if (s.strip_left) n.lstrip();
          if (s.strip_right) n.rstrip();
        }
        break;
      case Kind::kStripAccents: n.filter(not_combining_mark); break;
      case Kind::kReplace: n.replace(s.pattern, s.content); break;
      case Kind::kPrepend:
        if (!n.empty()) n.prepend(s.content);
        break;
      case Kind::kNmt:
        n.filter(nmt_keep);
        n.map(nmt_map);
        break;
      case Kind::kByteLevel: byte_level_transform(n); break;
    }
  }
}

}  // namespace attnlab
