// Golden tests of PostProcessor against Hugging Face tokenizers (fixtures: tools/make_processor_fixtures.py),
// plus its reading of odd and wrong post_processor JSON.
#include "text/processors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../support/fixtures.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {

using nlohmann::json;

TokenEncoding encoding_from(const json& j) {
  TokenEncoding e;
  e.ids = j.at("ids").get<std::vector<int>>();
  e.tokens = j.at("tokens").get<std::vector<std::string>>();
  e.type_ids = j.at("type_ids").get<std::vector<int>>();
  for (const auto& o : j.at("offsets")) e.offsets.push_back(Offsets{o[0].get<size_t>(), o[1].get<size_t>()});
  e.special_tokens_mask = j.at("special_tokens_mask").get<std::vector<int>>();
  e.word_ids = j.at("word_ids").get<std::vector<int>>();
  e.sequence_ids = j.at("sequence_ids").get<std::vector<int>>();
  return e;
}

template <typename T>
std::string str(const std::vector<T>& v) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < v.size(); ++i) s << (i ? " " : "") << v[i];
  return s.str() + "]";
}
std::string str(const std::vector<Offsets>& v) {
  std::ostringstream s;
  s << "[";
  for (size_t i = 0; i < v.size(); ++i) s << (i ? " " : "") << "(" << v[i].start << "," << v[i].end << ")";
  return s.str() + "]";
}

// "" when equal, else the first field that differs, both values.
std::string diff(const TokenEncoding& got, const TokenEncoding& want) {
  if (got.ids != want.ids) return "ids " + str(got.ids) + " want " + str(want.ids);
  if (got.tokens != want.tokens) return "tokens " + str(got.tokens) + " want " + str(want.tokens);
  if (got.type_ids != want.type_ids) return "type_ids " + str(got.type_ids) + " want " + str(want.type_ids);
  if (!(got.offsets == want.offsets)) return "offsets " + str(got.offsets) + " want " + str(want.offsets);
  if (got.special_tokens_mask != want.special_tokens_mask)
    return "special_tokens_mask " + str(got.special_tokens_mask) + " want " + str(want.special_tokens_mask);
  if (got.word_ids != want.word_ids) return "word_ids " + str(got.word_ids) + " want " + str(want.word_ids);
  if (got.sequence_ids != want.sequence_ids)
    return "sequence_ids " + str(got.sequence_ids) + " want " + str(want.sequence_ids);
  return "";
}

bool is_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// Byte offset <-> character offset in valid UTF-8 text.
size_t char_of(const std::string& text, size_t byte) {
  size_t n = 0;
  for (size_t i = 0; i < byte && i < text.size(); ++i) n += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
  return n;
}
size_t byte_of(const std::string& text, size_t chr) {
  size_t i = 0;
  for (size_t n = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && n++ == chr) return i;
  }
  return i;
}

// The way tokenizers' Python binding runs: offsets turned into characters before post-processing, no
// texts. Input ids are replaced by tags (1000000 + i for a, 2000000 + i for b) so that each output
// token's text is known when its offsets are turned back into bytes.
TokenEncoding process_in_chars(const PostProcessor& pp, TokenEncoding a, std::optional<TokenEncoding> b, bool add,
                               const std::string& ta, const std::string& tb) {
  auto to_chars = [](TokenEncoding& e, const std::string& text, int tag) {
    for (size_t i = 0; i < e.size(); ++i) {
      e.offsets[i] = Offsets{char_of(text, e.offsets[i].start), char_of(text, e.offsets[i].end)};
      e.ids[i] = tag + static_cast<int>(i);
    }
  };
  const TokenEncoding a0 = a;
  const std::optional<TokenEncoding> b0 = b;
  to_chars(a, ta, 1000000);
  if (b) to_chars(*b, tb, 2000000);
  TokenEncoding out = pp.process(std::move(a), std::move(b), add);
  for (size_t i = 0; i < out.size(); ++i) {
    const int id = out.ids[i];
    if (id < 1000000) continue;
    const bool from_b = id >= 2000000;
    const std::string& text = from_b ? tb : ta;
    out.offsets[i] = Offsets{byte_of(text, out.offsets[i].start), byte_of(text, out.offsets[i].end)};
    out.ids[i] = (from_b ? *b0 : a0).ids[static_cast<size_t>(id - (from_b ? 2000000 : 1000000))];
  }
  return out;
}

