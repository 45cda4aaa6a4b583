// Hugging Face Hub cache and downloader (see hub.h). Follows huggingface_hub's file_download.py:
// HEAD the resolve URL without following cross-host redirects to read commit, etag and size, then
// GET the content (following the CDN redirect) into blobs/<etag>.incomplete, verify, rename, link.
#include "io/hub.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "attnlab/error.h"
#include "attnlab/version.h"

namespace attnlab {
namespace fs = std::filesystem;

namespace {

constexpr long kConnectTimeoutS = 15;
constexpr long kHeadTimeoutS = 30;        // metadata requests are tiny
constexpr long kLowSpeedBytesPerS = 1024;  // a download slower than this ...
constexpr long kLowSpeedTimeS = 30;        // ... for this long counts as stalled
constexpr int kMaxRelativeRedirects = 10;

// ---------------------------------------------------------------------------------------------
// Environment

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string home_dir() { return env("HOME").value_or("/"); }

// "~" and "~/x" as Python's os.path.expanduser does; other values unchanged.
fs::path expand_user(const std::string& p) {
  if (p == "~") return home_dir();
  if (p.rfind("~/", 0) == 0) return fs::path(home_dir()) / p.substr(2);
  return p;
}

// huggingface_hub constants.py: HF_HOME = $HF_HOME or $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface.
fs::path hf_home() {
  if (auto h = env("HF_HOME")) return expand_user(*h);
  if (auto x = env("XDG_CACHE_HOME")) return expand_user(*x) / "huggingface";
  return fs::path(home_dir()) / ".cache" / "huggingface";
}

// ---------------------------------------------------------------------------------------------
// Cache layout

bool is_commit_hash(std::string_view s) {
  return s.size() == 40 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A name the server gave us (etag, commit) that we use as a file name: no '/', no leading '.'.
bool safe_file_name(std::string_view s) {
  if (s.empty() || s.size() > 255 || s[0] == '.') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// "org/name" -> "models--org--name" (huggingface_hub repo_folder_name).
fs::path repo_dir(const HubOptions& options, const std::string& repo_id) {
  std::string folder = "models";
  size_t start = 0;
  while (true) {
    const size_t slash = repo_id.find('/', start);
    folder += "--" + repo_id.substr(start, slash - start);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return options.cache_dir / folder;
}

std::optional<std::string> read_file_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file_text(const fs::path& p, const std::string& text) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw Error("cannot write " + p.string(), kExitIo);
}

// The commit that options.revision names in the cache: the revision itself if it is a commit hash,
// else the content of refs/<revision>.
std::optional<std::string> cached_commit(const fs::path& repo, const std::string& revision) {
  if (is_commit_hash(revision)) return revision;
  auto ref = read_file_text(repo / "refs" / revision);
  if (!ref) return std::nullopt;
  std::string commit = trim(*ref);
  if (!safe_file_name(commit)) return std::nullopt;
  return commit;
}

struct CacheState {
  std::optional<fs::path> snapshot;  // set when the commit is known
  std::string commit;
  std::vector<std::string> missing_required;
  bool has_tokenizer = false;  // vocab.txt or tokenizer.json
  bool complete = false;       // every file cached or marked in .no_exist
  bool usable() const { return snapshot && missing_required.empty() && has_tokenizer; }
};

CacheState cache_state(const HubOptions& options, const std::string& repo_id) {
  CacheState state;
  const fs::path repo = repo_dir(options, repo_id);
  const auto commit = cached_commit(repo, options.revision);
  if (!commit) {
    for (const auto& f : bert_model_files())
      if (f.required) state.missing_required.push_back(f.name);
    return state;
  }
  state.commit = *commit;
  state.snapshot = repo / "snapshots" / *commit;
  state.complete = true;
  for (const auto& f : bert_model_files()) {
    std::error_code ec;
    const bool present = fs::is_regular_file(*state.snapshot / f.name, ec);  // follows the symlink
    if (present && (f.name == "vocab.txt" || f.name == "tokenizer.json")) state.has_tokenizer = true;
    if (!present && f.required) state.missing_required.push_back(f.name);
    if (!present && !fs::exists(repo / ".no_exist" / *commit / f.name, ec)) state.complete = false;
  }
  state.complete = state.complete && state.usable();
  return state;
}

// ---------------------------------------------------------------------------------------------
// HTTP (libcurl)

void init_curl_once() {
  // A function-local static is initialised exactly once, even with concurrent callers.
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) throw Error(std::string("cannot initialise libcurl: ") + curl_easy_strerror(init));
}

struct CurlHandle {
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  CurlHandle() {
    init_curl_once();
    curl = curl_easy_init();
    if (curl == nullptr) throw Error("cannot create a libcurl handle");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: safe in threads
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutS);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "attnlab/" ATTNLAB_VERSION);
  }
  ~CurlHandle() {
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
  }
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;

