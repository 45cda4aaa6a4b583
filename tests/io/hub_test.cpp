// Hub downloader and cache: every test runs against a fake Hub (tests/support/fake_hub.h: cpp-httplib
// on 127.0.0.1, ephemeral port) that imitates huggingface.co's resolve endpoint and its CDN redirect,
// with a fresh cache dir.
#include "io/hub.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>

#include "../support/env_guard.h"
#include "../support/fake_hub.h"
#include "../support/fixtures.h"
#include "../support/temp_dir.h"
#include "attnlab/error.h"
#include "io/hub_http.h"
#include "io/model_locator.h"

namespace attnlab {
namespace {
namespace fs = std::filesystem;

using testing::EnvGuard;
using testing::FakeFile;
using testing::FakeHub;
using testing::TempDir;
using testing::fake_hash;
using testing::read_text;
using testing::sha256_hex;
using testing::write_file;

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
  // A whole (200) answer of another size is not the file: nothing of it is kept to resume after.
  EXPECT_NE(message.find("the server sent 300000 bytes where the Hub announced 300007"), std::string::npos)
      << message;
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / hub.files["model.safetensors"].etag()));
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / (hub.files["model.safetensors"].etag() + ".incomplete")));
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

// A GGUF checkpoint is one file of its repo (`--model org/name:file.gguf`): fetched alone, pinned,
// sha256-checked like any LFS file, then served from the cache without a request; locate_model
// returns the file itself, and refuses names that are not plain file names or files that are not GGUF.
TEST_F(Hub, OneGgufFileOfARepoIsFetchedCheckedAndCached) {
  const std::string gguf = read_text(testing::fixture_path("gguf/align64.gguf"));
  hub.files["model.Q4_0.gguf"] = FakeFile{gguf, true};
  hub.files["notes.gguf"] = FakeFile{"not a gguf", true};
  const fs::path file = fetch_model_file(options(), kRepo, "model.Q4_0.gguf");
  EXPECT_EQ(file, snapshot() / "model.Q4_0.gguf");
  EXPECT_EQ(read_text(file), gguf);
  EXPECT_TRUE(hub.logged("HEAD /org/tiny-bert/resolve/main/model.Q4_0.gguf"));
  EXPECT_FALSE(hub.logged("HEAD /org/tiny-bert/resolve/main/config.json"));  // nothing else of the repo
  const int after_first = hub.requests();
  EXPECT_EQ(fetch_model_file(options(), kRepo, "model.Q4_0.gguf"), file);
  EXPECT_EQ(hub.requests(), after_first);
  for (const char* bad : {"../model.gguf", "sub/model.gguf", ".hidden.gguf", ""})
    EXPECT_THROW(fetch_model_file(options(), kRepo, bad), Error) << bad;
  EXPECT_EQ(hub.requests(), after_first);
  try {
    fetch_model_file(options(), kRepo, "absent.gguf");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no file absent.gguf"), std::string::npos) << e.what();
  }

  EnvGuard env({"HF_ENDPOINT", "HF_HUB_CACHE", "HF_TOKEN", "HF_HUB_OFFLINE"});
  setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
  setenv("HF_HUB_CACHE", cache.path().c_str(), 1);
  const LocatedModel located = locate_model(kRepo + ":model.Q4_0.gguf");
  EXPECT_EQ(located.dir, file);
  EXPECT_EQ(located.name, kRepo + ":model.Q4_0.gguf");
  EXPECT_EQ(located.hub_folder, repo_dir());
  for (const std::string& bad : std::vector<std::string>{kRepo + ":notes.gguf", kRepo + ":model.bin", "not//a/repo:x.gguf"})
    EXPECT_THROW(locate_model(bad), Error) << bad;
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

// ---------------------------------------------------------------------------------------------
// Issue 12: downloads verified against their sha256, only http(s), no symlink followed, bounded.

TEST_F(Hub, LfsEtagIsTheSha256OfTheContentAndIsChecked) {
  const FakeFile& weights = hub.files["model.safetensors"];
  EXPECT_EQ(weights.etag(), sha256_hex(weights.content));
  fetch_model(options(), kRepo);
  EXPECT_EQ(read_text(repo_dir() / "blobs" / weights.etag()), weights.content);
}

TEST_F(Hub, FlippedByteIsRefusedAndThePartialFileDeleted) {
  hub.cdn_flip_byte = true;
  int code = 0;
  const std::string message = error_of(options(), kRepo, &code);
  const std::string etag = hub.files["model.safetensors"].etag();
  EXPECT_NE(message.find("the content's sha256 is "), std::string::npos) << message;
  EXPECT_NE(message.find("the Hub announced " + etag), std::string::npos) << message;
  EXPECT_EQ(code, kExitNetwork);
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / etag));
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / (etag + ".incomplete")));
  EXPECT_FALSE(fs::exists(snapshot() / "model.safetensors"));
  hub.cdn_flip_byte = false;  // the next run downloads it again, whole
  fetch_model(options(), kRepo);
  EXPECT_EQ(read_text(snapshot() / "model.safetensors"), hub.files["model.safetensors"].content);
}

