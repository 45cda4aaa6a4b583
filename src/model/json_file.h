// config.json, generation_config.json and model.safetensors.index.json: one JSON object per file, read
// bounded (io/text_file.h).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>

namespace attnlab {

// The file's JSON object. Error (kExitInput) naming the file when it is missing, larger than
// max_bytes, not JSON, or not an object.
nlohmann::json read_json_object(const std::filesystem::path& file, uint64_t max_bytes);

}  // namespace attnlab