  void add_header(const std::string& h) { headers = curl_slist_append(headers, h.c_str()); }
  std::string message(CURLcode code) const { return error[0] != '\0' ? error : curl_easy_strerror(code); }
};

// Headers of the last response only (a new status line starts a new set), names lower-cased.
struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  const std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {
    response->headers.clear();
  } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    response->headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return size * count;
}

size_t discard_body(char*, size_t size, size_t count, void*) { return size * count; }

class Unreachable : public Error {
 public:
  using Error::Error;
};

// Throws Unreachable (the Hub cannot be contacted) or Error for other transport failures.
[[noreturn]] void throw_transport(const CurlHandle& h, CURLcode code, const HubOptions& options,
                                  const std::string& url) {
  const std::string what = h.message(code);
  if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
      code == CURLE_OPERATION_TIMEDOUT)
    throw Unreachable("cannot reach the Hub at " + options.endpoint + " (" + what +
                          "); check the network or HF_ENDPOINT, set HF_HUB_OFFLINE=1 to use only the cache, "
                          "or pass a local model directory",
                      kExitNetwork);
  throw Error("request to " + url + " failed: " + what, kExitNetwork);
}

std::string url_origin(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return url.substr(0, path);
}

bool is_absolute_url(const std::string& location) {
  return location.find("://") != std::string::npos || location.rfind("//", 0) == 0;
}

// HEAD url; follows only relative (same-host) redirects, like huggingface_hub's
// _request_wrapper(follow_relative_redirects=True). Returns the final response and its URL.
Response head(const HubOptions& options, std::string& url) {
  for (int hop = 0;; ++hop) {
    CurlHandle h;
    Response response;
    curl_easy_setopt(h.curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h.curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(h.curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h.curl, CURLOPT_TIMEOUT, kHeadTimeoutS);
    curl_easy_setopt(h.curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h.curl, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, discard_body);
    h.add_header("Accept-Encoding: identity");  // so Content-Length is the real size
    if (!options.token.empty()) h.add_header("Authorization: Bearer " + options.token);
    curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, h.headers);
    const CURLcode code = curl_easy_perform(h.curl);
    if (code != CURLE_OK) throw_transport(h, code, options, url);
    curl_easy_getinfo(h.curl, CURLINFO_RESPONSE_CODE, &response.status);
    const std::string location = response.header("location");
    if (response.status < 300 || response.status > 399 || location.empty() || is_absolute_url(location))
      return response;
    if (hop >= kMaxRelativeRedirects) throw Error("too many redirects from " + url, kExitNetwork);
    url = location[0] == '/' ? url_origin(url) + location : url.substr(0, url.rfind('/') + 1) + location;
  }
}

