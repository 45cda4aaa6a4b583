// Pre-norm decoder transformers (the Llama architecture: Llama, Mistral, Qwen2, Qwen3, SmolLM),
// identical to transformers' eager fp32 path: RMSNorm, rotary positions with their scaling, grouped
// key/value heads, causal (and sliding-window) attention with the probabilities as a first-class output,
// a SiLU-gated MLP, the final norm and the language-model head.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/float_buffer.h"
#include "io/safetensors.h"
#include "model/spec.h"
#include "model/weights.h"
#include "ops/packed_linear.h"

namespace attnlab {

// One layer's tensors by role; a role the family does not have stays empty (null data).
struct DecoderLayerWeights {
  Tensor attn_norm;                  // [hidden]
  Tensor wq, wk, wv, wo;             // [q_dim, hidden], [kv_dim, hidden] x2, [hidden, q_dim]
  Tensor bq, bk, bv, bo;             // biases (Qwen2: q, k, v)
  Tensor q_norm, k_norm;             // [head_dim] (Qwen3)
  Tensor ffn_norm;                   // [hidden]
  Tensor w_gate, w_up, w_down;       // [inter, hidden] x2, [hidden, inter]
  Tensor b_gate, b_up, b_down;       // mlp_bias
  PackedWeight qkv_p, o_p, gate_up_p, down_p;  // [q | k | v], [gate | up] stacked for one pass over x
  std::vector<float> qkv_b, gate_up_b;         // empty when the family has no biases
};

struct DecoderWeights {
  Tensor embed;       // [vocab, hidden]
  Tensor final_norm;  // [hidden]
  Tensor lm_head;     // [vocab, hidden]; empty when tied
  std::vector<DecoderLayerWeights> layers;
  PackedWeight lm_head_p;
};

struct DecoderModel {
  std::filesystem::path dir;
  ModelSpec spec;
  std::vector<std::unique_ptr<SafetensorsFile>> checkpoints;  // one, or the shards of an index
  DecoderWeights weights;
};

// Reads dir/config.json (+ generation_config.json) and dir/model.safetensors or the shards of
// dir/model.safetensors.index.json. Every problem is an attnlab::Error naming the file and field.
DecoderModel load_decoder_model(const std::filesystem::path& dir);

// The spec config.json describes (model_type llama, mistral, qwen2, qwen3). Error (kExitInput) naming the
// file and field otherwise.
ModelSpec read_decoder_config(const std::filesystem::path& config_json);
bool is_decoder_model_type(const std::string& model_type);

struct DecoderOutput {
  int seq_len = 0, num_layers = 0, num_heads = 0, hidden = 0, vocab = 0;
  FloatBuffer attentions;                // [layer][head][query][key]; above the diagonal and outside a window exactly 0
  std::vector<float> hidden_states;      // [layers + 1][seq][hidden] when asked; the last after the final norm
  std::vector<float> last_hidden_state;  // [seq][hidden], after the final norm
  std::vector<float> logits;             // [vocab] of the last position, or [seq][vocab] with all_logits
};

struct DecoderOptions {
  bool hidden_states = false;
  bool all_logits = false;
  // After each layer: probs [heads, seq, seq], hidden [seq, hidden].
  std::function<void(int layer, const float* probs, const float* hidden)> on_layer;
};

// ids: [seq] -> DecoderOutput (positions 0..seq-1, no padding).
DecoderOutput decoder_forward(const DecoderModel& model, std::span<const int> ids, const DecoderOptions& options = {});

}  // namespace attnlab
