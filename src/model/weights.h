// A model's weights by role, and the loader that fills them from a family's name table
// (model/families.h): every tensor appears once in the table with its checkpoint name and expected
// shape; loading, validation and error messages all walk that table.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/gguf_quants.h"
#include "io/safetensors.h"
#include "ops/packed_linear.h"

namespace attnlab {

// A GGUF matrix kept in its file's quantized blocks (io/gguf_quants.h), rows in the table's (HF) order:
// row r is file row row_of[r] (llama's Q/K un-permutation) or r when row_of is empty.
struct QuantSource {
  const uint8_t* data = nullptr;  // into the memory map
  GgmlType type = GgmlType::kF32;
  size_t row_bytes = 0;
  std::vector<int32_t> row_of;
  const uint8_t* row(int64_t r) const {
    return data + static_cast<size_t>(row_of.empty() ? r : row_of[static_cast<size_t>(r)]) * row_bytes;
  }
};

// A float32 tensor: points straight into the memory-mapped checkpoint when it is stored as F32
// (zero copy), or into `owned` after conversion from F16/BF16; or, for a GGUF matrix read quantized,
// no float32 at all (data null) and its blocks in `quant`.
struct Tensor {
  const float* data = nullptr;
  std::vector<float> owned;
  std::vector<int64_t> shape;
  QuantSource quant;
  bool quantized() const { return quant.data != nullptr; }

  size_t bytes() const {
    size_t n = sizeof(float);
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    return n;
  }
};

// One layer's tensors by role; a role the family does not have stays empty (null data). Norm
// placement follows the spec: attn_norm is the norm before attention (pre-LN: Llama's
// input_layernorm) or after its residual (post-LN: BERT's attention.output.LayerNorm); ffn_norm the
// one before the MLP (post_attention_layernorm) or after its residual (BERT's output.LayerNorm).
// Sandwich norms (Gemma 3) add post_attn_norm and post_ffn_norm on the sublayers' outputs, and
// ffn_norm is then its pre_feedforward_layernorm.
struct LayerWeights {
  Tensor attn_norm_w, attn_norm_b;          // [hidden]
  Tensor post_attn_norm, post_ffn_norm;     // [hidden] (sandwich norms)
  Tensor wq, bq, wk, bk, wv, bv;            // [q_dim, hidden], [kv_dim, hidden] x2 and their biases
  Tensor wo, bo;                            // [hidden, q_dim], [hidden]
  Tensor q_norm, k_norm;                    // [head_dim] (Qwen3's QK-norm)
  Tensor ffn_norm_w, ffn_norm_b;            // [hidden]
  Tensor w_gate, b_gate, w_up, b_up;        // [inter, hidden], [inter] (gate: gated MLPs only)
  Tensor w_down, b_down;                    // [hidden, inter], [hidden]

  // The linear weights repacked for the kernel (ops/packed_linear.h): [q | k | v] stacked into one
  // layer so x is read once for all three, and [gate | up] likewise.
  PackedWeight qkv_p, o_p, up_p, down_p;
  std::vector<float> qkv_b, up_b;  // empty when the family has no such biases
};

struct ModelWeights {
  Tensor embed;                        // [vocab, hidden]
  Tensor positions;                    // [max_positions, hidden] (learned positions)
  Tensor types;                        // [type_vocab, hidden]
  Tensor embed_norm_w, embed_norm_b;   // [hidden]
  std::vector<LayerWeights> layers;
  Tensor final_norm_w, final_norm_b;   // [hidden]
  Tensor pooler_w, pooler_b;           // [hidden, hidden], [hidden]; absent in some BERT checkpoints
  bool has_pooler = false;
  Tensor lm_head;                      // [vocab, hidden]; empty when tied to embed
  PackedWeight pooler_p, lm_head_p;
};

struct TensorSlot {
  std::string name;             // Hugging Face name, e.g. "model.layers.0.self_attn.q_proj.weight"
  std::vector<int64_t> shape;   // what the config implies
  Tensor* tensor;
  bool required;
};

// "[576, 49152]": a shape (or GGUF dims) as error messages write it.
std::string shape_text(const std::vector<int64_t>& shape);

// Where each tensor of a checkpoint is: one file, or the shard a model.safetensors.index.json names.
struct CheckpointFiles {
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  std::filesystem::path description;  // the file errors name: model.safetensors or the index
  const TensorView* find(const std::string& name, const SafetensorsFile** file) const;
};

// Opens dir/model.safetensors, else the shards of dir/model.safetensors.index.json (every shard a
// file in dir, present, holding the tensors the index says, no tensor in two shards).
CheckpointFiles open_checkpoint(const std::filesystem::path& dir);

// Fills the table's tensors from the checkpoint: `aliases(name)` lists the names a tensor may carry
// (the first is the one errors name). Missing required tensors and shapes that disagree with the
// config are errors naming the tensor; extra tensors (cls.*, position_ids, ...) are ignored. F32
// tensors point into the map (zero copy), F16/BF16 are converted into `owned`.
void load_tensors(const CheckpointFiles& checkpoint, std::vector<TensorSlot>& table,
                  const std::function<std::vector<std::string>(const std::string&)>& aliases);

}  // namespace attnlab