// Percent-encodes everything but unreserved characters (and '/' when keep_slash).
std::string url_quote(const std::string& s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metadata (huggingface_hub get_hf_file_metadata)

struct FileMetadata {
  bool exists = false;                   // false: 404 EntryNotFound (commit may still be set)
  std::string commit;                    // X-Repo-Commit
  std::string etag;                      // X-Linked-Etag or ETag, normalized
  std::optional<unsigned long long> size;  // X-Linked-Size or Content-Length
  std::string location;                  // where to GET the content
  bool on_cdn = false;                   // location came from an absolute redirect (LFS content)
};

// huggingface_hub _normalize_etag: drop a weak "W/" prefix and the quotes.
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
  return etag;
}

std::optional<unsigned long long> parse_size(const std::string& s) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoull(s);
}

FileMetadata file_metadata(const HubOptions& options, const std::string& repo_id, const std::string& revision,
                           const std::string& filename) {
  std::string url =
      options.endpoint + "/" + repo_id + "/resolve/" + url_quote(revision, false) + "/" + url_quote(filename, true);
  const Response r = head(options, url);
  const std::string error_code = r.header("x-error-code");
  const std::string where = " (revision " + options.revision + ")";
  if (error_code == "RepoNotFound")
    throw Error("no model " + repo_id + " on the Hub at " + options.endpoint +
                    "; check the id, or set HF_TOKEN if the repo is private",
                kExitNetwork);
  if (error_code == "RevisionNotFound")
    throw Error("repo " + repo_id + " has no revision '" + options.revision + "'", kExitNetwork);
  if (r.status == 401 || r.status == 403 || error_code == "GatedRepo")
    throw Error("repo " + repo_id + ": access denied (HTTP " + std::to_string(r.status) +
                    "); it is gated or private: accept its terms on the Hub and set HF_TOKEN to a token "
                    "with access" + (options.token.empty() ? "" : " (HF_TOKEN is set but was refused)"),
                kExitNetwork);
  FileMetadata m;
  m.commit = r.header("x-repo-commit");
  if (r.status == 404 && (error_code == "EntryNotFound" || error_code.empty())) return m;
  if (r.status >= 400 || r.status < 200)
    throw Error("repo " + repo_id + ": HEAD " + url + " returned HTTP " + std::to_string(r.status) + where,
                kExitNetwork);
  m.exists = true;
  const std::string linked_etag = r.header("x-linked-etag");
  m.etag = normalize_etag(linked_etag.empty() ? r.header("etag") : linked_etag);
  const std::string linked_size = r.header("x-linked-size");
  m.size = parse_size(linked_size.empty() ? r.header("content-length") : linked_size);
  const std::string location = r.header("location");
  m.on_cdn = r.status >= 300 && !location.empty();
  m.location = m.on_cdn ? location : url;
  if (m.commit.empty() || !safe_file_name(m.commit))
    throw Error(url + " does not look like the Hugging Face Hub: missing or bad X-Repo-Commit header; check HF_ENDPOINT",
                kExitNetwork);
  if (!safe_file_name(m.etag))
    throw Error(url + ": missing or bad ETag header ('" + m.etag + "'); cannot cache " + filename, kExitNetwork);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Download with progress

// Reports one file's progress to HubOptions::on_progress, at most 10 times a second between the
// first and the last call.
class Progress {
 public:
  Progress(const HubOptions& options, std::string name, std::optional<unsigned long long> total,
           unsigned long long offset)
      : report_(options.on_progress) {
    state_.file = std::move(name);
    state_.total = total.value_or(0);
    state_.resumed_from = state_.done = offset;
    if (report_) report_(state_);
  }
  void update(unsigned long long received, bool final) {
    if (!report_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    state_.done = state_.resumed_from + received;
    state_.finished = final;
    report_(state_);
  }

 private:
  const std::function<void(const DownloadProgress&)>& report_;
  DownloadProgress state_;
  std::chrono::steady_clock::time_point last_{};
};

int on_progress(void* user, curl_off_t, curl_off_t now, curl_off_t, curl_off_t) {
  static_cast<Progress*>(user)->update(static_cast<unsigned long long>(now), /*final=*/false);
  return 0;
}

struct Sink {
  CURL* curl = nullptr;
  std::FILE* file = nullptr;
  unsigned long long offset = 0;  // bytes already in the file when the request started
  bool started = false;
  long status = 0;
  std::string problem;  // set when the body is refused; aborts the transfer
};

// Decides on the first body byte what the final response means for the partial file.
size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (!sink->started) {
    sink->started = true;
    curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &sink->status);
    if (sink->status == 200 && sink->offset > 0) {  // the server ignored Range: start over
      if (ftruncate(fileno(sink->file), 0) != 0) sink->problem = "cannot truncate";
      std::fseek(sink->file, 0, SEEK_SET);
      sink->offset = 0;
    } else if (sink->status != 200 && sink->status != 206) {
      sink->problem = "HTTP " + std::to_string(sink->status);
    }
    if (!sink->problem.empty()) return 0;
  }
  return std::fwrite(data, 1, n, sink->file) == n ? n : 0;
}

