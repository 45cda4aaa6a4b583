// UTF-8 <-> code points. Decoding never fails: like Python's bytes.decode("utf-8", errors="replace"),
// each maximal invalid subsequence becomes one U+FFFD (which the BERT normalizer then drops).
#pragma once

#include <string>
#include <string_view>

namespace attnlab {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// One decoding step at bytes[i] (i < size): a valid sequence gives its code point; otherwise the
// maximal invalid subsequence there gives kReplacementChar. `length` is the bytes it spans (>= 1).
struct Utf8Step {
  char32_t code_point;
  size_t length;
  bool valid;
};
Utf8Step decode_utf8_at(std::string_view bytes, size_t i);

std::u32string decode_utf8_lossy(std::string_view bytes);
// The byte offset of the first invalid sequence (as decode_utf8_at judges it), npos when bytes is valid UTF-8.
size_t first_invalid_utf8(std::string_view bytes);
void append_utf8(std::string& out, char32_t cp);
std::string to_utf8(std::u32string_view text);

}  // namespace attnlab
