// The tokenizer of a GGUF file (see gguf_tokenizer.h).
#include "text/gguf_tokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
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

// Numbers go in unsigned, as parsed tokenizer.json text holds every non-negative integer (the
// readers take ids, type ids and counts only as such).
json template_piece(const std::string& id, unsigned type_id) {
  return {{"Sequence", {{"id", id}, {"type_id", type_id}}}};
}
json special_piece(const std::string& content, unsigned type_id) {
  return {{"SpecialToken", {{"id", content}, {"type_id", type_id}}}};
}

// Python's str.isspace(): bidirectional class WS, B or S, or category Zs.
bool python_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

// gemma_tokenizer's respelling: a token of only whitespace holding a space (stored as real spaces)
// becomes that many U+2581, as GemmaTokenizer looks it up.
std::string gemma_respelled(const std::string& token) {
  if (token.find(' ') == std::string::npos) return token;
  const std::u32string cps = decode_utf8_lossy(token);
  for (char32_t c : cps)
    if (!python_space(c)) return token;
  std::string out;
  for (size_t i = 0; i < cps.size(); ++i) out += "\u2581";
  return out;
}

// transformers' generate_merges(vocab, vocab_scores), which a SentencePiece file without merges gets:
// every token, in the order it first appears, cut at each character into two tokens of the
// vocabulary, the cuts of one token ordered by the pieces' ids; then all merges stably sorted by
// (score, characters left, characters right), best first. A token's score is that of its last
// entry (a Python dict built in order), scores[i] for entry i: tokenizer.ggml.scores, or for Gemma
// minus the position (its file order is its merge order; its scores are not).
json generate_merges(const std::vector<std::string>& tokens, const std::unordered_map<std::string_view, uint64_t>& vocab,
                     const std::vector<double>& scores) {
  struct Merge {
    double score;
    uint32_t token, cut;  // tokens[token] split at byte `cut`
    int32_t left_chars, right_chars;
    uint64_t left_id, right_id;
  };
  std::vector<Merge> merges, local;
  std::unordered_set<std::string_view> seen;
  seen.reserve(tokens.size());
  for (size_t t = 0; t < tokens.size(); ++t) {
    const std::string_view tok = tokens[t];
    if (!seen.insert(tok).second) continue;  // a dict's later key keeps the first place...
    const double score = scores[static_cast<size_t>(vocab.at(tok))];  // ...and the last value
    std::vector<uint32_t> cuts;  // byte offsets of the characters after the first
    for (size_t i = 0; i < tok.size();) {
      i += decode_utf8_at(tok, i).length;
      if (i < tok.size()) cuts.push_back(static_cast<uint32_t>(i));
    }
    local.clear();
    for (size_t c = 0; c < cuts.size(); ++c) {
      const auto l = vocab.find(tok.substr(0, cuts[c])), r = vocab.find(tok.substr(cuts[c]));
      if (l == vocab.end() || r == vocab.end()) continue;
      local.push_back({score, static_cast<uint32_t>(t), cuts[c], static_cast<int32_t>(c + 1),
                       static_cast<int32_t>(cuts.size() - c), l->second, r->second});
    }
    std::stable_sort(local.begin(), local.end(), [](const Merge& a, const Merge& b) {
      return std::tie(a.left_id, a.right_id) < std::tie(b.left_id, b.right_id);
    });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) {
    return std::tie(a.score, a.left_chars, a.right_chars) > std::tie(b.score, b.left_chars, b.right_chars);
  });
  json out = json::array();
  out.get_ref<json::array_t&>().reserve(merges.size());
  for (const Merge& m : merges) {
    const std::string& tok = tokens[m.token];
    out.push_back(json::array({tok.substr(0, m.cut), tok.substr(m.cut)}));
  }
  return out;
}

json added_token(uint64_t id, const std::string& content, bool special) {
  return {{"id", id},           {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},    {"normalized", false}, {"special", special}};
}

}  // namespace

