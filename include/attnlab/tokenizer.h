// Any Hugging Face tokenizer.json, encoded exactly as the `tokenizers` library encodes it (its Python
// binding's offsets: characters of each sequence's own text). Components: see README "Tokenizers".
//
// Thread safety: a HfTokenizer is immutable once opened; encode and decode may be called from many
// threads at once.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnlab {

class Tokenizer;

// One encoded text (or pair), one entry per token in every vector.
struct TokenizedText {
  std::vector<std::string> tokens;
  std::vector<int> input_ids;
  std::vector<int> token_type_ids;
  // [start, end) in characters (code points) of the token's own sequence, as tokenizers' Python binding
  // reports them; (0, 0) for special tokens a post-processor added.
  std::vector<std::pair<size_t, size_t>> offsets;
  std::vector<int> special_tokens_mask;  // 1: added by the post-processor
  std::vector<int> word_ids;             // -1 for none
  std::vector<int> sequence_ids;         // 0, 1, or -1 for special tokens
  size_t size() const { return input_ids.size(); }
};

// A special token's role as tokenizer_config.json names it.
struct SpecialTokenRole {
  std::string role;     // "bos_token", "eos_token", "pad_token" or "unk_token"
  std::string content;  // e.g. "<|im_start|>"
  int id = -1;          // its id, -1 when the tokenizer has no such token
};

class HfTokenizer {
 public:
  // `path`: a tokenizer.json file, a directory holding one, or a GGUF file (the tokenizer its
  // tokenizer.ggml.* metadata describes, built as transformers builds it from the file).
  // tokenizer_config.json (and chat_template.jinja) beside a tokenizer.json are read when present. Throws attnlab::Error naming the file
  // and field for anything it cannot read (exit code kExitInput; kExitIo when it cannot be read).
  static HfTokenizer open(const std::filesystem::path& path);

  // Text may hold any bytes: invalid UTF-8 is read as Python's bytes.decode("utf-8", errors="replace").
  TokenizedText encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                       bool add_special_tokens = true) const;
  std::string decode(const std::vector<int>& ids, bool skip_special_tokens = false) const;

  int token_to_id(std::string_view token) const;  // -1 when absent
  bool is_special(int id) const;                  // an added token marked "special": true
  std::optional<std::string> id_to_token(int id) const;
  size_t vocab_size() const;
  std::string model_type() const;  // "BPE" or "WordPiece"
  const std::string& path() const;

  // From tokenizer_config.json: bos, eos, pad and unk tokens (those it names, in that order), the
  // length limit (nullopt: none), the chat template (chat_template.jinja first, as transformers reads it).
  const std::vector<SpecialTokenRole>& special_tokens() const { return special_tokens_; }
  std::optional<long long> model_max_length() const { return model_max_length_; }
  const std::optional<std::string>& chat_template() const { return chat_template_; }

 private:
  std::shared_ptr<const Tokenizer> impl_;
  std::vector<SpecialTokenRole> special_tokens_;
  std::optional<long long> model_max_length_;
  std::optional<std::string> chat_template_;
};

}  // namespace attnlab
