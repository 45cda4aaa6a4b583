// `attnlab models`: what --model can take on this machine. A Hugging Face cache laid out by hand holds
// a safetensors model and a GGUF file; both are listed by the names --model takes, with the
// architecture read from config.json / general.architecture; a cache snapshot that is not a model is
// not; the offline models are listed whether fetched or not.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>

#include "../support/fixtures.h"
#include "../support/temp_dir.h"
#include "cli_run.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::run_cli;

TEST(ModelsCli, ListsTheCacheAndTheOfflineModelsByTheNamesModelTakes) {
  testing::TempDir cache;
  const fs::path snap = cache.path() / "models--org--tiny" / "snapshots" / "abc123";
  fs::create_directories(snap);
  for (const auto& f : fs::directory_iterator(testing::kTiny)) fs::copy_file(f.path(), snap / f.path().filename());
  fs::create_directories(cache.path() / "models--org--tiny" / "refs");
  testing::write_file(cache.path() / "models--org--tiny" / "refs" / "main", "abc123");
  const fs::path gguf_snap = cache.path() / "models--org--llm-GGUF" / "snapshots" / "def456";
  fs::create_directories(gguf_snap);
  fs::copy_file(testing::kFixtures.parent_path().parent_path() / "fuzz" / "corpus" / "gguf" / "tiny_llama.gguf",
                gguf_snap / "tiny.Q8_0.gguf");
  fs::create_directories(cache.path() / "models--org--llm-GGUF" / "refs");
  testing::write_file(cache.path() / "models--org--llm-GGUF" / "refs" / "main", "def456");
  testing::write_file(gguf_snap / "notes.gguf", "not a gguf");                     // not listed
  fs::create_directories(cache.path() / "models--org--empty" / "snapshots" / "0");  // not listed
  testing::ProcessOptions o;
  o.env["HF_HUB_CACHE"] = cache.path().string();
  o.env["HF_HUB_OFFLINE"] = "1";  // the cache alone: no request leaves the machine
  const testing::ProcessResult r = run_cli({"models", "--json"}, o);
  ASSERT_EQ(r.exit_code, 0) << testing::describe(r);
  const json list = json::parse(r.out);
  std::map<std::string, json> by_name;
  for (const json& m : list) by_name[m["name"].get<std::string>()] = m;
  for (const char* offline : {"smollm2", "gemma3-270m", "all-MiniLM-L6-v2"}) {
    ASSERT_TRUE(by_name.count(offline)) << offline;
    EXPECT_EQ(by_name[offline]["source"], "offline");
    EXPECT_EQ(by_name[offline]["available"], !by_name[offline]["path"].is_null());
  }
  ASSERT_TRUE(by_name.count("org/tiny")) << r.out;
  EXPECT_EQ(by_name["org/tiny"]["architecture"], "bert");
  EXPECT_EQ(by_name["org/tiny"]["format"], "safetensors");
  EXPECT_EQ(by_name["org/tiny"]["bytes"], fs::file_size(snap / "model.safetensors"));
  ASSERT_TRUE(by_name.count("org/llm-GGUF:tiny.Q8_0.gguf")) << r.out;
  EXPECT_EQ(by_name["org/llm-GGUF:tiny.Q8_0.gguf"]["architecture"], "llama");
  EXPECT_EQ(by_name["org/llm-GGUF:tiny.Q8_0.gguf"]["path"], (gguf_snap / "tiny.Q8_0.gguf").string());
  EXPECT_EQ(list.size(), 5u) << r.out;
  // Each listed name is one --model takes.
  for (const json& m : list)
    if (m["available"].get<bool>()) {
      const testing::ProcessResult t = run_cli({"tokenize", "--model", m["name"].get<std::string>(), "hello"}, o);
      EXPECT_EQ(t.exit_code, 0) << m["name"] << "\n" << testing::describe(t);
    }
  // The table says the same, one model per line, with the name first.
  const testing::ProcessResult table = run_cli({"models"}, o);
  testing::expect_run(table, 0, "^org/llm-GGUF:tiny\\.Q8_0\\.gguf +llama +gguf ");
  testing::expect_run(table, 0, "^org/tiny +bert +safetensors ");
}

}  // namespace
}  // namespace attnlab