class ProcessorGolden : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cases_ = new json(testing::load_json("tokenizers/processor_cases.json")); }
  static void TearDownTestSuite() {
    delete cases_;
    cases_ = nullptr;
  }
  static json* cases_;
};
json* ProcessorGolden::cases_ = nullptr;

// Every configuration, every case, with the texts (character units, as tokenizers' Python binding trims).
TEST_F(ProcessorGolden, MatchesTokenizers) {
  const json& all = *cases_;
  const auto texts = all.at("texts").get<std::vector<std::string>>();
  size_t checked = 0, errors = 0, failures = 0;
  for (const json& config : all.at("configs")) {
    const std::string name = config.at("name").get<std::string>();
    SCOPED_TRACE(name);
    const PostProcessor pp = PostProcessor::from_json(config.at("post_processor"), "tokenizer.json");
    EXPECT_EQ(pp.is_none(), config.at("post_processor").is_null());
    EXPECT_EQ(pp.added_tokens(false), config.at("added_tokens").at("single").get<size_t>());
    EXPECT_EQ(pp.added_tokens(true), config.at("added_tokens").at("pair").get<size_t>());
    const json& inputs = all.at("inputs").at(config.at("base").get<std::string>());
    for (const json& c : config.at("cases")) {
      const size_t ia = c.at("a").get<size_t>();
      const bool pair = c.contains("b");
      const size_t ib = pair ? c.at("b").get<size_t>() : 0;
      const bool add = c.at("add_special_tokens").get<bool>();
      const std::string what = name + " a=\"" + texts[ia] + "\"" + (pair ? " b=\"" + texts[ib] + "\"" : "") +
                               " add_special_tokens=" + (add ? "true" : "false");
      std::optional<TokenEncoding> b;
      if (pair) b = encoding_from(inputs[ib]);
      const SequenceTexts st{texts[ia], pair ? std::string_view(texts[ib]) : std::string_view()};
      ++checked;
      if (c.contains("error")) {
        ++errors;
        try {
          pp.process(encoding_from(inputs[ia]), b, add, st);
          ADD_FAILURE() << what << ": no error; tokenizers panics: " << c["error"].get<std::string>();
        } catch (const Error& e) {
          EXPECT_EQ(e.exit_code(), kExitInput) << what;
        }
        continue;
      }
      const TokenEncoding want = encoding_from(c.at("expected"));
      const std::string d = diff(pp.process(encoding_from(inputs[ia]), b, add, st), want);
      if (!d.empty() && ++failures <= 10) ADD_FAILURE() << what << ": " << d;
      const std::string dc =
          diff(process_in_chars(pp, encoding_from(inputs[ia]), b, add, texts[ia], pair ? texts[ib] : ""), want);
      if (!dc.empty() && ++failures <= 10) ADD_FAILURE() << what << " (character offsets): " << dc;
      // Without the texts offsets are trimmed in bytes (tokenizers' Rust encode()): the same wherever
      // characters are bytes.
      if (is_ascii(texts[ia]) && (!pair || is_ascii(texts[ib]))) {
        const std::string db = diff(pp.process(encoding_from(inputs[ia]), b, add), want);
        if (!db.empty() && ++failures <= 10) ADD_FAILURE() << what << " (byte units): " << db;
      }
    }
  }
  EXPECT_EQ(failures, 0u);
  std::printf("[ cases    ] %zu post-processor cases (%zu where tokenizers panics), %zu configurations\n", checked,
              errors, all.at("configs").size());
  EXPECT_GT(checked, 5000u);
}

