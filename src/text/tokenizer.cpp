// The tokenizer.json pipeline (tokenizers src/tokenizer/{mod,serialization,pre_tokenizer}.rs at 3ba8ad0):
// added tokens, normalizer, pre-tokenizer, model, offsets back to the original text, post-processor.
#include "text/tokenizer.h"

#include <nlohmann/json.hpp>


#include "attnlab/error.h"
#include "core/file_error.h"
#include "core/utf8.h"
#include "io/text_file.h"
#include "text/bpe.h"
#include "text/decoders.h"
#include "text/processors.h"
#include "text/wordpiece.h"

namespace attnlab {

using json_fields::Where;
using nlohmann::json;

struct Tokenizer::Model {
  std::string type;  // "BPE" or "WordPiece"
  std::unique_ptr<Bpe> bpe;
  WordPiece wordpiece;

  void tokenize(std::string_view piece, std::vector<ModelToken>& out) const {
    if (bpe) {
      bpe->tokenize(piece, out);
      return;
    }
    std::vector<std::string> tokens;
    std::vector<int> ids;
    wordpiece.tokenize(piece, tokens, ids);
    if (tokens.size() == 1) {  // the whole word, or [UNK] for it
      out.push_back({ids[0], std::move(tokens[0]), {0, piece.size()}});
      return;
    }
    size_t at = 0;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const size_t len = tokens[i].size() - (i ? wordpiece.continuing_subword_prefix.size() : 0);
      out.push_back({ids[i], std::move(tokens[i]), {at, at + len}});
      at += len;
    }
  }
  int token_to_id(std::string_view t) const { return bpe ? bpe->token_to_id(t) : wordpiece.find(t); }
  const std::string* id_to_token(int id) const {
    if (bpe) return bpe->id_to_token(id);
    auto it = wordpiece.id_to_token.find(id);
    return it == wordpiece.id_to_token.end() ? nullptr : &it->second;
  }
  size_t vocab_size() const { return bpe ? bpe->vocab_size() : wordpiece.token_to_id.size(); }
};

namespace {

WordPiece wordpiece_from_json(const json& m, const Where& w) {
  using namespace json_fields;
  WordPiece wp;
  wp.unk_token = string_field(m, "unk_token", w);
  if (const json* p = optional(m, "continuing_subword_prefix")) wp.continuing_subword_prefix = as_string(*p, w.key("continuing_subword_prefix"));
  if (const json* n = optional(m, "max_input_chars_per_word"))
    wp.max_input_chars_per_word = static_cast<size_t>(as_int(*n, w.key("max_input_chars_per_word"), 0, 1LL << 40));
  const json& vocab = require(m, "vocab", w);
  if (!vocab.is_object()) w.key("vocab").fail("expected an object of token: id, found " + type_name(vocab));
  for (auto it = vocab.begin(); it != vocab.end(); ++it)
    wp.add(it.key(), static_cast<int>(as_int(it.value(), w.key("vocab").key(it.key()), 0, (1LL << 31) - 1)));
  wp.unk_id = wp.find(wp.unk_token);
  if (wp.unk_id < 0) w.key("unk_token").fail("'" + wp.unk_token + "' is not in the vocabulary");
  return wp;
}

std::string valid_utf8(std::string_view text) {
  if (first_invalid_utf8(text) != std::string_view::npos) return to_utf8(decode_utf8_lossy(text));
  return std::string(text);
}

}  // namespace

std::vector<size_t> char_index_of_bytes(std::string_view text) {
  std::vector<size_t> map(text.size());
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++chars) {
    size_t len = 0;
    utf8_char_at(text, i, len);
    for (size_t k = 0; k < len && i + k < text.size(); ++k) map[i + k] = chars;
    i += len;
  }
  return map;
}

