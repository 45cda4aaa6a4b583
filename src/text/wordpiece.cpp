// WordPiece segmentation (tokenizers models/wordpiece/mod.rs: WordPiece::tokenize).
#include "text/wordpiece.h"

namespace attnlab {
namespace {

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

void WordPiece::tokenize(std::string_view word, std::vector<std::string>& tokens, std::vector<int>& ids) const {
  size_t chars = 0;
  for (char c : word) chars += is_utf8_continuation(c) ? 0 : 1;
  if (chars > max_input_chars_per_word) {
    tokens.push_back(unk_token);
    ids.push_back(unk_id);
    return;
  }
  const size_t first_piece = tokens.size();
  std::string candidate;
  size_t start = 0;
  while (start < word.size()) {
    // Candidates longer than the longest vocabulary entry cannot match: start below it, so a long
    // word with a large max_input_chars_per_word costs O(length x longest token), not O(length^2).
    size_t end = word.size() - start > max_token_bytes ? start + max_token_bytes : word.size();
    while (end > start && end < word.size() && is_utf8_continuation(word[end])) --end;
    int id = -1;
    while (start < end) {
      candidate.clear();
      if (start > 0) candidate = continuing_subword_prefix;
      candidate.append(word.substr(start, end - start));
      id = find(candidate);
      if (id >= 0) break;
      do --end;  // drop the last character, not the last byte
      while (end > start && is_utf8_continuation(word[end]));
    }
    if (id < 0) {
      tokens.resize(first_piece);
      ids.resize(first_piece);
      tokens.push_back(unk_token);
      ids.push_back(unk_id);
      return;
    }
    tokens.push_back(candidate);
    ids.push_back(id);
    start = end;
  }
}

}  // namespace attnlab