TokenEncoding model_encoding(const std::vector<std::pair<std::string, Offsets>>& tokens) {
  TokenEncoding e;
  int id = 10;
  for (const auto& [t, o] : tokens) e.push(id++, t, o, 0, 0, static_cast<int>(e.size()), 0);
  return e;
}

// "non\u00a0breaking" with U+00A0 as an added token: trimming its one whitespace character at each end
// empties it. In characters (Python) the empty span sits after the character, bytes [5, 5); in bytes
// (Rust's encode()) one byte in, [4, 4), inside the character.
TEST(PostProcessor, TrimUnitsCharactersOrBytes) {
  const PostProcessor pp = PostProcessor::from_json(
      json::parse(R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true})"),
      "tokenizer.json");
  const std::string text = "non\u00a0breaking";
  const auto enc = model_encoding({{"non", {0, 3}}, {"\u00a0", {3, 5}}, {"breaking", {5, 13}}});
  EXPECT_EQ(pp.process(enc, std::nullopt, true, SequenceTexts{text, {}}).offsets[1], (Offsets{5, 5}));
  EXPECT_EQ(pp.process(enc, std::nullopt, true).offsets[1], (Offsets{4, 4}));
  // 'Ġ' counts, '\n' ('Ċ' in the byte-level alphabet) does not; with add_prefix_space the first token
  // keeps one leading space (the one the pre-tokenizer added), not two.
  const auto enc2 = model_encoding({{"ĠĠab", {0, 4}}, {"ĠcdĠĠ", {4, 9}}, {"Ċ", {9, 10}}});
  const PostProcessor aps = PostProcessor::from_json(
      json::parse(R"({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true})"), "tokenizer.json");
  const TokenEncoding out = aps.process(enc2, std::nullopt, true);
  EXPECT_EQ(out.offsets[0], (Offsets{2, 4}));
  EXPECT_EQ(out.offsets[1], (Offsets{5, 7}));
  EXPECT_EQ(out.offsets[2], (Offsets{9, 10}));
}

std::string load_error(const std::string& text) {
  try {
    PostProcessor::from_json(json::parse(text), "tokenizer.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitInput);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << text;
  return "";
}

TEST(PostProcessor, UnknownTypeIsNamed) {
  const std::string m = load_error(R"({"type": "FancyProcessing", "foo": 1})");
  EXPECT_NE(m.find("tokenizer.json: post_processor.type: unknown post-processor type \"FancyProcessing\""),
            std::string::npos)
      << m;
  EXPECT_NE(load_error(R"({"foo": 1})").find("no \"type\""), std::string::npos);
  EXPECT_NE(load_error(R"("ByteLevel")").find("post_processor: expected an object, got a string"), std::string::npos);
  // Case matters, as in serde.
  EXPECT_NE(load_error(R"({"type": "sequence", "processors": []})").find("unknown post-processor type \"sequence\""),
            std::string::npos);
}

TEST(PostProcessor, WrongFieldsOfTheNamedType) {
  EXPECT_NE(load_error(R"({"type": "ByteLevel", "add_prefix_space": 1, "trim_offsets": true})")
                .find("post_processor.add_prefix_space: expected a boolean, got an integer"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": null})")
                .find("post_processor.use_regex: expected a boolean, got null"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "RobertaProcessing", "sep": ["</s>", 2], "trim_offsets": true})")
                .find("post_processor: missing field \"cls\""),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "BertProcessing", "sep": ["[SEP]", 102.0], "cls": ["[CLS]", 101]})")
                .find("post_processor.sep[1]: expected an unsigned 32-bit integer, got a float"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "BertProcessing", "sep": ["[SEP]", -1], "cls": ["[CLS]", 101]})")
                .find("post_processor.sep[1]: expected an unsigned 32-bit integer, got -1"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "BertProcessing", "sep": ["[SEP]", 4294967296], "cls": ["[CLS]", 101]})")
                .find("post_processor.sep[1]"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "BertProcessing", "sep": ["[SEP]", 3000000000], "cls": ["[CLS]", 101]})")
                .find("the largest id attnlab handles"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "BertProcessing", "sep": ["[SEP]", 102, 0], "cls": ["[CLS]", 101]})")
                .find("post_processor.sep: expected [token, id], got an array of 3"),
            std::string::npos);
  const std::string t = R"({"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}},
      {"Sequence": {"id": "C", "type_id": 0}}], "pair": [], "special_tokens": {}})";
  EXPECT_NE(load_error(t).find("post_processor.single[1].Sequence.id: expected \"A\" or \"B\", got \"C\""),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "TemplateProcessing", "single": "$A", "pair": [], "special_tokens": {}})")
                .find("post_processor.single: expected an array of pieces, got a string"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A"}}], "pair": [],
                           "special_tokens": {}})")
                .find("post_processor.single[0].Sequence: missing field \"type_id\""),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "TemplateProcessing", "single": [], "pair": [],
                           "special_tokens": {"x": {"id": "x", "ids": [1, 2], "tokens": ["x"]}}})")
                .find("post_processor.special_tokens.x: 2 ids but 1 tokens"),
            std::string::npos);
  // A nested failure names its place in the Sequence.
  EXPECT_NE(load_error(R"({"type": "Sequence", "processors": [
                 {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false},
                 {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": "0"}}],
                  "pair": [], "special_tokens": {}}]})")
                .find("tokenizer.json: post_processor.processors[1].single[0].SpecialToken.type_id: expected an "
                      "unsigned 32-bit integer, got a string"),
            std::string::npos);
  EXPECT_NE(load_error(R"({"type": "Sequence", "processors": [null]})")
                .find("post_processor.processors[0]: expected an object, got null"),
            std::string::npos);
}

