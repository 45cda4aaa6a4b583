// Golden tests of the BPE model against Hugging Face tokenizers' Model.tokenize (fixtures:
// tools/make_bpe_decoder_fixtures.py), plus its loader's errors and robustness on hostile input.
#include "text/bpe.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "../support/fixtures.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const json& fixture() {
  static const json fx = testing::load_json("tokenizers/bpe_cases.json");
  return fx;
}

std::string show(const std::vector<ModelToken>& tokens) {
  std::string s;
  for (const ModelToken& t : tokens) {
    // Appended piece by piece: GCC 12's -Wrestrict misfires on `"[" + std::string`.
    s.append("[").append(std::to_string(t.id)).append(" ").append(json(t.value).dump()).append(" ");
    s.append(std::to_string(t.offsets.start)).append("-").append(std::to_string(t.offsets.end)).append("] ");
  }
  return s;
}

std::string show(const json& tokens) {
  std::string s;
  for (const json& t : tokens)
    s.append("[").append(t[0].dump()).append(" ").append(t[1].dump()).append(" ").append(t[2].dump()).append("-").append(t[3].dump()).append("] ");
  return s;
}

// Tokenizes every case and requires tokenizers' tokens exactly (or an error where it raised one).
int check_cases(const Bpe& bpe, const json& cases, const std::string& name) {
  int checked = 0;
  for (const json& c : cases) {
    const std::string text = c.at("text").get<std::string>();
    std::vector<ModelToken> got;
    if (c.contains("error")) {
      try {
        bpe.tokenize(text, got);
        ADD_FAILURE() << name << ": " << json(text).dump()
                      << ": expected an error (tokenizers: " << c["error"].get<std::string>() << "), got " << show(got);
      } catch (const Error& e) {
        EXPECT_EQ(e.exit_code(), kExitInput);
        EXPECT_NE(std::string(e.what()).find("unk_token"), std::string::npos) << e.what();
      }
      ++checked;
      continue;
    }
    bpe.tokenize(text, got);
    const json& want = c.at("tokens");
    bool same = got.size() == want.size();
    for (size_t i = 0; same && i < got.size(); ++i)
      same = got[i].id == want[i][0].get<int>() && got[i].value == want[i][1].get<std::string>() &&
             got[i].offsets.start == want[i][2].get<size_t>() && got[i].offsets.end == want[i][3].get<size_t>();
    EXPECT_TRUE(same) << name << ": " << json(text).dump() << "\n  got  " << show(got) << "\n  want " << show(want);
    ++checked;
  }
  return checked;
}

TEST(Bpe, MatchesTokenizersOnEveryFixtureModel) {
  int models = 0, cases = 0;
  for (const json& m : fixture().at("models")) {
    SCOPED_TRACE(m.at("name").get<std::string>());
    const Bpe bpe = Bpe::from_json(m.at("model"), "tokenizer.json");
    cases += check_cases(bpe, m.at("cases"), m.at("name").get<std::string>());
    // Twice: the second pass reads the word cache.
    check_cases(bpe, m.at("cases"), m.at("name").get<std::string>() + " (cached)");
    ++models;
  }
  std::printf("[ bpe      ] %d models, %d words, tokenizers %s\n", models, cases,
              fixture().at("tokenizers_version").get<std::string>().c_str());
  EXPECT_GE(models, 30);
  EXPECT_GE(cases, 4000);
}

TEST(Bpe, MatchesTokenizersOnRealModels) {
  int found = 0;
  for (const json& m : fixture().at("real_models")) {
    const fs::path file = fs::path(ATTNLAB_SOURCE_DIR) / m.at("file").get<std::string>();
    if (!fs::exists(file)) continue;
    const json tj = json::parse(testing::read_text(file.string()));
    const Bpe bpe = Bpe::from_json(tj.at("model"), file.string());
    const int n = check_cases(bpe, m.at("cases"), m.at("name").get<std::string>());
    std::printf("[ bpe      ] %s: %zu tokens in the vocabulary, %zu merges, %d pieces\n",
                m.at("name").get<std::string>().c_str(), bpe.vocab_size(), bpe.merges_size(), n);
    ++found;
  }
  if (found == 0) GTEST_SKIP() << "no real tokenizer.json under tools/.cache";
}

