// A copy of a BERT model whose tokenizer knows one word more than its embeddings: a text with that word
// encodes, and the forward pass rejects it (a token id outside the vocabulary). For tests of one bad
// input among good ones that share a batch.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "fixtures.h"
#include "temp_dir.h"

namespace attnlab::testing {

inline constexpr const char* kOutOfVocabWord = "qzxjvword";

// Copies the model in `from` (vocab.txt and tokenizer.json, WordPiece) to `to`, adding kOutOfVocabWord
// to both with the first id past the embeddings (config.json's vocab_size). The weights are linked.
inline void write_out_of_vocab_model(const std::filesystem::path& from, const std::filesystem::path& to) {
  namespace fs = std::filesystem;
  fs::create_directories(to);
  for (const auto& entry : fs::directory_iterator(from)) {
    const fs::path target = to / entry.path().filename();
    if (entry.path().extension() == ".safetensors") fs::create_symlink(fs::absolute(entry.path()), target);
    else fs::copy(entry.path(), target);
  }
  const int id = nlohmann::json::parse(read_text((from / "config.json").string())).at("vocab_size").get<int>();
  std::string vocab = read_text((from / "vocab.txt").string());
  if (!vocab.empty() && vocab.back() != '\n') vocab += '\n';
  write_file(to / "vocab.txt", vocab.append(kOutOfVocabWord).append("\n"));
  nlohmann::json tokenizer = nlohmann::json::parse(read_text((from / "tokenizer.json").string()));
  tokenizer.at("model").at("vocab")[kOutOfVocabWord] = id;
  write_file(to / "tokenizer.json", tokenizer.dump());
}

}  // namespace attnlab::testing