// serde reads the first variant whose fields fit, whatever "type" says, and derived structs also
// deserialize from arrays; tokenizers 0.23 loads all of these.
TEST(PostProcessor, UntaggedLikeSerde) {
  auto load = [](const char* text) { return PostProcessor::from_json(json::parse(text), "tokenizer.json"); };
  EXPECT_EQ(load(R"({"type": "Foo", "sep": ["s", 1], "cls": ["c", 0]})").added_tokens(true), 3u);  // Bert
  EXPECT_EQ(load(R"({"sep": ["s", 1], "cls": ["c", 0]})").added_tokens(true), 3u);
  // A RobertaProcessing without trim_offsets / add_prefix_space is a BertProcessing (pair type ids 1).
  const PostProcessor bert = load(R"({"type": "RobertaProcessing", "sep": ["s", 1], "cls": ["c", 0]})");
  EXPECT_EQ(bert.added_tokens(true), 3u);
  TokenEncoding a;
  a.push(5, "x", {0, 1}, 0, 0, 0, 0);
  EXPECT_EQ(bert.process(a, a, true).type_ids, (std::vector<int>{0, 0, 0, 1, 1}));
  EXPECT_EQ(load(R"({"type": "BertProcessing", "sep": ["s", 1], "cls": ["c", 0], "trim_offsets": true,
                     "add_prefix_space": false})")
                .added_tokens(true),
            4u);  // Roberta
  EXPECT_EQ(load(R"([["s", 1], ["c", 0], true, false])").added_tokens(true), 4u);
  EXPECT_EQ(load(R"([["s", 1], ["c", 0]])").added_tokens(false), 2u);
  EXPECT_EQ(load(R"([[], [{"SpecialToken": {"id": "x", "type_id": 0}}], {"x": {"id": "x", "ids": [7, 8],
                     "tokens": ["a", "b"]}}])")
                .added_tokens(true),
            2u);  // TemplateProcessing
  EXPECT_TRUE(load("null").is_none());
  EXPECT_EQ(load("null").added_tokens(true), 0u);
  EXPECT_EQ(load(R"({"type": "Sequence", "processors": []})").added_tokens(true), 0u);
}

