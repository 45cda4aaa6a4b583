// Typed reads of tokenizer.json fields: every wrong type or missing key is one attnlab::Error naming
// the file and the field's path ("tokenizer.json: pre_tokenizer.pretokenizers[1].behavior").
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "attnlab/error.h"

namespace attnlab::json_fields {

// Where a value sits: the file name and the path inside it.
struct Where {
  std::string source;  // e.g. "models/x/tokenizer.json"
  std::string path;    // e.g. "normalizer.normalizers[0]"

  Where key(std::string_view k) const { return {source, path.empty() ? std::string(k) : path + "." + std::string(k)}; }
  Where index(size_t i) const { return {source, path + "[" + std::to_string(i) + "]"}; }
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(source + ": " + (path.empty() ? std::string() : path + ": ") + what, kExitInput);
  }
};

inline std::string type_name(const nlohmann::json& j) { return j.type_name(); }

// Looked up in the object's std::map directly: GCC's -Wnull-dereference misreads nlohmann's iterators.
inline const nlohmann::json* find_field(const nlohmann::json& j, std::string_view k) {
  if (!j.is_object()) return nullptr;
  const auto& obj = j.get_ref<const nlohmann::json::object_t&>();
  auto it = obj.find(k);
  return it == obj.end() ? nullptr : &it->second;
}

inline const nlohmann::json& require(const nlohmann::json& j, std::string_view k, const Where& w) {
  if (!j.is_object()) w.fail("expected an object, found " + type_name(j));
  const nlohmann::json* v = find_field(j, k);
  if (v == nullptr) w.fail("missing field '" + std::string(k) + "'");
  return *v;
}

// The field, or nullptr when it is absent or null.
inline const nlohmann::json* optional(const nlohmann::json& j, std::string_view k) {
  const nlohmann::json* v = find_field(j, k);
  return v == nullptr || v->is_null() ? nullptr : v;
}

inline bool as_bool(const nlohmann::json& v, const Where& w) {
  if (!v.is_boolean()) w.fail("expected true or false, found " + type_name(v));
  return v.get<bool>();
}

inline const std::string& as_string(const nlohmann::json& v, const Where& w) {
  if (!v.is_string()) w.fail("expected a string, found " + type_name(v));
  return v.get_ref<const std::string&>();
}

inline long long as_int(const nlohmann::json& v, const Where& w, long long lo, long long hi) {
  if (!v.is_number_integer() && !v.is_number_unsigned()) w.fail("expected an integer, found " + type_name(v));
  if (v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(hi))
    w.fail("expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], found " + v.dump());
  const long long x = v.get<long long>();
  if (x < lo || x > hi)
    w.fail("expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], found " + v.dump());
  return x;
}

inline bool bool_field(const nlohmann::json& j, std::string_view k, const Where& w) {
  return as_bool(require(j, k, w), w.key(k));
}
inline bool bool_field_or(const nlohmann::json& j, std::string_view k, bool dflt, const Where& w) {
  const nlohmann::json* v = optional(j, k);
  return v ? as_bool(*v, w.key(k)) : dflt;
}
inline std::string string_field(const nlohmann::json& j, std::string_view k, const Where& w) {
  return as_string(require(j, k, w), w.key(k));
}

// The "type" of a component object.
inline std::string type_of(const nlohmann::json& j, const Where& w) { return string_field(j, "type", w); }

}  // namespace attnlab::json_fields
