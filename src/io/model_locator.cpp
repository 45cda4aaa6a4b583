// Model location (see model_locator.h).
#include "io/model_locator.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "attnlab/error.h"
#include "io/hub.h"

namespace attnlab {
namespace {

bool holds_model(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_regular_file(dir / "config.json", ec) &&
         std::filesystem::is_regular_file(dir / "model.safetensors", ec);
}

std::filesystem::path executable_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

}  // namespace

std::optional<std::filesystem::path> offline_model_dir() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("ATTNLAB_OFFLINE_MODEL"); env && *env) candidates.emplace_back(env);
  if (auto cached = find_cached_snapshot(hub_options_from_env(), kOfflineModelHubId)) candidates.push_back(*cached);
  const auto exe = executable_dir();
  if (!exe.empty()) {
    candidates.push_back(exe / ".." / "models" / kOfflineModelName);  // build/attnlab -> models/
    candidates.push_back(exe / ".." / "share" / "attnlab" / "models" / kOfflineModelName);  // installed: bin/attnlab
  }
  candidates.push_back(std::filesystem::path("models") / kOfflineModelName);
  for (const auto& c : candidates)
    if (holds_model(c)) return std::filesystem::weakly_canonical(c);
  return std::nullopt;
}

LocatedModel locate_model(const std::string& model_arg,
                          const std::function<void(const DownloadProgress&)>& on_progress) {
  HubOptions hub = hub_options_from_env();
  hub.on_progress = on_progress;
  if (!model_arg.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(model_arg, ec)) {
      if (!std::filesystem::exists(std::filesystem::path(model_arg) / "config.json"))
        throw Error(printable_line(model_arg) + ": not a model directory (no config.json); expected Hugging Face "
                    "layout: config.json, model.safetensors, vocab.txt or tokenizer.json",
                    kExitInput);
      return {model_arg, model_arg, "", {}};
    }
    if (!looks_like_hub_id(model_arg))
      throw Error(printable_line(model_arg) + ": no such model directory, and not a Hugging Face Hub id (like "
                  "bert-base-uncased or org/name)",
                  kExitInput);
    std::string notice;
    auto dir = fetch_model(hub, model_arg, &notice);
    return {std::move(dir), model_arg, std::move(notice), hub_repo_folder(hub, model_arg)};
  }

  // No --model: the notebook's model if it can be had, else the offline model, said in one line.
  std::string why;
  try {
    const auto folder = hub_repo_folder(hub, kDefaultModelId);
    if (auto cached = find_cached_snapshot(hub, kDefaultModelId)) return {*cached, kDefaultModelId, "", folder};
    std::string notice;
    auto dir = fetch_model(hub, kDefaultModelId, &notice);
    return {std::move(dir), kDefaultModelId, std::move(notice), folder};
  } catch (const Error& e) {
    why = e.what();
  }
  const auto offline = offline_model_dir();
  if (!offline)
    throw Error(std::string("the default model ") + kDefaultModelId + " is not available (" + why +
                    ") and the offline model " + kOfflineModelName +
                    " was not found; run scripts/fetch_model.sh, or pass --model DIR",
                kExitNetwork);
  const std::string first_line = why.substr(0, std::min(why.find('\n'), why.find(';')));
  return {*offline, kOfflineModelName,
          std::string(kDefaultModelId) + " is not available (" + first_line + "); using the offline model " +
              kOfflineModelName + " (" + offline->string() + ")",
          {}};
}

}  // namespace attnlab
