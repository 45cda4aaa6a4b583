// Golden tests of BertTokenizer against Hugging Face tokenizers (fixtures: tools/make_tokenizer_fixtures.py),
// plus the loader's error messages and robustness on arbitrary bytes.
#include "text/bert_tokenizer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "../support/fixtures.h"
#include "attnlab/error.h"
#include "core/utf8.h"
#include "text/normalized_string.h"
#include "text/normalizers.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kModelDir = fs::path(ATTNLAB_SOURCE_DIR) / "models" / "all-MiniLM-L6-v2";

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string field(const json& c, const char* name) {
  const std::string hex = std::string(name) + "_hex";
  if (c.contains(hex)) return from_hex(c[hex].get<std::string>());
  return c.at(name).get<std::string>();
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& t : v) s += (s.empty() ? "" : " | ") + t;
  return s;
}

// Encodes every fixture case and requires identical tokens, ids, type ids, word ids and truncation flag.
void check_cases(const BertTokenizer& tok, const std::string& fixture, const std::string& what,
                 bool compare_tokens = true) {
  const json fx = testing::load_json(fixture);
  int checked = 0, matched = 0;
  for (const json& c : fx.at("cases")) {
    const std::string text = field(c, "text");
    std::optional<std::string> pair;
    if (c.contains("pair") || c.contains("pair_hex")) pair = field(c, "pair");
    const int max_length = c.value("max_length", 0);
    const Encoding enc = tok.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, max_length);
    ++checked;
    const auto want_tokens = c.at("tokens").get<std::vector<std::string>>();
    const bool ok = enc.input_ids == c.at("ids").get<std::vector<int>>() &&
                    enc.token_type_ids == c.at("type_ids").get<std::vector<int>>() &&
                    enc.word_ids == c.at("word_ids").get<std::vector<int>>() &&
                    enc.truncated == c.at("truncated").get<bool>() && (!compare_tokens || enc.tokens == want_tokens);
    if (ok) {
      ++matched;
    } else {
      ADD_FAILURE() << what << ": case " << c.dump() << "\n  got  " << join(enc.tokens) << "\n  want "
                    << join(want_tokens);
    }
  }
  std::printf("[ cases    ] %-40s %d/%d identical to HF tokenizers %s\n", what.c_str(), matched, checked,
              fx.value("tokenizers_version", "").c_str());
  EXPECT_GE(checked, 200);
}

TEST(BertTokenizerGolden, TokenizerJsonMatchesHuggingFace) {
  const BertTokenizer tok = BertTokenizer::from_directory(kModelDir);
  check_cases(tok, "tokenizer_cases.json", "all-MiniLM-L6-v2 tokenizer.json");
}

