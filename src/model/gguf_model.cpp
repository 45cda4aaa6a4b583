// GGUF checkpoints on the family tables (see gguf_model.h).
#include "model/gguf_model.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "attnlab/error.h"
#include "model/families.h"

namespace attnlab {
namespace {

// HF name pieces -> GGUF name pieces, llama.cpp's llm-arch table for LLM_ARCH_LLAMA / QWEN2 / QWEN3 /
// GEMMA3 (the HF side is llama_tensor_table's, model/llama.cpp). The norm
// after attention is the MLP's input norm in Llama (ffn_norm) but a sandwich norm in Gemma 3, whose
// MLP input norm is pre_feedforward_layernorm.
constexpr std::pair<const char*, const char*> kLayerNames[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.bias", "attn_output.bias"},
    {"self_attn.q_norm.weight", "attn_q_norm.weight"},
    {"self_attn.k_norm.weight", "attn_k_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};
constexpr std::pair<const char*, const char*> kLlamaNormNames[] = {
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
};
constexpr std::pair<const char*, const char*> kGemma3NormNames[] = {
    {"post_attention_layernorm.weight", "post_attention_norm.weight"},
    {"pre_feedforward_layernorm.weight", "ffn_norm.weight"},
    {"post_feedforward_layernorm.weight", "post_ffw_norm.weight"},
};
constexpr std::pair<const char*, const char*> kModelNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

// general.architecture -> the config's model_type, as transformers' GGUF loader names it.
constexpr std::pair<const char*, const char*> kArchitectures[] = {
    {"llama", "llama"}, {"qwen2", "qwen2"}, {"qwen3", "qwen3"}, {"gemma3", "gemma3_text"}};

Error bad(const GgufFile& f, const std::string& what) { return Error(f.path().string() + ": " + what, kExitInput); }

// A positive count from metadata, bounded so every product of two stays far inside int64.
int positive(const GgufFile& f, const std::string& key, int64_t limit) {
  const int64_t v = f.get_i64(key);
  if (v <= 0 || v > limit)
    throw bad(f, "metadata key '" + key + "' is " + std::to_string(v) + ", expected 1.." + std::to_string(limit));
  return static_cast<int>(v);
}

// llama.cpp's convert_hf_to_gguf.py permutes the rows of q_proj and k_proj so that rotary pairs
// (i, i + D/2) of HF's rotate_half sit next to each other (2i, 2i + 1). transformers undoes it
// (LlamaTensorProcessor._reverse_permute_weights):
//   W_hf = W.reshape(n, D/2, 2, in).swapaxes(2, 1).reshape(n D, in)
// i.e. HF row h D + j D/2 + i is GGUF row h D + 2 i + j (j in {0, 1}). A row permutation: exact.
// order[hf row] = GGUF row.
std::vector<int32_t> unpermuted_row_order(int n_heads, int head_dim) {
  std::vector<int32_t> order(static_cast<size_t>(n_heads) * head_dim);
  const int half = head_dim / 2;
  for (int h = 0; h < n_heads; ++h)
    for (int j = 0; j < 2; ++j)
      for (int i = 0; i < half; ++i) order[static_cast<size_t>(h * head_dim + j * half + i)] = h * head_dim + 2 * i + j;
  return order;
}

// w: [rows, in] in GGUF order -> HF order.
void unpermute_rows(std::vector<float>& w, const std::vector<int32_t>& order, int64_t in) {
  std::vector<float> out(w.size());
  for (size_t r = 0; r < order.size(); ++r)
    std::memcpy(out.data() + static_cast<int64_t>(r) * in, w.data() + static_cast<int64_t>(order[r]) * in,
                static_cast<size_t>(in) * sizeof(float));
  w.swap(out);
}

}  // namespace

const char* supported_gguf_architectures() { return "llama, qwen2, qwen3, gemma3"; }

ModelSpec read_gguf_spec(const GgufFile& f) {
  const std::string arch = f.get_string("general.architecture");
  ModelSpec s;
  for (const auto& [name, type] : kArchitectures)
    if (arch == name) s.model_type = type;
  if (s.model_type.empty())
    throw bad(f, "general.architecture is '" + arch + "'; attnlab reads " + supported_gguf_architectures());
  const bool gemma3 = arch == "gemma3";
  s.family = "llama";
  const auto key = [&](const char* k) { return arch + "." + k; };
  constexpr int64_t kMaxDim = 1 << 20, kMaxLayers = 4096, kMaxHeads = 4096;
  s.layers = positive(f, key("block_count"), kMaxLayers);
  s.hidden = positive(f, key("embedding_length"), kMaxDim);
  s.intermediate = positive(f, key("feed_forward_length"), kMaxDim);
  s.heads = positive(f, key("attention.head_count"), kMaxHeads);
  s.kv_heads = f.has(key("attention.head_count_kv")) ? positive(f, key("attention.head_count_kv"), kMaxHeads) : s.heads;
  if (s.heads % s.kv_heads != 0)
    throw bad(f, key("attention.head_count") + " (" + std::to_string(s.heads) + ") is not a multiple of " +
                     key("attention.head_count_kv") + " (" + std::to_string(s.kv_heads) + ")");
  if (f.has(key("attention.key_length"))) {
    s.head_dim = positive(f, key("attention.key_length"), kMaxDim);
  } else {
    if (s.hidden % s.heads != 0)
      throw bad(f, key("embedding_length") + " (" + std::to_string(s.hidden) + ") is not a multiple of " +
                       key("attention.head_count") + " (" + std::to_string(s.heads) + ")");
    s.head_dim = s.hidden / s.heads;
  }
  if (s.head_dim % 2 != 0) throw bad(f, "head_dim " + std::to_string(s.head_dim) + " is odd; rotary positions need pairs");
  if (f.has(key("attention.value_length")) && f.get_i64(key("attention.value_length")) != s.head_dim)
    throw bad(f, key("attention.value_length") + " differs from the key length; attnlab reads equal ones");
  if (!gemma3 && f.has(key("rope.dimension_count")) && f.get_i64(key("rope.dimension_count")) != s.head_dim)
    throw bad(f, key("rope.dimension_count") + " is " + std::to_string(f.get_i64(key("rope.dimension_count"))) +
                     ", not head_dim " + std::to_string(s.head_dim) + ": partial rotary embeddings are not read");
  s.max_positions = f.has(key("context_length")) ? positive(f, key("context_length"), int64_t{1} << 24) : 2048;
  // The float32 values widened, as transformers puts them in the config.
  s.norm_eps = f.get_f64(key("attention.layer_norm_rms_epsilon"));
  if (!(s.norm_eps > 0) || static_cast<float>(s.norm_eps) <= 0.0f)
    throw bad(f, key("attention.layer_norm_rms_epsilon") + " must be positive");
  if (f.has(key("rope.freq_base"))) s.rope.theta = f.get_f64(key("rope.freq_base"));
  if (!(s.rope.theta > 1.0) || s.rope.theta > 1e12) throw bad(f, key("rope.freq_base") + " is out of range");
  if (f.has(key("rope.scaling.type"))) {
    const std::string type = f.get_string(key("rope.scaling.type"));
    if (type == "linear") {
      s.rope.type = "linear";
      s.rope.factor = f.get_f64(key("rope.scaling.factor"));
      if (!(s.rope.factor >= 1.0) || s.rope.factor > 1e6) throw bad(f, key("rope.scaling.factor") + " is out of range");
    } else if (type != "none") {
      throw bad(f, key("rope.scaling.type") + " is '" + type + "'; attnlab reads none and linear from GGUF");
    }
  }
  const GgufTensor* embd = f.find("token_embd.weight");
  if (!embd) throw bad(f, "missing tensor 'token_embd.weight'");
  if (embd->dims.size() != 2) throw bad(f, "tensor 'token_embd.weight' has dims " + shape_text(embd->dims) + ", expected 2");
  if (embd->dims[1] > std::numeric_limits<int>::max() / 2)
    throw bad(f, "tensor 'token_embd.weight' has a vocabulary of " + std::to_string(embd->dims[1]) + " rows");
  s.vocab_size = static_cast<int>(embd->dims[1]);
  s.qkv_bias = s.model_type == "qwen2";
  s.qk_norm = s.model_type == "qwen3";
  s.tied_embeddings = f.find("output.weight") == nullptr;  // llama.cpp writes output only when untied
  s.window.assign(static_cast<size_t>(s.layers), 0);
  if (gemma3) {
    // What transformers' GGUF loader does not find in the file is Gemma3TextConfig's default:
    // query_pre_attn_scalar 256, sliding_window_pattern 6 (every sixth layer full attention), the
    // local (sliding) rotary base 10000; rope.freq_base is the full layers' base.
    gemma3_family(s);
    s.attention_scale = std::pow(256.0, -0.5);
    s.local_rope.theta = 10000.0;
    const int window = f.has(key("attention.sliding_window"))
                           ? positive(f, key("attention.sliding_window"), int64_t{1} << 24)
                           : 4096;
    for (size_t l = 0; l < s.window.size(); ++l) s.window[l] = (l + 1) % 6 != 0 ? window : 0;
  }
  if (f.has("tokenizer.ggml.bos_token_id")) s.bos_token_id = static_cast<int>(f.get_u32("tokenizer.ggml.bos_token_id"));
  if (f.has("tokenizer.ggml.eos_token_id"))
    s.eos_token_ids = {static_cast<int>(f.get_u32("tokenizer.ggml.eos_token_id"))};
  return s;
}

std::string gguf_tensor_name(const ModelSpec& spec, const std::string& hf) {
  for (const auto& [from, to] : kModelNames)
    if (hf == from) return to;
  const std::string prefix = "model.layers.";
  if (hf.compare(0, prefix.size(), prefix) != 0) return {};
  const size_t dot = hf.find('.', prefix.size());
  if (dot == std::string::npos) return {};
  const std::string layer = hf.substr(prefix.size(), dot - prefix.size());
  const std::string rest = hf.substr(dot + 1);
  for (const auto& [from, to] : kLayerNames)
    if (rest == from) return "blk." + layer + "." + to;
  if (spec.family == "gemma3") {
    for (const auto& [from, to] : kGemma3NormNames)
      if (rest == from) return "blk." + layer + "." + to;
  } else {
    for (const auto& [from, to] : kLlamaNormNames)
      if (rest == from) return "blk." + layer + "." + to;
  }
  return {};
}

void dequantize_tensor(Tensor& t) {
  if (!t.quantized()) return;
  const int64_t rows = t.shape[0], cols = t.shape.size() > 1 ? t.shape[1] : 1;
  t.owned.resize(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r) dequantize_row(t.quant.type, t.quant.row(r), t.owned.data() + r * cols, cols);
  t.data = t.owned.data();
  t.quant = QuantSource{};
}

void load_gguf_tensors(const GgufFile& f, const ModelSpec& spec, std::vector<TensorSlot>& table, bool keep_quantized) {
  for (TensorSlot& slot : table) {
    const std::string name = gguf_tensor_name(spec, slot.name);
    const GgufTensor* t = name.empty() ? nullptr : f.find(name);
    if (!t) {
      if (!slot.required) continue;
      throw bad(f, "missing tensor '" + (name.empty() ? slot.name : name) + "' (" + slot.name + ")");
    }
    const std::vector<int64_t> expected(slot.shape.rbegin(), slot.shape.rend());  // GGUF: innermost first
    if (t->dims != expected)
      throw bad(f, "tensor '" + name + "' has dims " + shape_text(t->dims) + ", the metadata implies " +
                       shape_text(expected));
    Tensor& out = *slot.tensor;
    out.shape = slot.shape;
    const bool qk = spec.model_type == "llama" && (name.ends_with(".attn_q.weight") || name.ends_with(".attn_k.weight"));
    const std::vector<int32_t> order =
        qk ? unpermuted_row_order(name.ends_with(".attn_q.weight") ? spec.heads : spec.kv_heads, spec.head_dim)
           : std::vector<int32_t>{};
    if (keep_quantized && t->dims.size() == 2 && quant_form(t->type, nullptr)) {
      out.quant.data = t->data;
      out.quant.type = t->type;
      out.quant.row_bytes = t->nbytes / static_cast<size_t>(t->num_rows());
      out.quant.row_of = order;
      continue;
    }
    out.owned.resize(static_cast<size_t>(t->numel));
    f.dequantize(*t, out.owned.data());
    if (qk) unpermute_rows(out.owned, order, spec.hidden);
    // llama.cpp's converter stores Gemma's norms as 1 + w; transformers (Gemma2TensorProcessor) takes 1
    // off every "norm.weight" in float32, and Gemma3RMSNorm adds it back (load_model's offset).
    if (spec.family == "gemma3" && name.find("norm.weight") != std::string::npos)
      for (float& v : out.owned) v = v - 1.0f;
    out.data = out.owned.data();
  }
  f.throw_if_changed();
}

}  // namespace attnlab
