// Where models come from: a --model value (directory or Hub id) becomes a local model directory,
// through the Hugging Face cache Python users share; with no --model, the notebook's
// bert-base-uncased, or when that cannot be had, the offline all-MiniLM-L6-v2 (said on stderr).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "attnlab/download.h"
#include "attnlab/local_models.h"

namespace attnlab {

inline constexpr const char* kDefaultModelId = "bert-base-uncased";     // the notebook's model
inline constexpr const char* kOfflineModelName = "all-MiniLM-L6-v2";    // shipped by scripts/fetch_model.sh
inline constexpr const char* kOfflineModelHubId = "sentence-transformers/all-MiniLM-L6-v2";  // the same on the Hub

// The GGUF models scripts/fetch_model.sh fetches, by the short name --model takes: folder and file
// under models/.
struct OfflineGgufModel {
  const char* name;
  const char* folder;
  const char* file;
};
inline constexpr OfflineGgufModel kOfflineGgufModels[] = {
    {"smollm2", "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf"},
    {"gemma3-270m", "gemma-3-270m", "gemma-3-270m-q4_k_m.gguf"},
};

struct LocatedModel {
  std::filesystem::path dir;  // the model directory, or the .gguf file of a GGUF model
  std::string name;         // what to call it in output: the --model value, or the default's name
  std::string notice;       // one line for the user when the default or a stale cached copy was used
  std::filesystem::path hub_folder;  // the cache's models--ORG--NAME folder when it came from the Hub
};

// The offline model's directory, the first of these that holds a model (nullopt when none does):
// $ATTNLAB_OFFLINE_MODEL; the Hugging Face cache's sentence-transformers/all-MiniLM-L6-v2 (no network);
// <exe>/../models/all-MiniLM-L6-v2 (a build directory in the checkout, where scripts/fetch_model.sh puts it);
// <exe>/../share/attnlab/models/all-MiniLM-L6-v2 (an installed attnlab); ./models/all-MiniLM-L6-v2.
std::optional<std::filesystem::path> offline_model_dir();

// model_arg empty: the default model (with fallback). Otherwise a GGUF file, a directory (with
// config.json, or holding one .gguf file), a fetched offline model by short name (smollm2,
// gemma3-270m; all-MiniLM-L6-v2 when offline_model_dir() finds it), a Hub id, or a Hub repo's GGUF
// file (org/name:file.gguf), resolved through the cache / downloaded; a named model that cannot be
// had is an error.
// on_progress reports downloads (see HubOptions).
LocatedModel locate_model(const std::string& model_arg,
                          const std::function<void(const DownloadProgress&)>& on_progress = {});

// local_models() (attnlab/local_models.h) is implemented beside locate_model, which shares its search.

}  // namespace attnlab
