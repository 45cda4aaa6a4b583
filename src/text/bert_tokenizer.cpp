// BertTokenizer: loading a Hugging Face model directory into the tokenizer.json pipeline, then
// tokenizers' TokenizerImpl::encode (pipeline -> truncation -> [CLS] A [SEP] B [SEP]).
#include "text/bert_tokenizer.h"


#include <algorithm>
#include <charconv>
#include <climits>
#include <nlohmann/json.hpp>

#include "attnlab/error.h"
#include "core/file_error.h"
#include "core/utf8.h"
#include "io/text_file.h"
#include "text/tokenizer.h"

namespace attnlab {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The largest real tokenizer files are a few MB (multilingual tokenizer.json: ~10 MB).

std::string read_file(const fs::path& file) {
  return read_bounded_file(file, kMaxTokenizerFileBytes, "tokenizer file");
}

// Ids are ints and id + 1 must be one too.
constexpr long long kMaxTokenId = INT_MAX - 1;
const std::string kIdRange = "an integer id in [0, 2147483646]";

// A token id from JSON, or -1 when it is not an integer in [0, kMaxTokenId] (a float or 2^40 is
// refused, not cast).
int token_id(const json& j) {
  if (j.is_number_unsigned()) return j.get<unsigned long long>() <= kMaxTokenId ? j.get<int>() : -1;
  if (j.is_number_integer()) return j.get<long long>() >= 0 && j.get<long long>() <= kMaxTokenId ? j.get<int>() : -1;
  return -1;
}

// added_tokens_decoder keys: the id as a decimal string, nothing else.
int token_id(const std::string& key) {
  int id = -1;
  const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (ec != std::errc() || end != key.data() + key.size() || id < 0 || id > kMaxTokenId)
    throw Error("added_tokens_decoder: key '" + key + "' is not " + kIdRange, kExitInput);
  return id;
}

json read_json(const fs::path& file) {
  try {
    json j = json::parse(read_file(file));
    if (!j.is_object()) throw_file_error(file, "expected a JSON object");
    return j;
  } catch (const json::exception& e) {
    throw_file_error(file, std::string("not valid JSON: ") + e.what());
  }
}

// Special tokens are written either as "[UNK]" or as {"content": "[UNK]", ...}.
std::optional<std::string> token_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content")) return it->at("content").get<std::string>();
  throw Error(std::string("'") + key + "' is neither a string nor an object with \"content\"", kExitInput);
}

