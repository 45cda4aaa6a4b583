// The Llama family's config reader (model_type llama, mistral, qwen2, qwen3; SmolLM/SmolLM2 are llama),
// as transformers' configuration_*.py reads config.json. Its name table is in model/families.h.
#pragma once

#include <filesystem>
#include <string>

#include "model/spec.h"

namespace attnlab {

// The spec config.json describes. Error (kExitInput) naming the file and field otherwise.
ModelSpec read_decoder_config(const std::filesystem::path& config_json);
bool is_decoder_model_type(const std::string& model_type);

}  // namespace attnlab
