// Resolves a Hugging Face Hub model id ("bert-base-uncased", "org/name") to a local snapshot
// directory in the huggingface_hub cache, downloading missing files over HTTP (libcurl) unless offline.
// The cache layout is exactly huggingface_hub's, so Python and attnlab share one copy:
//   <cache>/models--ORG--NAME/refs/<revision>            commit hash, no newline
//   <cache>/models--ORG--NAME/blobs/<etag>               file content (<etag>.incomplete while downloading)
//   <cache>/models--ORG--NAME/snapshots/<commit>/<file>  relative symlink to ../../blobs/<etag>
//   <cache>/models--ORG--NAME/.no_exist/<commit>/<file>  empty marker: optional file absent on the Hub
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/download.h"

namespace attnlab {

struct HubOptions {
  std::string endpoint = "https://huggingface.co";  // $HF_ENDPOINT; no trailing '/'
  std::filesystem::path cache_dir;                  // $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
  bool offline = false;                             // $HF_HUB_OFFLINE in {1, ON, YES, TRUE}, any case
  std::string revision = "main";                    // branch, tag or 40-hex commit
  std::function<void(const DownloadProgress&)> on_progress;  // per downloading file; empty: silent
  std::string token;     // $HF_TOKEN, else the file $HF_HOME/token; sent as "Authorization: Bearer"
  // LFS downloads are hashed and must match their sha256 etag. false only to measure what the check
  // costs (hub_test's Sha256CostOnABertBaseSizedDownload); nothing else turns it off.
  bool verify_sha256 = true;
};

// Reads the same environment variables as huggingface_hub (see HubOptions). Does not touch the disk
// except to read the token file (at most 64 kB). A token holding a control character (CR, LF: it
// would add request headers) is refused: Error(kExitInput).
HubOptions hub_options_from_env();

// True for strings shaped like a Hub model id: "NAME" or "ORG/NAME", each part of ASCII letters,
// digits, '-', '_', '.', starting and ending with a letter, digit or '_', no "--" or "..", at most
// 96 characters. Purely syntactic: "models/minilm" passes, so callers check for a local directory first.
bool looks_like_hub_id(std::string_view s);

struct HubFile {
  std::string name;    // "config.json"
  bool required;       // a missing required file is an error; a missing optional one is remembered in .no_exist
  uint64_t max_bytes;  // attnlab's read limit for it, which caps its download; 0 for the weights (no cap)
};

// The cache folder of repo_id: <cache>/models--ORG--NAME (huggingface_hub repo_folder_name).
std::filesystem::path hub_repo_folder(const HubOptions& options, const std::string& repo_id);

// The files attnlab reads from a BERT repo. At least one of vocab.txt / tokenizer.json must exist.
const std::vector<HubFile>& bert_model_files();

// The snapshot directory of repo_id at options.revision if every required file and at least one
// tokenizer file (vocab.txt or tokenizer.json) is cached; nullopt otherwise. Never uses the network.
std::optional<std::filesystem::path> find_cached_snapshot(const HubOptions& options, const std::string& repo_id);

// Returns the snapshot directory of repo_id at options.revision. When every file of
// bert_model_files() is cached or known absent, it makes no request at all (a branch such as "main"
// is not re-checked for new commits). Otherwise it asks the Hub for every file, pinned to one
// commit, and downloads the missing blobs (resuming a partial one). Offline, only the cache is used.
// Throws attnlab::Error: kExitInput for a bad id, kExitNetwork for download failures and missing
// files, kExitIo when the cache cannot be written.
std::filesystem::path fetch_model(const HubOptions& options, const std::string& repo_id,
                                  std::string* notice = nullptr);

// One file of repo_id (a GGUF checkpoint, which holds its tokenizer: `--model org/name:file.gguf`),
// cached, pinned and downloaded as fetch_model does (an LFS file's sha256 checked against its etag);
// returns its path in the snapshot. A filename that is not a plain name ([A-Za-z0-9._-], not starting
// with '.') is refused (kExitInput).
std::filesystem::path fetch_model_file(const HubOptions& options, const std::string& repo_id,
                                       const std::string& filename, std::string* notice = nullptr);

}  // namespace attnlab
