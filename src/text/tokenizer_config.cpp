// tokenizer_config.json reader (see tokenizer_config.h), following what transformers'
// PreTrainedTokenizerBase.__init__ and get_chat_template() make of each key.
#include "text/tokenizer_config.h"

#include <climits>
#include <cmath>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>
#include <vector>

#include "attnlab/error.h"
#include "core/file_error.h"
#include "io/text_file.h"

namespace attnlab {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// transformers' LARGE_INTEGER: a model_max_length above it means "no limit" (it then does not truncate).
constexpr double kLargeInteger = 1e20;

std::string type_name(const json& j) {
  if (j.is_number_float()) return "a float";
  if (j.is_number()) return "an integer";
  if (j.is_boolean()) return "a boolean";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

struct Reader {
  const fs::path& file;
  const json& j;

  const json* get(const char* key) const {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? nullptr : &*it;
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw_file_error(file, key + ": " + what);
  }

  std::optional<bool> boolean(const char* key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) fail(key, "expected true, false or null, got " + type_name(*v));
    return v->get<bool>();
  }

  // "<s>" or {"__type": "AddedToken", "content": "<s>", ...} (transformers turns the dict into an
  // AddedToken; only its content names the token).
  std::optional<std::string> token(const char* key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (v->is_string()) return v->get<std::string>();
    if (v->is_object()) {
      auto c = v->find("content");
      if (c == v->end()) fail(key, "an AddedToken object needs \"content\"");
      if (!c->is_string()) fail(std::string(key) + ".content", "expected a string, got " + type_name(*c));
      return c->get<std::string>();
    }
    fail(key, "expected a token string or an AddedToken object, got " + type_name(*v));
  }

  // An integer, or a float with an integral value; above LARGE_INTEGER (VERY_LARGE_INTEGER = 1e30 is
  // written as an integer JSON parsers hold as a double) means no limit.
  std::optional<long long> max_length(const char* key) const {
    const json* v = get(key);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned()) {
      const auto x = v->get<unsigned long long>();
      if (x > static_cast<unsigned long long>(LLONG_MAX)) return std::nullopt;  // ~1e19: no limit in practice
      return static_cast<long long>(x);
    }
    if (v->is_number_integer()) fail(key, "expected a non-negative length, got " + v->dump());
    if (v->is_number_float()) {
      const double x = v->get<double>();
      if (!(x >= 0) || x != std::floor(x)) fail(key, "expected a non-negative whole length, got " + v->dump());
      if (x > kLargeInteger || x >= 9.2e18) return std::nullopt;  // 9.2e18: beyond long long, no limit in practice
      return static_cast<long long>(x);
    }
    fail(key, "expected a length, got " + type_name(*v));
  }
};

}  // namespace

TokenizerConfig read_tokenizer_config(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec) && !ec) return {};
  json j;
  try {
    j = json::parse(read_bounded_file(file, kMaxTokenizerFileBytes, "tokenizer configuration"));
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    throw_file_error(file, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw_file_error(file, "expected a JSON object, found " + std::string(j.type_name()));

  const Reader r{file, j};
  TokenizerConfig c;
  c.add_bos_token = r.boolean("add_bos_token");
  c.add_eos_token = r.boolean("add_eos_token");
  c.bos_token = r.token("bos_token");
  c.eos_token = r.token("eos_token");
  c.pad_token = r.token("pad_token");
  c.unk_token = r.token("unk_token");
  // kwargs.pop("model_max_length", kwargs.pop("max_len", None)): a model_max_length key, even null,
  // hides max_len.
  c.model_max_length = j.contains("model_max_length") ? r.max_length("model_max_length") : r.max_length("max_len");
  c.clean_up_tokenization_spaces = r.boolean("clean_up_tokenization_spaces");

  if (const json* t = r.get("chat_template")) {
    if (t->is_string()) {
      c.chat_template = t->get<std::string>();
    } else if (t->is_array()) {
      // transformers makes {name: template} of the list (a repeated name: the last one wins).
      std::vector<std::pair<std::string, std::string>> entries;
      for (size_t i = 0; i < t->size(); ++i) {
        const json& e = (*t)[i];
        const std::string key = "chat_template[" + std::to_string(i) + "]";
        if (!e.is_object()) r.fail(key, "expected {\"name\": ..., \"template\": ...}, got " + type_name(e));
        for (const char* field : {"name", "template"}) {
          auto it = e.find(field);
          if (it == e.end()) r.fail(key, std::string("missing \"") + field + "\"");
          if (!it->is_string()) r.fail(key + "." + field, "expected a string, got " + type_name(*it));
        }
        const std::string name = e["name"].get<std::string>(), text = e["template"].get<std::string>();
        bool replaced = false;
        for (auto& [n, v] : entries)
          if (n == name) v = text, replaced = true;
        if (!replaced) entries.emplace_back(name, text);
      }
      for (const auto& [name, text] : entries)
        if (name == "default") c.chat_template = text, c.chat_template_name = name;
      if (!c.chat_template && !entries.empty()) {
        c.chat_template = entries.front().second;
        c.chat_template_name = entries.front().first;
      }
    } else {
      r.fail("chat_template", "expected a string or a list of {name, template}, got " + type_name(*t));
    }
  }
  return c;
}

}  // namespace attnlab
