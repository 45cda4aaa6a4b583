// See model_tokenizer.h.
#include "api/model_tokenizer.h"

#include "attnlab/error.h"
#include "io/gguf.h"

namespace attnlab {

ModelTokenizer ModelTokenizer::open(const std::filesystem::path& dir, const std::string& family) {
  ModelTokenizer t;
  if (family == "bert") {
    BertTokenizer& b = t.impl_.emplace<BertTokenizer>(BertTokenizer::from_directory(dir));
    // Later entries win: [PAD] may double as another role only in a broken vocabulary.
    const std::pair<int, TokenRole> roles[] = {{b.token_to_id("[MASK]"), TokenRole::kMask},
                                               {b.unk_id(), TokenRole::kUnk},
                                               {b.pad_id(), TokenRole::kPad},
                                               {b.sep_id(), TokenRole::kSep},
                                               {b.cls_id(), TokenRole::kCls}};
    for (auto [id, role] : roles)
      if (id >= 0) t.roles_[id] = role;
    return t;
  }
  // A model folder without a tokenizer still runs token ids (Engine::encode_ids); encode() says why not.
  const bool gguf = is_gguf_file(dir);
  if (!gguf && !std::filesystem::exists(dir / "tokenizer.json")) {
    t.missing_ = (dir / "tokenizer.json").string();
    return t;
  }
  HfTokenizer& h = t.impl_.emplace<HfTokenizer>(HfTokenizer::open(gguf ? dir : dir / "tokenizer.json"));
  // tokenizer_config.json's order is bos, eos, pad, unk: a token named for two roles (SmolLM2's
  // <|im_end|> is eos and pad) keeps the first.
  for (const SpecialTokenRole& r : h.special_tokens()) {
    const TokenRole role = r.role == "bos_token"   ? TokenRole::kBos
                           : r.role == "eos_token" ? TokenRole::kEos
                           : r.role == "pad_token" ? TokenRole::kPad
                                                   : TokenRole::kUnk;
    if (r.id >= 0) t.roles_.emplace(r.id, role);
  }
  return t;
}

TokenRole ModelTokenizer::role_of(int id, bool special) const {
  const auto it = roles_.find(id);
  if (it != roles_.end()) return it->second;
  if (special) return TokenRole::kOther;
  if (const auto* h = std::get_if<HfTokenizer>(&impl_); h && h->is_special(id)) return TokenRole::kOther;
  return TokenRole::kNone;
}

Encoding ModelTokenizer::encode(std::string_view text, std::optional<std::string_view> pair, int max_length) const {
  if (const auto* b = std::get_if<BertTokenizer>(&impl_)) {
    Encoding e = b->encode(text, pair, max_length);
    e.roles.assign(e.size(), TokenRole::kNone);
    for (size_t i = 0; i < e.size(); ++i) e.roles[i] = e.word_ids[i] < 0 ? role_of(e.input_ids[i], true) : TokenRole::kNone;
    return e;
  }
  if (!std::holds_alternative<HfTokenizer>(impl_))
    throw Error(missing_ + ": no such file: this model has no tokenizer; give token ids instead (attention --ids, "
                           "Engine::encode_ids)",
                kExitInput);
  const auto& h = std::get<HfTokenizer>(impl_);
  if (pair && pair->empty()) pair.reset();
  TokenizedText t = h.encode(text, pair);
  Encoding e;
  e.tokens = std::move(t.tokens);
  e.input_ids = std::move(t.input_ids);
  e.token_type_ids = std::move(t.token_type_ids);
  e.word_ids = std::move(t.word_ids);
  e.roles.assign(e.input_ids.size(), TokenRole::kNone);
  for (size_t i = 0; i < e.size(); ++i) e.roles[i] = role_of(e.input_ids[i], t.special_tokens_mask[i] != 0);
  if (max_length > 0 && e.size() > static_cast<size_t>(max_length)) {
    // Keep the post-processor's trailing special tokens (an eos), cut the text before them.
    size_t tail = 0;
    while (tail < e.size() && t.special_tokens_mask[e.size() - 1 - tail] != 0) ++tail;
    if (tail >= static_cast<size_t>(max_length)) tail = 0;
    const size_t keep = static_cast<size_t>(max_length) - tail;
    const auto cut = [&](auto& v) {
      if (v.size() != e.size()) return;
      v.erase(v.begin() + static_cast<long>(keep), v.end() - static_cast<long>(tail));
    };
    cut(e.tokens);
    cut(e.token_type_ids);
    cut(e.word_ids);
    cut(e.roles);
    e.input_ids.erase(e.input_ids.begin() + static_cast<long>(keep), e.input_ids.end() - static_cast<long>(tail));
    e.truncated = true;
  }
  return e;
}

Encoding ModelTokenizer::from_ids(std::span<const int> ids) const {
  Encoding e;
  e.input_ids.assign(ids.begin(), ids.end());
  e.tokens.reserve(ids.size());
  e.roles.reserve(ids.size());
  for (int id : ids) {
    e.tokens.push_back(token(id));
    e.roles.push_back(role_of(id, false));
  }
  return e;
}

std::string ModelTokenizer::token(int id) const {
  if (const auto* b = std::get_if<BertTokenizer>(&impl_)) {
    if (id >= 0 && id < b->vocab_size()) return b->id_to_token(id);
  } else if (const auto* h = std::get_if<HfTokenizer>(&impl_)) {
    if (auto t = h->id_to_token(id)) return *t;
  }
  return "<id " + std::to_string(id) + ">";
}

std::string ModelTokenizer::decode(std::span<const int> ids) const {
  if (const auto* h = std::get_if<HfTokenizer>(&impl_)) return h->decode(std::vector<int>(ids.begin(), ids.end()));
  std::string out;
  for (int id : ids) out.append(out.empty() ? "" : " ").append(token(id));
  return out;
}

int ModelTokenizer::vocab_size() const {
  if (const auto* b = std::get_if<BertTokenizer>(&impl_)) return b->vocab_size();
  if (const auto* h = std::get_if<HfTokenizer>(&impl_)) return static_cast<int>(h->vocab_size());
  return 0;
}

}  // namespace attnlab
