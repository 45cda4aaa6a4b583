// Golden tests of the decoders against Hugging Face tokenizers' decoder.decode (fixtures:
// tools/make_bpe_decoder_fixtures.py), the JSON forms it refuses, and the GPT-2 byte table.
#include "text/decoders.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "../support/fixtures.h"
#include "attnlab/error.h"
#include "core/utf8.h"
#include "text/byte_level.h"

namespace attnlab {
namespace {

using nlohmann::json;

const json& fixture() {
  static const json fx = testing::load_json("tokenizers/decoder_cases.json");
  return fx;
}

int check_cases(const Decoder& d, const json& cases, const std::string& name) {
  int n = 0;
  for (const json& c : cases) {
    const auto tokens = c.at("tokens").get<std::vector<std::string>>();
    ++n;
    if (c.contains("error")) {
      try {
        const std::string got = d.decode(tokens);
        ADD_FAILURE() << name << ": " << c["tokens"].dump()
                      << ": expected an error (tokenizers panics: " << c["error"].get<std::string>() << "), got "
                      << json(got).dump();
      } catch (const Error& e) {
        EXPECT_EQ(e.exit_code(), kExitInput);
        EXPECT_NE(std::string(e.what()).find("Strip"), std::string::npos) << e.what();
      }
      continue;
    }
    std::string got;
    try {
      got = d.decode(tokens);
    } catch (const Error& e) {
      ADD_FAILURE() << name << ": " << c["tokens"].dump() << ": " << e.what();
      continue;
    }
    EXPECT_EQ(got, c.at("text").get<std::string>()) << name << ": " << c["tokens"].dump();
  }
  return n;
}

TEST(Decoders, MatchTokenizersOnEveryFixtureDecoder) {
  int configs = 0, cases = 0;
  for (const json& d : fixture().at("decoders")) {
    const std::string name = d.at("name").get<std::string>();
    SCOPED_TRACE(name);
    // As written, and as tokenizers serialises it back: both forms must decode alike.
    cases += check_cases(Decoder::from_json(d.at("decoder"), "tokenizer.json"), d.at("cases"), name);
    check_cases(Decoder::from_json(d.at("serialized"), "tokenizer.json"), d.at("cases"), name + " (serialized)");
    ++configs;
  }
  std::printf("[ decoders ] %d decoders, %d token lists, tokenizers %s\n", configs, cases,
              fixture().at("tokenizers_version").get<std::string>().c_str());
  EXPECT_GE(configs, 40);
}

TEST(Decoders, NoDecoderJoinsWithSpaces) {
  const Decoder none;
  EXPECT_TRUE(none.is_none());
  EXPECT_TRUE(Decoder::from_json(nullptr, "tokenizer.json").is_none());
  for (const json& c : fixture().at("no_decoder")) {
    const auto tokens = c.at("tokens").get<std::vector<std::string>>();
    EXPECT_EQ(none.decode(tokens), c.at("text").get<std::string>()) << c.dump();
    EXPECT_EQ(none.decode_chain(tokens), tokens);
  }
}

TEST(Decoders, RefuseWhatTokenizersRefuses) {
  int n = 0;
  for (const json& r : fixture().at("refused")) {
    const std::string name = r.at("name").get<std::string>();
    ASSERT_FALSE(r.contains("accepted_by_tokenizers")) << name;
    try {
      Decoder::from_json(r.at("decoder"), "tokenizer.json");
      ADD_FAILURE() << name << ": accepted " << r.at("decoder").dump() << "; tokenizers: " << r.at("error");
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitInput);
      EXPECT_EQ(std::string(e.what()).rfind("tokenizer.json: decoder", 0), 0u) << name << ": " << e.what();
    }
    ++n;
  }
  for (const json& r : fixture().at("refused_by_attnlab"))
    EXPECT_THROW(Decoder::from_json(r.at("decoder"), "tokenizer.json"), Error) << r.at("name");
  EXPECT_GE(n, 30);
}

std::string error_of(const json& d) {
  try {
    Decoder::from_json(d, "tok.json");
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted " << d.dump();
  return "";
}

TEST(Decoders, ErrorsNameTheField) {
  EXPECT_EQ(
      error_of({{"type", "Sequence"}, {"decoders", {{{"type", "Fuse"}}, {{"type", "Strip"}, {"content", "ab"}}}}}),
      "tok.json: decoder.decoders[1].content: expected a single character, found \"ab\"");
  EXPECT_EQ(
      error_of({{"type", "Metaspace"}, {"replacement", "_"}, {"prepend_scheme", "sometimes"}}),
      "tok.json: decoder.prepend_scheme: expected \"always\", \"first\" or \"never\", found \"\\\"sometimes\\\"\"");
  EXPECT_EQ(error_of({{"type", "WordPiece"}, {"prefix", "##"}}), "tok.json: decoder: missing field 'cleanup'");
  EXPECT_EQ(error_of({{"type", "Strip"}, {"content", " "}, {"start", -1}, {"stop", 0}}),
            "tok.json: decoder.start: expected a non-negative integer, found -1");
  EXPECT_NE(
      error_of({{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}})
          .find("decoder.pattern.Regex: \"\\\\s+\": a Replace decoder with a regular expression is not supported"),
      std::string::npos);
  EXPECT_NE(error_of({{"type", "Nope"}}).find("unknown decoder type"), std::string::npos);
}

TEST(Decoders, DeepNestingIsAnErrorNotACrash) {
  json d = {{"type", "Fuse"}};
  for (int i = 0; i < 10000; ++i) d = {{"type", "Sequence"}, {"decoders", json::array({std::move(d)})}};
  EXPECT_NE(error_of(d).find("nested more than 64 deep"), std::string::npos);
  json ok = {{"type", "Fuse"}};
  for (int i = 0; i < 60; ++i) ok = {{"type", "Sequence"}, {"decoders", json::array({std::move(ok)})}};
  EXPECT_EQ(Decoder::from_json(ok, "tok.json").decode({"a", "b"}), "ab");
}

TEST(Decoders, DecodeChainKeepsTokensApart) {
  const Decoder d = Decoder::from_json(json::parse(R"({"type": "ByteFallback"})"), "tok.json");
  EXPECT_EQ(d.decode_chain({"a", "<0xC3>", "<0xA9>", "b", "<0xC3>"}),
            (std::vector<std::string>{"a", "\xC3\xA9", "b", "\xEF\xBF\xBD"}));
  const Decoder bl = Decoder::from_json(
      json::parse(R"({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true})"), "tok.json");
  EXPECT_EQ(bl.decode_chain({}), std::vector<std::string>{""});  // always one string, even for no tokens
}

TEST(Decoders, ArbitraryBytesNeverCrash) {
  std::vector<Decoder> all;
  for (const json& d : fixture().at("decoders")) all.push_back(Decoder::from_json(d.at("decoder"), "tokenizer.json"));
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> tokens(rng() % 5);
    for (std::string& t : tokens) {
      t.resize(rng() % 8);
      for (char& c : t) c = static_cast<char>(rng() % 3 == 0 ? rng() % 256 : "<0x41>_ \xE2\x96\x81"[rng() % 11]);
    }
    for (const Decoder& d : all) {
      try {
        d.decode(tokens);
      } catch (const Error&) {  // Strip's panics
      }
    }
  }
}

TEST(ByteLevel, TableIsGpt2s) {
  EXPECT_EQ(byte_to_unicode(' '), U'\u0120');   // Ġ
  EXPECT_EQ(byte_to_unicode('\n'), U'\u010A');  // Ċ
  EXPECT_EQ(byte_to_unicode('!'), U'!');
  EXPECT_EQ(byte_to_unicode(0xAD), U'\u0143');  // the last of the remapped bytes
  EXPECT_EQ(byte_to_unicode(0xFF), U'\u00FF');
  for (int b = 0; b < 256; ++b) EXPECT_EQ(unicode_to_byte(byte_to_unicode(static_cast<unsigned char>(b))), b);
  EXPECT_EQ(unicode_to_byte(U'\u0144'), -1);
  EXPECT_EQ(unicode_to_byte(U'\u00AD'), -1);  // soft hyphen: the byte 0xAD is remapped, not itself
  EXPECT_EQ(unicode_to_byte(U'€'), -1);
  std::string s;
  append_byte_level(s, "a b\xE2\x82\xAC");
  EXPECT_EQ(s,
            "a\xC4\xA0"
            "b\xC3\xA2\xC4\xA4\xC2\xAC");  // "aĠbâĤ¬"
}

}  // namespace
}  // namespace attnlab