TEST(Bpe, RefusesWhatTokenizersRefuses) {
  for (const json& r : fixture().at("refused")) {
    const std::string name = r.at("name").get<std::string>();
    ASSERT_FALSE(r.contains("accepted_by_tokenizers")) << name << ": the fixture expects tokenizers to refuse it";
    try {
      Bpe::from_json(r.at("model"), "tokenizer.json");
      ADD_FAILURE() << name << ": accepted; tokenizers says: " << r.at("error").get<std::string>();
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitInput) << name;
      EXPECT_EQ(std::string(e.what()).rfind("tokenizer.json: model", 0), 0u) << name << ": " << e.what();
    }
  }
  for (const json& r : fixture().at("refused_by_attnlab"))
    EXPECT_THROW(Bpe::from_json(r.at("model"), "tokenizer.json"), Error) << r.at("name");
}

std::string error_of(const json& model) {
  try {
    Bpe::from_json(model, "tok.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitInput);
    return e.what();
  }
  ADD_FAILURE() << "accepted " << model.dump();
  return "";
}

TEST(Bpe, ErrorsNameTheField) {
  const json vocab = {{"a", 0}, {"b", 1}, {"ab", 2}};
  EXPECT_EQ(error_of({{"vocab", vocab}, {"merges", json::array()}, {"dropout", 0.1}}),
            "tok.json: model.dropout: 0.1: BPE dropout drops merges at random; attnlab is deterministic and takes "
            "only null, 0 or 1");
  EXPECT_NE(error_of({{"vocab", vocab}, {"merges", json::array()}, {"dropout", 2}})
                .find("model.dropout: 2 is not between 0 and 1"),
            std::string::npos);
  EXPECT_EQ(error_of({{"vocab", vocab}, {"merges", json::array({json::array({"a", "b"}), json::array({"a", "d"})})}}),
            "tok.json: model.merges[1]: [\"a\", \"d\"]: \"d\" is not in the vocabulary");
  EXPECT_EQ(error_of({{"vocab", {{"a", 0}, {"b", 1}}}, {"merges", {"a b"}}}),
            "tok.json: model.merges[0]: [\"a\", \"b\"]: the merged token \"ab\" is not in the vocabulary");
  // The "#version" line is skipped but still counts in the index of the entry named.
  EXPECT_EQ(error_of({{"vocab", vocab}, {"merges", {"#version: 0.2", "a b", "b x"}}}),
            "tok.json: model.merges[2]: [\"b\", \"x\"]: \"x\" is not in the vocabulary");
  EXPECT_EQ(error_of({{"vocab", vocab}, {"merges", {"a b c"}}}),
            "tok.json: model.merges[0]: \"a b c\" is not two tokens separated by one space (tokenizers: Merges "
            "text file invalid)");
  EXPECT_NE(error_of({{"vocab", vocab}, {"merges", {"a b", json::array({"a", "b"})}}})
                .find("model.merges[1]: expected a string"),
            std::string::npos);
  EXPECT_NE(error_of({{"vocab", vocab}, {"merges", json::array({json::array({"a", 1})})}})
                .find("model.merges[0]: expected a pair of strings"),
            std::string::npos);
  EXPECT_NE(
      error_of({{"vocab", {{"a", 1.5}}}, {"merges", json::array()}}).find("model.vocab: \"a\": expected an integer id"),
      std::string::npos);
  EXPECT_NE(error_of({{"vocab", {{"a", 2147483647}}}, {"merges", json::array()}}).find("in [0, 2147483646]"),
            std::string::npos);
  EXPECT_NE(error_of({{"vocab", json::array()}, {"merges", json::array()}}).find("model.vocab: expected an object"),
            std::string::npos);
  EXPECT_NE(error_of({{"vocab", vocab}}).find("missing field 'merges'"), std::string::npos);
  EXPECT_NE(error_of({{"vocab", vocab}, {"merges", nullptr}}).find("model.merges: expected an array"),
            std::string::npos);
  EXPECT_NE(error_of({{"vocab", vocab}, {"merges", json::array()}, {"fuse_unk", 1}})
                .find("model.fuse_unk: expected true or false"),
            std::string::npos);
  EXPECT_NE(error_of({{"vocab", vocab}, {"merges", json::array()}, {"unk_token", {{"content", "a"}}}})
                .find("model.unk_token: expected a string"),
            std::string::npos);
  EXPECT_NE(error_of({{"type", "WordPiece"}, {"vocab", vocab}, {"merges", json::array()}}).find("model.type"),
            std::string::npos);
  EXPECT_NE(error_of({{"vocab", {{"a", 0}, {"#", 1}}}, {"merges", {"a #"}}, {"continuing_subword_prefix", "##"}})
                .find("shorter than continuing_subword_prefix"),
            std::string::npos);
  EXPECT_NE(error_of(json::array()).find("tok.json: model: expected an object"), std::string::npos);
  // A hostile token is quoted safely and cut short.
  const std::string huge(100000, 'x');
  const std::string msg = error_of({{"vocab", vocab}, {"merges", json::array({json::array({"a", huge})})}});
  EXPECT_LT(msg.size(), 400u) << msg;
  EXPECT_NE(msg.find("(100000 bytes)"), std::string::npos);
}

TEST(Bpe, UnkTokenMissingFromTheVocabularyFailsOnlyWhenNeeded) {
  const Bpe bpe =
      Bpe::from_json({{"vocab", {{"a", 0}}}, {"merges", json::array()}, {"unk_token", "<unk>"}}, "tok.json");
  std::vector<ModelToken> out;
  bpe.tokenize("aa", out);
  EXPECT_EQ(out.size(), 2u);
  try {
    bpe.tokenize("ab", out);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "tok.json: model: unk_token \"<unk>\" is not in the vocabulary (needed for \"ab\"; tokenizers: Unk "
              "token not found in the vocabulary)");
  }
}