TEST(BertTokenizerGolden, VocabTxtPathGivesTheSameEncodings) {
  const fs::path dir = fs::temp_directory_path() / ("attnlab_vocab_txt_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* name : {"vocab.txt", "tokenizer_config.json", "special_tokens_map.json"})
    fs::copy_file(kModelDir / name, dir / name, fs::copy_options::overwrite_existing);
  const BertTokenizer tok = BertTokenizer::from_directory(dir);
  fs::remove_all(dir);
  check_cases(tok, "tokenizer_cases.json", "all-MiniLM-L6-v2 vocab.txt + config");
  const BertTokenizer from_json = BertTokenizer::from_directory(kModelDir);
  EXPECT_EQ(tok.vocab_size(), from_json.vocab_size());
  EXPECT_EQ(tok.pad_id(), from_json.pad_id());
  EXPECT_EQ(tok.unk_id(), from_json.unk_id());
}

TEST(BertTokenizerGolden, CasedTokenizerWithFlaggedAddedTokensMatchesHuggingFace) {
  const BertTokenizer tok = BertTokenizer::from_directory(testing::fixture_path("tokenizer_cased"));
  EXPECT_FALSE(tok.normalizer().lowercase);
  EXPECT_FALSE(tok.normalizer().strip_accents);
  check_cases(tok, "tokenizer_cased_cases.json", "cased + lstrip/rstrip/single_word/normalized");
  EXPECT_EQ(tok.vocab_size(), testing::load_json("tokenizer_cased_cases.json").at("vocab_size").get<int>());
}

// Every code point through the pipeline's BertNormalizer, in both configurations, and the
// pre-tokenizer's classes.
TEST(BertTokenizerGolden, EveryCodePointNormalizesLikeHuggingFace) {
  const json fx = testing::load_json("tokenizer_codepoints.json");
  for (const json& n : fx.at("normalizers")) {
    BertNormalizerOptions o;
    o.clean_text = n["options"]["clean_text"];
    o.handle_chinese_chars = n["options"]["handle_chinese_chars"];
    o.strip_accents = n["options"]["strip_accents"];
    o.lowercase = n["options"]["lowercase"];
    json spec = n["options"];
    spec["type"] = "BertNormalizer";
    const Normalizer normalizer = Normalizer::from_json(spec, {"tokenizer_codepoints.json", "normalizer"});
    int checked = 0, bad = 0;
    auto check = [&](char32_t c, const std::u32string& want) {
      ++checked;
      NormalizedString s(to_utf8(std::u32string(1, c)));
      normalizer.normalize(s);
      const std::u32string got = decode_utf8_lossy(s.get());
      if (got != want && ++bad <= 10)
        ADD_FAILURE() << "U+" << std::hex << static_cast<uint32_t>(c) << ": got '" << to_utf8(got) << "' want '"
                      << to_utf8(want) << "'";
    };
    for (const json& run : n.at("runs")) {
      const std::string kind = run[2];
      for (char32_t c = run[0].get<char32_t>(); c <= run[1].get<char32_t>(); ++c) {
        const std::u32string self(1, c);
        check(c, kind == "same" ? self : kind == "drop" ? U"" : kind == "space" ? U" " : U" " + self + U" ");
      }
    }
    for (const json& e : n.at("explicit")) check(e[0].get<char32_t>(), decode_utf8_lossy(e[1].get<std::string>()));
    std::printf("[ codepts  ] lowercase=%d strip_accents=%d: %d code points checked, %d differ\n", o.lowercase,
                o.strip_accents, checked, bad);
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(checked, 0x110000 - 0x800);
  }
  const json& pre = fx.at("pre_tokenizer");
  std::vector<char> ws(0x110000, 0), punct(0x110000, 0);
  for (const json& r : pre.at("whitespace"))
    for (uint32_t c = r[0]; c <= r[1].get<uint32_t>(); ++c) ws[c] = 1;
  for (const json& r : pre.at("punctuation"))
    for (uint32_t c = r[0]; c <= r[1].get<uint32_t>(); ++c) punct[c] = 1;
  int bad = 0;
  for (uint32_t c = 0; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    if ((is_rust_whitespace(c) != (ws[c] != 0) || is_tokenizers_punctuation(c) != (punct[c] != 0)) && ++bad <= 10)
      ADD_FAILURE() << "pre-tokenizer class of U+" << std::hex << c;
  }
  EXPECT_EQ(bad, 0);
}

TEST(BertTokenizer, LookupsAgreeWithTheVocabulary) {
  const BertTokenizer tok = BertTokenizer::from_directory(kModelDir);
  // vocab.txt has one token per line, the id being the line number.
  std::ifstream in(kModelDir / "vocab.txt");
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    if (lines < 2000 || lines % 97 == 0) {
      ASSERT_EQ(tok.token_to_id(line), lines) << line;
      ASSERT_EQ(tok.id_to_token(lines), line);
    }
    ++lines;
  }
  EXPECT_EQ(tok.vocab_size(), lines);
  EXPECT_EQ(tok.token_to_id("[PAD]"), tok.pad_id());
  EXPECT_EQ(tok.token_to_id("[CLS]"), tok.cls_id());
  EXPECT_EQ(tok.token_to_id("[SEP]"), tok.sep_id());
  EXPECT_EQ(tok.token_to_id("[UNK]"), tok.unk_id());
  EXPECT_EQ(tok.token_to_id("no such token here"), -1);
  EXPECT_THROW(tok.id_to_token(-1), Error);
  EXPECT_THROW(tok.id_to_token(lines), Error);

  const Encoding enc = tok.encode("The cat sat on the mat.");
  const std::vector<std::string> pieces = tok.tokenize("The cat sat on the mat.");
  EXPECT_EQ(pieces, std::vector<std::string>(enc.tokens.begin() + 1, enc.tokens.end() - 1));
}

TEST(BertTokenizer, ArbitraryBytesNeverCrash) {
  const BertTokenizer tok = BertTokenizer::from_directory(kModelDir);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255), len(0, 64);
  for (int i = 0; i < 3000; ++i) {
    std::string s(static_cast<size_t>(len(rng)), '\0');
    for (char& ch : s) ch = static_cast<char>(i % 2 ? byte(rng) : (byte(rng) | 0x80));
    const Encoding enc = tok.encode(s, s.substr(s.size() / 2), i % 5);
    ASSERT_EQ(enc.tokens.size(), enc.input_ids.size());
    ASSERT_EQ(enc.tokens.size(), enc.token_type_ids.size());
  }
}