// An exclusive advisory lock on <cache>/.locks/models--X/<etag>.lock, the file huggingface_hub's
// FileLock uses, so attnlab and Python never write the same blob at once.
class BlobLock {
 public:
  explicit BlobLock(const fs::path& path) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) throw Error("cannot lock " + path.string(), kExitIo);
  }
  ~BlobLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;

 private:
  int fd_ = -1;
};

// Downloads m into blob (via blob.incomplete, resuming it with Range), verifying the size.
void download_blob(const HubOptions& options, const std::string& repo_id, const std::string& filename,
                   const FileMetadata& m, const fs::path& blob) {
  const fs::path incomplete = blob.string() + ".incomplete";
  std::error_code ec;
  unsigned long long offset = fs::exists(incomplete, ec) ? fs::file_size(incomplete, ec) : 0;
  if (ec) offset = 0;
  if (m.size && offset > *m.size) {
    fs::resize_file(incomplete, 0, ec);
    offset = 0;
  }
  std::FILE* file = std::fopen(incomplete.c_str(), "ab");
  if (file == nullptr) throw Error("cannot write " + incomplete.string(), kExitIo);
  Sink sink;
  sink.file = file;
  sink.offset = offset;
  CURLcode code = CURLE_OK;
  CurlHandle h;
  if (!m.size || offset < *m.size) {
    Progress progress(options, filename, m.size, offset);
    sink.curl = h.curl;
    curl_easy_setopt(h.curl, CURLOPT_URL, m.location.c_str());
    curl_easy_setopt(h.curl, CURLOPT_FOLLOWLOCATION, 1L);  // LFS content lives on a CDN
    curl_easy_setopt(h.curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h.curl, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytesPerS);
    curl_easy_setopt(h.curl, CURLOPT_LOW_SPEED_TIME, kLowSpeedTimeS);
    curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h.curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h.curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h.curl, CURLOPT_XFERINFODATA, &progress);
    h.add_header("Accept-Encoding: identity");
    // Like huggingface_hub, the token goes to the Hub only, never to the CDN it redirected to
    // (the signed URL needs none; libcurl also drops it on cross-host redirects).
    if (!options.token.empty() && !m.on_cdn)
      h.add_header("Authorization: Bearer " + options.token);
    if (offset > 0) h.add_header("Range: bytes=" + std::to_string(offset) + "-");
    curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, h.headers);
    code = curl_easy_perform(h.curl);
    if (code == CURLE_OK && !sink.started) curl_easy_getinfo(h.curl, CURLINFO_RESPONSE_CODE, &sink.status);
    curl_off_t received = 0;
    curl_easy_getinfo(h.curl, CURLINFO_SIZE_DOWNLOAD_T, &received);
    progress.update(static_cast<unsigned long long>(received), /*final=*/true);
  }
  const bool flushed = std::fclose(file) == 0;
  const std::string what = "downloading " + filename + " of " + repo_id + " from " + m.location;
  if (sink.problem.rfind("HTTP", 0) == 0) {  // the final response was an error, not content
    if (sink.status == 416) fs::remove(incomplete, ec);  // our partial file does not fit: start over next time
    throw Error(what + ": " + sink.problem, kExitNetwork);
  }
  if (code == CURLE_OK && sink.status >= 400) throw Error(what + ": HTTP " + std::to_string(sink.status), kExitNetwork);
  if (code == CURLE_WRITE_ERROR || !flushed || !sink.problem.empty())
    throw Error("cannot write " + incomplete.string() + " (disk full?)", kExitIo);
  if (code != CURLE_OK)
    throw Error(what + " failed: " + h.message(code) + "; the partial file " + incomplete.string() +
                    " is kept and the next run resumes it",
                kExitNetwork);
  const unsigned long long got = fs::file_size(incomplete, ec);
  if (m.size && got != *m.size) {
    throw Error(what + ": got " + std::to_string(got) + " bytes, the Hub announced " + std::to_string(*m.size) +
                    "; the partial file " + incomplete.string() + " is kept and the next run resumes it",
                kExitNetwork);
  }
  fs::rename(incomplete, blob, ec);
  if (ec) throw Error("cannot rename " + incomplete.string() + " to " + blob.string() + ": " + ec.message(), kExitIo);
}