TEST(Bpe, ConstructorEqualsFromJson) {
  // The GGUF reader's path: vocab and merges given directly.
  const json& m = fixture().at("models")[0];
  ASSERT_EQ(m.at("name"), "trained_plain");
  std::vector<std::pair<std::string, int>> vocab;
  for (auto it = m["model"]["vocab"].begin(); it != m["model"]["vocab"].end(); ++it)
    vocab.emplace_back(it.key(), it.value().get<int>());
  std::vector<std::pair<std::string, std::string>> merges;
  for (const json& p : m["model"]["merges"]) merges.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  BpeOptions options;
  options.unk_token = "<unk>";
  const Bpe bpe(vocab, merges, options, "x.gguf: tokenizer.ggml");
  check_cases(bpe, m.at("cases"), "constructor");
  EXPECT_EQ(bpe.vocab_size(), vocab.size());
  EXPECT_EQ(bpe.token_to_id("<unk>"), 0);
  EXPECT_EQ(bpe.token_to_id("no such token"), -1);
  ASSERT_NE(bpe.id_to_token(0), nullptr);
  EXPECT_EQ(*bpe.id_to_token(0), "<unk>");
  EXPECT_EQ(bpe.id_to_token(-1), nullptr);
  EXPECT_EQ(bpe.id_to_token(1 << 30), nullptr);
  merges.emplace_back("a", "zzz");
  try {
    Bpe(vocab, merges, options, "x.gguf: tokenizer.ggml");
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(
        std::string(e.what()).rfind("x.gguf: tokenizer.ggml.merges[" + std::to_string(merges.size() - 1) + "]", 0), 0u)
        << e.what();
  }
  BpeOptions random = options;
  random.dropout = 0.5f;
  EXPECT_THROW(Bpe(vocab, {}, random), Error);
}

