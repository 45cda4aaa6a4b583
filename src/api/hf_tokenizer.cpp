// attnlab::HfTokenizer: the public face of the tokenizer.json pipeline (text/tokenizer.h).
#include "attnlab/tokenizer.h"

#include "attnlab/error.h"
#include "io/gguf.h"
#include "io/text_file.h"
#include "text/gguf_tokenizer.h"
#include "text/tokenizer.h"
#include "text/tokenizer_config.h"

namespace attnlab {

HfTokenizer HfTokenizer::open(const std::filesystem::path& path) {
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::is_directory(path, ec) ? path / "tokenizer.json" : path;
  if (!std::filesystem::exists(file, ec))
    throw Error(file.string() + ": no such file (expected a tokenizer.json or a directory holding one)", kExitIo);
  HfTokenizer t;
  TokenizerConfig config;
  const std::filesystem::path dir = file.parent_path();
  const bool gguf = is_gguf_file(file);
  if (gguf) {  // the tokenizer the file's metadata describes, as transformers builds it
    GgufTokenizer g = gguf_tokenizer(GgufFile(file));
    t.impl_ = std::make_shared<const Tokenizer>(Tokenizer::from_json(g.document, file.string()));
    config = std::move(g.config);
  } else {
    t.impl_ = std::make_shared<const Tokenizer>(Tokenizer::from_file(file));
    config = read_tokenizer_config(dir / "tokenizer_config.json");
  }
  const std::pair<const char*, const std::optional<std::string>*> roles[] = {
      {"bos_token", &config.bos_token}, {"eos_token", &config.eos_token},
      {"pad_token", &config.pad_token}, {"unk_token", &config.unk_token}};
  for (const auto& [role, content] : roles)
    if (*content) t.special_tokens_.push_back({role, **content, t.impl_->token_to_id(**content)});
  t.model_max_length_ = config.model_max_length;
  t.chat_template_ = config.chat_template;
  if (!gguf && std::filesystem::is_regular_file(dir / "chat_template.jinja", ec))
    t.chat_template_ = read_bounded_file(dir / "chat_template.jinja", kMaxTokenizerFileBytes, "chat template");
  return t;
}

TokenizedText HfTokenizer::encode(std::string_view text, std::optional<std::string_view> pair,
                                  bool add_special_tokens) const {
  TokenEncoding e = impl_->encode(text, pair, add_special_tokens, Tokenizer::OffsetUnit::kChars);
  TokenizedText out;
  out.tokens = std::move(e.tokens);
  out.input_ids = std::move(e.ids);
  out.token_type_ids = std::move(e.type_ids);
  out.offsets.reserve(e.offsets.size());
  for (const Offsets& o : e.offsets) out.offsets.emplace_back(o.start, o.end);
  out.special_tokens_mask = std::move(e.special_tokens_mask);
  out.word_ids = std::move(e.word_ids);
  out.sequence_ids = std::move(e.sequence_ids);
  return out;
}

std::string HfTokenizer::decode(const std::vector<int>& ids, bool skip_special_tokens) const {
  return impl_->decode(ids, skip_special_tokens);
}

int HfTokenizer::token_to_id(std::string_view token) const { return impl_->token_to_id(token); }

bool HfTokenizer::is_special(int id) const {
  const auto& added = impl_->added_tokens().tokens();
  const auto it = added.find(id);
  return it != added.end() && it->second.special;
}

std::optional<std::string> HfTokenizer::id_to_token(int id) const {
  const std::string* t = impl_->id_to_token(id);
  return t ? std::optional<std::string>(*t) : std::nullopt;
}

size_t HfTokenizer::vocab_size() const { return impl_->vocab_size(); }
std::string HfTokenizer::model_type() const { return impl_->model_type(); }
const std::string& HfTokenizer::path() const { return impl_->source(); }

}  // namespace attnlab
