// Hub downloader and cache: every test runs against a fake Hub (tests/support/fake_hub.h: cpp-httplib
// on 127.0.0.1, ephemeral port) that imitates huggingface.co's resolve endpoint and its CDN redirect,
// with a fresh cache dir.
#include "io/hub.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "../support/env_guard.h"
#include "../support/fake_hub.h"
#include "../support/fixtures.h"
#include "../support/temp_dir.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {
namespace fs = std::filesystem;

using testing::EnvGuard;
using testing::FakeFile;
using testing::FakeHub;
using testing::TempDir;
using testing::fake_hash;
using testing::read_text;

const std::string kRepo = FakeHub::kRepo;
const std::string kCommit = FakeHub::kCommit;

class Hub : public ::testing::Test {
 protected:
  HubOptions options() const {
    HubOptions o;
    o.endpoint = hub.endpoint();
    o.cache_dir = cache.path();
    return o;
  }
  fs::path repo_dir() const { return cache.path() / "models--org--tiny-bert"; }
  fs::path snapshot() const { return repo_dir() / "snapshots" / kCommit; }

  FakeHub hub;
  TempDir cache;
};

std::string error_of(const HubOptions& o, const std::string& repo, int* exit_code = nullptr) {
  try {
    fetch_model(o, repo);
  } catch (const Error& e) {
    if (exit_code) *exit_code = e.exit_code();
    return e.what();
  }
  ADD_FAILURE() << "fetch_model(" << repo << ") did not throw";
  return "";
}

TEST_F(Hub, DownloadsTheHuggingfaceHubCacheLayout) {
  const fs::path dir = fetch_model(options(), kRepo);
  EXPECT_EQ(dir, snapshot());
  EXPECT_EQ(read_text(repo_dir() / "refs" / "main"), kCommit);  // no newline, as huggingface_hub writes it
  for (const auto& [name, f] : hub.files) {
    SCOPED_TRACE(name);
    const fs::path link = snapshot() / name;
    ASSERT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(fs::read_symlink(link), fs::path("../../blobs") / f.etag());  // relative, etag without W/ or quotes
    EXPECT_EQ(read_text(repo_dir() / "blobs" / f.etag()), f.content);
    EXPECT_EQ(read_text(link), f.content);
  }
  size_t blobs = 0;
  for (const auto& e : fs::directory_iterator(repo_dir() / "blobs")) {
    EXPECT_EQ(e.path().extension(), "") << e.path();  // no .incomplete left
    ++blobs;
  }
  EXPECT_EQ(blobs, hub.files.size());
  EXPECT_FALSE(fs::exists(repo_dir() / ".no_exist"));
  EXPECT_TRUE(hub.logged("HEAD /org/tiny-bert/resolve/main/config.json"));
  // Later files are pinned to the commit the first answer named.
  EXPECT_TRUE(hub.logged("HEAD /org/tiny-bert/resolve/" + kCommit + "/vocab.txt"));
  EXPECT_EQ(find_cached_snapshot(options(), kRepo), snapshot());
}

TEST_F(Hub, SecondCallUsesTheCacheWithoutAnyRequest) {
  fetch_model(options(), kRepo);
  const int after_first = hub.requests();
  EXPECT_GT(after_first, 0);
  EXPECT_EQ(fetch_model(options(), kRepo), snapshot());
  EXPECT_EQ(hub.requests(), after_first);
}

TEST_F(Hub, BigFileFollowsTheAbsoluteCdnRedirectWithLinkedEtagAndSize) {
  HubOptions o = options();
  o.token = "hf_secret";
  fetch_model(o, kRepo);
  const FakeFile& weights = hub.files["model.safetensors"];
  EXPECT_EQ(fs::read_symlink(snapshot() / "model.safetensors"), fs::path("../../blobs") / weights.etag());
  EXPECT_EQ(fs::file_size(repo_dir() / "blobs" / weights.etag()), weights.content.size());
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / fake_hash("pointer", 40)));  // not the pointer's ETag
  // The HEAD stops at the 302 (sent with the token); the GET goes straight to the CDN without it.
  EXPECT_TRUE(hub.logged("HEAD /org/tiny-bert/resolve/" + kCommit + "/model.safetensors auth=Bearer hf_secret"));
  EXPECT_TRUE(hub.logged("GET /cdn/" + weights.etag()));
  EXPECT_TRUE(hub.logged("GET /org/tiny-bert/resolve/main/config.json auth=Bearer hf_secret"));
  EXPECT_FALSE(hub.logged("GET /org/tiny-bert/resolve/" + kCommit + "/model.safetensors auth=Bearer hf_secret"));
}

