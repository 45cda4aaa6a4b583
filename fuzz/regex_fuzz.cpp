// Fuzzes the hand-written matchers of the GPT-2, Llama 3 and Qwen2 pre-tokenizer regexes against PCRE2
// (text/regex.h) on valid UTF-8: both must find exactly the same matches, tiling the text. Byte 0 picks
// how the rest becomes text: bit 0 clear, the bytes themselves (invalid UTF-8 replaced by U+FFFD, as
// tokenizers only ever sees valid strings); set, each byte picks one of the characters the patterns
// tell apart (apostrophes and contraction letters, every kind of space, \r \n, digits, marks, letters
// and numbers assigned after PCRE2's Unicode 14).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "core/utf8.h"
#include "text/regex.h"

namespace {

constexpr char32_t kAlphabet[] = {
    U'\'',  U'\'',  U'’',   U's',    U'S',    U'ſ',    U't',   U'T',    U'r',    U'R',    U'e',     U'E',
    U'v',   U'V',   U'm',   U'M',    U'l',    U'L',    U'd',   U'D',    U'a',    U'x',    U' ',     U' ',
    U' ',   U'\t',  U'\n',  U'\n',   U'\r',   U'\r',   U'\v',  U'\f',   0xA0,    0x3000,  0x2028,   0x85,
    0x180E, 0x200B, U'0',   U'7',    U'9',    0x663,   0x2160, 0xBD,    U'.',    U',',    U'!',     U'-',
    U'_',   U'(',   U'/',   U'"',    0x301,   0x308,   0x20DD, U'中',   U'日',   U'한',   U'م',     U'न',
    0x94D,  U'👋',   0x200D, 0x1F3FD, 0x31350, 0x1E5D0, 0x1C89, 0x1CCF0, 0x10D40, 0x1FAE8, 0x10FFFD, 0};

// Per pattern: the hand-written matcher and PCRE2.
const std::vector<std::pair<attnlab::Regex, attnlab::Regex>>& engines() {
  static const std::vector<std::pair<attnlab::Regex, attnlab::Regex>> all = [] {
    std::vector<std::pair<attnlab::Regex, attnlab::Regex>> v;
    for (
        const char* p :
        {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)",
         R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
         R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"})
      v.emplace_back(attnlab::Regex(p, "fuzz", attnlab::Regex::Engine::kHandWritten),
                     attnlab::Regex(p, "fuzz", attnlab::Regex::Engine::kPcre2));
    return v;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string text;
  if (data[0] & 1) {
    for (size_t i = 1; i < size; ++i) attnlab::append_utf8(text, kAlphabet[data[i] % std::size(kAlphabet)]);
  } else {
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    text = attnlab::to_utf8(attnlab::decode_utf8_lossy(bytes));
  }
  for (const auto& [hand_re, pcre2_re] : engines()) {
    std::vector<std::pair<size_t, size_t>> hand, pcre2;
    hand_re.find_all(text, hand);
    pcre2_re.find_all(text, pcre2);
    if (hand != pcre2) std::abort();
    size_t end = 0;  // the matches of these patterns tile the text
    for (const auto& [s, e] : hand) {
      if (s != end || e <= s) std::abort();
      end = e;
    }
    if (end != text.size()) std::abort();
  }
  return 0;
}