// Python's bytes.decode("utf-8", errors="replace"): one U+FFFD per maximal invalid subsequence.
TEST(Utf8, DecodesLikePythonReplace) {
  EXPECT_EQ(decode_utf8_lossy("a\xC3\xA9z"), U"a\u00E9z");
  EXPECT_EQ(decode_utf8_lossy("\xE2\x82(\xE2\x82\xAC"), U"\uFFFD(\u20AC");
  EXPECT_EQ(decode_utf8_lossy("\xF0\x9F\x98"), U"\uFFFD");
  EXPECT_EQ(decode_utf8_lossy("\xED\xA0\x80"), U"\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(decode_utf8_lossy("\xC0\xAF"), U"\uFFFD\uFFFD");
  EXPECT_EQ(decode_utf8_lossy("\xF4\x90\x80\x80"), U"\uFFFD\uFFFD\uFFFD\uFFFD");
  EXPECT_EQ(decode_utf8_lossy(std::string_view("\0x", 2)), std::u32string(U"\0x", 2));
}

// ---------------------------------------------------------------------------------------------------------
// Loader errors: attnlab::Error, kExitInput, naming the file.

class TokenizerDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("attnlab_tok_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name, std::ios::binary) << text; }
  void expect_error(const std::string& file, const std::string& problem) {
    try {
      BertTokenizer::from_directory(dir_);
      ADD_FAILURE() << "expected an error naming " << file;
    } catch (const Error& e) {
      const std::string msg = e.what();
      std::printf("[ error    ] %s\n", msg.c_str());
      EXPECT_NE(msg.find(file), std::string::npos) << msg;
      EXPECT_NE(msg.find(problem), std::string::npos) << msg;
      EXPECT_EQ(e.exit_code(), kExitInput);
    }
  }
  fs::path dir_;
};

TEST_F(TokenizerDirTest, MissingVocabulary) { expect_error(dir_.string(), "no tokenizer.json or vocab.txt"); }

TEST_F(TokenizerDirTest, EmptyVocabulary) {
  write("vocab.txt", "");
  expect_error("vocab.txt", "vocabulary is empty");
}

TEST_F(TokenizerDirTest, VocabularyWithoutUnk) {
  write("vocab.txt", "[PAD]\n[CLS]\n[SEP]\nhello\n");
  expect_error("vocab.txt", "no unknown token '[UNK]'");
}

TEST_F(TokenizerDirTest, BrokenTokenizerConfig) {
  write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");
  write("tokenizer_config.json", "{\"do_lower_case\": tru");
  expect_error("tokenizer_config.json", "not valid JSON");
}

TEST_F(TokenizerDirTest, BrokenTokenizerJson) {
  write("tokenizer.json", "{\"model\": [1, 2,");
  expect_error("tokenizer.json", "not valid JSON");
}

TEST_F(TokenizerDirTest, TokenizerJsonNotAnObject) {
  write("tokenizer.json", "[1, 2, 3]");
  expect_error("tokenizer.json", "expected a JSON object");
}

TEST_F(TokenizerDirTest, TokenizerJsonWithBpeModel) {
  write("tokenizer.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})");
  expect_error("tokenizer.json", "model type is 'BPE'");
}

TEST_F(TokenizerDirTest, TokenizerJsonWithoutUnkInVocab) {
  write("tokenizer.json",
        R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[CLS]": 0, "[SEP]": 1, "a": 2}},
            "normalizer": {"type": "BertNormalizer"}, "pre_tokenizer": {"type": "BertPreTokenizer"}})");
  expect_error("tokenizer.json", "no unknown token '[UNK]'");
}

TEST_F(TokenizerDirTest, TokenizerJsonWithWrongFieldType) {
  write("tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": "zero"}}})");
  expect_error("tokenizer.json", "model.vocab");
}

TEST_F(TokenizerDirTest, TokenizerJsonIsADirectory) {
  fs::create_directories(dir_ / "tokenizer.json");
  expect_error("tokenizer.json", "is not a regular file");
}

// tokenizer.json with valid BERT settings around the given vocab and added tokens.
std::string tokenizer_json(const std::string& vocab, const std::string& added = "[]", const std::string& model_extra = "") {
  return R"({"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": )" + vocab + model_extra +
         R"(}, "normalizer": {"type": "BertNormalizer"}, "pre_tokenizer": {"type": "BertPreTokenizer"}, "added_tokens": )" +
         added + "}";
}