// snapshots/<commit>/<filename> -> ../../blobs/<etag> (huggingface_hub _create_symlink, relative).
void link_snapshot(const fs::path& blob, const fs::path& pointer) {
  std::error_code ec;
  fs::create_directories(pointer.parent_path(), ec);
  fs::remove(pointer, ec);
  fs::create_symlink(blob.lexically_relative(pointer.parent_path()), pointer, ec);
  if (ec) throw Error("cannot create the symlink " + pointer.string() + ": " + ec.message(), kExitIo);
}

void touch(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  std::ofstream out(p, std::ios::app);
  if (!out) throw Error("cannot write " + p.string(), kExitIo);
}

fs::path download_model(const HubOptions& options, const std::string& repo_id) {
  const fs::path repo = repo_dir(options, repo_id);
  const fs::path blobs = repo / "blobs";
  std::string commit;  // pinned by the first answer, so every file comes from one commit
  bool has_tokenizer = false;
  for (const auto& f : bert_model_files()) {
    const FileMetadata m = file_metadata(options, repo_id, commit.empty() ? options.revision : commit, f.name);
    if (commit.empty() && !m.commit.empty() && safe_file_name(m.commit)) {
      commit = m.commit;
      if (commit != options.revision) write_file_text(repo / "refs" / options.revision, commit);
    }
    if (!m.exists) {
      if (f.required)
        throw Error("repo " + repo_id + " has no file " + f.name + " (revision " + options.revision + ")",
                    kExitNetwork);
      if (!commit.empty()) touch(repo / ".no_exist" / commit / f.name);
      continue;
    }
    const fs::path blob = blobs / m.etag;
    std::error_code ec;
    fs::create_directories(blobs, ec);
    if (ec) throw Error("cannot create " + blobs.string() + ": " + ec.message(), kExitIo);
    if (!fs::exists(blob, ec)) {
      BlobLock lock(options.cache_dir / ".locks" / repo.filename() / (m.etag + ".lock"));
      if (!fs::exists(blob, ec)) download_blob(options, repo_id, f.name, m, blob);
    }
    link_snapshot(blob, repo / "snapshots" / commit / f.name);
    if (f.name == "vocab.txt" || f.name == "tokenizer.json") has_tokenizer = true;
  }
  if (!has_tokenizer)
    throw Error("repo " + repo_id + " has neither vocab.txt nor tokenizer.json (revision " + options.revision +
                    "); attnlab needs one of them to tokenize",
                kExitInput);
  return repo / "snapshots" / commit;
}

}  // namespace

// -----------------------------------------------------------------------------------------------

