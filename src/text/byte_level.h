// GPT-2's byte <-> character table (tokenizers' bytes_char in pre_tokenizers/byte_level.rs): every byte
// gets a printable character, so byte-level BPE vocabularies are valid UTF-8. Shared by the ByteLevel
// pre-tokenizer (byte -> char) and decoder (char -> byte).
#pragma once

#include <string>
#include <string_view>

namespace attnlab {

// The character byte `b` stands for: itself for '!'..'~', 0xA1..0xAC and 0xAE..0xFF; U+0100 + n for the
// n-th remaining byte in increasing order (so ' ' is U+0120 'Ġ', '\n' is U+010A 'Ċ').
char32_t byte_to_unicode(unsigned char b);

// The byte character `c` stands for, or -1 when `c` is not in the table.
int unicode_to_byte(char32_t c);

// Appends the byte-level form of `bytes` (each byte's character, UTF-8 encoded) to `out`.
void append_byte_level(std::string& out, std::string_view bytes);

}  // namespace attnlab
