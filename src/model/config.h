// BERT configuration: a plain struct read from a Hugging Face config.json (BertConfig's fields).
#pragma once

#include <filesystem>
#include <string>

namespace attnlab {

struct BertConfig {
  int vocab_size = 0;               // 30522 for bert-base-uncased
  int hidden_size = 0;              // 768 for bert-base, 384 for all-MiniLM-L6-v2
  int num_hidden_layers = 0;        // 12 for bert-base, 6 for MiniLM-L6
  int num_attention_heads = 0;      // 12
  int intermediate_size = 0;        // 3072 for bert-base (4 x hidden)
  int max_position_embeddings = 0;  // 512
  int type_vocab_size = 2;          // 2 (sentence A / B)
  double layer_norm_eps = 1e-12;    // 1e-12
  std::string hidden_act = "gelu";  // exact erf GELU
  std::string model_type = "bert";
  std::string architecture;         // "BertModel", "BertForMaskedLM", ...

  int head_dim() const { return hidden_size / num_attention_heads; }  // 64 for bert-base
};

// Reads and validates dir/config.json. Throws attnlab::Error (kExitInput) naming the file, the
// field, what was expected and what was found.
BertConfig read_bert_config(const std::filesystem::path& config_json);

}  // namespace attnlab