Offsets bytes_to_char_offsets(std::string_view text, Offsets b, const std::vector<size_t>& map) {
  const size_t n = text.size();
  if (b.start < n && b.end < n) return {map[b.start], map[b.end]};
  if (b.start < n) {
    const size_t last = b.end >= 1 && b.end - 1 < n ? map[b.end - 1] : map[b.start] + 1;
    return {map[b.start], last + 1};
  }
  return b;
}

Tokenizer Tokenizer::from_file(const std::filesystem::path& file) {
  return from_json_text(read_bounded_file(file, kMaxTokenizerFileBytes, "tokenizer file"), file.string());
}

Tokenizer Tokenizer::from_json_text(std::string_view text, const std::string& source) {
  using namespace json_fields;
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw Error(source + ": not valid JSON: " + e.what(), kExitInput);
  }
  return from_json(j, source);
}

Tokenizer Tokenizer::from_json(const json& j, const std::string& source) {
  using namespace json_fields;
  const Where root{source, ""};
  if (!j.is_object()) root.fail("expected a JSON object, found " + type_name(j));
  if (const json* v = optional(j, "version"); v && as_string(*v, root.key("version")) != "1.0")
    root.key("version").fail("unknown tokenizer version '" + v->get<std::string>() + "' (attnlab reads 1.0)");

  Tokenizer t;
  t.source_ = source;
  t.normalizer_ = Normalizer::from_json(j.value("normalizer", json()), root.key("normalizer"));
  t.pre_tokenizer_ = PreTokenizer::from_json(j.value("pre_tokenizer", json()), root.key("pre_tokenizer"));

  const json& m = require(j, "model", root);
  const Where mw = root.key("model");
  auto model = std::make_shared<Model>();
  // tokenizers' ModelWrapper: "type" is optional; without it the fields say which model it is.
  std::string type;
  if (const json* ty = optional(m, "type")) type = as_string(*ty, mw.key("type"));
  else if (m.is_object() && m.contains("merges")) type = "BPE";
  else if (m.is_object() && m.contains("continuing_subword_prefix")) type = "WordPiece";
  if (type == "BPE") {
    model->bpe = std::make_unique<Bpe>(Bpe::from_json(m, source));
  } else if (type == "WordPiece") {
    model->wordpiece = wordpiece_from_json(m, mw);
  } else {
    mw.key("type").fail("unknown model '" + type + "' (attnlab reads BPE and WordPiece)");
  }
  model->type = type;
  t.model_ = model;

  t.post_processor_ = std::make_shared<const PostProcessor>(PostProcessor::from_json(j.value("post_processor", json()), source));
  if (const json* d = optional(j, "decoder")) t.decoder_ = std::make_shared<const Decoder>(Decoder::from_json(*d, source));

  // Added tokens last, in file order, as tokenizers' deserializer adds them.
  std::vector<AddedTokenSpec> added;
  if (const json* list = optional(j, "added_tokens")) {
    const Where aw = root.key("added_tokens");
    if (!list->is_array()) aw.fail("expected a list, found " + type_name(*list));
    for (size_t i = 0; i < list->size(); ++i) {
      const json& a = (*list)[i];
      const Where w = aw.index(i);
      AddedTokenSpec s;
      s.content = string_field(a, "content", w);
      s.single_word = bool_field_or(a, "single_word", false, w);
      s.lstrip = bool_field_or(a, "lstrip", false, w);
      s.rstrip = bool_field_or(a, "rstrip", false, w);
      s.special = bool_field_or(a, "special", false, w);
      s.normalized = bool_field_or(a, "normalized", !s.special, w);
      added.push_back(std::move(s));
    }
  }
  const Model& mref = *model;
  t.added_.add_tokens(added, [&mref](std::string_view c) { return mref.token_to_id(c); }, mref.vocab_size(),
                      t.normalizer_);
  return t;
}

