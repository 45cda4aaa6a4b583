// tokenizers' AddedVocabulary (src/tokenizer/added_vocabulary.rs at 3ba8ad0): Aho-Corasick leftmost-longest
// matching, single_word / lstrip / rstrip as its find_matches applies them.
#include "text/added_vocabulary.h"

namespace attnlab {
namespace {

bool ends_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t b = s.size() - 1;
  while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  size_t len = 0;
  return is_regex_word_char(utf8_char_at(s, b, len));
}

bool starts_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t len = 0;
  return is_regex_word_char(utf8_char_at(s, 0, len));
}

// Start of the whitespace run that ends the text (`\s*$`).
size_t space_leftmost_at_end(std::string_view s) {
  size_t at = s.size();
  while (at > 0) {
    size_t b = at - 1;
    while (b > 0 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
    size_t len = 0;
    if (!is_rust_whitespace(utf8_char_at(s, b, len))) break;
    at = b;
  }
  return at;
}

// End of the whitespace run that starts the text (`^\s*`).
size_t space_rightmost_at_start(std::string_view s) {
  size_t at = 0;
  while (at < s.size()) {
    size_t len = 0;
    if (!is_rust_whitespace(utf8_char_at(s, at, len))) break;
    at += len;
  }
  return at;
}

}  // namespace

void AddedVocabulary::Trie::insert(std::string_view s, int id) {
  int node = 0;
  for (unsigned char b : s) {
    auto it = nodes[node].next.find(b);
    if (it == nodes[node].next.end()) {
      nodes.emplace_back();
      const int fresh = static_cast<int>(nodes.size()) - 1;
      nodes[node].next.emplace(b, fresh);
      node = fresh;
    } else {
      node = it->second;
    }
  }
  nodes[node].id = id;
}

void AddedVocabulary::add_tokens(const std::vector<AddedTokenSpec>& tokens,
                                 const std::function<int(std::string_view)>& model_token_to_id,
                                 size_t model_vocab_size, const Normalizer& normalizer) {
  long long next_id = static_cast<long long>(model_vocab_size);
  if (max_id_ >= 0 && (max_id_ >= static_cast<long long>(model_vocab_size) || model_vocab_size == 0))
    next_id = max_id_ + 1LL;
  for (const AddedTokenSpec& token : tokens) {
    if (token.content.empty()) continue;
    if (auto it = by_content_.find(token.content); it != by_content_.end()) {
      const AddedTokenSpec& old = by_id_[it->second];
      if (old.single_word == token.single_word && old.lstrip == token.lstrip && old.rstrip == token.rstrip &&
          old.normalized == token.normalized && old.special == token.special)
        continue;
    }
    int id = token_to_id(token.content);
    if (id < 0) id = model_token_to_id(token.content);
    if (id < 0) id = static_cast<int>(next_id++);
    if (token.normalized && !normalizer.empty()) {
      NormalizedString s(token.content);
      normalizer.normalize(s);
      if (s.get() != token.content)
        normalized_cache_[id] = s.get();
      else
        normalized_cache_.erase(id);
    }
    by_content_[token.content] = id;
    if (token.special) special_.insert(token.content);
    if (by_id_.count(id) == 0) order_.push_back(id);
    by_id_[id] = token;
    if (id > max_id_) max_id_ = id;
  }
  refresh();
}

void AddedVocabulary::refresh() {
  raw_ = Trie{};
  normalized_ = Trie{};
  for (int id : order_) {
    const AddedTokenSpec& t = by_id_[id];
    if (t.normalized) {
      auto it = normalized_cache_.find(id);
      normalized_.insert(it != normalized_cache_.end() ? it->second : t.content, id);
    } else {
      raw_.insert(t.content, id);
    }
  }
}

int AddedVocabulary::token_to_id(std::string_view content) const {
  auto it = by_content_.find(content);
  return it == by_content_.end() ? -1 : it->second;
}

const std::string* AddedVocabulary::id_to_token(int id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return nullptr;
  auto n = normalized_cache_.find(id);
  return n != normalized_cache_.end() ? &n->second : &it->second.content;
}

std::vector<AddedVocabulary::Match> AddedVocabulary::find_matches(std::string_view sentence, const Trie& trie) const {
  if (sentence.empty()) return {{-1, {0, 0}}};
  if (trie.empty()) return {{-1, {0, sentence.size()}}};
  std::vector<Match> splits;
  size_t start_offset = 0;
  size_t pos = 0;
  while (pos < sentence.size()) {
    // Leftmost-longest: the longest pattern starting at the first position where any starts.
    int node = 0, best_id = -1;
    size_t best_end = 0;
    for (size_t i = pos; i < sentence.size(); ++i) {
      auto it = trie.nodes[node].next.find(static_cast<unsigned char>(sentence[i]));
      if (it == trie.nodes[node].next.end()) break;
      node = it->second;
      if (trie.nodes[node].id >= 0) {
        best_id = trie.nodes[node].id;
        best_end = i + 1;
      }
    }
    if (best_id < 0) {
      ++pos;
      continue;
    }
    size_t start = pos, stop = best_end;
    pos = best_end;  // the iterator moves past this match whether or not it is kept
    const AddedTokenSpec& t = by_id_.at(best_id);
    if (t.single_word) {
      const bool start_space = start == 0 || !ends_with_word(sentence.substr(0, start));
      const bool stop_space = stop == sentence.size() || !starts_with_word(sentence.substr(stop));
      if (!stop_space || !start_space) continue;
    }
    if (t.lstrip) start = std::max(space_leftmost_at_end(sentence.substr(0, start)), start_offset);
    if (t.rstrip) stop += space_rightmost_at_start(sentence.substr(stop));
    if (start_offset < start) splits.push_back({-1, {start_offset, start}});
    splits.push_back({best_id, {start, stop}});
    start_offset = stop;
  }
  if (start_offset != sentence.size()) splits.push_back({-1, {start_offset, sentence.size()}});
  return splits;
}

void AddedVocabulary::split_with(PreTokenizedString& p, const Trie& trie, const Normalizer* normalizer) const {
  std::vector<PreTokenizedString::Split> next;
  for (auto& split : p.splits) {
    if (split.tokens) {
      next.push_back(std::move(split));
      continue;
    }
    NormalizedString n = std::move(split.normalized);
    if (normalizer) normalizer->normalize(n);
    for (const Match& m : find_matches(n.get(), trie)) {
      std::optional<NormalizedString> slice = n.slice_normalized(m.offsets);
      if (!slice || slice->empty()) continue;
      if (m.id >= 0) {
        std::string value = slice->get();
        const size_t len = value.size();
        std::vector<ModelToken> tokens{{m.id, std::move(value), {0, len}}};
        next.push_back({std::move(*slice), std::move(tokens)});
      } else {
        next.push_back({std::move(*slice), std::nullopt});
      }
    }
  }
  p.splits = std::move(next);
}

PreTokenizedString AddedVocabulary::extract_and_normalize(const Normalizer& normalizer, std::string_view text) const {
  PreTokenizedString p;
  p.splits.push_back({NormalizedString(std::string(text)), std::nullopt});
  split_with(p, raw_, nullptr);
  split_with(p, normalized_, normalizer.empty() ? nullptr : &normalizer);
  return p;
}

}  // namespace attnlab
