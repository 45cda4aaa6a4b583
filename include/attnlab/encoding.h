// A tokenized input: what the tokenizer produces and a forward pass consumes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

// Engine::encode refuses longer texts (Error, kExitInput): a BERT sees at most a few thousand tokens
// of them, and tokenizing holds ~30 bytes per input byte at its peak.
inline constexpr size_t kMaxTextBytes = size_t{16} << 20;

// What a special token is for, as the tokenizer names it (tokenizer_config.json's bos_token, ...;
// BERT's cls/sep/pad/mask): front ends hide, label and count specials by role, never by spelling.
enum class TokenRole : uint8_t { kNone, kBos, kEos, kCls, kSep, kPad, kUnk, kMask, kOther };

// "bos", "eos", "cls", "sep", "pad", "unk", "mask", "special" ("" for kNone).
std::string_view role_name(TokenRole role);

struct Encoding {
  std::vector<std::string> tokens;  // [CLS] the cat ... [SEP]; <|im_start|> ...
  std::vector<int> input_ids;
  // 0 for [CLS] A [SEP], 1 for B [SEP]. Empty: every type 0 (models without token types, ids given
  // directly).
  std::vector<int> token_type_ids;
  // Word of each token within its segment (tokenizers' word_ids()): -1 for special tokens; sub-words
  // of one word share an index, so they can be merged back into words. Empty when unknown (ids in).
  std::vector<int> word_ids;
  // The role of each special token (kNone for text). Empty: none known (ids given directly).
  std::vector<TokenRole> roles;
  bool truncated = false;  // tokens were cut to fit max_length
  size_t size() const { return input_ids.size(); }
  TokenRole role(size_t i) const { return i < roles.size() ? roles[i] : TokenRole::kNone; }
  bool is_special(size_t i) const { return role(i) != TokenRole::kNone; }
  int type_id(size_t i) const { return i < token_type_ids.size() ? token_type_ids[i] : 0; }
};

}  // namespace attnlab