TEST_F(Hub, CaptivePortalPageIsNotKeptAsThePartialFile) {
  hub.cdn_body = "<html><body>Please log in to the hotel Wi-Fi</body></html>";
  const std::string message = error_of(options(), kRepo);
  const std::string etag = hub.files["model.safetensors"].etag();
  EXPECT_NE(message.find("captive portal"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / (etag + ".incomplete")));
  hub.cdn_body.clear();
  fetch_model(options(), kRepo);
  for (const std::string& line : hub.log())  // nothing of the page was kept to resume after
    EXPECT_EQ(line.find(" range="), std::string::npos) << line;
  EXPECT_EQ(read_text(snapshot() / "model.safetensors"), hub.files["model.safetensors"].content);
}

TEST_F(Hub, ResumeHashesTheKeptPartAndACorruptKeptPartIsDeleted) {
  const FakeFile& weights = hub.files["model.safetensors"];
  const fs::path incomplete = repo_dir() / "blobs" / (weights.etag() + ".incomplete");
  fs::create_directories(incomplete.parent_path());
  std::string kept = weights.content.substr(0, 1000);
  kept[10] = static_cast<char>(kept[10] ^ 0x40);  // a corrupt partial file from an earlier run
  write_file(incomplete, kept);
  const std::string message = error_of(options(), kRepo);
  EXPECT_TRUE(hub.logged("GET /cdn/" + weights.etag() + " range=bytes=1000-"));
  EXPECT_NE(message.find("sha256"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(incomplete));
  fetch_model(options(), kRepo);
  EXPECT_EQ(read_text(snapshot() / "model.safetensors"), weights.content);
}

TEST_F(Hub, RedirectToOtherProtocolsIsRefusedAndNothingIsSent) {
  // A local service the redirect points at: it must see no connection.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const std::vector<std::string> first_hops = {"gopher://127.0.0.1:" + port + "/_hello", "file:///etc/passwd",
                                               "dict://127.0.0.1:" + port + "/d"};
  for (const std::string& target : first_hops) {
    SCOPED_TRACE(target);
    hub.lfs_location = target;
    int code = 0;
    const std::string message = error_of(options(), kRepo, &code);
    EXPECT_NE(message.find("refusing the redirect of model.safetensors"), std::string::npos) << message;
    EXPECT_EQ(code, kExitNetwork);
  }
  hub.lfs_location.clear();
  for (const std::string& target : {first_hops[0], first_hops[1]}) {
    SCOPED_TRACE(target);
    hub.cdn_redirect = target;  // the second hop, followed by libcurl
    const std::string message = error_of(options(), kRepo);
    EXPECT_NE(message.find("only http and https redirects are followed"), std::string::npos) << message;
  }
  EXPECT_LT(::accept(listener, nullptr, nullptr), 0);  // no connection was made
  ::close(listener);
  EXPECT_FALSE(fs::exists(snapshot() / "model.safetensors"));
}

TEST(HubHttp, RedirectsStayOnHttpOrHttpsAndNeverDowngrade) {
  EXPECT_TRUE(redirect_allowed("https://huggingface.co/x", "https://cdn-lfs.hf.co/y"));
  EXPECT_TRUE(redirect_allowed("http://127.0.0.1:1/x", "https://cdn/y"));
  EXPECT_TRUE(redirect_allowed("http://127.0.0.1:1/x", "HTTP://cdn/y"));
  EXPECT_FALSE(redirect_allowed("https://huggingface.co/x", "http://cdn/y"));
  for (const char* bad : {"gopher://127.0.0.1:70/x", "file:///etc/passwd", "ftp://h/x", "/relative", "", "dict://h"})
    EXPECT_FALSE(redirect_allowed("http://h/x", bad)) << bad;
}

