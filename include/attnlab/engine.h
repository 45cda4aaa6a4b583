// The attnlab engine: open a model of any family attnlab reads (BERT encoders; Llama, Mistral, Qwen2,
// Qwen3 decoders), tokenize, run it, read every attention matrix.
// Every front end (CLI, viewer, server, Python) is built on this header and nothing below it.
//
// Thread safety: an Engine is immutable after open(). Any number of threads may call encode(),
// run() and run_batch() on one Engine at once; results are bit-identical to serial calls. The
// kernels' thread pool takes one job at a time: a call that finds it busy runs its parallel
// sections on the calling thread instead of waiting, so concurrent calls never block each other.
// Engines may be copied and moved cheaply (they share the loaded model); the model stays alive
// while any copy or any Result view into it exists.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/download.h"
#include "attnlab/encoding.h"

namespace attnlab {

enum class Precision {
  kFloat32,   // exact: attention within 1e-5 of PyTorch fp32
  kBFloat16,  // linear weights rounded to bfloat16: half the bytes to stream, ~1e-3 from fp32
};

struct EngineOptions {
  Precision precision = Precision::kFloat32;
  // GGUF files: dequantize every weight to float32 at load instead of keeping the linear layers'
  // quantized blocks (the results are bit for bit the same; memory is 4-8x the file's).
  bool dequantize = false;
  // Kernel threads for this engine's calls: 0 = $ATTNLAB_NUM_THREADS, else every core.
  int threads = 0;
  // Skip the weights: encode() works, run() throws. For tokenize-only front ends.
  bool tokenizer_only = false;
  // Called from the opening thread while files download; the library itself prints nothing.
  std::function<void(const DownloadProgress&)> on_download_progress;
};

// What a model is, as front ends show it.
struct ModelInfo {
  std::string name;              // the model argument, or the default's name ("bert-base-uncased")
  std::filesystem::path dir;     // local directory it was loaded from
  std::string notice;            // non-empty when the default model was replaced (say it to the user)
  std::string family;            // the name table: "bert" or "llama" (model/families.h)
  std::string model_type;        // config.json's: "bert", "llama", "mistral", "qwen2", "qwen3"
  int num_layers = 0;            // 12 for bert-base
  int num_heads = 0;             // 12 query heads
  int num_kv_heads = 0;          // key/value heads: query head h reads h / (num_heads / num_kv_heads)
  int hidden = 0;                // 768
  int head_dim = 0;              // 64
  int max_tokens = 0;            // max_position_embeddings: 512
  int vocab_size = 0;            // 30522
  bool causal = false;           // a decoder: token i attends to tokens 0..i only
  bool pre_norm = false;         // norm before each sub-layer (decoders); false: BERT's post-LN
  bool has_pooler = false;
  bool has_lm_head = false;      // next-token logits (Result::logits)
  std::vector<int> windows;      // per layer: sliding window in tokens, 0 = none
  Precision precision = Precision::kFloat32;
};

struct TruncationOptions {
  // true: cut to max_length as transformers' truncation=True (longest_first for pairs) and set
  // Encoding::truncated. false: an input longer than max_length is an Error (kExitInput).
  bool truncate = true;
  int max_length = 0;  // 0 = the model's max_tokens
};

// A read-only float32 tensor view, row-major and contiguous. shape and strides (in bytes, as numpy
// wants them) describe it; data stays valid while the owning Result (or a copy of it) lives.
template <size_t Rank>
struct ArrayView {
  const float* data = nullptr;
  std::array<size_t, Rank> shape{};
  size_t size() const {
    size_t n = 1;
    for (size_t d : shape) n *= d;
    return n;
  }
  std::array<size_t, Rank> strides_bytes() const {
    std::array<size_t, Rank> s{};
    size_t step = sizeof(float);
    for (size_t i = Rank; i-- > 0;) {
      s[i] = step;
      step *= shape[i];
    }
    return s;
  }
  std::span<const float> span() const { return {data, size()}; }
};

// The chosen layers and heads of a [layers, heads, rows, cols] tensor (attentions, or the query / key /
// value vectors), in the order given, as one contiguous [layers.size(), heads.size(), rows, cols]
// block. Empty `heads`: every head. Indices must be in range: callers check them against the model,
// where they can say which argument was wrong.
std::vector<float> select_heads(const ArrayView<4>& tensor, std::span<const int> layers,
                                std::span<const int> heads = {});

// Attention probabilities [layers, heads, seq, seq]: row q of head (l, h) is how token q attends to
// every token; each row sums to 1.
class AttentionTensor {
 public:
  AttentionTensor() = default;
  AttentionTensor(std::shared_ptr<const float> data, int layers, int heads, int seq_len)
      : data_(std::move(data)), layers_(layers), heads_(heads), seq_len_(seq_len) {}
  int layers() const { return layers_; }
  int heads() const { return heads_; }
  int seq_len() const { return seq_len_; }
  bool empty() const { return data_ == nullptr; }
  // [seq, seq] of one head; [seq] of one query row.
  std::span<const float> head(int layer, int head) const {
    return {data_.get() + index(layer, head, 0), static_cast<size_t>(seq_len_) * seq_len_};
  }
  std::span<const float> row(int layer, int head, int query) const {
    return {data_.get() + index(layer, head, query), static_cast<size_t>(seq_len_)};
  }
  ArrayView<4> view() const {
    return {data_.get(), {size_t(layers_), size_t(heads_), size_t(seq_len_), size_t(seq_len_)}};
  }
  std::shared_ptr<const float> shared_data() const { return data_; }  // keeps the block alive

