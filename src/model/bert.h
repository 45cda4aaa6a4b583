// BERT encoder, identical to Hugging Face BertModel in eager fp32: embeddings, self-attention
// with the attention probabilities as a first-class output, feed-forward, pooler.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/float_buffer.h"
#include "io/safetensors.h"
#include "model/config.h"
#include "model/weights.h"

namespace attnlab {

struct BertModel {
  std::filesystem::path dir;
  BertConfig config;
  std::unique_ptr<SafetensorsFile> checkpoint;  // keeps the memory map alive for zero-copy tensors
  BertWeights weights;
};

struct LoadOptions {
  // Reduced precision: linear weights rounded to bfloat16 (half the bytes to stream; attention
  // probabilities then differ from the fp32 reference by ~1e-3, see README.md "Speed"). Off by default.
  bool bf16_weights = false;
};

// Reads dir/config.json and dir/model.safetensors; every problem is an attnlab::Error naming the file.
BertModel load_bert_model(const std::filesystem::path& dir, const LoadOptions& options = {});

struct BertOutput {
  int seq_len = 0, num_layers = 0, num_heads = 0, hidden = 0;
  // [layer][head][query][key], each row sums to 1; with ForwardOptions::keep_attentions off, only
  // the last layer's [head][query][key].
  FloatBuffer attentions;
  std::vector<float> last_hidden_state;  // [seq_len][hidden]
  std::vector<float> pooler_output;      // [hidden]; empty when the checkpoint has no pooler
  std::vector<float> hidden_states;      // [layers + 1][seq_len][hidden] when asked, [0] = embeddings
  std::vector<float> query, key, value;  // [layer][head][seq_len][head_dim] each, when asked

  const float* attention_row(int layer, int head, int row) const {
    return attentions.data() + ((static_cast<size_t>(layer) * num_heads + head) * seq_len + row) * seq_len;
  }
};

struct BertInput {
  std::vector<int> input_ids;       // special tokens included
  std::vector<int> token_type_ids;  // same length
};

// What a forward pass returns beyond attentions and the last layer. The default costs nothing extra.
struct ForwardOptions {
  bool keep_attentions = true;  // false: one layer's block, reused (see on_layer)
  bool hidden_states = false;
  bool qkv = false;
  bool last_hidden = true;  // false: last_hidden_state and pooler_output left empty
  // After each layer, for every sequence s of the batch: probs[s] [heads, seq, seq], hidden[s] [seq, hidden].
  std::function<void(int layer, const std::vector<float*>& probs, const std::vector<const float*>& hidden)> on_layer;
};

// A batch of sequences of any lengths, packed without padding: the linear layers run once over
// all rows (each weight read once per batch), attention per sequence. Results equal single runs
// (and Hugging Face's padded batch on the real tokens).
std::vector<BertOutput> bert_forward_batch(const BertModel& model, const std::vector<BertInput>& batch,
                                           const ForwardOptions& options = {});

// Value zeroing (Mohebbi et al. 2023): encoder layer `layer` rerun on its input x: [seq, hidden]
// once per token j in [first, first + count), with token j's value vectors (bias included) zeroed in
// every head. out: [count, seq, hidden]. The copies run as one packed batch through the forward
// pass's own kernels, so a copy whose zeroed value changes nothing equals the forward pass bit for bit.
void encoder_layer_zeroing_values(const BertModel& model, int layer, const float* x, int seq, int first, int count,
                                  float* out);

// One sequence (already tokenized, special tokens included), no padding.
// input_ids, token_type_ids: [seq_len] -> BertOutput.
BertOutput bert_forward(const BertModel& model, std::span<const int> input_ids, std::span<const int> token_type_ids);

}  // namespace attnlab