AddedToken parse_added_token(const json& j, int id) {
  AddedToken t;
  t.content = j.at("content").get<std::string>();
  t.id = id;
  t.single_word = j.value("single_word", false);
  t.lstrip = j.value("lstrip", false);
  t.rstrip = j.value("rstrip", false);
  t.normalized = j.value("normalized", !j.value("special", false));
  t.special = j.value("special", false);
  return t;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Loading

BertTokenizer BertTokenizer::from_directory(const fs::path& dir) {
  BertTokenizer tok;
  const fs::path tokenizer_json = dir / "tokenizer.json";
  if (fs::exists(tokenizer_json)) {
    const json j = read_json(tokenizer_json);
    try {
      const json& model = j.at("model");
      const std::string type = model.value("type", "");
      if (type != "WordPiece")
        throw_file_error(tokenizer_json, "model type is '" + type + "', only WordPiece (BERT) is supported");
      const json& vocab = model.at("vocab");
      if (!vocab.is_object() || vocab.empty()) throw_file_error(tokenizer_json, "model.vocab is missing or empty");
      for (const auto& [token, id_json] : vocab.items()) {
        const int id = token_id(id_json);
        if (id < 0)
          throw_file_error(tokenizer_json,
                           "model.vocab: id of '" + token + "' is " + id_json.dump() + ", expected " + kIdRange);
        tok.model_.add(token, id);
      }
      tok.model_.unk_token = model.value("unk_token", "[UNK]");
      tok.model_.continuing_subword_prefix = model.value("continuing_subword_prefix", "##");
      if (model.contains("max_input_chars_per_word")) {
        const json& max_chars = model.at("max_input_chars_per_word");
        const int count = token_id(max_chars);  // the same range as an id
        if (count < 0)
          throw_file_error(tokenizer_json,
                           "model.max_input_chars_per_word is " + max_chars.dump() + ", expected a count");
        tok.model_.max_input_chars_per_word = static_cast<size_t>(count);
      }

      const json& norm = j.value("normalizer", json());
      if (norm.is_null()) {
        tok.has_normalizer_ = false;
      } else if (norm.value("type", "") == "BertNormalizer") {
        auto& o = tok.normalizer_;
        o.clean_text = norm.value("clean_text", true);
        o.handle_chinese_chars = norm.value("handle_chinese_chars", true);
        o.lowercase = norm.value("lowercase", true);
        const json& strip = norm.value("strip_accents", json());
        o.strip_accents = strip.is_null() ? o.lowercase : strip.get<bool>();  // null follows lowercase
      } else {
        throw_file_error(tokenizer_json,
                         "normalizer type '" + norm.value("type", "") + "' is not supported (BertNormalizer)");
      }
      const json& pre = j.value("pre_tokenizer", json());
      if (!pre.is_object() || pre.value("type", "") != "BertPreTokenizer")
        throw_file_error(tokenizer_json, "pre_tokenizer must be BertPreTokenizer");

      for (const json& t : j.value("added_tokens", json::array())) {
        const int id = token_id(t.at("id"));
        if (id < 0) throw_file_error(tokenizer_json, "added_tokens: id " + t.at("id").dump() + " is not " + kIdRange);
        tok.added_.push_back(parse_added_token(t, id));
      }

      const json& post = j.value("post_processor", json());
      if (post.is_object() && post.value("type", "") == "BertProcessing") {
        tok.cls_token_ = post.at("cls").at(0).get<std::string>();
        tok.sep_token_ = post.at("sep").at(0).get<std::string>();
      } else if (post.is_object() && post.value("type", "") == "TemplateProcessing") {
        const json& single = post.at("single");
        if (!single.empty() && single.front().contains("SpecialToken"))
          tok.cls_token_ = single.front().at("SpecialToken").at("id").get<std::string>();
        if (!single.empty() && single.back().contains("SpecialToken"))
          tok.sep_token_ = single.back().at("SpecialToken").at("id").get<std::string>();
      }
      const json& padding = j.value("padding", json());
      if (padding.is_object()) tok.pad_token_ = padding.value("pad_token", tok.pad_token_);
    } catch (const json::exception& e) {
      throw_file_error(tokenizer_json, e.what());
    }
    tok.finish_loading(tokenizer_json.string());
    return tok;
  }

  // vocab.txt (one token per line, id = line number) + tokenizer_config.json, like transformers' BertTokenizer.
  const fs::path vocab_txt = dir / "vocab.txt";
  if (!fs::exists(vocab_txt)) throw_file_error(dir, "no tokenizer.json or vocab.txt in this directory");
  const std::string text = read_file(vocab_txt);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string token = text.substr(pos, eol - pos);
    if (!token.empty() && token.back() == '\r') token.pop_back();
    if (tok.model_.id_end == INT_MAX) throw_file_error(vocab_txt, "more than 2147483647 lines");
    tok.model_.add(std::move(token), tok.model_.id_end);  // id = line number; later lines win
    pos = eol + 1;
  }
  if (tok.model_.id_to_token.empty()) throw_file_error(vocab_txt, "vocabulary is empty");

  std::string unk = "[UNK]", mask = "[MASK]";
  const fs::path config_path = dir / "tokenizer_config.json";
  const fs::path map_path = dir / "special_tokens_map.json";
  for (const fs::path& path : {config_path, map_path}) {
    if (!fs::exists(path)) continue;
    const json j = read_json(path);
    try {
      if (path == config_path) {
        auto& o = tok.normalizer_;
        o.lowercase = j.value("do_lower_case", true);
        const json& strip = j.value("strip_accents", json());
        o.strip_accents = strip.is_null() ? o.lowercase : strip.get<bool>();
        o.handle_chinese_chars = j.value("tokenize_chinese_chars", true);
      }
      unk = token_string(j, "unk_token").value_or(unk);
      tok.cls_token_ = token_string(j, "cls_token").value_or(tok.cls_token_);
      tok.sep_token_ = token_string(j, "sep_token").value_or(tok.sep_token_);
      tok.pad_token_ = token_string(j, "pad_token").value_or(tok.pad_token_);
      mask = token_string(j, "mask_token").value_or(mask);
      if (path == config_path && j.contains("added_tokens_decoder")) {
        for (const auto& [id, t] : j.at("added_tokens_decoder").items())
          tok.added_.push_back(parse_added_token(t, token_id(id)));
      }
    } catch (const std::exception& e) {
      throw_file_error(path, e.what());
    }
  }
  tok.model_.unk_token = unk;
  if (tok.added_.empty()) {
    for (const std::string& content : {tok.pad_token_, unk, tok.cls_token_, tok.sep_token_, mask}) {
      const int id = tok.model_.find(content);
      if (id >= 0) tok.added_.push_back(AddedToken{content, id, false, false, false, false, true});
    }
  }
  tok.finish_loading(vocab_txt.string());
  return tok;
}