 private:
  size_t index(int layer, int head, int query) const {
    return ((static_cast<size_t>(layer) * heads_ + head) * seq_len_ + query) * seq_len_;
  }
  std::shared_ptr<const float> data_;
  int layers_ = 0, heads_ = 0, seq_len_ = 0;
};

// One input's attention and output for one layer, as they are produced (RunOptions::on_layer).
struct LayerView {
  int input = 0;  // index of the input in the batch (0 for run())
  int layer = 0;
  ArrayView<3> attention;  // [heads, seq, seq]
  ArrayView<2> hidden;     // [seq, hidden]: the layer's output
};

// A block of query rows of one layer's attention, as it is produced (RunOptions::on_attention_rows).
struct AttentionRows {
  int input = 0;  // index of the input in the batch (0 for run())
  int layer = 0;
  int row0 = 0;            // the block's first query row
  ArrayView<3> probs;      // [heads, rows, seq]: row r of head h is query row0 + r's probabilities
  int rows() const { return static_cast<int>(probs.shape[1]); }
};

struct RunOptions {
  // Keep every layer's attention in Result::attentions. Turn off with on_layer to reduce each layer
  // as it is produced without holding [layers, heads, seq, seq] (corpus statistics).
  bool attentions = true;
  bool hidden_states = false;  // Result::hidden_states: embeddings + every layer's output
  bool qkv = false;            // Result::query / key / value per layer and head
  // Result::last_hidden_state and pooler_output; false leaves them empty (on_layer already saw the
  // last layer's output) and skips the pooler.
  bool last_hidden = true;
  // A model with a language-model head: Result::logits of the last position (all_logits: of every
  // position). false skips the head (a vocab x hidden product per row).
  bool logits = true;
  bool all_logits = false;
  // Called once after each layer (0, 1, ...), on the calling thread, with that layer's view of every
  // input of the batch, in input order (one view for run()). The views are valid during the call:
  // a caller may reduce them in parallel without copying them.
  std::function<void(std::span<const LayerView>)> on_layer;
  // Attention of any length in bounded memory: when set (with attentions false), each layer's
  // attention is computed a block of query rows at a time, every head, and handed here (on the
  // calling thread, layer by layer, rows ascending, inputs in order) before the next block reuses the
  // buffer, so the pass holds one block (about attention_block_bytes, at least one row) instead of
  // [heads, seq, seq]; on_layer's views then carry no attention (empty data). The same bits as a
  // whole pass.
  std::function<void(const AttentionRows&)> on_attention_rows;
  size_t attention_block_bytes = size_t{64} << 20;
};

struct Result {
  Encoding encoding;
  AttentionTensor attentions;  // empty when RunOptions::attentions is false
  std::vector<float> last_hidden_state;  // [seq, hidden]
  std::vector<float> pooler_output;      // [hidden]; empty when the checkpoint has no pooler
  // Only when asked for in RunOptions (empty otherwise):
  std::vector<float> hidden_states;  // [layers + 1, seq, hidden], [0] = embeddings (HF's hidden_states)
  // The projected query, key and value vectors (bias added, before scaling), as modeling_bert's
  // query_layer / key_layer / value_layer; for rotary models after QK-norm and rotation (the vectors the
  // scores are computed from). query: [layers, heads, seq, head_dim]; key, value: [layers,
  // kv_heads, seq, head_dim] (query head h uses key/value head h / (heads / kv_heads)).
  std::vector<float> query, key, value;
  // Next-token logits of a model with a language-model head: [vocab] of the last position, or [seq,
  // vocab] with RunOptions::all_logits. Empty for encoders.
  std::vector<float> logits;
  int num_layers = 0, num_heads = 0, num_kv_heads = 0, hidden = 0, head_dim = 0, vocab_size = 0;

