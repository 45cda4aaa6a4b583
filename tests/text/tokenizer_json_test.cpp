// The tokenizer.json pipeline against Hugging Face tokenizers: every fixture tokenizer in
// tests/fixtures/tokenizers/<name>/ (real ones from GGUF files, and ones built offline to exercise each
// component) on its cases.json, and each component alone on components.json. Fixtures:
// tools/make_tokenizer_json_fixtures.py.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../support/fixtures.h"
#include "attnlab/error.h"
#include "attnlab/tokenizer.h"
#include "text/normalizers.h"
#include "text/pre_tokenizers.h"
#include "text/tokenizer.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kDir = fs::path(ATTNLAB_FIXTURES) / "tokenizers";

std::string read_maybe_gz(const fs::path& plain) { return testing::read_maybe_gz(plain.string()); }

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::vector<std::string> fixture_tokenizers() {
  std::vector<std::string> names;
  if (!fs::exists(kDir)) return names;
  for (const auto& e : fs::directory_iterator(kDir))
    if (e.is_directory() && (fs::exists(e.path() / "cases.json") || fs::exists(e.path() / "cases.json.gz")))
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string show(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& t : v) s += "'" + t + "' ";
  return s;
}

class TokenizerJson : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerJson, EncodesAndDecodesLikeTokenizers) {
  const fs::path dir = kDir / GetParam();
  const std::string tokenizer_text = read_maybe_gz(dir / "tokenizer.json");
  ASSERT_FALSE(tokenizer_text.empty()) << dir;
  const Tokenizer tok = Tokenizer::from_json_text(tokenizer_text, (dir / "tokenizer.json").string());
  const json cases = json::parse(read_maybe_gz(dir / "cases.json"));
  ASSERT_GE(cases["cases"].size(), 1u);
  size_t checked = 0, failures = 0;
  for (const json& c : cases["cases"]) {
    const std::string text = c.contains("bytes_hex") ? from_hex(c["bytes_hex"]) : c["text"].get<std::string>();
    std::optional<std::string> pair;
    if (c.contains("pair") && !c["pair"].is_null()) pair = c["pair"].get<std::string>();
    const bool add_special = c.value("add_special_tokens", true);
    const TokenEncoding e = tok.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt, add_special,
                                       Tokenizer::OffsetUnit::kChars);
    std::vector<std::vector<size_t>> offsets;
    for (const Offsets& o : e.offsets) offsets.push_back({o.start, o.end});
    const auto expect_ids = c["ids"].get<std::vector<int>>();
    const auto expect_tokens = c["tokens"].get<std::vector<std::string>>();
    const auto expect_offsets = c["offsets"].get<std::vector<std::vector<size_t>>>();
    bool ok = e.ids == expect_ids && e.tokens == expect_tokens && offsets == expect_offsets;
    if (c.contains("type_ids")) ok = ok && e.type_ids == c["type_ids"].get<std::vector<int>>();
    if (c.contains("special_tokens_mask"))
      ok = ok && e.special_tokens_mask == c["special_tokens_mask"].get<std::vector<int>>();
    if (c.contains("word_ids")) ok = ok && e.word_ids == c["word_ids"].get<std::vector<int>>();
    if (c.contains("sequence_ids")) ok = ok && e.sequence_ids == c["sequence_ids"].get<std::vector<int>>();
    std::string decoded, decoded_skip;
    // Where tokenizers panics while decoding (its Strip decoder on an empty token), attnlab refuses.
    auto decode_matches = [&](bool skip, const char* key, std::string& ours) {
      if (!c.contains(key)) return true;
      if (c[key].is_null()) {
        try {
          tok.decode(expect_ids, skip);
          return false;
        } catch (const Error&) {
          return true;
        }
      }
      ours = tok.decode(expect_ids, skip);
      return ours == c[key].get<std::string>();
    };
    ok = decode_matches(false, "decoded", decoded) && ok;
    ok = decode_matches(true, "decoded_skip", decoded_skip) && ok;
    ++checked;
    if (!ok && ++failures <= 5) {
      ADD_FAILURE() << GetParam() << ": " << json(c["text"]).dump() << (pair ? " | " + json(*pair).dump() : "")
                    << "\n ours:   " << show(e.tokens) << json(e.ids).dump() << " " << json(offsets).dump()
                    << " types " << json(e.type_ids).dump() << " special " << json(e.special_tokens_mask).dump()
                    << " words " << json(e.word_ids).dump() << " seq " << json(e.sequence_ids).dump()
                    << "\n theirs: " << show(expect_tokens) << json(expect_ids).dump() << " "
                    << json(expect_offsets).dump() << " types " << c.value("type_ids", json()).dump() << " special "
                    << c.value("special_tokens_mask", json()).dump() << " words " << c.value("word_ids", json()).dump()
                    << " seq " << c.value("sequence_ids", json()).dump() << "\n decoded: " << json(decoded).dump()
                    << " vs " << c.value("decoded", json()).dump() << "; skip " << json(decoded_skip).dump() << " vs "
                    << c.value("decoded_skip", json()).dump();
    }
  }
  EXPECT_EQ(failures, 0u) << "of " << checked << " cases";
  std::printf("[ cases    ] %-22s %zu/%zu identical to tokenizers\n", GetParam().c_str(), checked - failures, checked);
  EXPECT_GE(checked, 400u) << "the issue asks for at least 400 strings per tokenizer";
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TokenizerJson, ::testing::ValuesIn(fixture_tokenizers()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TokenizerJson);

