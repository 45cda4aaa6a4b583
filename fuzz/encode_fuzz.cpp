// Fuzzes BertTokenizer::encode on arbitrary bytes (invalid UTF-8, NUL, control and combining
// characters, added-token look-alikes). Byte 0 picks the tokenizer (bit 0: the tiny uncased model's
// or the cased one with flagged added tokens) and a pair (bit 1); byte 1 is max_length (0 = none).
// The rest is the text; with a pair it is split at its first NUL (or midpoint).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "attnlab/error.h"
#include "fuzz_util.h"
#include "text/bert_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const attnlab::BertTokenizer uncased =
      attnlab::BertTokenizer::from_directory(ATTNLAB_FIXTURES "/bert/tiny-random/model");
  static const attnlab::BertTokenizer cased = attnlab::BertTokenizer::from_directory(ATTNLAB_FIXTURES "/tokenizer_cased");
  if (size < 2) return 0;
  const attnlab::BertTokenizer& tok = data[0] & 1 ? cased : uncased;
  const bool with_pair = data[0] & 2;
  const int max_length = data[1];
  std::string_view text = attnlab::fuzz::as_view(data + 2, size - 2);
  std::optional<std::string_view> pair;
  if (with_pair) {
    size_t cut = text.find('\0');
    if (cut == std::string_view::npos) cut = text.size() / 2;
    pair = text.substr(cut);
    text = text.substr(0, cut);
  }
  const attnlab::Encoding enc = tok.encode(text, pair, max_length);  // must not throw at all
  const size_t n_special = pair && !pair->empty() ? 3 : 2;  // an empty pair is dropped, as transformers does
  ATTNLAB_FUZZ_CHECK(enc.tokens.size() == enc.input_ids.size() && enc.tokens.size() == enc.token_type_ids.size());
  ATTNLAB_FUZZ_CHECK(enc.tokens.size() >= n_special);
  ATTNLAB_FUZZ_CHECK(enc.input_ids.front() == tok.cls_id() && enc.input_ids.back() == tok.sep_id());
  if (max_length >= static_cast<int>(n_special)) ATTNLAB_FUZZ_CHECK(enc.input_ids.size() <= static_cast<size_t>(max_length));
  for (size_t i = 0; i < enc.input_ids.size(); ++i) {
    ATTNLAB_FUZZ_CHECK(enc.token_type_ids[i] == 0 || (pair && enc.token_type_ids[i] == 1));
    ATTNLAB_FUZZ_CHECK(!tok.id_to_token(enc.input_ids[i]).empty());
  }
  // tokenize() is encode() without the specials and truncation.
  if (!pair && max_length == 0) ATTNLAB_FUZZ_CHECK(tok.tokenize(text).size() + 2 == enc.tokens.size());
  return 0;
}