void BertTokenizer::finish_loading(const std::string& source) {
  model_.unk_id = model_.find(model_.unk_token);
  if (model_.unk_id < 0) throw_file_error(source, "vocabulary has no unknown token '" + model_.unk_token + "'");
  json normalizer;
  if (has_normalizer_)
    normalizer = {{"type", "BertNormalizer"},
                  {"clean_text", normalizer_.clean_text},
                  {"handle_chinese_chars", normalizer_.handle_chinese_chars},
                  {"strip_accents", normalizer_.strip_accents},
                  {"lowercase", normalizer_.lowercase}};
  std::vector<AddedTokenSpec> specs;
  for (const AddedToken& t : added_)
    specs.push_back({t.content, t.single_word, t.lstrip, t.rstrip, t.normalized, t.special});
  pipeline_ = std::make_shared<const Tokenizer>(
      Tokenizer::from_wordpiece(normalizer, json{{"type", "BertPreTokenizer"}}, model_, specs, source));
  // Added tokens take the ids tokenizers gives them (the vocabulary's, else the next free one), as the
  // pipeline does; the ids written in tokenizer.json are not read, as tokenizers does not read them.
  for (AddedToken& t : added_) {
    const int id = pipeline_->added_tokens().token_to_id(t.content);
    if (id >= 0) t.id = id;
    if (t.id < 0) throw_file_error(source, "added token '" + t.content + "' has a bad id");
    if (t.id >= model_.id_end) model_.id_end = t.id + 1;
    if (std::string& slot = model_.id_to_token[t.id]; slot.empty()) slot = t.content;
  }
  cls_id_ = token_to_id(cls_token_);
  sep_id_ = token_to_id(sep_token_);
  pad_id_ = token_to_id(pad_token_);
  if (cls_id_ < 0) throw_file_error(source, "vocabulary has no classifier token '" + cls_token_ + "'");
  if (sep_id_ < 0) throw_file_error(source, "vocabulary has no separator token '" + sep_token_ + "'");
}

// ---------------------------------------------------------------------------------------------------------
// Lookup

int BertTokenizer::vocab_size() const {
  // tokenizers' get_vocab_size(with_added_tokens=true): distinct strings of the model and added vocabularies.
  int n = static_cast<int>(model_.token_to_id.size());
  for (size_t i = 0; i < added_.size(); ++i) {
    bool seen = model_.find(added_[i].content) >= 0;
    for (size_t k = 0; k < i && !seen; ++k) seen = added_[k].content == added_[i].content;
    n += seen ? 0 : 1;
  }
  return n;
}

int BertTokenizer::token_to_id(std::string_view token) const {
  for (const AddedToken& t : added_)
    if (t.content == token) return t.id;
  return model_.find(token);
}

const std::string& BertTokenizer::id_to_token(int id) const {
  if (id < 0 || id >= model_.id_end)
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(model_.id_end) +
                    ")",
                kExitInput);
  static const std::string kUnused;  // an id inside the range that no token uses
  const auto it = model_.id_to_token.find(id);
  return it == model_.id_to_token.end() ? kUnused : it->second;
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

BertTokenizer::Pieces BertTokenizer::split(std::string_view text) const {
  TokenEncoding e = pipeline_->encode_one(text);
  return {std::move(e.tokens), std::move(e.ids), std::move(e.word_ids)};
}

std::vector<std::string> BertTokenizer::tokenize(std::string_view text) const { return split(text).tokens; }

Encoding BertTokenizer::encode(std::string_view text, std::optional<std::string_view> pair, int max_length) const {
  // transformers' tokenizer(a, "") drops an empty pair (`if text_pair`): [CLS] A [SEP], every type id
  // 0. Only the empty string: a pair of whitespace is still a pair, [CLS] A [SEP] [SEP].
  if (pair && pair->empty()) pair.reset();
  Pieces a = split(text);
  std::optional<Pieces> b;
  if (pair) b = split(*pair);

  Encoding enc;
  // tokenizers' truncate_encodings with max_length reduced by the special tokens; when max_length is
  // smaller than that count HF's unsigned subtraction wraps and nothing is truncated, so we do the same.
  const size_t n_special = b ? 3 : 2;
  if (max_length > 0 && static_cast<size_t>(max_length) >= n_special) {
    const size_t limit = static_cast<size_t>(max_length) - n_special;
    size_t n1 = a.ids.size(), n2 = b ? b->ids.size() : 0;
    if (n1 + n2 > limit) {
      if (!b) {
        n1 = limit;
      } else {
        // longest_first: keep the shorter one whole if it fits in half, else split evenly.
        const bool swap = n1 > n2;
        if (swap) std::swap(n1, n2);
        n2 = n1 > limit ? n1 : std::max(n1, limit - n1);
        if (n1 + n2 > limit) {
          n1 = limit / 2;
          n2 = n1 + limit % 2;
        }
        if (swap) std::swap(n1, n2);
      }
      auto cut = [&](Pieces& p, size_t n) {
        if (p.ids.size() <= n) return;
        p.ids.resize(n);
        p.tokens.resize(n);
        p.words.resize(n);
        enc.truncated = true;
      };
      cut(a, n1);
      if (b) cut(*b, n2);
    }
  }

  auto add = [&](const std::string& token, int id, int type, int word) {
    enc.tokens.push_back(token);
    enc.input_ids.push_back(id);
    enc.token_type_ids.push_back(type);
    enc.word_ids.push_back(word);
  };
  add(cls_token_, cls_id_, 0, -1);
  for (size_t i = 0; i < a.ids.size(); ++i) add(a.tokens[i], a.ids[i], 0, a.words[i]);
  add(sep_token_, sep_id_, 0, -1);
  if (b) {
    for (size_t i = 0; i < b->ids.size(); ++i) add(b->tokens[i], b->ids[i], 1, b->words[i]);
    add(sep_token_, sep_id_, 1, -1);
  }
  return enc;
}

}  // namespace attnlab
