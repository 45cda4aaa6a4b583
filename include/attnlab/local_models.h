// The models on this machine that Engine::open (and the CLI's --model) takes by name, as
// `attnlab models` lists them: the offline models `make model` fetches, and what the Hugging Face
// cache holds that attnlab opens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace attnlab {

struct LocalModel {
  std::string name;            // what --model / Engine::open takes for it
  std::filesystem::path path;  // the .gguf file or the model directory; empty: an offline model not fetched
  std::string format;          // "gguf" or "safetensors"
  std::string source;          // "offline" (make model) or "hub cache"
  uint64_t bytes = 0;          // size of the weights file
  std::string architecture;    // GGUF general.architecture or config.json model_type; "?" if unreadable, "" if not fetched
};

// The offline models (smollm2, gemma3-270m, all-MiniLM-L6-v2: fetched or not) and every model in the
// Hugging Face cache ($HF_HUB_CACHE, ...): a snapshot with config.json and model.safetensors
// (ORG/NAME) and each .gguf file of a snapshot (ORG/NAME:FILE). Reads directory listings, GGUF
// headers and config.json files only: no weights, never the network.
std::vector<LocalModel> local_models();

}  // namespace attnlab