TEST_F(Hub, FollowsARelativeRedirectOfARenamedRepo) {
  hub.renamed_from = "org/old-name";
  const fs::path dir = fetch_model(options(), "org/old-name");
  EXPECT_EQ(dir, cache.path() / "models--org--old-name" / "snapshots" / kCommit);  // cached under the asked id
  EXPECT_EQ(read_text(dir / "config.json"), hub.files["config.json"].content);
  EXPECT_TRUE(hub.logged("HEAD /org/old-name/resolve/main/config.json"));
  EXPECT_TRUE(hub.logged("HEAD /org/tiny-bert/resolve/main/config.json"));
}

TEST_F(Hub, OptionalFileMissingOnTheHubLeavesANoExistMarker) {
  hub.missing = {"tokenizer.json", "special_tokens_map.json"};
  fetch_model(options(), kRepo);
  for (const std::string name : {"tokenizer.json", "special_tokens_map.json"}) {
    const fs::path marker = repo_dir() / ".no_exist" / kCommit / name;
    ASSERT_TRUE(fs::is_regular_file(marker)) << marker;
    EXPECT_EQ(fs::file_size(marker), 0u);
    EXPECT_FALSE(fs::exists(snapshot() / name));
  }
  EXPECT_TRUE(fs::exists(snapshot() / "vocab.txt"));
  const int after_first = hub.requests();
  fetch_model(options(), kRepo);  // the markers make the cache complete: no request
  EXPECT_EQ(hub.requests(), after_first);
}

TEST_F(Hub, RequiredFileMissingOnTheHubIsAnErrorNamingIt) {
  hub.missing = {"model.safetensors"};
  int code = 0;
  const std::string message = error_of(options(), kRepo, &code);
  EXPECT_NE(message.find("repo org/tiny-bert has no file model.safetensors (revision main)"), std::string::npos)
      << message;
  EXPECT_EQ(code, kExitNetwork);
}

TEST_F(Hub, NoTokenizerFileIsAnError) {
  hub.missing = {"vocab.txt", "tokenizer.json"};
  const std::string message = error_of(options(), kRepo);
  EXPECT_NE(message.find("neither vocab.txt nor tokenizer.json"), std::string::npos) << message;
}

TEST_F(Hub, UnknownRepoSaysThereIsNoSuchModel) {
  const std::string message = error_of(options(), "org/no-such-model");
  EXPECT_NE(message.find("no model org/no-such-model on the Hub"), std::string::npos) << message;
}

TEST_F(Hub, UnknownRevisionIsNamed) {
  HubOptions o = options();
  o.revision = "v9";
  const std::string message = error_of(o, kRepo);
  EXPECT_NE(message.find("no revision 'v9'"), std::string::npos) << message;
}

TEST_F(Hub, UnauthorizedMentionsGatedRepoAndHfToken) {
  hub.unauthorized = true;
  int code = 0;
  const std::string message = error_of(options(), kRepo, &code);
  EXPECT_NE(message.find("gated or private"), std::string::npos) << message;
  EXPECT_NE(message.find("HF_TOKEN"), std::string::npos) << message;
  EXPECT_EQ(code, kExitNetwork);
}

TEST_F(Hub, ConnectionCutMidFileKeepsIncompleteAndTheRerunResumes) {
  const long cut = 100000;
  hub.cut_after = cut;
  int code = 0;
  const std::string message = error_of(options(), kRepo, &code);
  EXPECT_NE(message.find("model.safetensors"), std::string::npos) << message;
  EXPECT_EQ(code, kExitNetwork);
  const FakeFile& weights = hub.files["model.safetensors"];
  const fs::path blob = repo_dir() / "blobs" / weights.etag();
  EXPECT_FALSE(fs::exists(blob));
  EXPECT_FALSE(fs::is_symlink(snapshot() / "model.safetensors"));
  const fs::path incomplete = blob.string() + ".incomplete";
  ASSERT_TRUE(fs::exists(incomplete));
  const auto partial = fs::file_size(incomplete);
  EXPECT_GT(partial, 0u);
  EXPECT_LE(partial, static_cast<uintmax_t>(cut));

  hub.cut_after = -1;  // the server is healthy again
  fetch_model(options(), kRepo);
  EXPECT_TRUE(hub.logged("GET /cdn/" + weights.etag() + " range=bytes=" + std::to_string(partial) + "-"));
  EXPECT_EQ(read_text(snapshot() / "model.safetensors"), weights.content);
  EXPECT_FALSE(fs::exists(incomplete));
}