TEST(HubHttp, ContentRangeAndSizes) {
  auto r = parse_content_range("bytes 100-299/300");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 100u);
  EXPECT_EQ(r->last, 299u);
  EXPECT_EQ(r->total, 300u);
  EXPECT_FALSE(parse_content_range("bytes 100-299/*")->total);
  for (const char* bad : {"", "bytes", "bytes 5-4/10", "bytes 0-9/9", "items 0-1/2", "bytes -1-2/3", "bytes 1-2",
                          "bytes 99999999999999999999-1/2"})
    EXPECT_FALSE(parse_content_range(bad)) << bad;
  EXPECT_EQ(parse_size("300"), 300u);
  EXPECT_FALSE(parse_size("-1"));
  EXPECT_FALSE(parse_size("1e9"));
  EXPECT_FALSE(parse_size("9999999999999999999"));
}

TEST(HubHttp, CredentialsInUrlsAreMasked) {
  EXPECT_EQ(display_url("https://user:secret@hub.example/x@y"), "https://***@hub.example/x@y");
  EXPECT_EQ(display_url("http://hub.example:8080/a"), "http://hub.example:8080/a");
}

TEST_F(Hub, PlantedSymlinksAreNeverFollowed) {
  TempDir elsewhere;
  const fs::path victim = elsewhere.path() / "victim";
  const std::string etag = hub.files["model.safetensors"].etag();
  const std::string config_etag = hub.files["config.json"].etag();
  struct Plant {
    const char* name;
    fs::path link;
  };
  const Plant plants[] = {
      {"incomplete", repo_dir() / "blobs" / (etag + ".incomplete")},
      {"lock", cache.path() / ".locks" / "models--org--tiny-bert" / (config_etag + ".lock")},
      {"blob", repo_dir() / "blobs" / config_etag},
      {"no_exist", repo_dir() / ".no_exist" / kCommit / "tokenizer.json"},
  };
  for (const Plant& p : plants) {
    SCOPED_TRACE(p.name);
    fs::remove_all(repo_dir());
    fs::remove_all(cache.path() / ".locks");
    write_file(victim, "precious");
    fs::create_directories(p.link.parent_path());
    fs::create_symlink(victim, p.link);
    hub.missing = {"tokenizer.json"};
    int code = 0;
    const std::string message = error_of(options(), kRepo, &code);
    EXPECT_NE(message.find("it is a symlink"), std::string::npos) << message;
    EXPECT_NE(message.find(p.link.filename().string()), std::string::npos) << message;
    EXPECT_EQ(code, kExitIo);
    EXPECT_EQ(read_text(victim), "precious");
    EXPECT_TRUE(fs::is_symlink(p.link));
  }
  // refs/main: read only as a regular file; written by rename, which replaces a link, not its target.
  fs::remove_all(repo_dir());
  fs::remove_all(cache.path() / ".locks");
  hub.missing.clear();
  fs::create_directories(repo_dir() / "refs");
  fs::create_symlink(victim, repo_dir() / "refs" / "main");
  const std::string message = error_of(options(), kRepo);
  EXPECT_NE(message.find("refs/main"), std::string::npos) << message;
  EXPECT_NE(message.find("it is a symlink"), std::string::npos) << message;
  EXPECT_EQ(read_text(victim), "precious");
}

TEST_F(Hub, RefsMainIsReadBounded) {
  fs::create_directories(repo_dir() / "refs");
  const fs::path ref = repo_dir() / "refs" / "main";
  fs::create_symlink("/dev/zero", ref);  // would be read forever
  EXPECT_NE(error_of(options(), kRepo).find("symlink"), std::string::npos);
  fs::remove(ref);
  ASSERT_EQ(::mkfifo(ref.c_str(), 0644), 0);  // would block forever
  std::string message = error_of(options(), kRepo);
  EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
  fs::remove(ref);
  write_file(ref, std::string(5000, 'a'));
  message = error_of(options(), kRepo);
  EXPECT_NE(message.find("more than the 1024 bytes"), std::string::npos) << message;
}

TEST_F(Hub, ImpossibleSizesAreRefusedBeforeAnyDownload) {
  hub.announced_size["model.safetensors"] = "0";
  std::string message = error_of(options(), kRepo);
  EXPECT_NE(message.find("announces 0 bytes for model.safetensors"), std::string::npos) << message;
  hub.announced_size.clear();
  hub.announced_size["config.json"] = "1000000000000";  // 1 TB of configuration
  message = error_of(options(), kRepo);
  EXPECT_NE(message.find("announces 1000000000000 bytes for config.json of org/tiny-bert, more than the 1048576"),
            std::string::npos)
      << message;
  hub.announced_size.clear();
  hub.announced_size["model.safetensors"] = "900000000000000000";  // more than any disk has free
  int code = 0;
  message = error_of(options(), kRepo, &code);
  EXPECT_NE(message.find("not enough free space for model.safetensors"), std::string::npos) << message;
  EXPECT_EQ(code, kExitIo);
  for (const std::string& line : hub.log()) EXPECT_EQ(line.find("GET /cdn/"), std::string::npos) << line;
}

