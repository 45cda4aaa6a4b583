// BERT weights and the one table that names them. Every tensor the encoder uses appears once in
// for_each_tensor() with its Hugging Face checkpoint name and expected shape; loading, validation
// and error messages all walk that table.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "ops/packed_linear.h"
#include "model/config.h"

namespace attnlab {

// A float32 tensor: points straight into the memory-mapped checkpoint when it is stored as F32
// (zero copy), or into `owned` after conversion from F16/BF16.
struct Tensor {
  const float* data = nullptr;
  std::vector<float> owned;
  std::vector<int64_t> shape;

  size_t bytes() const {
    size_t n = sizeof(float);
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    return n;
  }
};

struct LayerWeights {
  Tensor query_w, query_b, key_w, key_b, value_w, value_b;  // [hidden, hidden], [hidden]
  Tensor attn_out_w, attn_out_b;                            // [hidden, hidden], [hidden]
  Tensor attn_ln_w, attn_ln_b;                              // [hidden]
  Tensor inter_w, inter_b;                                  // [intermediate, hidden], [intermediate]
  Tensor out_w, out_b;                                      // [hidden, intermediate], [hidden]
  Tensor out_ln_w, out_ln_b;                                // [hidden]

  // The linear weights repacked for the kernel (ops/packed_linear.h); query, key and value are
  // stacked into one [3 hidden, hidden] layer so x is read once for all three.
  std::vector<float> qkv_b;                          // [3 hidden]
  PackedWeight qkv_p, attn_out_p, inter_p, out_p;
};

struct BertWeights {
  Tensor word_emb, pos_emb, type_emb;  // [vocab, hidden], [max_pos, hidden], [type_vocab, hidden]
  Tensor emb_ln_w, emb_ln_b;           // [hidden]
  std::vector<LayerWeights> layers;
  Tensor pooler_w, pooler_b;           // [hidden, hidden], [hidden]; absent in some checkpoints
  bool has_pooler = false;
  PackedWeight pooler_p;
};

struct TensorSlot {
  std::string name;             // modern Hugging Face name, e.g. "encoder.layer.0.attention.self.query.weight"
  std::vector<int64_t> shape;   // what the config implies
  Tensor* tensor;
  bool required;
};

// The table: every tensor of BertModel, in checkpoint order.
std::vector<TensorSlot> tensor_table(const BertConfig& config, BertWeights& weights);

// The names a tensor may carry in a checkpoint: the modern name, the "bert."-prefixed name of
// BertFor* checkpoints, and the 2018 LayerNorm gamma/beta spelling of either.
std::vector<std::string> checkpoint_names(const std::string& name);

// Repacks every linear weight for the kernels and lets the checkpoint's pages of the originals go,
// so memory holds one copy of each weight. bf16: round them to bfloat16 (reduced-precision mode).
void pack_weights(const SafetensorsFile& file, const BertConfig& config, BertWeights& weights, bool bf16);

// Fills `weights` from an open checkpoint. Missing required tensors and shapes that disagree with
// the config are errors naming the tensor; extra tensors (cls.*, position_ids, ...) are ignored.
void load_weights(const SafetensorsFile& file, const BertConfig& config, BertWeights& weights);

}  // namespace attnlab