TokenEncoding Tokenizer::encode_sequence(const std::string& text, int type_id, OffsetUnit unit) const {
  PreTokenizedString p = added_.extract_and_normalize(normalizer_, text);
  pre_tokenizer_.pre_tokenize(p);
  std::vector<size_t> char_of_byte;
  if (unit == OffsetUnit::kChars) char_of_byte = char_index_of_bytes(text);
  TokenEncoding e;
  std::vector<ModelToken> tokens;
  for (size_t idx = 0; idx < p.splits.size(); ++idx) {
    PreTokenizedString::Split& split = p.splits[idx];
    if (!split.tokens) {
      tokens.clear();
      model_->tokenize(split.normalized.get(), tokens);
      split.tokens = std::move(tokens);
      tokens = {};
    }
    const Offsets base = split.normalized.offsets_original();
    for (ModelToken& tok : *split.tokens) {
      Offsets off = tok.offsets;
      if (auto r = split.normalized.normalized_to_original(tok.offsets)) off = {base.start + r->start, base.start + r->end};
      if (unit == OffsetUnit::kChars) off = bytes_to_char_offsets(text, off, char_of_byte);
      e.push(tok.id, std::move(tok.value), off, type_id, 0, static_cast<int>(idx), -1);
    }
  }
  return e;
}

Tokenizer Tokenizer::from_wordpiece(const json& normalizer, const json& pre_tokenizer, WordPiece model,
                                    const std::vector<AddedTokenSpec>& added, const std::string& source) {
  const Where root{source, ""};
  Tokenizer t;
  t.source_ = source;
  t.normalizer_ = Normalizer::from_json(normalizer, root.key("normalizer"));
  t.pre_tokenizer_ = PreTokenizer::from_json(pre_tokenizer, root.key("pre_tokenizer"));
  auto m = std::make_shared<Model>();
  m->type = "WordPiece";
  m->wordpiece = std::move(model);
  t.model_ = m;
  t.post_processor_ = std::make_shared<const PostProcessor>();
  const Model& mref = *m;
  t.added_.add_tokens(added, [&mref](std::string_view c) { return mref.token_to_id(c); }, mref.vocab_size(),
                      t.normalizer_);
  return t;
}

TokenEncoding Tokenizer::encode_one(std::string_view text, int type_id, OffsetUnit unit) const {
  return encode_sequence(valid_utf8(text), type_id, unit);
}

TokenEncoding Tokenizer::encode(std::string_view text, std::optional<std::string_view> pair, bool add_special_tokens,
                                OffsetUnit unit) const {
  TokenEncoding a = encode_sequence(valid_utf8(text), 0, unit);
  std::optional<TokenEncoding> b;
  if (pair) b = encode_sequence(valid_utf8(*pair), 1, unit);
  return post_processor_->process(std::move(a), std::move(b), add_special_tokens);
}

int Tokenizer::token_to_id(std::string_view token) const {
  const int id = added_.token_to_id(token);
  return id >= 0 ? id : model_->token_to_id(token);
}

const std::string* Tokenizer::id_to_token(int id) const {
  if (const std::string* s = added_.id_to_token(id)) return s;
  return model_->id_to_token(id);
}

size_t Tokenizer::vocab_size() const {
  // tokenizers' get_vocab_size(true): the distinct strings of the model's vocabulary and the added tokens.
  size_t n = model_->vocab_size();
  for (const auto& [id, spec] : added_.tokens())
    if (model_->token_to_id(spec.content) < 0) ++n;
  return n;
}

std::string Tokenizer::model_type() const { return model_->type; }

std::string Tokenizer::decode(const std::vector<int>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int id : ids) {
    const std::string* t = id_to_token(id);
    if (!t) continue;
    if (skip_special_tokens && added_.is_special(*t)) continue;
    tokens.push_back(*t);
  }
  if (decoder_) return decoder_->decode(tokens);
  std::string out;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i) out += ' ';
    out += tokens[i];
  }
  return out;
}

}  // namespace attnlab