TEST(TokenizerJson, FixturesArePresent) {
  const auto names = fixture_tokenizers();
  EXPECT_NE(std::find(names.begin(), names.end(), "smollm2"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "gemma3"), names.end());
  EXPECT_GE(names.size(), 8u);
}

// Each normalizer and pre-tokenizer alone, on the texts tokenizers' normalize_str / pre_tokenize_str saw.
TEST(TokenizerComponents, NormalizersAndPreTokenizers) {
  const std::string text = read_maybe_gz(kDir / "components.json");
  ASSERT_FALSE(text.empty());
  const json j = json::parse(text);
  size_t checked = 0, failures = 0;
  for (const json& group : j.value("normalizers", json::array())) {
    const Normalizer n = Normalizer::from_json(group["normalizer"], {"components.json", "normalizer"});
    for (const json& c : group["cases"]) {
      NormalizedString s(c["text"].get<std::string>());
      n.normalize(s);
      ++checked;
      if (s.get() != c["normalized"].get<std::string>() && ++failures <= 10)
        ADD_FAILURE() << group["normalizer"].dump() << " on " << c["text"].dump() << ": " << json(s.get()).dump()
                      << " vs " << c["normalized"].dump();
    }
  }
  for (const json& group : j.value("pre_tokenizers", json::array())) {
    const PreTokenizer p = PreTokenizer::from_json(group["pre_tokenizer"], {"components.json", "pre_tokenizer"});
    for (const json& c : group["cases"]) {
      const std::string t = c["text"].get<std::string>();
      PreTokenizedString pts;
      pts.splits.push_back({NormalizedString(t), std::nullopt});
      p.pre_tokenize(pts);
      const std::vector<size_t> map = char_index_of_bytes(t);
      json ours = json::array();
      for (const auto& s : pts.splits) {
        const Offsets o = bytes_to_char_offsets(t, s.normalized.offsets_original(), map);
        ours.push_back(json::array({s.normalized.get(), json::array({o.start, o.end})}));
      }
      ++checked;
      if (ours != c["pieces"] && ++failures <= 10)
        ADD_FAILURE() << group["pre_tokenizer"].dump() << " on " << c["text"].dump() << ":\n ours   " << ours.dump()
                      << "\n theirs " << c["pieces"].dump();
    }
  }
  EXPECT_EQ(failures, 0u) << "of " << checked;
  EXPECT_GT(checked, 100u);
}

// One tokenizer shared by threads (as `tokenize --input --threads` shares it): the same encodings as one
// thread gives. Under ThreadSanitizer in `make test`.
TEST(TokenizerConcurrency, ThreadsShareOneTokenizer) {
  const fs::path dir = kDir / "smollm2";
  const Tokenizer tok = Tokenizer::from_json_text(read_maybe_gz(dir / "tokenizer.json"), "smollm2/tokenizer.json");
  const json cases = json::parse(read_maybe_gz(dir / "cases.json"))["cases"];
  std::vector<std::string> texts;
  for (const json& c : cases) texts.push_back(c["text"].get<std::string>());
  std::vector<std::vector<int>> want;
  for (const std::string& t : texts) want.push_back(tok.encode(t).ids);
  std::vector<std::thread> pool;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    pool.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); i < texts.size(); i += 2)
        if (tok.encode(texts[i]).ids != want[i]) ++bad;
    });
  for (auto& th : pool) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(TokenizerJson, RefusesWhatItCannotRead) {
  auto refuse = [](const std::string& text, const std::string& needle) {
    try {
      Tokenizer::from_json_text(text, "bad/tokenizer.json");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitInput);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad/tokenizer.json"), std::string::npos) << e.what();
    }
  };
  const std::string wp = R"("model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}})";
  refuse("{", "not valid JSON");
  refuse("[]", "expected a JSON object");
  refuse(R"({"version": "2.0", )" + wp + "}", "unknown tokenizer version");
  refuse(R"({"normalizer": {"type": "Fancy"}, )" + wp + "}", "unknown normalizer 'Fancy'");
  refuse(R"({"pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways", "invert": false}, )" +
             wp + "}",
         "unknown behavior 'Sideways'");
  refuse(R"({"pre_tokenizer": {"type": "Metaspace", "replacement": "ab"}, )" + wp + "}", "expected one character");
  refuse(R"({"normalizer": {"type": "Strip", "strip_left": 1, "strip_right": true}, )" + wp + "}",
         "normalizer.strip_left: expected true or false");
  refuse(R"({"model": {"type": "Unigram", "vocab": []}})", "unknown model 'Unigram'");
  refuse(R"({"model": {"type": "WordPiece", "unk_token": "[X]", "vocab": {"a": 0}}})", "is not in the vocabulary");
  refuse(R"({"model": {"type": "WordPiece", "unk_token": "a", "vocab": {"a": -1}}})", "model.vocab.a: expected an integer");
  refuse(R"({"added_tokens": [{"content": 3}], )" + wp + "}", "added_tokens[0].content: expected a string");
  refuse(R"({})", "missing field 'model'");
}

TEST(TokenizerJson, PublicApiOpensDirectoriesAndFiles) {
  const fs::path dir = kDir / "wp_bert";
  if (!fs::exists(dir / "tokenizer.json")) GTEST_SKIP() << "fixture not made";
  const HfTokenizer a = HfTokenizer::open(dir);
  const HfTokenizer b = HfTokenizer::open(dir / "tokenizer.json");
  EXPECT_EQ(a.encode("Hello world").input_ids, b.encode("Hello world").input_ids);
  EXPECT_EQ(a.model_type(), "WordPiece");
  try {
    HfTokenizer::open(kDir / "no-such-dir");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitIo);
  }
}

}  // namespace
}  // namespace attnlab