GgufTokenizer gguf_tokenizer(const GgufFile& f) {
  const auto fail = [&](const std::string& what) { return Error(f.path().string() + ": " + what, kExitInput); };
  const std::string model = f.get_string("tokenizer.ggml.model");
  const std::string arch = f.has("general.architecture") ? f.get_string("general.architecture") : "";
  // select_tokenizer_builder: "llama" (SentencePiece) files get LlamaTokenizer, Gemma's GemmaTokenizer;
  // phi3's own builder (a Prepend normalizer instead of Metaspace) is not built here.
  const bool gemma = model == "llama" && (arch == "gemma" || arch == "gemma2" || arch == "gemma3");
  const bool sentencepiece = model == "llama";
  if ((model != "gpt2" && !sentencepiece) || (sentencepiece && arch == "phi3"))
    throw fail("tokenizer.ggml.model is '" + model + "' (general.architecture '" + arch +
               "'); attnlab builds 'gpt2' (byte-level BPE) and 'llama' (SentencePiece BPE with byte fallback; not "
               "for phi3)");
  const std::vector<std::string> tokens = f.get_string_array("tokenizer.ggml.tokens");
  // transformers' reader decodes every string strictly as UTF-8.
  const auto require_utf8 = [&](const std::string& s, const char* key, size_t i) {
    if (const size_t at = first_invalid_utf8(s); at != std::string_view::npos)
      throw fail(std::string(key) + "[" + std::to_string(i) + "] is not valid UTF-8 (byte " + std::to_string(at) + ")");
  };
  for (size_t i = 0; i < tokens.size(); ++i) require_utf8(tokens[i], "tokenizer.ggml.tokens", i);
  std::vector<std::string> merges;
  if (f.has("tokenizer.ggml.merges") || !sentencepiece) merges = f.get_string_array("tokenizer.ggml.merges");
  for (size_t i = 0; i < merges.size(); ++i) require_utf8(merges[i], "tokenizer.ggml.merges", i);
  std::vector<int32_t> types;
  if (f.has("tokenizer.ggml.token_type")) {
    types = f.get_i32_array("tokenizer.ggml.token_type");
    if (types.size() != tokens.size())
      throw fail("tokenizer.ggml.token_type has " + std::to_string(types.size()) + " entries, tokenizer.ggml.tokens " +
                 std::to_string(tokens.size()));
  }
  // The vocabulary: byte_level_tokenizer respells a token written outside the byte alphabet from
  // its UTF-8 bytes; SentencePiece keeps the file's spelling, but for gemma_tokenizer's respelled
  // whitespace tokens (the vocabulary only: the added tokens below keep the file's spelling). A later
  // token of the same spelling takes the id (a Python dict built in order).
  std::vector<std::string> spelled(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (gemma) spelled[i] = gemma_respelled(tokens[i]);
    else if (sentencepiece || byte_spelled(tokens[i])) spelled[i] = tokens[i];
    else append_byte_level(spelled[i], tokens[i]);
  }
  std::unordered_map<std::string_view, uint64_t> ids;
  ids.reserve(spelled.size());
  for (size_t i = 0; i < spelled.size(); ++i) ids[spelled[i]] = i;
  json vocab = json::object();
  for (const auto& [token, id] : ids) vocab[std::string(token)] = id;
  const auto id_of = [&](const std::string& t) -> std::optional<uint64_t> {
    const auto it = ids.find(t);
    return it == ids.end() ? std::nullopt : std::optional<uint64_t>(it->second);
  };

  json merge_pairs = json::array();
  if (sentencepiece && merges.empty()) {
    std::vector<double> scores(tokens.size());
    if (gemma) {
      for (size_t i = 0; i < scores.size(); ++i) scores[i] = -static_cast<double>(i);
    } else {
      const std::vector<float> file_scores = f.get_f32_array("tokenizer.ggml.scores");
      if (file_scores.size() != tokens.size())
        throw fail("tokenizer.ggml.scores has " + std::to_string(file_scores.size()) + " entries, tokenizer.ggml.tokens " +
                   std::to_string(tokens.size()));
      for (size_t i = 0; i < scores.size(); ++i) scores[i] = file_scores[i];
    }
    merge_pairs = generate_merges(spelled, ids, scores);
  } else {
    for (size_t i = 0; i < merges.size(); ++i) {
      const size_t space = merges[i].find(' ');
      if (space == std::string::npos || merges[i].find(' ', space + 1) != std::string::npos)
        throw fail("tokenizer.ggml.merges[" + std::to_string(i) + "] is not two tokens separated by one space");
      merge_pairs.push_back({merges[i].substr(0, space), merges[i].substr(space + 1)});
    }
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
  // get_gguf_tokenizer: a SentencePiece file that does not say adds BOS, as llama.cpp does.
  if (f.has("tokenizer.ggml.add_bos_token")) c.add_bos_token = f.get_bool("tokenizer.ggml.add_bos_token");
  else if (model == "llama") c.add_bos_token = true;
  if (f.has("tokenizer.ggml.add_eos_token")) c.add_eos_token = f.get_bool("tokenizer.ggml.add_eos_token");
  if (f.has("tokenizer.chat_template")) c.chat_template = f.get_string("tokenizer.chat_template");
  if (c.chat_template) require_utf8(*c.chat_template, "tokenizer.chat_template", 0);

  // Added tokens, as the tokenizers library keeps them (by id; a later addition of the same id
  // replaces an earlier one). GemmaTokenizer first adds its special tokens (bos, eos, unk, pad and
  // its default mask "<mask>") where the vocabulary has them; then add_gguf_special_tokens adds the
  // control tokens as special (for byte-level BPE only those spelled in the byte alphabet) and the
  // user-defined ones that are in the vocabulary as plain added tokens.
  std::map<uint64_t, std::pair<std::string, bool>> added;
  if (sentencepiece) {
    for (const std::optional<std::string>* t : {&c.bos_token, &c.eos_token, &c.unk_token, &c.pad_token})
      if (*t)
        if (const auto id = id_of(**t)) added[*id] = {**t, true};
    if (gemma)
      if (const auto id = id_of("<mask>")) added[*id] = {"<mask>", true};
  }
  for (size_t i = 0; i < types.size(); ++i)
    if (types[i] == kControl && (sentencepiece || byte_spelled(tokens[i])))
      added[id_of(tokens[i]).value_or(i)] = {tokens[i], true};
  for (size_t i = 0; i < types.size(); ++i)
    if (types[i] == kUserDefined)
      if (const auto id = id_of(tokens[i])) added[*id] = {tokens[i], false};
  json added_tokens = json::array();
  for (const auto& [id, t] : added) added_tokens.push_back(added_token(id, t.first, t.second));

  // The post-processor transformers' update_post_processor writes: "bos:0 $A:0 eos:0" and
  // "... bos:1 $B:1 eos:1", each special token only when its add_*_token is set.
  const bool bos = c.add_bos_token.value_or(false) && c.bos_token, eos = c.add_eos_token.value_or(false) && c.eos_token;
  json single = json::array(), pair = json::array(), specials = json::object();
  for (int seq = 0; seq < 2; ++seq) {
    json& t = seq == 0 ? single : pair;
    for (unsigned s = 0; s <= static_cast<unsigned>(seq); ++s) {
      if (bos) t.push_back(special_piece(*c.bos_token, s));
      t.push_back(template_piece(s == 0 ? "A" : "B", s));
      if (eos) t.push_back(special_piece(*c.eos_token, s));
    }
  }
  for (const auto& [on, content] : {std::pair{bos, c.bos_token}, std::pair{eos, c.eos_token}})
    if (on) specials[*content] = {{"id", *content}, {"ids", {vocab[*content]}}, {"tokens", {*content}}};
  const json post = {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", specials}};

  json doc = {{"version", "1.0"}, {"truncation", nullptr}, {"padding", nullptr}, {"added_tokens", added_tokens}};
  doc["post_processor"] = post;
  // The BPE model: SentencePiece's with byte fallback and fused unknowns, GPT2Tokenizer's plain.
  doc["model"] = {{"type", "BPE"},
                  {"dropout", nullptr},
                  {"unk_token", gemma && c.unk_token ? json(*c.unk_token) : json(nullptr)},
                  {"continuing_subword_prefix", sentencepiece ? json(nullptr) : json("")},
                  {"end_of_word_suffix", sentencepiece ? json(nullptr) : json("")},
                  {"fuse_unk", sentencepiece},
                  {"byte_fallback", sentencepiece},
                  {"ignore_merges", false},
                  {"vocab", std::move(vocab)},
                  {"merges", std::move(merge_pairs)}};
  const json sentencepiece_decoders = {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                                       {{"type", "ByteFallback"}},
                                       {{"type", "Fuse"}}};
  if (gemma) {
    // GemmaTokenizer: spaces to U+2581, split after each; its BPE knows unk.
    doc["normalizer"] = {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}};
    doc["pre_tokenizer"] = {
        {"type", "Split"}, {"pattern", {{"String", " "}}}, {"behavior", "MergedWithPrevious"}, {"invert", false}};
    doc["decoder"] = {{"type", "Sequence"}, {"decoders", sentencepiece_decoders}};
  } else if (sentencepiece) {
    // LlamaTokenizer (legacy false, add_prefix_space true: transformers reads tokenizer.ggml.add_space_prefix
    // into the builder's dict but no builder uses it, so a file's false changes nothing).
    doc["normalizer"] = nullptr;
    doc["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"}, {"split", false}};
    json decoders = sentencepiece_decoders;
    decoders.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1u}, {"stop", 0u}});
    doc["decoder"] = {{"type", "Sequence"}, {"decoders", std::move(decoders)}};
  } else {
    std::string pre_name;
    if (f.has("tokenizer.ggml.pre")) pre_name = f.get_string("tokenizer.ggml.pre");
    json pre = byte_level(true);
    for (const auto& [name, split] : kSplits)
      if (pre_name == name)
        pre = {{"type", "Sequence"},
               {"pretokenizers",
                {{{"type", "Split"}, {"pattern", {{"Regex", split}}}, {"behavior", "Isolated"}, {"invert", false}},
                 byte_level(false)}}};
    doc["normalizer"] = nullptr;
    doc["pre_tokenizer"] = pre;
    doc["decoder"] = byte_level(true);
  }
  out.document = std::move(doc);
  return out;
}

}  // namespace attnlab
