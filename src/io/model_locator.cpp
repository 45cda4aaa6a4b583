// Model location (see model_locator.h).
#include "io/model_locator.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <system_error>
#include <tuple>

#include "attnlab/error.h"
#include "io/gguf.h"
#include "io/hub.h"
#include "io/text_file.h"

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

// Where scripts/fetch_model.sh's models may be: build/attnlab -> models/, an installed bin/attnlab ->
// share/attnlab/models/, and ./models.
std::vector<std::filesystem::path> model_search_dirs() {
  std::vector<std::filesystem::path> dirs;
  const auto exe = executable_dir();
  if (!exe.empty()) {
    dirs.push_back(exe / ".." / "models");
    dirs.push_back(exe / ".." / "share" / "attnlab" / "models");
  }
  dirs.emplace_back("models");
  return dirs;
}

// Where scripts/fetch_model.sh put an offline GGUF model, if it did.
std::optional<std::filesystem::path> fetched_gguf(const OfflineGgufModel& m) {
  for (const auto& base : model_search_dirs())
    if (is_gguf_file(base / m.folder / m.file)) return std::filesystem::weakly_canonical(base / m.folder / m.file);
  return std::nullopt;
}

std::vector<std::filesystem::path> gguf_files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".gguf" && is_gguf_file(entry.path())) out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

// What a model says it is, without loading it: "llama", "gemma3", "bert", ...; "?" when unreadable.
std::string architecture_of(const LocalModel& m) {
  if (m.path.empty()) return "";
  try {
    if (m.format == "gguf") return GgufFile(m.path).get_string("general.architecture");
    const nlohmann::json c =
        nlohmann::json::parse(read_bounded_file(m.path / "config.json", kMaxConfigBytes, "model config"));
    if (c.is_object() && c.contains("model_type") && c["model_type"].is_string()) return c["model_type"];
  } catch (const std::exception&) {
  }
  return "?";
}

}  // namespace

std::optional<std::filesystem::path> offline_model_dir() {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("ATTNLAB_OFFLINE_MODEL"); env && *env) candidates.emplace_back(env);
  if (auto cached = find_cached_snapshot(hub_options_from_env(), kOfflineModelHubId)) candidates.push_back(*cached);
  for (const auto& base : model_search_dirs()) candidates.push_back(base / kOfflineModelName);
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
    if (is_gguf_file(model_arg)) return {model_arg, model_arg, "", {}};
    // org/name:file.gguf: one GGUF file of a Hub repo.
    if (const size_t colon = model_arg.find(':'); colon != std::string::npos && !std::filesystem::exists(model_arg, ec)) {
      const std::string repo = model_arg.substr(0, colon), file = model_arg.substr(colon + 1);
      if (!looks_like_hub_id(repo) || std::filesystem::path(file).extension() != ".gguf")
        throw Error(printable_line(model_arg) + ": not a model directory or file, and not a Hub GGUF file (like "
                    "org/name:model.Q4_K_M.gguf)",
                    kExitInput);
      std::string notice;
      auto path = fetch_model_file(hub, repo, file, &notice);
      if (!is_gguf_file(path))
        throw Error(printable_line(model_arg) + ": the downloaded " + path.string() +
                        " is not a GGUF file (it does not start with the bytes GGUF)",
                    kExitInput);
      return {std::move(path), model_arg, std::move(notice), hub_repo_folder(hub, repo)};
    }
    if (std::filesystem::path(model_arg).extension() == ".gguf")
      throw Error(printable_line(model_arg) + (std::filesystem::exists(model_arg, ec)
                                                   ? ": not a GGUF file (it does not start with the bytes GGUF)"
                                                   : ": no such file"),
                  kExitInput);
    if (std::filesystem::is_directory(model_arg, ec)) {
      if (std::filesystem::exists(std::filesystem::path(model_arg) / "config.json")) return {model_arg, model_arg, "", {}};
      const std::vector<std::filesystem::path> ggufs = gguf_files_in(model_arg);
      if (ggufs.size() == 1) return {ggufs[0], model_arg, "", {}};
      if (ggufs.size() > 1) {
        std::string names;
        for (const auto& g : ggufs) names.append(names.empty() ? "" : ", ").append(g.filename().string());
        throw Error(printable_line(model_arg) + ": holds several GGUF files (" + printable_line(names) +
                        "); name one: --model " + printable_line((ggufs[0]).string()),
                    kExitInput);
      }
      throw Error(printable_line(model_arg) + ": not a model directory (no config.json, no .gguf file); expected "
                  "Hugging Face layout: config.json, model.safetensors, vocab.txt or tokenizer.json",
                  kExitInput);
    }
    for (const OfflineGgufModel& m : kOfflineGgufModels) {
      if (model_arg != m.name) continue;
      if (auto path = fetched_gguf(m)) return {std::move(*path), m.name, "", {}};
      throw Error(std::string(m.name) + ": the offline model is not fetched; run `make model` (or scripts/fetch_model.sh " +
                      m.name + ") in the attnlab checkout",
                  kExitInput);
    }
    // The offline BERT by its name, as `attnlab models` lists it (not a Hub id: that is org/name).
    if (model_arg == kOfflineModelName)
      if (auto dir = offline_model_dir()) return {std::move(*dir), model_arg, "", {}};
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

std::vector<LocalModel> local_models() {
  std::vector<LocalModel> out;
  std::error_code ec;
  const auto file_size = [&](const std::filesystem::path& p) -> uint64_t {
    const auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : static_cast<uint64_t>(n);
  };
  for (const OfflineGgufModel& g : kOfflineGgufModels) {
    LocalModel m{g.name, fetched_gguf(g).value_or(std::filesystem::path()), "gguf", "offline", 0, ""};
    if (!m.path.empty()) m.bytes = file_size(m.path);
    out.push_back(std::move(m));
  }
  {
    LocalModel m{kOfflineModelName, offline_model_dir().value_or(std::filesystem::path()), "safetensors", "offline", 0, ""};
    if (!m.path.empty()) m.bytes = file_size(m.path / "model.safetensors");
    out.push_back(std::move(m));
  }
  // The cache: models--ORG--NAME/snapshots/<commit>/, newest listing order made stable by sorting.
  const HubOptions hub = hub_options_from_env();
  std::vector<LocalModel> cached;
  for (const auto& repo : std::filesystem::directory_iterator(hub.cache_dir, ec)) {
    const std::string folder = repo.path().filename().string();
    if (folder.rfind("models--", 0) != 0) continue;
    std::string id = folder.substr(8);
    if (const size_t sep = id.find("--"); sep != std::string::npos) id.replace(sep, 2, "/");
    if (!looks_like_hub_id(id)) continue;
    std::error_code walk;
    for (const auto& snap : std::filesystem::directory_iterator(repo.path() / "snapshots", walk)) {
      if (holds_model(snap.path()))
        cached.push_back({id, snap.path(), "safetensors", "hub cache", file_size(snap.path() / "model.safetensors"), ""});
      for (const auto& g : gguf_files_in(snap.path()))
        cached.push_back({id + ":" + g.filename().string(), g, "gguf", "hub cache", file_size(g), ""});
    }
  }
  std::sort(cached.begin(), cached.end(), [](const LocalModel& a, const LocalModel& b) {
    return std::tie(a.name, a.path) < std::tie(b.name, b.path);
  });
  out.insert(out.end(), cached.begin(), cached.end());
  for (LocalModel& m : out) m.architecture = architecture_of(m);
  return out;
}

}  // namespace attnlab
