// One transformer forward for every family: the family is data (model/spec.h, a ModelSpec) and a
// tensor-name table (model/families.h); this block reads them. Embeddings (learned positions and token
// types, or none), then per layer either BERT's post-LN block
//   x = LN(x + O(attention(x))); x = LN(x + down(act(up x)))
// or the pre-LN block of the Llama architecture
//   x = x + O(attention(norm(x))); x = x + down(act(gate norm(x)) * up norm(x))
// with causal or bidirectional attention, grouped key/value heads, rotary positions, per-layer windows
// and QK-norm as the spec says; then the final norm, the pooler or the language-model head. Attention
// probabilities are a first-class output, written once, straight into the engine's Result.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "attnlab/engine.h"
#include "io/gguf.h"
#include "io/safetensors.h"
#include "model/spec.h"
#include "model/weights.h"

namespace attnlab {

struct TransformerModel {
  std::filesystem::path dir;
  ModelSpec spec;
  std::vector<std::unique_ptr<SafetensorsFile>> checkpoints;  // one file or the shards; keep zero-copy tensors alive
  std::unique_ptr<GgufFile> gguf;  // a GGUF checkpoint: its blocks back the quantized embedding
  ModelWeights weights;
};

struct LoadOptions {
  // Reduced precision: linear weights rounded to bfloat16 (half the bytes to stream; attention
  // probabilities then differ from the fp32 reference by ~1e-3, see README.md "Speed"). Off by default.
  bool bf16_weights = false;
  // GGUF: every weight dequantized to float32 at load, as before quantized kernels (same results, 4-8x
  // the memory). Off by default: linear layers keep their integer form (ops/packed_linear.h,
  // QuantLayout) and the embedding its blocks.
  bool dequantize = false;
};

// Reads dir/config.json, picks the family by model_type (model/families.h), then the weights: dir/model.safetensors
// or the shards of dir/model.safetensors.index.json. Every problem is an attnlab::Error naming the file,
// the field or the tensor.
TransformerModel load_model(const std::filesystem::path& dir, const LoadOptions& options = {});

// A batch of sequences of any lengths, packed without padding: the linear layers run once over all
// rows (each weight read once per batch), attention per sequence; positions restart per sequence.
// Results equal single runs (and Hugging Face's padded batch on the real tokens). Each Result's
// `encoding` is the input. Error (kExitInput) for ids or type ids out of range, empty or too long inputs.
std::vector<Result> forward_batch(const TransformerModel& model, std::span<const Encoding> batch,
                                  const RunOptions& options = {});

// One sequence of ids (special tokens included, as transformers' input_ids); types empty: all 0.
Result forward(const TransformerModel& model, std::span<const int> ids, std::span<const int> types = {},
               const RunOptions& options = {});

// Value zeroing (Mohebbi et al. 2023): layer `layer` rerun on its input x: [seq, hidden] once per
// token j in [first, first + count), with token j's value vectors (bias included) zeroed in every
// key/value head. out: [count, seq, hidden]: the layer's output as hidden_states[layer + 1] holds it
// (after the final norm for a pre-LN model's last layer). The copies run as
// one packed batch through the forward pass's own kernels, so a copy whose zeroed value changes
// nothing equals the forward pass bit for bit.
void layer_zeroing_values(const TransformerModel& model, int layer, const float* x, int seq, int first, int count,
                          float* out);

}  // namespace attnlab
