// config.json reader (see config.h).
#include "model/config.h"

#include <nlohmann/json.hpp>

#include "core/file_error.h"
#include "io/text_file.h"

namespace attnlab {
namespace {

// Real configs are a few kB; anything near this is not a configuration.
// Far beyond any BERT (bert-large: 24). Every other size is backed by checkpoint bytes (the tensor
// shapes must match), but the layer count sizes the tensor table before the checkpoint is read.
constexpr int64_t kMaxLayers = 1024;

int positive_int(const nlohmann::json& j, const std::filesystem::path& path, const char* key, bool required,
                 int fallback, int64_t max = int64_t{1} << 30) {
  if (!j.contains(key)) {
    if (required) throw_file_error(path, std::string("missing required field '") + key + "'");
    return fallback;
  }
  const auto& v = j[key];
  if (!v.is_number_integer())
    throw_file_error(path, std::string("field '") + key + "' must be a positive integer, found " + v.dump());
  const int64_t x = v.get<int64_t>();
  if (x <= 0 || x > max)
    throw_file_error(path, std::string("field '") + key + "' must be a positive integer at most " +
                               std::to_string(max) + ", found " + v.dump());
  return static_cast<int>(x);
}

}  // namespace

BertConfig read_bert_config(const std::filesystem::path& path) {
  const std::string text = read_bounded_file(path, kMaxConfigBytes, "model configuration");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    throw_file_error(path, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw_file_error(path, "expected a JSON object, found " + std::string(j.type_name()));

  BertConfig c;
  if (j.contains("model_type")) {
    if (!j["model_type"].is_string())
      throw_file_error(path, "field 'model_type' must be a string, found " + j["model_type"].dump());
    c.model_type = j["model_type"].get<std::string>();
  }
  if (c.model_type != "bert")
    throw_file_error(path, "model_type '" + c.model_type +
                               "' is not supported; attnlab reads BERT-family checkpoints (model_type \"bert\")");
  if (j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() &&
      j["architectures"][0].is_string())
    c.architecture = j["architectures"][0].get<std::string>();

  c.vocab_size = positive_int(j, path, "vocab_size", true, 0);
  c.hidden_size = positive_int(j, path, "hidden_size", true, 0);
  c.num_hidden_layers = positive_int(j, path, "num_hidden_layers", true, 0, kMaxLayers);
  c.num_attention_heads = positive_int(j, path, "num_attention_heads", true, 0);
  c.intermediate_size = positive_int(j, path, "intermediate_size", true, 0);
  c.max_position_embeddings = positive_int(j, path, "max_position_embeddings", false, 512);
  c.type_vocab_size = positive_int(j, path, "type_vocab_size", false, 2);
  if (j.contains("layer_norm_eps")) {
    if (!j["layer_norm_eps"].is_number() || !(j["layer_norm_eps"].get<double>() > 0.0))
      throw_file_error(path, "field 'layer_norm_eps' must be a positive number, found " + j["layer_norm_eps"].dump());
    c.layer_norm_eps = j["layer_norm_eps"].get<double>();
  }
  if (j.contains("hidden_act")) {
    if (!j["hidden_act"].is_string())
      throw_file_error(path, "field 'hidden_act' must be a string, found " + j["hidden_act"].dump());
    c.hidden_act = j["hidden_act"].get<std::string>();
  }
  if (c.hidden_act != "gelu")
    throw_file_error(
        path, "hidden_act '" + c.hidden_act + "' is not supported (attnlab implements \"gelu\", exact erf GELU)");
  if (j.contains("position_embedding_type") && j["position_embedding_type"] != "absolute")
    throw_file_error(path, "position_embedding_type " + j["position_embedding_type"].dump() +
                               " is not supported (attnlab implements \"absolute\")");
  if (c.hidden_size % c.num_attention_heads != 0)
    throw_file_error(path, "hidden_size " + std::to_string(c.hidden_size) +
                               " is not divisible by num_attention_heads " + std::to_string(c.num_attention_heads));
  return c;
}

}  // namespace attnlab
