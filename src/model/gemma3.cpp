// The Gemma 3 family (text model: model_type gemma3_text, Gemma3ForCausalLM), as transformers 5.25's
// configuration_gemma3.py reads config.json and modeling_gemma3.py computes: a pre-LN decoder with
// sandwich norms (input / post-attention / pre-feed-forward / post-feed-forward), RMSNorm scaling by
// (1 + weight) in float32, embeddings times sqrt(hidden), QK-norm, scores times
// query_pre_attn_scalar ** -0.5, sliding layers (layer_types) that rotate with their own base, a
// GELU-tanh gated MLP and an optional final logit softcap.
#include <nlohmann/json.hpp>

#include <cmath>

#include "attnlab/error.h"
#include "model/decoder_config.h"
#include "model/families.h"
#include "model/json_file.h"

namespace attnlab {
namespace {

using nlohmann::json;
using namespace decoder_config;

constexpr long long kMaxDim = 1 << 20;

}  // namespace

void gemma3_family(ModelSpec& s) {
  s.family = "gemma3";
  s.norm = NormKind::kRmsNorm;
  s.norm_weight_offset = 1.0f;  // Gemma3RMSNorm: output * (1.0 + weight.float())
  s.pre_norm = true;
  s.sandwich_norm = true;
  s.final_norm = true;
  s.activation = FfnActivation::kGeluTanh;  // hidden_activation gelu_pytorch_tanh
  s.gated_ffn = true;
  s.causal = true;
  s.positions = Positions::kRope;
  s.qk_norm = true;
  // Gemma3TextScaledWordEmbedding: torch.tensor(hidden_size ** 0.5), a float32, times the lookup
  s.embed_scale = static_cast<float>(std::sqrt(static_cast<double>(s.hidden)));
  s.local_rope_on_windowed = true;
  s.lm_head = true;
}

// Gemma3TextConfig: every field has a class default (a config.json may leave any out); layer_types
// default to sliding_window_pattern (6): every sixth layer full attention, the others sliding.
ModelSpec read_gemma3_config(const std::filesystem::path& file) {
  const json j = read_json_object(file, uint64_t{1} << 20);
  const Where w{file.string(), ""};
  const auto int_or = [&](const char* key, long long dflt, long long lo, long long hi) {
    const json* v = json_fields::optional(j, key);
    return v ? static_cast<int>(json_fields::as_int(*v, w.key(key), lo, hi)) : static_cast<int>(dflt);
  };
  ModelSpec s;
  s.model_type = json_fields::string_field(j, "model_type", w);
  if (s.model_type == "gemma3")
    w.key("model_type").fail("'gemma3' is the multimodal Gemma 3 (text_config + vision tower); attnlab reads its text "
                             "model, model_type gemma3_text (Gemma3ForCausalLM)");
  if (s.model_type != "gemma3_text") w.key("model_type").fail("expected gemma3_text, found '" + s.model_type + "'");
  s.vocab_size = int_or("vocab_size", 262208, 1, kMaxDim * 16);
  s.hidden = int_or("hidden_size", 2304, 1, kMaxDim);
  s.intermediate = int_or("intermediate_size", 9216, 1, kMaxDim);
  s.layers = int_or("num_hidden_layers", 26, 1, 1024);
  s.heads = int_or("num_attention_heads", 8, 1, 4096);
  s.kv_heads = int_or("num_key_value_heads", 4, 1, 4096);
  if (s.heads % s.kv_heads != 0)
    w.key("num_key_value_heads").fail(std::to_string(s.kv_heads) + " does not divide num_attention_heads " +
                                      std::to_string(s.heads));
  if (s.hidden % s.heads != 0)  // Gemma3TextConfig.validate_architecture
    w.key("num_attention_heads").fail(std::to_string(s.heads) + " does not divide hidden_size " + std::to_string(s.hidden));
  s.head_dim = int_or("head_dim", 256, 2, 65536);  // the class default, not hidden / heads
  if (s.head_dim % 2 != 0) w.key("head_dim").fail("rotary positions need an even head_dim, found " + std::to_string(s.head_dim));
  s.max_positions = int_or("max_position_embeddings", 131072, 1, kMaxDim * 64);
  s.norm_eps = number_or(j, "rms_norm_eps", 1e-6, w);
  if (!(s.norm_eps > 0 && s.norm_eps < 1 && static_cast<float>(s.norm_eps) > 0))
    w.key("rms_norm_eps").fail("expected a small positive number (> 0 as a float32)");
  const json* act = json_fields::optional(j, "hidden_activation");
  const std::string activation = act ? json_fields::as_string(*act, w.key("hidden_activation")) : "gelu_pytorch_tanh";
  if (activation != "gelu_pytorch_tanh")
    w.key("hidden_activation").fail("'" + activation + "' is not supported for gemma3_text (gelu_pytorch_tanh)");
  if (json_fields::bool_field_or(j, "use_bidirectional_attention", false, w))
    w.key("use_bidirectional_attention").fail("bidirectional Gemma 3 (EmbeddingGemma) is not supported; attnlab reads "
                                              "the causal model");
  gemma3_family(s);
  s.tied_embeddings = json_fields::bool_field_or(j, "tie_word_embeddings", true, w);
  s.qkv_bias = s.o_bias = json_fields::bool_field_or(j, "attention_bias", false, w);
  const double scalar = number_or(j, "query_pre_attn_scalar", 256, w);
  if (!(scalar > 0) || !std::isfinite(scalar)) w.key("query_pre_attn_scalar").fail("expected a positive number");
  s.attention_scale = std::pow(scalar, -0.5);  // Gemma3Attention.scaling, a Python float
  // attn_logit_softcapping is not read: Gemma3Attention passes no softcap to the attention function.
  const double cap = number_or(j, "final_logit_softcapping", 0, w);
  if (cap < 0 || !std::isfinite(static_cast<float>(cap))) w.key("final_logit_softcapping").fail("expected a positive number");
  s.final_logit_softcap = static_cast<float>(cap);

  // layer_types, else sliding_window_pattern (BC: "every pattern-th layer is full")
  std::vector<bool> sliding(static_cast<size_t>(s.layers));
  if (const json* types = json_fields::optional(j, "layer_types")) {
    if (!types->is_array() || types->size() != static_cast<size_t>(s.layers))
      w.key("layer_types").fail("expected a list of " + std::to_string(s.layers) + " layer types");
    for (size_t l = 0; l < sliding.size(); ++l) {
      const std::string& t = json_fields::as_string((*types)[l], w.key("layer_types").index(l));
      if (t != "full_attention" && t != "sliding_attention")
        w.key("layer_types").index(l).fail("unknown layer type '" + t + "'");
      sliding[l] = t == "sliding_attention";
    }
  } else {
    const int pattern = int_or("sliding_window_pattern", 6, 1, 1 << 20);
    for (size_t l = 0; l < sliding.size(); ++l) sliding[l] = (l + 1) % static_cast<size_t>(pattern) != 0;
  }
  const int window = int_or("sliding_window", 4096, 1, kMaxDim * 64);
  s.window.assign(static_cast<size_t>(s.layers), 0);
  for (size_t l = 0; l < sliding.size(); ++l) s.window[l] = sliding[l] ? window : 0;

  // Rotary embeddings per layer type: rope_parameters {"sliding_attention": {...}, "full_attention": {...}},
  // or the hub layout: rope_theta (+ rope_scaling) for full attention, rope_local_base_freq for sliding.
  const json* params = json_fields::optional(j, "rope_parameters");
  const Where pw = w.key("rope_parameters");
  if (params && params->is_object() && (json_fields::optional(*params, "sliding_attention") ||
                                        json_fields::optional(*params, "full_attention"))) {
    const json empty = json::object();
    const json* full = json_fields::optional(*params, "full_attention");
    const json* local = json_fields::optional(*params, "sliding_attention");
    s.rope = read_rope_params(full ? *full : empty, pw.key("full_attention"), number_or(j, "rope_theta", 1e6, w),
                              w.key("rope_theta"), s.max_positions);
    s.local_rope = read_rope_params(local ? *local : empty, pw.key("sliding_attention"),
                                    number_or(j, "rope_local_base_freq", 10000.0, w), w.key("rope_local_base_freq"),
                                    s.max_positions);
  } else {
    if (params) pw.fail("expected an object keyed by layer type (sliding_attention, full_attention)");
    const json* scaling = json_fields::optional(j, "rope_scaling");
    const json empty = json::object();
    s.rope = read_rope_params(scaling ? *scaling : empty, w.key("rope_scaling"), number_or(j, "rope_theta", 1e6, w),
                              w.key("rope_theta"), s.max_positions);
    s.local_rope = read_rope_params(empty, w, number_or(j, "rope_local_base_freq", 10000.0, w),
                                    w.key("rope_local_base_freq"), s.max_positions);
  }
  read_token_ids(j, "eos_token_id", w, s.eos_token_ids);
  std::vector<int> bos;
  read_token_ids(j, "bos_token_id", w, bos);
  if (!bos.empty()) s.bos_token_id = bos[0];
  return s;
}

}  // namespace attnlab
