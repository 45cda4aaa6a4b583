// `attnlab tokenize --tokenizer`: one text, a pair and a corpus through a tokenizer.json, against the
// fixtures tokenizers wrote (tools/make_tokenizer_json_fixtures.py), and the command's refusals.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "cli_run.h"

namespace attnlab::testing {
namespace {

using nlohmann::json;

const std::filesystem::path kWp = kFixtures / "tokenizers" / "wp_bert";
const std::filesystem::path kRoberta = kFixtures / "tokenizers" / "bl_roberta";

json cases_of(const std::filesystem::path& dir) {
  std::ifstream in(dir / "cases.json");
  return json::parse(in)["cases"];
}

// The first `n` cases with valid UTF-8, no pair and special tokens added.
std::vector<json> plain_cases(const std::filesystem::path& dir, size_t n) {
  std::vector<json> out;
  for (const json& c : cases_of(dir)) {
    if (c.contains("bytes_hex") || (c.contains("pair") && !c["pair"].is_null()) || !c.value("add_special_tokens", true))
      continue;
    if (c["text"].get<std::string>().find('\n') != std::string::npos) continue;  // one text per line below
    if (c["text"].get<std::string>().empty()) continue;
    out.push_back(c);
    if (out.size() == n) break;
  }
  return out;
}

TEST(TokenizeCli, JsonIsWhatTokenizersEncodes) {
  for (const json& c : plain_cases(kRoberta, 20)) {
    const ProcessResult r = run_cli({"tokenize", "--tokenizer", kRoberta.string(), "--json", c["text"]});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const json got = json::parse(r.out);
    EXPECT_EQ(got["input_ids"], c["ids"]) << c["text"];
    EXPECT_EQ(got["tokens"], c["tokens"]) << c["text"];
    EXPECT_EQ(got["offsets"], c["offsets"]) << c["text"];
    EXPECT_EQ(got["special_tokens_mask"], c["special_tokens_mask"]) << c["text"];
  }
}

TEST(TokenizeCli, PairAndNoSpecialTokens) {
  for (const json& c : cases_of(kWp)) {
    if (!c.contains("pair") || c["pair"].is_null() || c.contains("bytes_hex")) continue;
    const ProcessResult r =
        run_cli({"tokenize", "--tokenizer", (kWp / "tokenizer.json").string(), "--json", c["text"], "--pair", c["pair"]});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const json got = json::parse(r.out);
    EXPECT_EQ(got["input_ids"], c["ids"]);
    EXPECT_EQ(got["token_type_ids"], c["type_ids"]);
    break;
  }
  for (const json& c : cases_of(kWp)) {
    if (c.value("add_special_tokens", true) || c.contains("bytes_hex") || (c.contains("pair") && !c["pair"].is_null()))
      continue;
    const ProcessResult r = run_cli({"tokenize", "--tokenizer", kWp.string(), "--json", "--no-special-tokens", c["text"]});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(json::parse(r.out)["input_ids"], c["ids"]);
    break;
  }
}

TEST(TokenizeCli, InputGivesOneLinePerTextInOrderOnAnyThreadCount) {
  const std::vector<json> cases = plain_cases(kRoberta, 300);
  ASSERT_GE(cases.size(), 100u);
  std::string corpus;
  auto id_of = [](size_t i) { return std::string("t").append(std::to_string(i)); };  // GCC 12 -Wrestrict: no "t" +
  for (size_t i = 0; i < cases.size(); ++i) corpus.append(json{{"id", id_of(i)}, {"text", cases[i]["text"]}}.dump()).append("\n");
  corpus += "{\"id\": \"bad\", \"text\": 3}\n";
  for (const char* threads : {"1", "2", "5"}) {
    ProcessOptions o;
    o.stdin_text = corpus;
    const ProcessResult r = run_cli({"tokenize", "--tokenizer", kRoberta.string(), "--input", "-", "--threads", threads}, o);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    std::istringstream lines(r.out);
    std::string line;
    size_t i = 0;
    while (std::getline(lines, line)) {
      const json got = json::parse(line);
      if (i == cases.size()) {
        EXPECT_EQ(got["id"], "bad");
        EXPECT_TRUE(got.contains("error")) << line;
      } else {
        ASSERT_LT(i, cases.size());
        EXPECT_EQ(got["id"], id_of(i));
        EXPECT_EQ(got["input_ids"], cases[i]["ids"]) << cases[i]["text"];
        EXPECT_EQ(got["offsets"], cases[i]["offsets"]) << cases[i]["text"];
      }
      ++i;
    }
    EXPECT_EQ(i, cases.size() + 1);
  }
}

TEST(TokenizeCli, RefusalsAreClearErrors) {
  expect_run(run_cli({"tokenize", "--tokenizer", (kFixtures / "no-such").string(), "hi"}), 4, "no-such.*no such file");
  expect_run(run_cli({"tokenize", "--tokenizer", kWp.string(), "--model", kTiny.string(), "hi"}), 2,
             "cannot both be given");
  expect_run(run_cli({"tokenize", "--tokenizer", kWp.string()}), 2, "give a TEXT");
  expect_run(run_cli({"tokenize", "--tokenizer", kWp.string(), "--input", "-", "hi"}), 2, "not both");
  expect_run(run_cli({"tokenize", "--model", kTiny.string(), "--input", "-"}), 2, "--input needs --tokenizer");
  // A tokenizer.json naming a component attnlab does not read: the file and the field.
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "attnlab_tokenize_cli_bad";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << R"({"normalizer": {"type": "Fancy"}, "model": {"type": "BPE", "vocab": {}, "merges": []}})";
  expect_run(run_cli({"tokenize", "--tokenizer", dir.string(), "hi"}), 3,
             "attnlab: error: .*tokenizer.json: normalizer.type: unknown normalizer 'Fancy'");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace attnlab::testing