TEST(PostProcessor, PanicsOfTokenizersAreErrors) {
  const auto enc = model_encoding({{"a", {0, 1}}});
  auto process_error = [&](const char* text, bool pair) {
    const PostProcessor pp = PostProcessor::from_json(json::parse(text), "tokenizer.json");
    try {
      pp.process(enc, pair ? std::optional<TokenEncoding>(enc) : std::nullopt, true);
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitInput);
      return std::string(e.what());
    }
    ADD_FAILURE() << "no error for " << text;
    return std::string();
  };
  const char* missing = R"({"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<x>", "type_id": 0}},
                            {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {}})";
  EXPECT_NE(process_error(missing, false)
                .find("tokenizer.json: post_processor.single[0]: special token \"<x>\" is not in special_tokens"),
            std::string::npos);
  // Without special tokens the template never looks it up.
  const PostProcessor pp = PostProcessor::from_json(json::parse(missing), "tokenizer.json");
  EXPECT_EQ(pp.process(enc, std::nullopt, false).ids, std::vector<int>{10});
  EXPECT_EQ(pp.added_tokens(false), 0u);
  EXPECT_NE(process_error(R"({"type": "TemplateProcessing", "single": [{"Sequence": {"id": "B", "type_id": 0}}],
                              "pair": [], "special_tokens": {}})",
                          false)
                .find("post_processor.single[0]: $B in the template for a single sequence"),
            std::string::npos);
}

TEST(PostProcessor, TemplateAfterTemplateIsAnError) {
  // The first template turns one encoding into one per piece; a second template takes only 1 or 2.
  const PostProcessor pp = PostProcessor::from_json(json::parse(R"({"type": "Sequence", "processors": [
      {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "x", "type_id": 0}},
        {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "x", "type_id": 0}}], "pair": [],
        "special_tokens": {"x": {"id": "x", "ids": [1], "tokens": ["x"]}}},
      {"type": "TemplateProcessing", "single": [], "pair": [], "special_tokens": {}}]})"),
                                                    "tokenizer.json");
  try {
    pp.process(model_encoding({{"a", {0, 1}}}), std::nullopt, true);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("post_processor.processors[1]: a TemplateProcessing given 3 encodings"),
              std::string::npos)
        << e.what();
  }
}

TEST(PostProcessor, DeepSequenceIsRefused) {
  std::string text = R"({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true})";
  // tokenizers 0.23 reads 62 nested Sequences and refuses 63 (serde_json's recursion limit).
  for (int i = 0; i < 62; ++i) text = R"({"type": "Sequence", "processors": [)" + text + "]}";
  EXPECT_EQ(PostProcessor::from_json(json::parse(text), "tokenizer.json").added_tokens(false), 0u);
  const std::string deeper = R"({"type": "Sequence", "processors": [)" + text + "]}";
  EXPECT_NE(load_error(deeper).find("nested more than 62 deep"), std::string::npos);
  for (int i = 0; i < 2000; ++i) text = R"({"type": "Sequence", "processors": [)" + text + "]}";
  EXPECT_NE(load_error(text).find("nested more than 62 deep"), std::string::npos);
}

TEST(PostProcessor, InputChecks) {
  const PostProcessor none;
  TokenEncoding bad = model_encoding({{"a", {0, 1}}, {"b", {1, 2}}});
  bad.word_ids.pop_back();
  EXPECT_THROW(none.process(bad, std::nullopt, true), Error);
  const auto enc = model_encoding({{"a", {0, 5}}});
  EXPECT_THROW(none.process(enc, std::nullopt, true, SequenceTexts{"abc", {}}), Error);  // offsets past the text
  // No post-processor: a single encoding is all sequence 0, type 0; a pair is 0 then 1.
  const TokenEncoding one = none.process(enc, std::nullopt, true);
  EXPECT_EQ(one.sequence_ids, std::vector<int>{0});
  const TokenEncoding two = none.process(enc, enc, true);
  EXPECT_EQ(two.sequence_ids, (std::vector<int>{0, 1}));
  EXPECT_EQ(two.type_ids, (std::vector<int>{0, 1}));
}

}  // namespace
}  // namespace attnlab
