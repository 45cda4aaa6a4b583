// Fuzzes BertTokenizer::from_directory on a directory holding the fuzzed file, then encodes a fixed
// text with whatever loaded. The first byte picks the file (the rest is its content):
//   0 tokenizer.json   1 vocab.txt   2 tokenizer_config.json   3 special_tokens_map.json
// (2 and 3 sit beside a small valid vocab.txt). Only attnlab::Error may escape.
#include <cstddef>
#include <cstdint>
#include <string>

#include "attnlab/error.h"
#include "fuzz_util.h"
#include "text/bert_tokenizer.h"

namespace {

constexpr const char* kFiles[] = {"tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"};
constexpr const char* kVocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\n,\nthe\ncat\n##at\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const attnlab::fuzz::ScratchDir dir;
  if (size == 0) return 0;
  const int mode = data[0] % 4;
  for (const char* f : kFiles) dir.remove(f);
  if (mode >= 2) dir.write("vocab.txt", kVocab);
  dir.write(kFiles[mode], attnlab::fuzz::as_view(data + 1, size - 1));
  try {
    const attnlab::BertTokenizer tok = attnlab::BertTokenizer::from_directory(dir.path());
    const attnlab::Encoding enc =
        tok.encode("Hellos, [MASK] the CAT  sat\xC3\xA9 \xE4\xB8\xAD\xF0\x9F\x98\x80 x\xFF [UNK]", "cats", 12);
    ATTNLAB_FUZZ_CHECK(enc.tokens.size() == enc.input_ids.size() && enc.tokens.size() == enc.token_type_ids.size());
    ATTNLAB_FUZZ_CHECK(enc.input_ids.size() <= 12);
    for (int id : enc.input_ids) (void)tok.id_to_token(id);  // every id produced must be in the vocabulary
  } catch (const attnlab::Error&) {
  }
  return 0;
}
