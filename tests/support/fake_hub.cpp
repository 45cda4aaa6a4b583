// The fake Hugging Face Hub (see fake_hub.h).
#include "fake_hub.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <random>

namespace attnlab::testing {

std::string fake_hash(const std::string& text, size_t n) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the text, then stretched to n digits
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  std::string out;
  while (out.size() < n) {
    h = (h ^ out.size()) * 1099511628211ull;
    out += "0123456789abcdef"[(h >> 40) & 15];
  }
  return out;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += "0123456789abcdef"[digest[i] >> 4];
    out += "0123456789abcdef"[digest[i] & 15];
  }
  return out;
}

FakeHub::FakeHub() {
  std::mt19937 rng(3);
  std::string weights(300000, '\0');
  for (char& c : weights) c = static_cast<char>(rng());
  files["config.json"] = {R"({"hidden_size": 32, "num_attention_heads": 4})", false};
  files["model.safetensors"] = {weights, true};
  files["vocab.txt"] = {"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n", false};
  files["tokenizer.json"] = {R"({"model": {"type": "WordPiece"}})", false};
  files["tokenizer_config.json"] = {R"({"do_lower_case": true})", false};
  files["special_tokens_map.json"] = {R"({"cls_token": "[CLS]"})", false};

  server_.Get(R"(/(.+)/resolve/([^/]+)/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (record(req)) resolve(req.matches[1], req.matches[2], req.matches[3], res);
    else res.status = 503;
  });
  server_.Get(R"(/cdn/([0-9a-f]+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (record(req)) cdn(req.matches[1], res);
    else res.status = 503;
  });
  // A client that stops reading or sending mid-request is dropped, not waited for.
  server_.set_read_timeout(10, 0);
  server_.set_write_timeout(10, 0);
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  watchdog_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(stop_mu_);
    stop_cv_.wait_for(lock, kLifetime, [this] { return stopping_; });
    server_.stop();
  });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeHub::~FakeHub() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  watchdog_.join();
  thread_.join();
}

std::vector<std::string> FakeHub::log() {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

bool FakeHub::logged(const std::string& line) {
  const auto l = log();
  return std::find(l.begin(), l.end(), line) != l.end();
}

bool FakeHub::record(const httplib::Request& req) {
  const bool within_budget = ++requests_ <= kMaxRequests;
  std::string line = req.method + " " + req.path;
  if (req.has_header("Range")) line += " range=" + req.get_header_value("Range");
  if (req.has_header("Authorization")) line += " auth=" + req.get_header_value("Authorization");
  std::lock_guard<std::mutex> lock(mu_);
  if (within_budget) log_.push_back(line);
  return within_budget;
}

// "\"etag\"". Appended piecewise: GCC 12 misreads `"\"" + s + "\""` here as an overlapping memcpy.
static std::string quoted(const std::string& s) {
  std::string q(1, '"');
  q += s;
  q += '"';
  return q;
}

void FakeHub::resolve(const std::string& repo, const std::string& revision, const std::string& name,
                      httplib::Response& res) {
  if (!renamed_from.empty() && repo == renamed_from) {  // huggingface.co answers a renamed repo so
    res.status = 307;
    std::string location = "/";  // appended, not +: GCC 12 sees a false array bound in the + chain at -O1
    location.append(kRepo).append("/resolve/").append(revision).append("/").append(name);
    res.set_header("Location", location);
    return;
  }
  if (unauthorized) {
    res.status = 401;
    res.set_content("Access to model " + repo + " is restricted.", "text/plain");
    return;
  }
  if (repo != kRepo) {
    res.status = 404;
    res.set_header("X-Error-Code", "RepoNotFound");
    return;
  }
  if (revision != "main" && revision != kCommit) {
    res.status = 404;
    res.set_header("X-Error-Code", "RevisionNotFound");
    return;
  }
  res.set_header("X-Repo-Commit", kCommit);
  auto it = files.find(name);
  if (it == files.end() || missing.count(name)) {
    res.status = 404;
    res.set_header("X-Error-Code", "EntryNotFound");
    return;
  }
  const FakeFile& f = it->second;
  const auto announced = announced_size.find(name);
  if (f.lfs) {  // the pointer's etag in ETag, the content's in X-Linked-Etag
    res.status = 302;
    res.set_header("Location",
                   lfs_location.empty() ? endpoint() + "/cdn/" + f.etag() + "?X-Amz-Signature=abc" : lfs_location);
    res.set_header("ETag", quoted(fake_hash("pointer", 40)));
    res.set_header("X-Linked-Etag", quoted(f.etag()));
    res.set_header("X-Linked-Size", announced != announced_size.end()
                                        ? announced->second
                                        : std::to_string(static_cast<long>(f.content.size()) + linked_size_extra));
    return;
  }
  if (announced != announced_size.end()) res.set_header("X-Linked-Size", announced->second);
  res.set_header("ETag", (name == "vocab.txt" ? "W/" : "") + quoted(f.etag()));  // weak etag normalized away
  res.set_content(f.content, "application/octet-stream");
}

void FakeHub::cdn(const std::string& etag, httplib::Response& res) {
  if (!cdn_redirect.empty()) {
    res.status = 302;
    res.set_header("Location", cdn_redirect);
    return;
  }
  for (const auto& [name, f] : files) {
    if (f.etag() != etag) continue;
    if (!cdn_body.empty()) {  // a 200 whatever was asked, like a captive portal
      const std::string body = cdn_body;
      res.set_content_provider(body.size(), "text/html", [body](size_t, size_t, httplib::DataSink& sink) {
        sink.write(body.data(), body.size());
        return true;
      });
      return;
    }
    if (cdn_flip_byte) {
      std::string flipped = f.content;
      flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 1);
      res.set_content(flipped, "application/octet-stream");
      return;
    }
    const long cut = cut_after;
    if (cut < 0) {
      res.set_content(f.content, "application/octet-stream");  // httplib answers Range with 206
      return;
    }
    const std::string content = f.content;
    res.set_content_provider(content.size(), "application/octet-stream",
                             [content, cut](size_t, size_t, httplib::DataSink& sink) {
                               sink.write(content.data(), static_cast<size_t>(cut));
                               return false;  // drop the connection mid-body
                             });
    return;
  }
  res.status = 404;
}

}  // namespace attnlab::testing
