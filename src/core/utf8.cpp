// UTF-8 decoding with Python's errors="replace" semantics ("maximal subpart" substitution, Unicode 15 §3.9).
#include "core/utf8.h"

#include <cstdint>

namespace attnlab {

Utf8Step decode_utf8_at(std::string_view bytes, size_t i) {
  const size_t n = bytes.size();
  const auto b0 = static_cast<uint8_t>(bytes[i]);
  if (b0 < 0x80) return {b0, 1, true};
  // Lead byte: number of continuation bytes and the allowed range of the first one
  // (which excludes overlongs, surrogates and code points above U+10FFFF).
  int need = 0;
  uint8_t lo = 0x80, hi = 0xBF;
  char32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2, cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3, cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {kReplacementChar, 1, false};  // 0x80..0xC1, 0xF5..0xFF never start a sequence
  }
  size_t j = i + 1;
  for (int k = 0; k < need; ++k, ++j) {
    const uint8_t min = k == 0 ? lo : 0x80, max = k == 0 ? hi : 0xBF;
    // A truncated or broken sequence is replaced as a whole; decoding resumes at the offending byte.
    if (j >= n || static_cast<uint8_t>(bytes[j]) < min || static_cast<uint8_t>(bytes[j]) > max)
      return {kReplacementChar, j - i, false};
    cp = (cp << 6) | (static_cast<uint8_t>(bytes[j]) & 0x3F);
  }
  return {cp, j - i, true};
}

size_t first_invalid_utf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    const Utf8Step s = decode_utf8_at(bytes, i);
    if (!s.valid) return i;
    i += s.length;
  }
  return std::string_view::npos;
}

std::u32string decode_utf8_lossy(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const Utf8Step step = decode_utf8_at(bytes, i);
    out.push_back(step.code_point);
    i += step.length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string to_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

}  // namespace attnlab
