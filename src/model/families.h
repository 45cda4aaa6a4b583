// The families attnlab reads, each a config reader (config.json -> ModelSpec) and a table of the
// tensors it has by role (llama.cpp's llm-arch tables: a family is defined by which tensors exist):
//   bert   BertModel / BertFor*: post-LN encoder, learned positions and token types, optional pooler
//   llama  llama, mistral, qwen2, qwen3 (SmolLM, SmolLM2): pre-LN RMSNorm decoder, RoPE, GQA, gated SiLU
//   gemma3 gemma3_text: sandwich (1 + w) RMSNorms, scaled embeddings, QK-norm, sliding layers with a local
//          rotary base, gated GELU-tanh
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/decoder.h"
#include "model/spec.h"
#include "model/weights.h"

namespace attnlab {

// config.json's model_type picks the family ("bert" when absent, as BertConfig). Error (kExitInput)
// naming the file and field for a model_type no family reads.
ModelSpec read_model_config(const std::filesystem::path& config_json);
// The model types read_model_config accepts, for messages and --help: "bert, llama, mistral, qwen2, qwen3, gemma3_text".
const char* supported_model_types();

// The family's table: every tensor with its checkpoint name and the shape the spec implies.
std::vector<TensorSlot> tensor_table(const ModelSpec& spec, ModelWeights& weights);
// The names a tensor may carry in a checkpoint, the table's name first (BERT: also "bert."-prefixed
// and the 2018 LayerNorm gamma/beta spelling).
std::vector<std::string> checkpoint_names(const ModelSpec& spec, const std::string& name);

// Per family (families.cpp dispatches).
ModelSpec bert_spec(const BertConfig& config);
std::vector<TensorSlot> bert_tensor_table(const ModelSpec& spec, ModelWeights& weights);
std::vector<std::string> bert_checkpoint_names(const std::string& name);
// The llama table; with sandwich norms (Gemma 3) post_attention_layernorm is the attention output's norm
// and pre_ / post_feedforward_layernorm the MLP's.
std::vector<TensorSlot> llama_tensor_table(const ModelSpec& spec, ModelWeights& weights);
// Gemma 3: config.json (gemma3_text) -> spec; gemma3_family sets what every Gemma 3 has (also for GGUF).
ModelSpec read_gemma3_config(const std::filesystem::path& config_json);
void gemma3_family(ModelSpec& spec);
// generation_config.json's eos_token_id, when the file is there.
void read_generation_config(const std::filesystem::path& dir, ModelSpec& spec);

}  // namespace attnlab
