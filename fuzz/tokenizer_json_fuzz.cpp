// Fuzzes the tokenizer.json reader (Tokenizer::from_json_text) on arbitrary bytes: anything it accepts
// must then encode and decode a few texts without crashing, and every failure must be attnlab::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "attnlab/error.h"
#include "fuzz_util.h"
#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = attnlab::fuzz::as_view(data, size);
  try {
    const attnlab::Tokenizer tok = attnlab::Tokenizer::from_json_text(bytes, "fuzz/tokenizer.json");
    for (std::string_view text : {std::string_view("Hello world, it's 2024!"), std::string_view(" \t\n ab\xC3\xA9 \xF0\x9F\x98\x80"),
                                  std::string_view("")}) {
      const attnlab::TokenEncoding e = tok.encode(text, std::string_view("pair text"), true,
                                                  attnlab::Tokenizer::OffsetUnit::kChars);
      ATTNLAB_FUZZ_CHECK(e.ids.size() == e.tokens.size() && e.ids.size() == e.offsets.size() &&
                         e.ids.size() == e.type_ids.size() && e.ids.size() == e.word_ids.size());
      tok.decode(e.ids, false);
      tok.decode(e.ids, true);
    }
  } catch (const attnlab::Error&) {
  }
  return 0;
}
