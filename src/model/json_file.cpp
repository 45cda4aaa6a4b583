// See json_file.h.
#include "model/json_file.h"

#include <string>

#include "attnlab/error.h"
#include "io/text_file.h"

namespace attnlab {

nlohmann::json read_json_object(const std::filesystem::path& file, uint64_t max_bytes) {
  const std::string text = read_bounded_file(file, max_bytes, "configuration");
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object()) throw Error(file.string() + ": expected a JSON object, found " + j.type_name(), kExitInput);
    return j;
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not valid JSON: " + e.what(), kExitInput);
  }
}

}  // namespace attnlab
