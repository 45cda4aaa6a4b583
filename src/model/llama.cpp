// The Llama family (llama, mistral, qwen2, qwen3; SmolLM and SmolLM2 are llama): config.json read into
// a ModelSpec as transformers' configuration_*.py reads it, the Hugging Face tensor-name table, and the
// loader (one safetensors file or the shards of model.safetensors.index.json).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "attnlab/error.h"
#include "io/text_file.h"
#include "model/decoder.h"
#include "text/json_fields.h"

namespace attnlab {
namespace {

using json_fields::Where;
using nlohmann::json;

constexpr long long kMaxDim = 1 << 20;

json read_json_file(const std::filesystem::path& file, uint64_t max_bytes) {
  const std::string text = read_bounded_file(file, max_bytes, "configuration");
  try {
    json j = json::parse(text);
    if (!j.is_object()) throw Error(file.string() + ": expected a JSON object, found " + j.type_name(), kExitInput);
    return j;
  } catch (const json::exception& e) {
    throw Error(file.string() + ": not valid JSON: " + e.what(), kExitInput);
  }
}

int int_field(const json& j, const char* key, const Where& w, long long lo, long long hi) {
  return static_cast<int>(json_fields::as_int(json_fields::require(j, key, w), w.key(key), lo, hi));
}

double number(const json& v, const Where& w) {
  if (!v.is_number()) w.fail("expected a number, found " + std::string(v.type_name()));
  return v.get<double>();
}

double number_or(const json& j, const char* key, double dflt, const Where& w) {
  const json* v = json_fields::optional(j, key);
  return v ? number(*v, w.key(key)) : dflt;
}

// transformers 5 writes rope_parameters {"rope_type", "rope_theta", ...}; earlier configs rope_theta and
// rope_scaling {"type" or "rope_type", ...}.
RopeSpec read_rope(const json& j, const Where& w, int max_positions) {
  RopeSpec r;
  const json* params = json_fields::optional(j, "rope_parameters");
  Where pw = w.key("rope_parameters");
  if (!params) {
    params = json_fields::optional(j, "rope_scaling");
    pw = w.key("rope_scaling");
  }
  r.theta = number_or(j, "rope_theta", 10000.0, w);
  if (!params) return r;
  if (!params->is_object()) pw.fail("expected an object, found " + std::string(params->type_name()));
  r.theta = number_or(*params, "rope_theta", r.theta, pw);
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
  if (!(r.factor > 0)) pw.key("factor").fail("expected a positive factor");
  if (r.type == "llama3") {
    r.low_freq_factor = number(json_fields::require(*params, "low_freq_factor", pw), pw.key("low_freq_factor"));
    r.high_freq_factor = number(json_fields::require(*params, "high_freq_factor", pw), pw.key("high_freq_factor"));
    if (!json_fields::optional(*params, "original_max_position_embeddings"))
      pw.fail("missing field 'original_max_position_embeddings' for llama3 scaling");
    if (!(r.high_freq_factor > r.low_freq_factor)) pw.fail("high_freq_factor must exceed low_freq_factor");
  }
  if (r.type == "yarn") {
    r.attention_factor = number_or(*params, "attention_factor", -1.0, pw);
    r.beta_fast = number_or(*params, "beta_fast", 32.0, pw);
    r.beta_slow = number_or(*params, "beta_slow", 1.0, pw);
    r.mscale = number_or(*params, "mscale", 0.0, pw);
    r.mscale_all_dim = number_or(*params, "mscale_all_dim", 0.0, pw);
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

}  // namespace

bool is_decoder_model_type(const std::string& t) {
  return t == "llama" || t == "mistral" || t == "qwen2" || t == "qwen3";
}

ModelSpec read_decoder_config(const std::filesystem::path& file) {
  const json j = read_json_file(file, uint64_t{1} << 20);
  const Where w{file.string(), ""};
  ModelSpec s;
  s.family = json_fields::string_field(j, "model_type", w);
  if (!is_decoder_model_type(s.family))
    w.key("model_type").fail("'" + s.family + "' is not a decoder family attnlab reads (llama, mistral, qwen2, qwen3)");
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
  if (!(s.norm_eps > 0 && s.norm_eps < 1)) w.key("rms_norm_eps").fail("expected a small positive number");
  const std::string act = json_fields::as_string(j.contains("hidden_act") ? j["hidden_act"] : json("silu"), w.key("hidden_act"));
  if (act != "silu") w.key("hidden_act").fail("'" + act + "' is not supported for " + s.family + " (silu)");
  s.tied_embeddings = json_fields::bool_field_or(j, "tie_word_embeddings", false, w);
  if (s.family == "qwen2") {
    s.qkv_bias = true;  // Qwen2Attention: q, k, v with bias, o without
  } else if (s.family == "llama" || s.family == "qwen3") {
    s.qkv_bias = s.o_bias = json_fields::bool_field_or(j, "attention_bias", false, w);
  }
  if (s.family == "llama") s.mlp_bias = json_fields::bool_field_or(j, "mlp_bias", false, w);
  s.qk_norm = s.family == "qwen3";
  if (const json* tp = json_fields::optional(j, "pretraining_tp"); tp && json_fields::as_int(*tp, w.key("pretraining_tp"), 1, 1024) != 1)
    w.key("pretraining_tp").fail("only 1 is supported");
  s.rope = read_rope(j, w, s.max_positions);

  // Windows: Mistral's sliding_window applies to every layer; Qwen2/Qwen3 slide only on the layers
  // layer_types marks (from use_sliding_window and max_window_layers when it is absent).
  s.window.assign(static_cast<size_t>(s.layers), 0);
  const json* sw = json_fields::optional(j, "sliding_window");
  const int window = sw ? static_cast<int>(json_fields::as_int(*sw, w.key("sliding_window"), 1, kMaxDim * 64)) : 0;
  if (s.family == "mistral") {
    std::fill(s.window.begin(), s.window.end(), window);
  } else if (s.family == "qwen2" || s.family == "qwen3") {
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

namespace {

// The Hugging Face names, role by role (llama.cpp's llm-arch idea: a layer is a struct of role-keyed
// tensors, absent where the family has none).
std::vector<TensorSlot> decoder_tensor_table(const ModelSpec& s, DecoderWeights& w) {
  const int64_t h = s.hidden, q = s.q_dim(), kv = s.kv_dim(), inter = s.intermediate, hd = s.head_dim;
  std::vector<TensorSlot> t = {{"model.embed_tokens.weight", {s.vocab_size, h}, &w.embed, true}};
  w.layers.resize(static_cast<size_t>(s.layers));
  for (int l = 0; l < s.layers; ++l) {
    DecoderLayerWeights& L = w.layers[static_cast<size_t>(l)];
    const std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", {h}, &L.attn_norm, true});
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
    t.push_back({p + "post_attention_layernorm.weight", {h}, &L.ffn_norm, true});
    t.push_back({p + "mlp.gate_proj.weight", {inter, h}, &L.w_gate, true});
    t.push_back({p + "mlp.up_proj.weight", {inter, h}, &L.w_up, true});
    t.push_back({p + "mlp.down_proj.weight", {h, inter}, &L.w_down, true});
    if (s.mlp_bias) {
      t.push_back({p + "mlp.gate_proj.bias", {inter}, &L.b_gate, true});
      t.push_back({p + "mlp.up_proj.bias", {inter}, &L.b_up, true});
      t.push_back({p + "mlp.down_proj.bias", {h}, &L.b_down, true});
    }
  }
  t.push_back({"model.norm.weight", {h}, &w.final_norm, true});
  if (!s.tied_embeddings) t.push_back({"lm_head.weight", {s.vocab_size, h}, &w.lm_head, true});
  return t;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// The checkpoint files and which one holds each tensor.
void open_checkpoints(const std::filesystem::path& dir, DecoderModel& m, std::map<std::string, const SafetensorsFile*>& where) {
  const auto single = dir / "model.safetensors";
  const auto index = dir / "model.safetensors.index.json";
  if (std::filesystem::exists(single)) {
    m.checkpoints.push_back(std::make_unique<SafetensorsFile>(single));
    for (const auto& [name, view] : m.checkpoints.back()->tensors()) where[name] = m.checkpoints.back().get();
    return;
  }
  if (!std::filesystem::exists(index))
    throw Error(single.string() + ": missing model weights (no model.safetensors or model.safetensors.index.json)",
                kExitInput);
  const json j = read_json_file(index, uint64_t{64} << 20);
  const Where w{index.string(), ""};
  const json& map = json_fields::require(j, "weight_map", w);
  if (!map.is_object()) w.key("weight_map").fail("expected an object of tensor: file");
  std::map<std::string, const SafetensorsFile*> shards;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string& file = json_fields::as_string(it.value(), w.key("weight_map").key(it.key()));
    const std::filesystem::path rel(file);
    if (file.empty() || rel.is_absolute() || rel.has_parent_path() || file == "." || file == "..")
      w.key("weight_map").key(it.key()).fail("shard '" + file + "' is not a file name in the model's folder");
    if (!shards.count(file)) {
      const auto path = dir / rel;
      if (!std::filesystem::is_regular_file(path))
        w.key("weight_map").key(it.key()).fail("shard '" + file + "' is missing");
      m.checkpoints.push_back(std::make_unique<SafetensorsFile>(path));
      shards[file] = m.checkpoints.back().get();
    }
    if (!shards[file]->find(it.key()))
      w.key("weight_map").key(it.key()).fail("shard '" + file + "' does not hold this tensor");
    where[it.key()] = shards[file];
  }
  // A tensor stored in two shards is ambiguous: refuse it rather than pick one.
  std::map<std::string, std::string> seen;
  for (const auto& [file, shard] : shards)
    for (const auto& [name, view] : shard->tensors()) {
      auto [it, fresh] = seen.emplace(name, file);
      if (!fresh)
        throw Error(index.string() + ": tensor '" + name + "' is in two shards, '" + it->second + "' and '" + file + "'",
                    kExitInput);
    }
}

void pack(DecoderModel& m) {
  const ModelSpec& s = m.spec;
  DecoderWeights& w = m.weights;
  const int h = s.hidden;
  for (DecoderLayerWeights& L : w.layers) {
    L.qkv_p = pack_weights({{L.wq.data, s.q_dim()}, {L.wk.data, s.kv_dim()}, {L.wv.data, s.kv_dim()}}, h);
    if (s.qkv_bias) {
      L.qkv_b.assign(L.bq.data, L.bq.data + s.q_dim());
      L.qkv_b.insert(L.qkv_b.end(), L.bk.data, L.bk.data + s.kv_dim());
      L.qkv_b.insert(L.qkv_b.end(), L.bv.data, L.bv.data + s.kv_dim());
    }
    L.o_p = pack_weight(L.wo.data, h, s.q_dim());
    L.gate_up_p = pack_weights({{L.w_gate.data, s.intermediate}, {L.w_up.data, s.intermediate}}, h);
    if (s.mlp_bias) {
      L.gate_up_b.assign(L.b_gate.data, L.b_gate.data + s.intermediate);
      L.gate_up_b.insert(L.gate_up_b.end(), L.b_up.data, L.b_up.data + s.intermediate);
    }
    L.down_p = pack_weight(L.w_down.data, h, s.intermediate);
  }
  w.lm_head_p = pack_weight(s.tied_embeddings ? w.embed.data : w.lm_head.data, s.vocab_size, h);
}

}  // namespace

DecoderModel load_decoder_model(const std::filesystem::path& dir) {
  DecoderModel m;
  m.dir = dir;
  m.spec = read_decoder_config(dir / "config.json");
  if (std::filesystem::exists(dir / "generation_config.json")) {
    const json g = read_json_file(dir / "generation_config.json", uint64_t{1} << 20);
    read_token_ids(g, "eos_token_id", {(dir / "generation_config.json").string(), ""}, m.spec.eos_token_ids);
  }
  std::map<std::string, const SafetensorsFile*> where;
  open_checkpoints(dir, m, where);
  for (TensorSlot& slot : decoder_tensor_table(m.spec, m.weights)) {
    auto it = where.find(slot.name);
    if (it == where.end()) {
      if (!slot.required) continue;
      throw Error((m.checkpoints.size() == 1 ? m.checkpoints[0]->path().string() : (dir / "model.safetensors.index.json").string()) +
                      ": missing tensor '" + slot.name + "'",
                  kExitInput);
    }
    const TensorView& view = *it->second->find(slot.name);
    if (view.shape != slot.shape)
      throw Error(it->second->path().string() + ": tensor '" + slot.name + "' has shape " + shape_text(view.shape) +
                      ", config.json says " + shape_text(slot.shape),
                  kExitInput);
    Tensor& t = *slot.tensor;
    t.shape = slot.shape;
    t.owned.resize(static_cast<size_t>(view.numel()));
    convert_to_f32(view, it->second->path(), t.owned.data());
    t.data = t.owned.data();
  }
  pack(m);
  for (const auto& c : m.checkpoints) c->throw_if_changed();
  return m;
}

}  // namespace attnlab
