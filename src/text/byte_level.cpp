// The GPT-2 byte table, built once as tokenizers builds it (bytes_char).
#include "text/byte_level.h"

#include <array>

#include "core/utf8.h"

namespace attnlab {
namespace {

struct Tables {
  std::array<char32_t, 256> to_char{};
  std::array<std::array<char, 2>, 256> utf8{};  // every table character is 1 or 2 UTF-8 bytes
  std::array<unsigned char, 256> utf8_len{};
  std::array<short, 0x144> to_byte{};  // characters run up to U+0143

  Tables() {
    to_byte.fill(-1);
    auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE); };
    int n = 0;
    for (int b = 0; b < 256; ++b) to_char[b] = printable(b) ? static_cast<char32_t>(b) : 0x100 + n++;
    for (int b = 0; b < 256; ++b) {
      to_byte[to_char[b]] = static_cast<short>(b);
      std::string s;
      append_utf8(s, to_char[b]);
      utf8_len[b] = static_cast<unsigned char>(s.size());
      for (size_t i = 0; i < s.size(); ++i) utf8[b][i] = s[i];
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

char32_t byte_to_unicode(unsigned char b) { return tables().to_char[b]; }

int unicode_to_byte(char32_t c) { return c < tables().to_byte.size() ? tables().to_byte[c] : -1; }

void append_byte_level(std::string& out, std::string_view bytes) {
  const Tables& t = tables();
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    out.append(t.utf8[b].data(), t.utf8_len[b]);
  }
}

}  // namespace attnlab
