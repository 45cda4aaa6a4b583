// Where the offline model is found: $ATTNLAB_OFFLINE_MODEL first, then the Hugging Face cache, with
// no source-tree path baked into the library.
#include "io/model_locator.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../support/env_guard.h"
#include "../support/temp_dir.h"

namespace attnlab {
namespace {
namespace fs = std::filesystem;
using testing::EnvGuard;
using testing::TempDir;
using testing::write_file;

void make_model_dir(const fs::path& dir) {
  fs::create_directories(dir);
  write_file(dir / "config.json", "{}");
  write_file(dir / "model.safetensors", "");
  write_file(dir / "vocab.txt", "[UNK]\n");
}

TEST(OfflineModel, EnvironmentVariableComesFirst) {
  EnvGuard env({"ATTNLAB_OFFLINE_MODEL", "HF_HUB_CACHE"});
  TempDir dir, cache;
  make_model_dir(dir / "mine");
  env.set("ATTNLAB_OFFLINE_MODEL", (dir / "mine").string());
  env.set("HF_HUB_CACHE", cache.path().string());
  EXPECT_EQ(offline_model_dir(), fs::weakly_canonical(dir / "mine"));
}

TEST(OfflineModel, FoundInTheHuggingFaceCache) {
  EnvGuard env({"ATTNLAB_OFFLINE_MODEL", "HF_HUB_CACHE"});
  TempDir cache;
  const std::string commit(40, 'a');
  const fs::path repo = cache / "models--sentence-transformers--all-MiniLM-L6-v2";
  fs::create_directories(repo / "refs");
  write_file(repo / "refs" / "main", commit);
  make_model_dir(repo / "snapshots" / commit);
  env.set("HF_HUB_CACHE", cache.path().string());
  env.set("ATTNLAB_OFFLINE_MODEL", (cache / "no-model-here").string());  // not a model: skipped
  EXPECT_EQ(offline_model_dir(), fs::weakly_canonical(repo / "snapshots" / commit));
}

}  // namespace
}  // namespace attnlab