TEST_F(Hub, SizeDifferentFromTheAnnouncedOneIsAnError) {
  hub.linked_size_extra = 7;
  const std::string message = error_of(options(), kRepo);
  EXPECT_NE(message.find("got 300000 bytes, the Hub announced 300007"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / hub.files["model.safetensors"].etag()));
  EXPECT_FALSE(fs::is_symlink(snapshot() / "model.safetensors"));
}

TEST_F(Hub, CommitRevisionNeedsNoRef) {
  HubOptions o = options();
  o.revision = kCommit;
  EXPECT_EQ(fetch_model(o, kRepo), snapshot());
  EXPECT_FALSE(fs::exists(repo_dir() / "refs"));
  EXPECT_FALSE(hub.logged("HEAD /org/tiny-bert/resolve/main/config.json"));
  const int after_first = hub.requests();
  o.offline = true;
  EXPECT_EQ(fetch_model(o, kRepo), snapshot());
  EXPECT_EQ(hub.requests(), after_first);
}

TEST_F(Hub, OfflineWithEverythingCachedMakesNoRequest) {
  fetch_model(options(), kRepo);
  const int after_first = hub.requests();
  HubOptions o = options();
  o.offline = true;
  o.endpoint = "http://127.0.0.1:1";  // would fail if used
  EXPECT_EQ(fetch_model(o, kRepo), snapshot());
  EXPECT_EQ(hub.requests(), after_first);
}

TEST_F(Hub, OfflineWithNothingCachedSaysHowToFix) {
  HubOptions o = options();
  o.offline = true;
  int code = 0;
  const std::string message = error_of(o, kRepo, &code);
  EXPECT_NE(message.find("HF_HUB_OFFLINE"), std::string::npos) << message;
  EXPECT_NE(message.find("local model directory"), std::string::npos) << message;
  EXPECT_EQ(code, kExitNetwork);
  EXPECT_EQ(hub.requests(), 0);
}

TEST_F(Hub, UnreachableEndpointIsNamedAndAUsableCacheIsUsedInstead) {
  std::string dead;
  {
    FakeHub gone;
    dead = gone.endpoint();
  }  // stopped: its port now refuses connections
  HubOptions o = options();
  o.endpoint = dead;
  const std::string message = error_of(o, kRepo);
  EXPECT_NE(message.find("cannot reach the Hub at " + dead), std::string::npos) << message;

  hub.missing = {"special_tokens_map.json"};
  fetch_model(options(), kRepo);
  fs::remove_all(repo_dir() / ".no_exist");  // usable but not known complete: would ask the Hub
  std::string notice;
  EXPECT_EQ(fetch_model(o, kRepo, &notice), snapshot());
  EXPECT_EQ(notice.rfind("warning: cannot reach the Hub at " + dead, 0), 0u) << notice;
  EXPECT_NE(notice.find("; using the cached " + snapshot().string()), std::string::npos) << notice;
}

TEST_F(Hub, ProgressIsReportedForEachDownloadedFileFromStartToFinish) {
  HubOptions o = options();
  std::vector<DownloadProgress> calls;
  o.on_progress = [&](const DownloadProgress& p) { calls.push_back(p); };
  fetch_model(o, kRepo);
  std::set<std::string> started, finished;
  for (const DownloadProgress& p : calls) {
    if (!started.count(p.file)) {
      EXPECT_EQ(p.done, p.resumed_from) << p.file;  // first call: nothing new yet
    }
    started.insert(p.file);
    if (p.finished) finished.insert(p.file);
    if (p.total > 0) {
      EXPECT_LE(p.done, p.total) << p.file;
    }
  }
  EXPECT_EQ(finished.size(), hub.files.size());
  const auto last = std::find_if(calls.rbegin(), calls.rend(),
                                 [](const DownloadProgress& p) { return p.file == "model.safetensors"; });
  ASSERT_NE(last, calls.rend());
  EXPECT_TRUE(last->finished);
  EXPECT_EQ(last->total, 300000u);
  EXPECT_EQ(last->done, 300000u);
}