  int seq_len() const { return static_cast<int>(encoding.size()); }
  ArrayView<2> last_hidden_view() const {
    return {last_hidden_state.data(), {size_t(seq_len()), size_t(hidden)}};
  }
  ArrayView<3> hidden_states_view() const {
    return {hidden_states.data(), {hidden_states.empty() ? 0 : size_t(num_layers) + 1, size_t(seq_len()), size_t(hidden)}};
  }
  ArrayView<4> query_view() const { return qkv_view(query, num_heads); }
  ArrayView<4> key_view() const { return qkv_view(key, num_kv_heads); }
  ArrayView<4> value_view() const { return qkv_view(value, num_kv_heads); }
  // The last position's logits ([vocab]), whether all_logits was asked or not; empty without a head.
  std::span<const float> last_logits() const {
    if (logits.empty()) return {};
    return {logits.data() + logits.size() - static_cast<size_t>(vocab_size), static_cast<size_t>(vocab_size)};
  }

 private:
  ArrayView<4> qkv_view(const std::vector<float>& v, int heads) const {
    return {v.data(), {v.empty() ? 0 : size_t(num_layers), size_t(heads), size_t(seq_len()), size_t(head_dim)}};
  }
};

class Engine {
 public:
  // model: a directory in Hugging Face layout, or a Hub id ("bert-base-uncased", "org/name") looked
  // up in the huggingface_hub cache and downloaded when missing (HF_ENDPOINT, HF_HUB_CACHE,
  // HF_HUB_OFFLINE, HF_TOKEN as huggingface_hub reads them). Empty: bert-base-uncased, or when it
  // cannot be had, the offline all-MiniLM-L6-v2 (info().notice says so). Throws attnlab::Error.
  static Engine open(const std::string& model, const EngineOptions& options = {});

  const ModelInfo& info() const;

  // Tokenizes exactly as the model's Hugging Face tokenizer (tokenizer.json through the `tokenizers`
  // pipeline; BERT's vocab.txt as BertTokenizerFast), with special tokens. Text may hold any bytes
  // (invalid UTF-8 is replaced as tokenizers does). An empty pair ("") is no pair, as in transformers'
  // tokenizer(text, ""): [CLS] text [SEP], every type id 0.
  Encoding encode(std::string_view text, std::optional<std::string_view> pair = std::nullopt,
                  const TruncationOptions& truncation = {}) const;

  // Exactly these ids, as transformers' input_ids (no tokenizer runs): tokens spelled from the
  // vocabulary, special-token roles from the tokenizer's. Error (kExitInput) for an id outside the
  // vocabulary or more ids than the model accepts.
  Encoding encode_ids(std::span<const int> ids) const;

  // The k most probable next tokens from a Result's last position: softmax over the logits in
  // float32, as torch.softmax(logits, -1).topk(k); ties keep the lower id first. Empty without logits.
  struct NextToken {
    int id = 0;
    std::string token;
    float prob = 0.0f;
    float logit = 0.0f;
  };
  std::vector<NextToken> top_next_tokens(const Result& result, int k) const;
  // One token's text as the tokenizer's decoder writes it (" Paris" for SmolLM2's "ĠParis").
  std::string decode(std::span<const int> ids) const;

  // One forward pass. Throws attnlab::Error (kExitInput) for ids outside the vocabulary or inputs
  // longer than the model accepts.
  Result run(const Encoding& input, const RunOptions& options = {}) const;
  Result run(std::string_view text, const RunOptions& options = {}) const { return run(encode(text), options); }

  // Many inputs in one packed pass (no padding): each weight is read once per batch. Results equal
  // single runs.
  std::vector<Result> run_batch(std::span<const Encoding> inputs, const RunOptions& options = {}) const;

  struct Impl;

 private:
  friend struct EngineAccess;  // the library's analysis methods (src/api/engine_access.h)
  explicit Engine(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// The instruction set the kernels run on ("scalar", "avx2", "avx512"): chosen from the CPU at
// start, or forced with $ATTNLAB_ISA.
std::string isa_name();

// Default kernel threads of Engines opened with threads = 0 ($ATTNLAB_NUM_THREADS, else every core).
void set_default_threads(int threads);

}  // namespace attnlab
