// The web app's JSON API (api.h): request checking and answers.
#include "server/api.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "attnlab/error.h"
#include "attnlab/json_writer.h"
#include "attnlab/result_json.h"
#include "attnlab/viewer.h"

namespace attnlab::server {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& what) { throw ApiError(400, what); }

std::string type_name(const json& v) { return v.type_name(); }

std::vector<int> index_list(const json& v, const char* field) {
  if (!v.is_array()) bad(std::string("\"") + field + "\" must be an array of integers, got " + type_name(v));
  std::vector<int> out;
  for (const json& x : v) {
    if (!x.is_number_integer()) bad(std::string("\"") + field + "\" must hold integers, got " + type_name(x));
    const auto i = x.get<long long>();
    if (i < 0 || i > 1 << 20) bad(std::string("\"") + field + "\": " + std::to_string(i) + " is out of range");
    out.push_back(static_cast<int>(i));
  }
  if (out.empty()) bad(std::string("\"") + field + "\" must not be empty (leave it out for all)");
  std::vector<int> sorted = out;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    bad(std::string("\"") + field + "\" names an index twice");
  return out;
}

void check_indices(const std::vector<int>& v, int count, const char* field, const char* what) {
  for (int i : v)
    if (i >= count)
      bad(std::string("\"") + field + "\": " + std::to_string(i) + " is out of range: the model has " +
          std::to_string(count) + " " + what + " (0-" + std::to_string(count - 1) + ")");
}

std::vector<int> all_or(const std::vector<int>& chosen, int count) {
  if (!chosen.empty()) return chosen;
  std::vector<int> all(count);
  for (int i = 0; i < count; ++i) all[i] = i;
  return all;
}

}  // namespace

ApiRequest parse_request(std::string_view body, size_t max_text_bytes) {
  json doc;
  try {
    doc = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number past double
    bad(std::string("the body is not valid JSON (UTF-8): ") + e.what());
  }
  if (!doc.is_object()) bad("the body must be a JSON object, got " + type_name(doc));
  static const char* const kFields[] = {"model", "text", "pair", "truncate", "layers", "heads", "include", "format"};
  for (const auto& [key, value] : doc.items())
    if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
      bad("unknown field \"" + key + "\" (expected text, pair, model, truncate, layers, heads, include, format)");
  ApiRequest r;
  const auto string_field = [&](const char* field) -> std::optional<std::string> {
    if (!doc.contains(field) || doc[field].is_null()) return std::nullopt;
    if (!doc[field].is_string()) bad(std::string("\"") + field + "\" must be a string, got " + type_name(doc[field]));
    return doc[field].get<std::string>();
  };
  const std::optional<std::string> text = string_field("text");
  if (!text) bad("\"text\" is required (a string)");
  r.text = *text;
  r.pair = string_field("pair");
  r.model = string_field("model").value_or("");
  if (r.text.size() + (r.pair ? r.pair->size() : 0) > max_text_bytes)
    throw ApiError(413, "the text is longer than " + std::to_string(max_text_bytes) + " bytes");
  if (doc.contains("truncate")) {
    if (!doc["truncate"].is_boolean()) bad("\"truncate\" must be true or false, got " + type_name(doc["truncate"]));
    r.truncate = doc["truncate"].get<bool>();
  }
  if (doc.contains("layers")) r.layers = index_list(doc["layers"], "layers");
  if (doc.contains("heads")) r.heads = index_list(doc["heads"], "heads");
  if (doc.contains("include")) {
    const json& inc = doc["include"];
    if (!inc.is_array()) bad("\"include\" must be an array of strings, got " + type_name(inc));
    r.attentions = false;
    for (const json& x : inc) {
      const std::string name = x.is_string() ? x.get<std::string>() : "";
      if (name == "attentions") r.attentions = true;
      else if (name == "hidden") r.hidden = true;
      else if (name == "pooler") r.pooler = true;
      else if (name == "qk") r.qk = true;
      else bad("\"include\": expected \"attentions\", \"hidden\", \"pooler\" or \"qk\", got " + x.dump());
    }
  }
  if (const std::optional<std::string> format = string_field("format")) {
    if (*format == "f16-base64") r.f16_base64 = true;
    else if (*format != "json") bad("\"format\" must be \"json\" or \"f16-base64\", got \"" + *format + "\"");
  }
  return r;
}

void check_selection(const ApiRequest& r, const ModelInfo& info) {
  check_indices(r.layers, info.num_layers, "layers", "layers");
  check_indices(r.heads, info.num_heads, "heads", "heads");
}

Encoding encode_request(const Engine& engine, const ApiRequest& r) {
  std::optional<std::string_view> pair;
  if (r.pair) pair = *r.pair;
  TruncationOptions truncation;
  truncation.truncate = r.truncate;
  try {
    return engine.encode(r.text, pair, truncation);
  } catch (const InputTooLong& e) {
    throw ApiError(422, std::string(e.what()) + "; send \"truncate\": true to cut it");
  }
}

std::string tokenize_json(const ModelInfo& info, const Encoding& enc) {
  JsonWriter w;
  w.begin_object().key("model").value(info.name);
  write_encoding_json(w, enc);
  w.end_object();
  return w.str();
}

std::string attention_json(const ModelInfo& info, const ApiRequest& r, const Result& out) {
  const Encoding& enc = out.encoding;
  const int n = out.seq_len();
  const std::vector<int> layers = all_or(r.layers, info.num_layers), heads = all_or(r.heads, info.num_heads);
  ViewerOptions f16;
  f16.precision = ViewerPrecision::kFloat16;
  f16.compress = false;
  const auto array = [&](JsonWriter& w, const char* name, std::span<const float> v, std::initializer_list<int> shape) {
    if (r.f16_base64) {
      write_viewer_array(w, name, v, std::span<const int>(shape.begin(), shape.size()), f16);
    } else {
      std::vector<size_t> dims(shape.begin(), shape.end());
      w.key(name).floats(v, dims);
    }
  };
  JsonWriter w;
  w.begin_object().key("model").value(info.name).key("sentence").value(r.text);
  if (r.pair) w.key("pair").value(*r.pair);
  write_encoding_json(w, enc);
  const int nl = static_cast<int>(layers.size()), nh = static_cast<int>(heads.size());
  if (r.attentions || r.qk) w.key("layers").ints(layers).key("heads").ints(heads);
  if (r.attentions)
    array(w, "attentions", select_heads(out.attentions.view(), layers, heads), {nl, nh, n, n});
  if (r.hidden) array(w, "last_hidden_state", out.last_hidden_state, {n, out.hidden});
  if (r.pooler) {
    if (out.pooler_output.empty()) w.key("pooler_output").null();
    else array(w, "pooler_output", out.pooler_output, {out.hidden});
  }
  if (r.qk) {
    array(w, "queries", select_heads(out.query_view(), layers, heads), {nl, nh, n, out.head_dim});
    array(w, "keys", select_heads(out.key_view(), layers, heads), {nl, nh, n, out.head_dim});
  }
  w.end_object();
  return w.str();
}

std::string error_json(int status, std::string_view message) {
  JsonWriter w;
  w.begin_object().key("error").value(message).key("code").value(status).end_object();
  return w.str();
}

}  // namespace attnlab::server
