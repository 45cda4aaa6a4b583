// The tokenizer of a GGUF file (see gguf_tokenizer.h).
#include "text/gguf_tokenizer.h"

#include <nlohmann/json.hpp>

#include <string_view>
#include <utility>
#include <vector>

#include "attnlab/error.h"
#include "core/utf8.h"
#include "text/byte_level.h"

namespace attnlab {
namespace {

using json = nlohmann::json;

// llama.cpp's token types (tokenizer.ggml.token_type; gguf-py TokenType).
constexpr int kControl = 3, kUserDefined = 4;

// tokenizer.ggml.pre -> the split regex transformers puts before ByteLevel (GGUF_PRE_TOKENIZER_SPLITS);
// a name not listed keeps GPT2Tokenizer's own ByteLevel(use_regex=True), GPT-2's pattern.
constexpr const char* kLlama3Split =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2Split =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kTekkenSplit =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kGpt4oSplit =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::pair<const char*, const char*> kSplits[] = {
    {"llama3", kLlama3Split},     {"llama-v3", kLlama3Split},     {"llama-bpe", kLlama3Split},
    {"falcon3", kLlama3Split},    {"falcon-h1", kLlama3Split},    {"pixtral", kLlama3Split},
    {"midm-2.0", kLlama3Split},   {"lfm2", kLlama3Split},         {"jina-v5-nano", kLlama3Split},
    {"dbrx", kLlama3Split},       {"smaug-bpe", kLlama3Split},    {"tekken", kTekkenSplit},
    {"qwen2", kQwen2Split},       {"deepseek-r1-qwen", kQwen2Split}, {"kormo", kQwen2Split},
    {"f2llmv2", kQwen2Split},     {"megrez", kQwen2Split},        {"gpt-4o", kGpt4oSplit},
    {"llama4", kGpt4oSplit},      {"kanana2", kGpt4oSplit},       {"talkie", kGpt4oSplit},
    {"minimax-m2", kGpt4oSplit},
};

// Every character of `token` is one of the byte-level alphabet's 256.
bool byte_spelled(std::string_view token) {
  for (char32_t c : decode_utf8_lossy(token))
    if (unicode_to_byte(c) < 0) return false;
  return true;
}

json byte_level(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

json template_piece(const std::string& id, int type_id) {
  return {{"Sequence", {{"id", id}, {"type_id", type_id}}}};
}
json special_piece(const std::string& content, int type_id) {
  return {{"SpecialToken", {{"id", content}, {"type_id", type_id}}}};
}

}  // namespace

GgufTokenizer gguf_tokenizer(const GgufFile& f) {
  const auto fail = [&](const std::string& what) { return Error(f.path().string() + ": " + what, kExitInput); };
  const std::string model = f.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    throw fail("tokenizer.ggml.model is '" + model + "'; attnlab builds tokenizers for 'gpt2' (byte-level BPE)");
  const std::vector<std::string> tokens = f.get_string_array("tokenizer.ggml.tokens");
  const std::vector<std::string> merges = f.get_string_array("tokenizer.ggml.merges");
  std::vector<int32_t> types;
  if (f.has("tokenizer.ggml.token_type")) {
    types = f.get_i32_array("tokenizer.ggml.token_type");
    if (types.size() != tokens.size())
      throw fail("tokenizer.ggml.token_type has " + std::to_string(types.size()) + " entries, tokenizer.ggml.tokens " +
                 std::to_string(tokens.size()));
  }

  // byte_level_tokenizer: a token written outside the byte alphabet is respelled from its UTF-8
  // bytes; a later token of the same spelling takes the id (a Python dict built in order).
  json vocab = json::object();
  for (size_t i = 0; i < tokens.size(); ++i) {
    std::string spelled;
    if (byte_spelled(tokens[i])) spelled = tokens[i];
    else append_byte_level(spelled, tokens[i]);
    vocab[spelled] = static_cast<int64_t>(i);
  }
  json merge_pairs = json::array();
  for (size_t i = 0; i < merges.size(); ++i) {
    const size_t space = merges[i].find(' ');
    if (space == std::string::npos || merges[i].find(' ', space + 1) != std::string::npos)
      throw fail("tokenizer.ggml.merges[" + std::to_string(i) + "] is not two tokens separated by one space");
    merge_pairs.push_back({merges[i].substr(0, space), merges[i].substr(space + 1)});
  }

  // add_gguf_special_tokens: control tokens spelled in the byte alphabet become special added
  // tokens, user-defined ones that are in the vocabulary plain added tokens, in id order.
  json added = json::array();
  for (size_t i = 0; i < types.size(); ++i) {
    const bool control = types[i] == kControl && byte_spelled(tokens[i]);
    const bool user = types[i] == kUserDefined && vocab.contains(tokens[i]);
    if (!control && !user) continue;
    added.push_back({{"id", vocab.contains(tokens[i]) ? vocab[tokens[i]].get<int64_t>() : static_cast<int64_t>(i)},
                     {"content", tokens[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", control}});
  }

  GgufTokenizer out;
  TokenizerConfig& c = out.config;
  const std::pair<const char*, std::optional<std::string>*> roles[] = {
      {"tokenizer.ggml.bos_token_id", &c.bos_token},
      {"tokenizer.ggml.eos_token_id", &c.eos_token},
      {"tokenizer.ggml.unknown_token_id", &c.unk_token},
      {"tokenizer.ggml.padding_token_id", &c.pad_token}};
  for (const auto& [key, slot] : roles) {
    if (!f.has(key)) continue;
    const uint32_t id = f.get_u32(key);
    if (id >= tokens.size())
      throw fail(std::string(key) + " is " + std::to_string(id) + ", past the vocabulary of " +
                 std::to_string(tokens.size()));
    *slot = tokens[id];
  }
  if (f.has("tokenizer.ggml.add_bos_token")) c.add_bos_token = f.get_bool("tokenizer.ggml.add_bos_token");
  if (f.has("tokenizer.ggml.add_eos_token")) c.add_eos_token = f.get_bool("tokenizer.ggml.add_eos_token");
  if (f.has("tokenizer.chat_template")) c.chat_template = f.get_string("tokenizer.chat_template");

  // The post-processor transformers' update_post_processor writes: "bos:0 $A:0 eos:0" and
  // "... bos:1 $B:1 eos:1", each special token only when its add_*_token is set.
  const bool bos = c.add_bos_token.value_or(false) && c.bos_token, eos = c.add_eos_token.value_or(false) && c.eos_token;
  json single = json::array(), pair = json::array(), specials = json::object();
  for (int seq = 0; seq < 2; ++seq) {
    json& t = seq == 0 ? single : pair;
    for (int s = 0; s <= seq; ++s) {
      if (bos) t.push_back(special_piece(*c.bos_token, s));
      t.push_back(template_piece(s == 0 ? "A" : "B", s));
      if (eos) t.push_back(special_piece(*c.eos_token, s));
    }
  }
  for (const auto& [on, content] : {std::pair{bos, c.bos_token}, std::pair{eos, c.eos_token}})
    if (on) specials[*content] = {{"id", *content}, {"ids", {vocab[*content]}}, {"tokens", {*content}}};

  std::string pre_name;
  if (f.has("tokenizer.ggml.pre")) pre_name = f.get_string("tokenizer.ggml.pre");
  json pre = byte_level(true);
  for (const auto& [name, split] : kSplits)
    if (pre_name == name)
      pre = {{"type", "Sequence"},
             {"pretokenizers",
              {{{"type", "Split"}, {"pattern", {{"Regex", split}}}, {"behavior", "Isolated"}, {"invert", false}},
               byte_level(false)}}};

  const json doc = {{"version", "1.0"},
                    {"truncation", nullptr},
                    {"padding", nullptr},
                    {"added_tokens", added},
                    {"normalizer", nullptr},
                    {"pre_tokenizer", pre},
                    {"post_processor", {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair},
                                        {"special_tokens", specials}}},
                    {"decoder", byte_level(true)},
                    {"model", {{"type", "BPE"},
                               {"dropout", nullptr},
                               {"unk_token", nullptr},
                               {"continuing_subword_prefix", ""},
                               {"end_of_word_suffix", ""},
                               {"fuse_unk", false},
                               {"byte_fallback", false},
                               {"ignore_merges", false},
                               {"vocab", vocab},
                               {"merges", merge_pairs}}}};
  out.tokenizer_json = doc.dump();
  return out;
}

}  // namespace attnlab
