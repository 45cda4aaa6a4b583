// BERT text normalization and pre-tokenization, character for character as Hugging Face tokenizers'
// BertNormalizer and BertPreTokenizer (normalizers/bert.rs, pre_tokenizers/bert.rs).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

struct BertNormalizerOptions {
  bool clean_text = true;            // drop NUL, U+FFFD and control chars; any whitespace -> ' '
  bool handle_chinese_chars = true;  // put spaces around CJK ideographs
  bool strip_accents = true;         // NFD, then drop nonspacing marks (tokenizer.json null: = lowercase)
  bool lowercase = true;             // Rust char::to_lowercase, per character (İ -> i + U+0307)
};

// Applies the steps in tokenizers' order: clean_text, chinese chars, strip_accents, lowercase.
std::u32string bert_normalize(std::u32string_view text, const BertNormalizerOptions& options);

// Splits on whitespace (removed) and isolates every punctuation character.
std::vector<std::u32string_view> bert_pre_tokenize(std::u32string_view text);

bool is_bert_whitespace(char32_t c);   // Rust char::is_whitespace (Unicode White_Space)
bool is_bert_punctuation(char32_t c);  // ASCII punctuation or Unicode P* (tokenizers' tables)
bool is_chinese_char(char32_t c);      // the CJK ideograph blocks of normalizers/bert.rs

}  // namespace attnlab
