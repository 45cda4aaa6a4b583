// A fake Hugging Face Hub for tests: cpp-httplib on 127.0.0.1 (ephemeral port) answering
// huggingface.co's resolve endpoint and its CDN redirect for one repo, and logging every request.
// Bounded: it answers at most kMaxRequests requests (503 after that) and stops itself after
// kLifetime, so a client that loops or hangs fails its test instead of running on.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace attnlab::testing {

// A hex string of n digits derived from text (stands in for git sha1 etags).
std::string fake_hash(const std::string& text, size_t n);

// The sha256 of text in lowercase hex (OpenSSL), as huggingface.co's X-Linked-Etag of LFS files.
std::string sha256_hex(const std::string& text);

struct FakeFile {
  std::string content;
  bool lfs = false;  // served through a 302 to the CDN, like model weights on huggingface.co
  std::string etag() const { return lfs ? sha256_hex(content) : fake_hash(content, 40); }
};

// Imitates GET/HEAD {endpoint}/{repo}/resolve/{revision}/{file} and the CDN behind it. Starts
// serving on construction; stops on destruction, after which its port refuses connections.
class FakeHub {
 public:
  static constexpr const char* kRepo = "org/tiny-bert";
  static constexpr const char* kCommit = "4a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
  static constexpr int kMaxRequests = 1000;
  static constexpr std::chrono::seconds kLifetime{120};

  // Serves a small BERT repo: config.json, vocab.txt, tokenizer files, and a 300 kB
  // model.safetensors of random bytes behind the CDN redirect.
  FakeHub();
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  // "METHOD path" of every request, with " range=..." and " auth=..." when those headers were sent.
  std::vector<std::string> log();
  bool logged(const std::string& line);

  std::map<std::string, FakeFile> files;
  std::set<std::string> missing;    // files that 404 with EntryNotFound
  bool unauthorized = false;        // every resolve answers 401 (gated or private repo)
  std::string renamed_from;         // an old repo name that relative-redirects to kRepo
  std::atomic<long> cut_after{-1};  // the CDN announces the full size, sends this many bytes, closes
  long linked_size_extra = 0;       // X-Linked-Size claims this many bytes more than the CDN serves
  // Hostile answers, all empty / off by default:
  std::string cdn_body;             // the CDN serves this instead of the LFS content (200, ignoring Range)
  bool cdn_flip_byte = false;       // the CDN serves the content with one byte changed (same size)
  std::string lfs_location;         // the 302 of an LFS file points here instead of the CDN
  std::string cdn_redirect;         // the CDN answers 302 to this location
  std::map<std::string, std::string> announced_size;  // file -> X-Linked-Size sent on its HEAD/GET

 private:
  bool record(const httplib::Request& req);  // false once the request budget is spent
  void resolve(const std::string& repo, const std::string& revision, const std::string& name, httplib::Response& res);
  void cdn(const std::string& etag, httplib::Response& res);

  httplib::Server server_;
  std::thread thread_;
  std::thread watchdog_;  // stops the server after kLifetime
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::vector<std::string> log_;
};

}  // namespace attnlab::testing
