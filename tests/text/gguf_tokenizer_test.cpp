// SentencePiece ("llama") tokenizers from GGUF metadata against transformers' GGUF tokenizer builder
// (tests/fixtures/gguf_tokenizers/, tools/make_gguf_tokenizer_fixtures.py): a SentencePiece BPE
// vocabulary with byte fallback written as llama.cpp's converter writes one, in two variants of the
// add_*_token / add_space_prefix flags. The document built equals the tokenizer.json transformers
// saves (merges recovered from the scores, in order), and the tokenizer gives its ids and decodings
// on the tokenizer test strings.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "../support/fixtures.h"
#include "attnlab/tokenizer.h"
#include "io/gguf.h"
#include "text/gguf_tokenizer.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kDir = fs::path(ATTNLAB_FIXTURES) / "gguf_tokenizers";

class GgufSentencePiece : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufSentencePiece, DocumentIsTransformers) {
  const fs::path dir = kDir / GetParam();
  const json want = json::parse(testing::read_text((dir / "tokenizer.json").string()));
  const json got = gguf_tokenizer(GgufFile(dir / "tokenizer.gguf")).document;
  testing::expect_same_tokenizer_document(got, want);
  EXPECT_GT(want["model"]["merges"].size(), 500u);
}

TEST_P(GgufSentencePiece, IdsAndDecodingsAreTransformers) {
  const fs::path dir = kDir / GetParam();
  const HfTokenizer tok = HfTokenizer::open(dir / "tokenizer.gguf");
  const json cases = json::parse(testing::read_text((dir / "cases.json").string()))["cases"];
  size_t differ = 0;
  for (const json& c : cases) {
    const std::string text = c["text"].get<std::string>();
    const std::vector<int> got = tok.encode(text).input_ids, plain = tok.encode(text, std::nullopt, false).input_ids;
    differ += got != c["ids"].get<std::vector<int>>() || plain != c["ids_no_special"].get<std::vector<int>>();
    EXPECT_EQ(got, c["ids"].get<std::vector<int>>()) << text;
    EXPECT_EQ(plain, c["ids_no_special"].get<std::vector<int>>()) << text;
    EXPECT_EQ(tok.decode(plain, false), c["decoded"].get<std::string>()) << text;
  }
  EXPECT_GE(cases.size(), 400u);
  std::printf("%s: %zu strings, %zu differ from transformers\n", GetParam().c_str(), cases.size(), differ);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GgufSentencePiece, ::testing::Values("llama_spm", "llama_spm_noprefix"));

}  // namespace
}  // namespace attnlab