TEST(HubId, AcceptsHubIdsAndRejectsPaths) {
  for (const char* id : {"bert-base-uncased", "google/bert_uncased_L-2_H-128_A-2", "org/name", "a", "x.y/z_1"})
    EXPECT_TRUE(looks_like_hub_id(id)) << id;
  for (const char* s : {"", "/abs/path", "./models/x", "../x", "a/b/c", "org/", "/name", "a..b", "a--b", "~/m",
                        "org/name.git", "-lead", "trail-", ".hidden", "name with space", "models\\x",
                        "a/b/"})
    EXPECT_FALSE(looks_like_hub_id(s)) << s;
  EXPECT_FALSE(looks_like_hub_id(std::string(97, 'a')));
}

TEST(HubFiles, BertFilesRequireConfigAndWeights) {
  std::set<std::string> required, all;
  for (const auto& f : bert_model_files()) {
    all.insert(f.name);
    if (f.required) required.insert(f.name);
  }
  EXPECT_EQ(required, (std::set<std::string>{"config.json", "model.safetensors"}));
  EXPECT_TRUE(all.count("vocab.txt") && all.count("tokenizer.json"));
}

// Every variable hub_options_from_env() reads, unset for the test.
class HubEnvGuard : public EnvGuard {
 public:
  HubEnvGuard()
      : EnvGuard({"HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HOME", "HF_ENDPOINT",
                  "HF_HUB_OFFLINE", "HF_TOKEN", "HF_TOKEN_PATH"}) {}
};

TEST(HubEnv, CacheDirPrecedenceMatchesHuggingfaceHub) {
  HubEnvGuard env;
  TempDir home;
  env.set("HOME", home.path().string());
  EXPECT_EQ(hub_options_from_env().cache_dir, home.path() / ".cache" / "huggingface" / "hub");
  env.set("XDG_CACHE_HOME", "/xdg");
  EXPECT_EQ(hub_options_from_env().cache_dir, fs::path("/xdg/huggingface/hub"));
  env.set("HF_HOME", "~/hf");
  EXPECT_EQ(hub_options_from_env().cache_dir, home.path() / "hf" / "hub");
  env.set("HF_HUB_CACHE", "/hub-cache");
  EXPECT_EQ(hub_options_from_env().cache_dir, fs::path("/hub-cache"));
}

TEST(HubEnv, EndpointOfflineAndToken) {
  HubEnvGuard env;
  TempDir home;
  env.set("HOME", home.path().string());
  HubOptions o = hub_options_from_env();
  EXPECT_EQ(o.endpoint, "https://huggingface.co");
  EXPECT_FALSE(o.offline);
  EXPECT_EQ(o.revision, "main");
  EXPECT_TRUE(o.token.empty());

  env.set("HF_ENDPOINT", "http://mirror.local:8080/");
  EXPECT_EQ(hub_options_from_env().endpoint, "http://mirror.local:8080");
  for (const char* on : {"1", "ON", "yes", "True"}) {
    env.set("HF_HUB_OFFLINE", on);
    EXPECT_TRUE(hub_options_from_env().offline) << on;
  }
  for (const char* off : {"0", "off", "no", "false", "2"}) {
    env.set("HF_HUB_OFFLINE", off);
    EXPECT_FALSE(hub_options_from_env().offline) << off;
  }

  fs::create_directories(home.path() / ".cache" / "huggingface");
  std::ofstream(home.path() / ".cache" / "huggingface" / "token") << "hf_from_file\n";  // huggingface-cli login
  EXPECT_EQ(hub_options_from_env().token, "hf_from_file");
  env.set("HF_TOKEN", "hf_from_env");
  EXPECT_EQ(hub_options_from_env().token, "hf_from_env");
}

}  // namespace
}  // namespace attnlab