TEST(Bpe, DuplicateEntries) {
  // A later entry for the same string wins (tokenizers collects into a hash map); the replaced id no
  // longer maps back. An id held by two strings maps back to the first.
  const Bpe bpe({{"a", 0}, {"b", 1}, {"a", 2}, {"c", 1}}, {}, {});
  EXPECT_EQ(bpe.token_to_id("a"), 2);
  EXPECT_EQ(bpe.id_to_token(0), nullptr);
  EXPECT_EQ(*bpe.id_to_token(1), "b");
  EXPECT_EQ(bpe.vocab_size(), 3u);
  std::vector<ModelToken> out;
  bpe.tokenize("ac", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 2);
  EXPECT_EQ(out[1].id, 1);
  EXPECT_EQ(out[1].value, "b");  // the string of id 1
  // A pair listed twice keeps its later rank: here (b, c) at rank 2 loses to (a, b) at rank 1.
  const Bpe ranks({{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}}, {{"b", "c"}, {"a", "b"}, {"b", "c"}}, {});
  out.clear();
  ranks.tokenize("abc", out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].value, "ab");
  EXPECT_EQ(ranks.merges_size(), 2u);
}

TEST(Bpe, SparseIdsDoNotAllocateTheirRange) {
  const Bpe bpe({{"a", 2147483646}, {"b", 0}}, {}, {});
  EXPECT_EQ(*bpe.id_to_token(2147483646), "a");
  EXPECT_EQ(bpe.id_to_token(5), nullptr);
}

TEST(Bpe, ArbitraryBytesNeverCrash) {
  const json& m = fixture().at("models");
  std::vector<Bpe> models;
  for (const json& e : m) models.push_back(Bpe::from_json(e.at("model"), "tokenizer.json"));
  std::mt19937 rng(7);
  for (int round = 0; round < 3000; ++round) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 0x61 + rng() % 4);
    for (const Bpe& bpe : models) {
      std::vector<ModelToken> out;
      try {
        bpe.tokenize(s, out);
      } catch (const Error&) {  // unk_not_in_vocab
      }
      for (const ModelToken& t : out) ASSERT_GE(t.id, 0);
    }
  }
}

TEST(Bpe, ThreadsShareOneModel) {
  const json& m = fixture().at("models");
  const json* entry = nullptr;
  for (const json& e : m)
    if (e.at("name") == "trained_byte_level") entry = &e;
  ASSERT_NE(entry, nullptr);
  const Bpe bpe = Bpe::from_json(entry->at("model"), "tokenizer.json");
  const Bpe copy = bpe;  // copies share the model and its cache
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (const json& c : entry->at("cases")) {
          std::vector<ModelToken> out;
          ((t + round) % 2 ? copy : bpe).tokenize(c.at("text").get<std::string>(), out);
          const json& want = c.at("tokens");
          if (out.size() != want.size()) ++mismatches;
          for (size_t i = 0; i < out.size() && i < want.size(); ++i)
            if (out[i].id != want[i][0].get<int>()) ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// Words per second on the real SmolLM2 vocabulary (when present) over the fixture's pieces, the word
// cache warm. Informational; no threshold.
TEST(Bpe, Speed) {
  for (const json& m : fixture().at("real_models")) {
    const fs::path file = fs::path(ATTNLAB_SOURCE_DIR) / m.at("file").get<std::string>();
    if (m.at("name") != "smollm2" || !fs::exists(file)) continue;
    const json tj = json::parse(testing::read_text(file.string()));
    std::vector<std::string> words;
    for (const json& c : m.at("cases")) words.push_back(c.at("text").get<std::string>());
    const auto t0 = std::chrono::steady_clock::now();
    const Bpe bpe = Bpe::from_json(tj.at("model"), file.string());
    const double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::vector<ModelToken> out;
    size_t n = 0;
    const auto t1 = std::chrono::steady_clock::now();
    for (int round = 0; round < 200; ++round, n += words.size())
      for (const std::string& w : words) out.clear(), bpe.tokenize(w, out);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    std::printf("[ bpe      ] %s: load %.0f ms, %.2f M words/s (cached, %zu distinct)\n",
                m.at("name").get<std::string>().c_str(), load * 1e3, n / s / 1e6, words.size());
  }
}

}  // namespace
}  // namespace attnlab
