// The Llama family (llama, mistral, qwen2, qwen3; SmolLM and SmolLM2 are llama): config.json read into
// a ModelSpec as transformers' configuration_*.py reads it, the Hugging Face tensor-name table, and the
// loader (one safetensors file or the shards of model.safetensors.index.json).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <set>
#include <utility>

#include "attnlab/error.h"
#include "model/json_file.h"
#include "model/decoder_config.h"
#include "model/families.h"
#include "text/json_fields.h"

namespace attnlab {
namespace {

using json_fields::Where;
using nlohmann::json;
using namespace decoder_config;

constexpr long long kMaxDim = 1 << 20;

}  // namespace

namespace decoder_config {

int int_field(const json& j, const char* key, const Where& w, long long lo, long long hi) {
  return static_cast<int>(json_fields::as_int(json_fields::require(j, key, w), w.key(key), lo, hi));
}

namespace {
double number(const json& v, const Where& w) {
  if (!v.is_number()) w.fail("expected a number, found " + std::string(v.type_name()));
  return v.get<double>();
}

}  // namespace

double number_or(const json& j, const char* key, double dflt, const Where& w) {
  const json* v = json_fields::optional(j, key);
  return v ? number(*v, w.key(key)) : dflt;
}

namespace {
// > 0 and a normal float32: the rotary tables are float32, as transformers' are.
bool positive_float(double x) { return x > 0 && std::isnormal(static_cast<float>(x)); }
}  // namespace

// transformers 5 writes rope_parameters {"rope_type", "rope_theta", ...}; earlier configs rope_theta and
// rope_scaling {"type" or "rope_type", ...}.
RopeSpec read_rope(const json& j, const Where& w, int max_positions) {
  const json* params = json_fields::optional(j, "rope_parameters");
  Where pw = w.key("rope_parameters");
  if (!params) {
    params = json_fields::optional(j, "rope_scaling");
    pw = w.key("rope_scaling");
  }
  const double theta = number_or(j, "rope_theta", 10000.0, w);
  if (!params) {
    if (!(theta > 1)) w.key("rope_theta").fail("expected a rotary base > 1");
    RopeSpec r;
    r.theta = theta;
    return r;
  }
  return read_rope_params(*params, pw, theta, w.key("rope_theta"), max_positions);
}

RopeSpec read_rope_params(const json& params_object, const Where& pw, double theta, const Where& theta_where,
                          int max_positions) {
  RopeSpec r;
  r.theta = theta;
  const json* params = &params_object;
  // the base is in (0, 1] or not a number: refused where it was read
  const Where theta_at = json_fields::optional(*params, "rope_theta") ? pw.key("rope_theta") : theta_where;
  if (!params->is_object()) pw.fail("expected an object, found " + std::string(params->type_name()));
  r.theta = number_or(*params, "rope_theta", r.theta, pw);
  if (!(r.theta > 1)) theta_at.fail("expected a rotary base > 1");
  if (const json* t = json_fields::optional(*params, "rope_type")) r.type = json_fields::as_string(*t, pw.key("rope_type"));
  else if (const json* t2 = json_fields::optional(*params, "type")) r.type = json_fields::as_string(*t2, pw.key("type"));
  if (json_fields::optional(*params, "partial_rotary_factor") &&
      number(*json_fields::optional(*params, "partial_rotary_factor"), pw.key("partial_rotary_factor")) != 1.0)
    pw.key("partial_rotary_factor").fail("only 1.0 (rotary over the whole head) is supported");
  if (r.type == "default") return r;
  if (r.type != "linear" && r.type != "dynamic" && r.type != "yarn" && r.type != "llama3")
    pw.key("rope_type").fail("unknown RoPE scaling '" + r.type + "' (attnlab reads default, linear, dynamic, yarn, llama3)");
  const json* factor = json_fields::optional(*params, "factor");
  r.original_max_position_embeddings = max_positions;
  if (const json* o = json_fields::optional(*params, "original_max_position_embeddings"))
    r.original_max_position_embeddings = static_cast<int>(json_fields::as_int(*o, pw.key("original_max_position_embeddings"), 1, kMaxDim * 64));
  if (factor) r.factor = number(*factor, pw.key("factor"));
  else if (r.type == "yarn") r.factor = static_cast<double>(max_positions) / r.original_max_position_embeddings;
  else pw.fail("missing field 'factor' for " + r.type + " scaling");
  if (!(r.factor >= 1.0) && r.type != "linear") pw.key("factor").fail("expected a factor >= 1");
  if (!positive_float(r.factor)) pw.key("factor").fail("expected a positive factor (a normal float32)");
  if (r.type == "llama3") {
    r.low_freq_factor = number(json_fields::require(*params, "low_freq_factor", pw), pw.key("low_freq_factor"));
    r.high_freq_factor = number(json_fields::require(*params, "high_freq_factor", pw), pw.key("high_freq_factor"));
    if (!json_fields::optional(*params, "original_max_position_embeddings"))
      pw.fail("missing field 'original_max_position_embeddings' for llama3 scaling");
    if (!positive_float(r.low_freq_factor)) pw.key("low_freq_factor").fail("expected a positive number (a normal float32)");
    if (!(static_cast<float>(r.high_freq_factor) > static_cast<float>(r.low_freq_factor) &&
          std::isfinite(static_cast<float>(r.high_freq_factor))))
      pw.fail("high_freq_factor must exceed low_freq_factor (as float32)");
  }
  if (r.type == "yarn") {
    // As _compute_yarn_parameters: beta_fast / beta_slow "or 32" / "or 1" (0 is the default too); where its
    // math.log or a division would raise, refuse.
    r.attention_factor = number_or(*params, "attention_factor", -1.0, pw);
    if (json_fields::optional(*params, "attention_factor") &&
        !(r.attention_factor >= 0 && std::isfinite(static_cast<float>(r.attention_factor))))
      pw.key("attention_factor").fail("expected a number >= 0 (a float32)");
    r.beta_fast = number_or(*params, "beta_fast", 32.0, pw);
    r.beta_slow = number_or(*params, "beta_slow", 1.0, pw);
    if (r.beta_fast == 0) r.beta_fast = 32.0;
    if (r.beta_slow == 0) r.beta_slow = 1.0;
    for (const auto& [key, beta] : {std::pair{"beta_fast", r.beta_fast}, std::pair{"beta_slow", r.beta_slow}})
      if (!std::isfinite(std::log(r.original_max_position_embeddings / (beta * 2 * std::numbers::pi))))
        pw.key(key).fail("expected a positive number of rotations");
    r.mscale = number_or(*params, "mscale", 0.0, pw);
    r.mscale_all_dim = number_or(*params, "mscale_all_dim", 0.0, pw);
    if (r.attention_factor < 0 && r.mscale != 0 && r.mscale_all_dim != 0) {  // yarn_get_mscale's ratio
      auto m = [&](double v) { return r.factor <= 1 ? 1.0 : 0.1 * v * std::log(r.factor) + 1.0; };
      if (!std::isfinite(static_cast<float>(m(r.mscale) / m(r.mscale_all_dim))))
        pw.key("mscale_all_dim").fail("gives an infinite attention factor (0.1 * mscale_all_dim * ln(factor) + 1 near 0)");
    }
    r.truncate = json_fields::bool_field_or(*params, "truncate", true, pw);
  }
  return r;
}

void read_token_ids(const json& j, const char* key, const Where& w, std::vector<int>& out) {
  const json* v = json_fields::optional(j, key);
  if (!v) return;
  out.clear();
  if (v->is_array()) {
    for (size_t i = 0; i < v->size(); ++i)
      out.push_back(static_cast<int>(json_fields::as_int((*v)[i], w.key(key).index(i), 0, (1LL << 31) - 2)));
  } else {
    out.push_back(static_cast<int>(json_fields::as_int(*v, w.key(key), 0, (1LL << 31) - 2)));
  }
}

}  // namespace decoder_config

bool is_decoder_model_type(const std::string& t) {
  return t == "llama" || t == "mistral" || t == "qwen2" || t == "qwen3";
}

ModelSpec read_decoder_config(const std::filesystem::path& file) {
  const json j = read_json_object(file, uint64_t{1} << 20);
  const Where w{file.string(), ""};
  ModelSpec s;
  s.family = "llama";
  s.model_type = json_fields::string_field(j, "model_type", w);
  if (!is_decoder_model_type(s.model_type))
    w.key("model_type").fail("'" + s.model_type + "' is not a decoder family attnlab reads (llama, mistral, qwen2, qwen3)");
  s.vocab_size = int_field(j, "vocab_size", w, 1, kMaxDim * 16);
  s.hidden = int_field(j, "hidden_size", w, 1, kMaxDim);
  s.intermediate = int_field(j, "intermediate_size", w, 1, kMaxDim);
  s.layers = int_field(j, "num_hidden_layers", w, 1, 1024);
  s.heads = int_field(j, "num_attention_heads", w, 1, 4096);
  s.kv_heads = s.heads;
  if (const json* kv = json_fields::optional(j, "num_key_value_heads"))
    s.kv_heads = static_cast<int>(json_fields::as_int(*kv, w.key("num_key_value_heads"), 1, 4096));
  if (s.heads % s.kv_heads != 0)
    w.key("num_key_value_heads").fail(std::to_string(s.kv_heads) + " does not divide num_attention_heads " +
                                      std::to_string(s.heads));
  if (const json* hd = json_fields::optional(j, "head_dim")) {
    s.head_dim = static_cast<int>(json_fields::as_int(*hd, w.key("head_dim"), 2, 65536));
  } else {
    if (s.hidden % s.heads != 0)
      w.key("num_attention_heads").fail(std::to_string(s.heads) + " does not divide hidden_size " + std::to_string(s.hidden));
    s.head_dim = s.hidden / s.heads;
  }
  if (s.head_dim % 2 != 0) w.key("head_dim").fail("rotary positions need an even head_dim, found " + std::to_string(s.head_dim));
  s.max_positions = int_field(j, "max_position_embeddings", w, 1, kMaxDim * 64);
  s.norm_eps = number_or(j, "rms_norm_eps", 1e-6, w);
  if (!(s.norm_eps > 0 && s.norm_eps < 1 && static_cast<float>(s.norm_eps) > 0))  // added to float32 variances
    w.key("rms_norm_eps").fail("expected a small positive number (> 0 as a float32)");
  const std::string act = json_fields::as_string(j.contains("hidden_act") ? j["hidden_act"] : json("silu"), w.key("hidden_act"));
  if (act != "silu") w.key("hidden_act").fail("'" + act + "' is not supported for " + s.model_type + " (silu)");
  s.tied_embeddings = json_fields::bool_field_or(j, "tie_word_embeddings", false, w);
  if (s.model_type == "qwen2") {
    s.qkv_bias = true;  // Qwen2Attention: q, k, v with bias, o without
  } else if (s.model_type == "llama" || s.model_type == "qwen3") {
    s.qkv_bias = s.o_bias = json_fields::bool_field_or(j, "attention_bias", false, w);
  }
  if (s.model_type == "llama") s.mlp_bias = json_fields::bool_field_or(j, "mlp_bias", false, w);
  s.qk_norm = s.model_type == "qwen3";
  if (const json* tp = json_fields::optional(j, "pretraining_tp"); tp && json_fields::as_int(*tp, w.key("pretraining_tp"), 1, 1024) != 1)
    w.key("pretraining_tp").fail("only 1 is supported");
  s.rope = read_rope(j, w, s.max_positions);
  if (s.rope.type == "dynamic" && s.head_dim <= 2)  // _compute_dynamic_ntk_parameters: dim / (dim - 2)
    w.key("head_dim").fail("dynamic RoPE scaling needs a head_dim > 2, found " + std::to_string(s.head_dim));

  // Windows: Mistral's sliding_window applies to every layer; Qwen2/Qwen3 slide only on the layers
  // layer_types marks (from use_sliding_window and max_window_layers when it is absent).
  s.window.assign(static_cast<size_t>(s.layers), 0);
  const json* sw = json_fields::optional(j, "sliding_window");
  const int window = sw ? static_cast<int>(json_fields::as_int(*sw, w.key("sliding_window"), 1, kMaxDim * 64)) : 0;
  if (s.model_type == "mistral") {
    std::fill(s.window.begin(), s.window.end(), window);
  } else if (s.model_type == "qwen2" || s.model_type == "qwen3") {
    const bool use = json_fields::bool_field_or(j, "use_sliding_window", false, w);
    const int effective = use ? window : 0;
    if (const json* types = json_fields::optional(j, "layer_types")) {
      if (!types->is_array() || types->size() != static_cast<size_t>(s.layers))
        w.key("layer_types").fail("expected a list of " + std::to_string(s.layers) + " layer types");
      for (int l = 0; l < s.layers; ++l) {
        const std::string& t = json_fields::as_string((*types)[static_cast<size_t>(l)], w.key("layer_types").index(static_cast<size_t>(l)));
        if (t != "full_attention" && t != "sliding_attention")
          w.key("layer_types").index(static_cast<size_t>(l)).fail("unknown layer type '" + t + "'");
        s.window[static_cast<size_t>(l)] = t == "sliding_attention" ? effective : 0;
      }
    } else if (effective > 0) {
      const int first = static_cast<int>(json_fields::as_int(
          j.contains("max_window_layers") ? j["max_window_layers"] : json(28), w.key("max_window_layers"), 0, 1 << 20));
      for (int l = first; l < s.layers; ++l) s.window[static_cast<size_t>(l)] = effective;
    }
  }
  read_token_ids(j, "eos_token_id", w, s.eos_token_ids);
  std::vector<int> bos;
  read_token_ids(j, "bos_token_id", w, bos);
  if (!bos.empty()) s.bos_token_id = bos[0];
  return s;
}


void read_generation_config(const std::filesystem::path& dir, ModelSpec& s) {
  const auto file = dir / "generation_config.json";
  if (!std::filesystem::exists(file)) return;
  const json g = read_json_object(file, uint64_t{1} << 20);
  read_token_ids(g, "eos_token_id", {file.string(), ""}, s.eos_token_ids);
}

// The Hugging Face names (also Gemma3ForCausalLM's), role by role (llama.cpp's llm-arch idea: a layer is a struct of role-keyed
// tensors, absent where the family has none).
std::vector<TensorSlot> llama_tensor_table(const ModelSpec& s, ModelWeights& w) {
  const int64_t h = s.hidden, q = s.q_dim(), kv = s.kv_dim(), inter = s.intermediate, hd = s.head_dim;
  std::vector<TensorSlot> t = {{"model.embed_tokens.weight", {s.vocab_size, h}, &w.embed, true}};
  w.layers.resize(static_cast<size_t>(s.layers));
  for (int l = 0; l < s.layers; ++l) {
    LayerWeights& L = w.layers[static_cast<size_t>(l)];
    const std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", {h}, &L.attn_norm_w, true});
    t.push_back({p + "self_attn.q_proj.weight", {q, h}, &L.wq, true});
    t.push_back({p + "self_attn.k_proj.weight", {kv, h}, &L.wk, true});
    t.push_back({p + "self_attn.v_proj.weight", {kv, h}, &L.wv, true});
    t.push_back({p + "self_attn.o_proj.weight", {h, q}, &L.wo, true});
    if (s.qkv_bias) {
      t.push_back({p + "self_attn.q_proj.bias", {q}, &L.bq, true});
      t.push_back({p + "self_attn.k_proj.bias", {kv}, &L.bk, true});
      t.push_back({p + "self_attn.v_proj.bias", {kv}, &L.bv, true});
    }
    if (s.o_bias) t.push_back({p + "self_attn.o_proj.bias", {h}, &L.bo, true});
    if (s.qk_norm) {
      t.push_back({p + "self_attn.q_norm.weight", {hd}, &L.q_norm, true});
      t.push_back({p + "self_attn.k_norm.weight", {hd}, &L.k_norm, true});
    }
    if (s.sandwich_norm) {
      t.push_back({p + "post_attention_layernorm.weight", {h}, &L.post_attn_norm, true});
      t.push_back({p + "pre_feedforward_layernorm.weight", {h}, &L.ffn_norm_w, true});
      t.push_back({p + "post_feedforward_layernorm.weight", {h}, &L.post_ffn_norm, true});
    } else {
      t.push_back({p + "post_attention_layernorm.weight", {h}, &L.ffn_norm_w, true});
    }
    t.push_back({p + "mlp.gate_proj.weight", {inter, h}, &L.w_gate, true});
    t.push_back({p + "mlp.up_proj.weight", {inter, h}, &L.w_up, true});
    t.push_back({p + "mlp.down_proj.weight", {h, inter}, &L.w_down, true});
    if (s.mlp_bias) {
      t.push_back({p + "mlp.gate_proj.bias", {inter}, &L.b_gate, true});
      t.push_back({p + "mlp.up_proj.bias", {inter}, &L.b_up, true});
      t.push_back({p + "mlp.down_proj.bias", {h}, &L.b_down, true});
    }
  }
  t.push_back({"model.norm.weight", {h}, &w.final_norm_w, true});
  if (!s.tied_embeddings) t.push_back({"lm_head.weight", {s.vocab_size, h}, &w.lm_head, true});
  return t;
}

}  // namespace attnlab
