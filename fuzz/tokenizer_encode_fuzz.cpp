// Fuzzes Tokenizer::encode and decode on arbitrary bytes (invalid UTF-8, NUL, combining marks, added-token
// look-alikes, long whitespace and digit runs) through the fixture tokenizers: byte 0 picks the tokenizer
// and a pair (bit 7); the rest is the text, split at its first NUL for a pair.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/error.h"
#include "core/utf8.h"
#include "fuzz_util.h"
#include "text/tokenizer.h"

namespace {

std::vector<attnlab::Tokenizer> load_all() {
  std::vector<attnlab::Tokenizer> out;
  const std::filesystem::path dir = std::filesystem::path(ATTNLAB_FIXTURES) / "tokenizers";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (std::filesystem::exists(e.path() / "tokenizer.json")) files.push_back(e.path() / "tokenizer.json");
  std::sort(files.begin(), files.end());
  for (const auto& f : files) out.push_back(attnlab::Tokenizer::from_file(f));
  if (out.empty()) std::abort();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<attnlab::Tokenizer> tokenizers = load_all();
  if (size < 1) return 0;
  const attnlab::Tokenizer& tok = tokenizers[(data[0] & 0x7F) % tokenizers.size()];
  std::string_view text = attnlab::fuzz::as_view(data + 1, size - 1);
  std::optional<std::string_view> pair;
  if (data[0] & 0x80) {
    size_t cut = text.find('\0');
    if (cut == std::string_view::npos) cut = text.size() / 2;
    pair = text.substr(cut);
    text = text.substr(0, cut);
  }
  attnlab::TokenEncoding e;
  try {
    e = tok.encode(text, pair, true, attnlab::Tokenizer::OffsetUnit::kChars);
  } catch (const attnlab::Error&) {
    return 0;  // refused as tokenizers refuses it (an unknown character with unk_token not in the vocabulary)
  }
  const size_t chars = attnlab::decode_utf8_lossy(text).size();
  const size_t pair_chars = pair ? attnlab::decode_utf8_lossy(*pair).size() : 0;
  ATTNLAB_FUZZ_CHECK(e.ids.size() == e.tokens.size() && e.ids.size() == e.offsets.size() &&
                     e.ids.size() == e.type_ids.size() && e.ids.size() == e.special_tokens_mask.size());
  for (size_t i = 0; i < e.ids.size(); ++i) {
    ATTNLAB_FUZZ_CHECK(tok.id_to_token(e.ids[i]) != nullptr);
    const size_t limit = e.sequence_ids[i] == 1 ? pair_chars : chars;
    ATTNLAB_FUZZ_CHECK(e.offsets[i].start <= e.offsets[i].end && e.offsets[i].end <= limit);
  }
  try {  // decoders tokenizers panics in (Strip on an empty token) are errors here
    tok.decode(e.ids, false);
    tok.decode(e.ids, true);
  } catch (const attnlab::Error&) {
  }
  return 0;
}
