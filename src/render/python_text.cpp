// Python-identical repr and float formatting (see python_text.h); follows CPython's
// unicode_repr (Objects/unicodeobject.c) and str.isprintable.
#include "attnlab/text_format.h"

#include <utf8proc.h>

#include <cstdio>

#include "core/utf8.h"

namespace attnlab {
namespace {

// Python's str.isprintable: false for categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs (except ' ').
bool python_printable(char32_t cp) {
  if (cp == ' ') return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return true;
  }
}

}  // namespace

std::string python_repr(std::string_view s) {
  // Invalid bytes become U+FFFD per maximal invalid subsequence, as Python's errors="replace"
  // decoding (and the tokenizer) read them.
  const std::u32string cps = decode_utf8_lossy(s);
  bool has_single = false, has_double = false;
  for (const char32_t cp : cps) {
    has_single |= cp == '\'';
    has_double |= cp == '"';
  }
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (const char32_t cp : cps) {
    char buf[16];
    if (cp == static_cast<char32_t>(quote) || cp == U'\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp < 0x20 || cp == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp < 0x7f) {
      out += static_cast<char>(cp);
    } else if (!python_printable(cp)) {
      if (cp <= 0xff) std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      else if (cp <= 0xffff) std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      else std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      append_utf8(out, cp);
    }
  }
  out += quote;
  return out;
}

std::string python_list_repr(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    out += python_repr(items[i]);
  }
  return out + "]";
}

std::string python_fixed(float v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, static_cast<double>(v));
  return buf;
}

}  // namespace attnlab