TEST_F(Hub, ABodyLongerThanAnnouncedIsCutAndDiscarded) {
  hub.files["config.json"].content = std::string(2000, ' ') + "{}";
  hub.announced_size["config.json"] = "100";  // the HEAD says 100 bytes, the GET sends 2002
  const std::string message = error_of(options(), kRepo);
  EXPECT_TRUE(message.find("more than the 100 bytes the Hub announced") != std::string::npos ||
              message.find("the server sent 2002 bytes where the Hub announced 100") != std::string::npos)
      << message;
  EXPECT_FALSE(fs::exists(repo_dir() / "blobs" / (hub.files["config.json"].etag() + ".incomplete")));
}

TEST_F(Hub, ASecondProcessWaitingForTheLockSaysSo) {
  const std::string etag = hub.files["config.json"].etag();
  const fs::path lock_path = cache.path() / ".locks" / "models--org--tiny-bert" / (etag + ".lock");
  fs::create_directories(lock_path.parent_path());
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0644);  // "another attnlab" holds it
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  HubOptions o = options();
  std::promise<void> waiting;
  o.on_progress = [&](const DownloadProgress& p) {
    if (p.waiting) {
      EXPECT_EQ(p.file, "config.json");
      waiting.set_value();
    }
  };
  const auto started = std::chrono::steady_clock::now();
  auto fetch = std::async(std::launch::async, [&] { return fetch_model(o, kRepo); });
  ASSERT_EQ(waiting.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(900));  // after a second
  ::close(fd);  // the other download ends
  EXPECT_EQ(fetch.get(), snapshot());
}

TEST_F(Hub, CredentialsInTheEndpointAreNeverShown) {
  std::string dead;
  {
    FakeHub gone;
    dead = gone.endpoint();
  }
  HubOptions o = options();
  o.endpoint = "http://user:hunter2@" + dead.substr(std::string("http://").size());
  const std::string message = error_of(o, kRepo);
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
  EXPECT_NE(message.find("http://***@127.0.0.1"), std::string::npos) << message;
}

// The cost of the sha256 check on a bert-base-sized (440 MB) download from the fake Hub on loopback:
// the same file fetched with and without the check in one run. Manual (not in `make test`):
//   build/tests/attnlab_tests --gtest_also_run_disabled_tests --gtest_filter='*Sha256Cost*'
TEST_F(Hub, DISABLED_Sha256CostOnABertBaseSizedDownload) {
  std::string weights(440'000'000, '\0');
  uint64_t x = 88172645463325252ull;  // xorshift64: fast, incompressible bytes
  for (size_t i = 0; i + 8 <= weights.size(); i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(weights.data() + i, &x, 8);
  }
  hub.files["model.safetensors"].content = std::move(weights);
  double seconds[2][3];
  for (int round = 0; round < 3; ++round) {
    for (const bool verify : {true, false}) {
      fs::remove_all(cache.path() / "models--org--tiny-bert");
      HubOptions o = options();
      o.verify_sha256 = verify;
      const auto start = std::chrono::steady_clock::now();
      fetch_model(o, kRepo);
      seconds[verify][round] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  for (const bool verify : {true, false})
    std::printf("[ sha256 cost ] 440 MB download %s the check: %.2f s, %.2f s, %.2f s\n",
                verify ? "with   " : "without", seconds[verify][0], seconds[verify][1], seconds[verify][2]);
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

TEST(HubEnv, TokenWithALineBreakIsRefused) {
  HubEnvGuard env;
  TempDir home;
  env.set("HOME", home.path().string());
  for (const char* token : {"hf_abc\r\nX-Evil: 1", "hf_abc\nX-Evil: 1", "hf\x7f"}) {
    env.set("HF_TOKEN", token);
    try {
      hub_options_from_env();
      ADD_FAILURE() << "accepted " << token;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("HF_TOKEN holds a control character"), std::string::npos) << e.what();
      EXPECT_EQ(e.exit_code(), kExitInput);
    }
  }
  env.unset("HF_TOKEN");
  fs::create_directories(home.path() / ".cache" / "huggingface");
  write_file(home.path() / ".cache" / "huggingface" / "token", "hf_a\r\nX-Evil: 1\n");
  EXPECT_THROW(hub_options_from_env(), Error);
}

}  // namespace
}  // namespace attnlab