TEST_F(TokenizerDirTest, SparseHugeIdLoadsWithoutAllocatingIt) {
  // One id near 2^31 must not allocate two billion strings (the vocabulary is a map, not a vector).
  write("tokenizer.json", tokenizer_json(R"({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "cat": 2147483646})"));
  const BertTokenizer tok = BertTokenizer::from_directory(dir_);
  EXPECT_EQ(tok.encode("cat").input_ids, (std::vector<int>{1, 2147483646, 2}));
  EXPECT_EQ(tok.id_to_token(2147483646), "cat");
  EXPECT_EQ(tok.id_to_token(1000), "");  // inside the range, no token
  EXPECT_THROW(tok.id_to_token(2147483647), Error);
}

TEST_F(TokenizerDirTest, VocabIdBeyondInt) {
  write("tokenizer.json", tokenizer_json(R"({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "cat": 1099511627776})"));
  expect_error("tokenizer.json", "model.vocab: id of 'cat' is 1099511627776");
}

TEST_F(TokenizerDirTest, VocabIdAFloat) {
  write("tokenizer.json", tokenizer_json(R"({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "cat": 1e30})"));
  expect_error("tokenizer.json", "model.vocab: id of 'cat' is 1e+30");
}

TEST_F(TokenizerDirTest, AddedTokenIdOutOfRange) {
  write("tokenizer.json", tokenizer_json(R"({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2})",
                                         R"([{"id": -4, "content": "[MASK]", "special": true}])"));
  expect_error("tokenizer.json", "added_tokens: id -4 is not an integer id");
}

TEST_F(TokenizerDirTest, MaxInputCharsPerWordNotACount) {
  write("tokenizer.json", tokenizer_json(R"({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2})", "[]",
                                         R"(, "max_input_chars_per_word": 1e300)"));
  expect_error("tokenizer.json", "model.max_input_chars_per_word is 1e+300");
}

TEST_F(TokenizerDirTest, AddedTokensDecoderKeyNotAnId) {
  write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n");
  write("tokenizer_config.json", R"({"added_tokens_decoder": {"12abc": {"content": "[X]"}}})");
  expect_error("tokenizer_config.json", "key '12abc' is not an integer id");
}

TEST_F(TokenizerDirTest, LongWordWithHugeMaxInputCharsIsLinear) {
  // WordPiece only tries pieces as long as the longest vocabulary entry: a 1 MB word under a
  // tokenizer.json that allows such words takes milliseconds, not the ~10^12 steps of trying every prefix.
  write("tokenizer.json", tokenizer_json(R"({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "aaaa": 3, "##aaaa": 4})", "[]",
                                         R"(, "max_input_chars_per_word": 100000000)"));
  const BertTokenizer tok = BertTokenizer::from_directory(dir_);
  const Encoding enc = tok.encode(std::string(1 << 20, 'a'));
  ASSERT_EQ(enc.input_ids.size(), (1u << 18) + 2);
  EXPECT_EQ(enc.input_ids[1], 3);
  EXPECT_EQ(enc.input_ids[2], 4);
  EXPECT_EQ(tok.encode(std::string(4099, 'a')).input_ids[1], 0);  // a rest of 3 'a's: the word is one [UNK]
  EXPECT_EQ(tok.encode(std::string(4099, 'a')).input_ids.size(), 3u);
}

TEST_F(TokenizerDirTest, TokenizerJsonIsAFifo) {
  ASSERT_EQ(::mkfifo((dir_ / "tokenizer.json").c_str(), 0600), 0);
  expect_error("tokenizer.json", "is not a regular file");
}

TEST_F(TokenizerDirTest, VocabTxtTooLarge) {
  write("vocab.txt", std::string((64u << 20) + 1, 'a'));
  expect_error("vocab.txt", "more than the 67108864 bytes");
}

TEST_F(TokenizerDirTest, MinimalVocabTxtWithDefaults) {
  write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\n,\n");
  const BertTokenizer tok = BertTokenizer::from_directory(dir_);
  const Encoding enc = tok.encode("Hellos, [MASK] WORLD", "hello");
  EXPECT_EQ(enc.tokens,
            (std::vector<std::string>{"[CLS]", "hello", "##s", ",", "[MASK]", "[UNK]", "[SEP]", "hello", "[SEP]"}));
  EXPECT_EQ(enc.token_type_ids, (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 1, 1}));
}

}  // namespace
}  // namespace attnlab