HubOptions hub_options_from_env() {
  HubOptions options;
  if (auto e = env("HF_ENDPOINT")) options.endpoint = *e;
  while (options.endpoint.size() > 1 && options.endpoint.back() == '/') options.endpoint.pop_back();
  if (auto c = env("HF_HUB_CACHE")) options.cache_dir = expand_user(*c);
  else if (auto legacy = env("HUGGINGFACE_HUB_CACHE")) options.cache_dir = expand_user(*legacy);
  else options.cache_dir = hf_home() / "hub";
  if (auto o = env("HF_HUB_OFFLINE")) {
    const std::string v = lower(trim(*o));
    options.offline = v == "1" || v == "on" || v == "yes" || v == "true";
  }
  if (auto t = env("HF_TOKEN")) {
    options.token = trim(*t);
  } else {
    const fs::path token_file = env("HF_TOKEN_PATH") ? expand_user(*env("HF_TOKEN_PATH")) : hf_home() / "token";
    if (auto t2 = read_file_text(token_file)) options.token = trim(*t2);
  }
  return options;
}

bool looks_like_hub_id(std::string_view s) {
  // huggingface_hub validate_repo_id: ^(\b[\w\-.]+\b/)?\b[\w\-.]+\b$, no "--" or "..", <= 96 chars.
  if (s.empty() || s.size() > 96 || s.find("--") != std::string_view::npos || s.find("..") != std::string_view::npos)
    return false;
  if (s.size() >= 4 && s.substr(s.size() - 4) == ".git") return false;
  const size_t slash = s.find('/');
  if (slash != std::string_view::npos && s.find('/', slash + 1) != std::string_view::npos) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  auto part_ok = [&](std::string_view p) {
    if (p.empty() || !word(p.front()) || !word(p.back())) return false;
    return std::all_of(p.begin(), p.end(), [&](char c) { return word(c) || c == '-' || c == '.'; });
  };
  if (slash == std::string_view::npos) return part_ok(s);
  return part_ok(s.substr(0, slash)) && part_ok(s.substr(slash + 1));
}

const std::vector<HubFile>& bert_model_files() {
  static const std::vector<HubFile> files = {
      {"config.json", true},
      {"model.safetensors", true},
      {"vocab.txt", false},  // WordPiece vocabulary (BertTokenizer)
      {"tokenizer.json", false},  // the same vocabulary for tokenizers' fast tokenizer
      {"tokenizer_config.json", false},  // do_lower_case, model_max_length
      {"special_tokens_map.json", false},
  };
  return files;
}

std::optional<fs::path> find_cached_snapshot(const HubOptions& options, const std::string& repo_id) {
  if (!looks_like_hub_id(repo_id)) return std::nullopt;
  const CacheState state = cache_state(options, repo_id);
  if (!state.usable()) return std::nullopt;
  return state.snapshot;
}

fs::path fetch_model(const HubOptions& options, const std::string& repo_id, std::string* notice) {
  if (!looks_like_hub_id(repo_id))
    throw Error("'" + repo_id + "' is neither a model directory nor a Hub model id (like bert-base-uncased or org/name)",
                kExitInput);
  if (options.revision.empty() || options.revision.find("..") != std::string::npos || options.revision[0] == '/')
    throw Error("bad revision '" + options.revision + "'", kExitInput);
  const CacheState state = cache_state(options, repo_id);
  if (state.complete || (options.offline && state.usable())) return *state.snapshot;
  if (options.offline) {
    std::string missing = state.missing_required.empty() ? "vocab.txt or tokenizer.json"
                                                         : state.missing_required.front();
    throw Error("model " + repo_id + " (revision " + options.revision + ") is not in the cache " +
                    options.cache_dir.string() + " (missing " + missing +
                    ") and HF_HUB_OFFLINE is set; unset HF_HUB_OFFLINE to download it, or pass a local model directory",
                kExitNetwork);
  }
  try {
    return download_model(options, repo_id);
  } catch (const Unreachable& e) {
    if (!state.usable()) throw;
    if (notice) *notice = std::string("warning: ") + e.what() + "; using the cached " + state.snapshot->string();
    return *state.snapshot;
  }
}

}  // namespace attnlab
