// read_tokenizer_config against files transformers' save_pretrained wrote and the values transformers reads
// back (fixtures: tools/make_processor_fixtures.py), plus wrong types.
#include "text/tokenizer_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../support/fixtures.h"
#include "../support/temp_dir.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {

using nlohmann::json;

template <typename T>
std::optional<T> opt(const json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<T>();
}

TEST(TokenizerConfig, MatchesTransformers) {
  const json cases = testing::load_json("tokenizers/config_cases.json");
  ASSERT_GE(cases.at("cases").size(), 8u);
  for (const json& c : cases.at("cases")) {
    const std::string file = c.at("file").get<std::string>();
    SCOPED_TRACE(file);
    const TokenizerConfig got = read_tokenizer_config(testing::fixture_path("tokenizers/" + file));
    const json& want = c.at("expected");
    EXPECT_EQ(got.add_bos_token, opt<bool>(want.at("add_bos_token")));
    EXPECT_EQ(got.add_eos_token, opt<bool>(want.at("add_eos_token")));
    EXPECT_EQ(got.bos_token, opt<std::string>(want.at("bos_token")));
    EXPECT_EQ(got.eos_token, opt<std::string>(want.at("eos_token")));
    EXPECT_EQ(got.pad_token, opt<std::string>(want.at("pad_token")));
    EXPECT_EQ(got.unk_token, opt<std::string>(want.at("unk_token")));
    EXPECT_EQ(got.model_max_length, opt<long long>(want.at("model_max_length")));
    EXPECT_EQ(got.clean_up_tokenization_spaces, opt<bool>(want.at("clean_up_tokenization_spaces")));
    EXPECT_EQ(got.chat_template, opt<std::string>(want.at("chat_template")));
    EXPECT_EQ(got.chat_template_name, want.at("chat_template_name").get<std::string>());
  }
}

TEST(TokenizerConfig, MissingFileIsEmpty) {
  testing::TempDir dir;
  const TokenizerConfig c = read_tokenizer_config(dir / "tokenizer_config.json");
  EXPECT_FALSE(c.add_bos_token || c.bos_token || c.model_max_length || c.chat_template);
  EXPECT_EQ(c.chat_template_name, "");
}

TokenizerConfig read(const testing::TempDir& dir, const std::string& text) {
  testing::write_file(dir / "tokenizer_config.json", text);
  return read_tokenizer_config(dir / "tokenizer_config.json");
}

std::string error_of(const std::string& text) {
  testing::TempDir dir;
  try {
    read(dir, text);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitInput);
    std::string m = e.what();
    const std::string prefix = (dir / "tokenizer_config.json").string() + ": ";
    EXPECT_EQ(m.rfind(prefix, 0), 0u) << m;  // names the file first
    return m.substr(std::min(m.size(), prefix.size()));
  }
  ADD_FAILURE() << "no error for " << text;
  return "";
}

TEST(TokenizerConfig, Values) {
  testing::TempDir dir;
  TokenizerConfig c = read(dir, R"({"model_max_length": null, "max_len": 512, "pad_token": null,
                                   "bos_token": {"content": "<s>"}, "chat_template": [
                                   {"name": "a", "template": "A1"}, {"name": "b", "template": "B"},
                                   {"name": "a", "template": "A2"}]})");
  EXPECT_EQ(c.model_max_length, std::nullopt);  // a model_max_length key hides max_len, even null
  EXPECT_EQ(c.pad_token, std::nullopt);
  EXPECT_EQ(c.bos_token, "<s>");  // an AddedToken dict without "__type" is still read by its content
  EXPECT_EQ(c.chat_template, "A2");  // {name: template}: first place, last value
  EXPECT_EQ(c.chat_template_name, "a");
  c = read(dir, R"({"model_max_length": 2048.0, "chat_template": []})");
  EXPECT_EQ(c.model_max_length, 2048);
  EXPECT_EQ(c.chat_template, std::nullopt);
  c = read(dir, R"({"model_max_length": 1e20, "max_len": 5})");
  EXPECT_EQ(c.model_max_length, std::nullopt);  // 1e20 itself: ours says no limit above 9.2e18
  c = read(dir, R"({"model_max_length": 100000000000000000000000000000000000000000})");
  EXPECT_EQ(c.model_max_length, std::nullopt);
  c = read(dir, R"({"model_max_length": 0})");
  EXPECT_EQ(c.model_max_length, 0);
}

TEST(TokenizerConfig, WrongTypes) {
  EXPECT_EQ(error_of(R"({"add_bos_token": "yes"})"), "add_bos_token: expected true, false or null, got a string");
  EXPECT_EQ(error_of(R"({"add_eos_token": 1})"), "add_eos_token: expected true, false or null, got an integer");
  EXPECT_EQ(error_of(R"({"bos_token": 5})"),
            "bos_token: expected a token string or an AddedToken object, got an integer");
  EXPECT_EQ(error_of(R"({"eos_token": {"__type": "AddedToken"}})"),
            "eos_token: an AddedToken object needs \"content\"");
  EXPECT_EQ(error_of(R"({"unk_token": {"content": 3}})"), "unk_token.content: expected a string, got an integer");
  EXPECT_EQ(error_of(R"({"model_max_length": -1})"), "model_max_length: expected a non-negative length, got -1");
  EXPECT_EQ(error_of(R"({"model_max_length": 512.5})"),
            "model_max_length: expected a non-negative whole length, got 512.5");
  EXPECT_EQ(error_of(R"({"model_max_length": "512"})"), "model_max_length: expected a length, got a string");
  EXPECT_EQ(error_of(R"({"max_len": true})"), "max_len: expected a length, got a boolean");
  EXPECT_EQ(error_of(R"({"clean_up_tokenization_spaces": "false"})"),
            "clean_up_tokenization_spaces: expected true, false or null, got a string");
  EXPECT_EQ(error_of(R"({"chat_template": 5})"),
            "chat_template: expected a string or a list of {name, template}, got an integer");
  EXPECT_EQ(error_of(R"({"chat_template": [{"name": "default"}]})"), "chat_template[0]: missing \"template\"");
  EXPECT_EQ(error_of(R"({"chat_template": [{"name": 1, "template": "x"}]})"),
            "chat_template[0].name: expected a string, got an integer");
  EXPECT_EQ(error_of(R"({"chat_template": ["x"]})"),
            "chat_template[0]: expected {\"name\": ..., \"template\": ...}, got a string");
  EXPECT_EQ(error_of("[1, 2]"), "expected a JSON object, found array");
  EXPECT_EQ(error_of("{\"add_bos_token\": tru").rfind("not valid JSON", 0), 0u);
}

}  // namespace
}  // namespace attnlab
