// Hugging Face Hub cache and downloader (see hub.h). Follows huggingface_hub's file_download.py:
// HEAD the resolve URL without following cross-host redirects to read commit, etag and size, then
// GET the content (following the CDN redirect) into blobs/<etag>.incomplete, verify, rename, link.
// Nothing in the cache is trusted to be what it should: every file attnlab writes there is opened
// with O_NOFOLLOW (or written to a temporary file and renamed), every file it reads is bounded.
#include "io/hub.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "attnlab/error.h"
#include "attnlab/version.h"
#include "core/temp_files.h"
#include "io/hub_http.h"
#include "io/text_file.h"

namespace attnlab {
namespace fs = std::filesystem;

namespace {

constexpr long kConnectTimeoutS = 15;
constexpr long kHeadTimeoutS = 30;        // metadata requests are tiny
constexpr long kLowSpeedBytesPerS = 1024;  // a download slower than this ...
constexpr long kLowSpeedTimeS = 30;        // ... for this long counts as stalled
constexpr int kMaxRelativeRedirects = 10;
constexpr uint64_t kMaxRefBytes = 1024;
constexpr uint64_t kMaxTokenBytes = 64 * 1024;   // refs/<revision> holds a 40-character commit hash
constexpr auto kLockNoticeAfter = std::chrono::seconds(1);

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

std::string quoted(const fs::path& p) {
  std::string q = "'";
  q += printable(p.string());
  q += '\'';
  return q;
}

[[noreturn]] void throw_cache_error(const std::string& what, const fs::path& p, int err) {
  if (err == ELOOP)
    throw Error(what + " " + quoted(p) + ": it is a symlink, where the cache holds a regular file; attnlab does "
                "not follow it: delete it",
                kExitIo);
  throw Error(what + " " + quoted(p) + ": " + std::strerror(err), kExitIo);
}

// Opens a cache file attnlab writes, never through a symlink, refusing anything but a regular file.
int open_cache_file(const fs::path& p, int flags, const char* what) {
  const int fd = ::open(p.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) throw_cache_error(what, p, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(std::string(what) + " " + quoted(p) + ": not a regular file; delete it", kExitIo);
  }
  return fd;
}

void create_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create " + quoted(dir) + ": " + ec.message(), kExitIo);
}

// Writes text to p through a temporary file renamed over it: a symlink planted at p is replaced, not followed.
void write_file_text(const fs::path& p, const std::string& text) {
  create_dirs(p.parent_path());
  PendingTempFile tmp(p);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(tmp.fd(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_cache_error("cannot write", p, errno);
    done += static_cast<size_t>(n);
  }
  if (const int err = tmp.rename_to_target()) throw_cache_error("cannot write", p, err);
}

// The contents of refs/<revision>: a regular file (not a symlink, FIFO or device) of at most 1 kB.
std::optional<std::string> read_ref(const fs::path& p) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(p, ec);
  if (!fs::exists(st)) return std::nullopt;
  if (fs::is_symlink(st)) throw_cache_error("cannot read", p, ELOOP);
  return read_bounded_file(p, kMaxRefBytes, "Hub cache ref");
}

// The commit that options.revision names in the cache: the revision itself if it is a commit hash,
// else the content of refs/<revision>.
std::optional<std::string> cached_commit(const fs::path& repo, const std::string& revision) {
  if (is_commit_hash(revision)) return revision;
  auto ref = read_ref(repo / "refs" / revision);
  if (!ref) return std::nullopt;
  std::string commit = trim(*ref);
  if (!safe_file_name(commit)) return std::nullopt;
  return commit;
}

struct CacheState {
  std::optional<fs::path> snapshot;  // set when the commit is known
  std::string commit;
  std::vector<std::string> missing_required;
  bool has_tokenizer = false;  // vocab.txt or tokenizer.json, when the file set needs one
  bool complete = false;       // every file cached or marked in .no_exist
  bool usable() const { return snapshot && missing_required.empty() && has_tokenizer; }
};

// What a model needs from its repo: BERT's files (one tokenizer file at least), or one GGUF file
// (which holds its tokenizer).
struct FileSet {
  std::vector<HubFile> files;
  bool needs_tokenizer;
};
FileSet bert_files() { return {bert_model_files(), true}; }

CacheState cache_state(const HubOptions& options, const std::string& repo_id, const FileSet& set) {
  CacheState state;
  const fs::path repo = repo_dir(options, repo_id);
  const auto commit = cached_commit(repo, options.revision);
  if (!commit) {
    for (const auto& f : set.files)
      if (f.required) state.missing_required.push_back(f.name);
    return state;
  }
  state.commit = *commit;
  state.snapshot = repo / "snapshots" / *commit;
  state.complete = true;
  state.has_tokenizer = !set.needs_tokenizer;
  for (const auto& f : set.files) {
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
    // http and https only, on the first request and every redirect (no file://, gopher://, ...).
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
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

size_t on_header(char* data, size_t size, size_t count, void* user) {
  add_header_line(*static_cast<HubResponse*>(user), std::string_view(data, size * count));
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
    throw Unreachable("cannot reach the Hub at " + display_url(options.endpoint) + " (" + what +
                          "); check the network or HF_ENDPOINT, set HF_HUB_OFFLINE=1 to use only the cache, "
                          "or pass a local model directory",
                      kExitNetwork);
  throw Error("request to " + display_url(url) + " failed: " + what, kExitNetwork);
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
HubResponse head(const HubOptions& options, std::string& url) {
  for (int hop = 0;; ++hop) {
    CurlHandle h;
    HubResponse response;
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
    if (hop >= kMaxRelativeRedirects) throw Error("too many redirects from " + display_url(url), kExitNetwork);
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

FileMetadata file_metadata(const HubOptions& options, const std::string& repo_id, const std::string& revision,
                           const HubFile& file) {
  std::string url =
      options.endpoint + "/" + repo_id + "/resolve/" + url_quote(revision, false) + "/" + url_quote(file.name, true);
  const HubResponse r = head(options, url);
  MetadataRequest req;
  req.repo_id = repo_id;
  req.revision = options.revision;
  req.filename = file.name;
  req.url = display_url(url);
  req.endpoint = display_url(options.endpoint);
  req.token_set = !options.token.empty();
  req.weights = file.max_bytes == 0;
  req.max_bytes = file.max_bytes;
  FileMetadata m = interpret_metadata(r, req);
  if (m.exists && !m.on_cdn) m.location = url;  // with the credentials display_url hid
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

// sha256 over a download, through OpenSSL's EVP (SHA-NI / AVX2 where the CPU has them).
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { reset(); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void reset() {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
      throw Error("cannot initialise sha256 (OpenSSL)");
  }
  void update(const void* data, size_t n) { EVP_DigestUpdate(ctx_, data, n); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, digest, &len);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out += digits[digest[i] >> 4];
      out += digits[digest[i] & 15];
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

struct Sink {
  CURL* curl = nullptr;
  int fd = -1;
  Sha256* hash = nullptr;
  uint64_t offset = 0;             // bytes already in the file when the request started
  std::optional<uint64_t> size;    // the announced size
  uint64_t max_bytes = 0;          // the file's read limit (0: none)
  uint64_t written = 0;            // bytes of this response written
  bool started = false;
  long status = 0;
  HubResponse response;            // headers of the final response
  std::string problem;             // set when the body is refused; aborts the transfer
  bool discard = false;            // the partial file is wrong: delete it
  int write_errno = 0;
};

bool write_all(int fd, const char* data, size_t n, int* err) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      *err = errno;
      return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// What the final response means for the partial file, decided on its first body byte.
void start_body(Sink* sink) {
  sink->started = true;
  curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &sink->status);
  if (sink->status == 200) {
    curl_off_t length = -1;
    curl_easy_getinfo(sink->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    if (sink->size && length >= 0 && static_cast<uint64_t>(length) != *sink->size) {
      sink->problem = "the server sent " + std::to_string(length) + " bytes where the Hub announced " +
                      std::to_string(*sink->size) + " (not the file: a proxy or captive portal page?)";
      sink->discard = true;
      return;
    }
    if (sink->offset > 0) {  // the server ignored Range: start over
      if (::ftruncate(sink->fd, 0) != 0 || ::lseek(sink->fd, 0, SEEK_SET) != 0) sink->write_errno = errno;
      if (sink->hash) sink->hash->reset();
      sink->offset = 0;
    }
  } else if (sink->status == 206) {
    const auto range = parse_content_range(sink->response.header("content-range"));
    if (!range || range->first != sink->offset || (sink->size && range->total && *range->total != *sink->size)) {
      sink->problem = "the server answered a request for bytes " + std::to_string(sink->offset) +
                      "- with Content-Range '" + printable(sink->response.header("content-range").substr(0, 100)) + "'";
      sink->discard = true;
    }
  } else {
    sink->problem = "HTTP " + std::to_string(sink->status);
  }
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (!sink->started) start_body(sink);
  if (!sink->problem.empty() || sink->write_errno != 0) return 0;
  const uint64_t total = sink->offset + sink->written + n;
  if ((sink->size && total > *sink->size) || (sink->max_bytes > 0 && total > sink->max_bytes)) {
    sink->problem = "the server sent more than the " +
                    std::to_string(sink->size ? *sink->size : sink->max_bytes) + " bytes " +
                    (sink->size ? "the Hub announced" : "attnlab reads from this file");
    sink->discard = true;
    return 0;
  }
  if (!write_all(sink->fd, data, n, &sink->write_errno)) return 0;
  if (sink->hash) sink->hash->update(data, n);
  sink->written += n;
  return n;
}

size_t on_download_header(char* data, size_t size, size_t count, void* user) {
  add_header_line(static_cast<Sink*>(user)->response, std::string_view(data, size * count));
  return size * count;
}

// An exclusive advisory lock on <cache>/.locks/models--X/<etag>.lock, the file huggingface_hub's
// FileLock uses, so attnlab and Python never write the same blob at once. While another process
// holds it, says so through on_progress (DownloadProgress::waiting) after a second, then waits.
class BlobLock {
 public:
  BlobLock(const fs::path& path, const HubOptions& options, const std::string& filename) {
    create_dirs(path.parent_path());
    fd_ = open_cache_file(path, O_RDWR | O_CREAT, "cannot lock");
    const auto start = std::chrono::steady_clock::now();
    bool told = false;
    while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) fail(path);
      if (!told && std::chrono::steady_clock::now() - start >= kLockNoticeAfter) {
        told = true;
        if (options.on_progress) {
          DownloadProgress p;
          p.file = filename;
          p.waiting = true;
          options.on_progress(p);
        }
        while (::flock(fd_, LOCK_EX) != 0)
          if (errno != EINTR) fail(path);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~BlobLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  BlobLock(const BlobLock&) = delete;
  BlobLock& operator=(const BlobLock&) = delete;

 private:
  [[noreturn]] void fail(const fs::path& path) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw_cache_error("cannot lock", path, err);
  }
  int fd_ = -1;
};

// Refuses a download that cannot fit: the free space of dir against the bytes still to come.
void check_free_space(const fs::path& dir, const std::string& filename, uint64_t needed) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return;  // unknown: the write will tell
  const uint64_t available = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (needed > available)
    throw Error("not enough free space for " + filename + " in " + quoted(dir) + ": it needs " +
                    std::to_string(needed) + " more bytes, " + std::to_string(available) +
                    " are free; free some space or set HF_HUB_CACHE to another disk",
                kExitIo);
}

// Hashes the first n bytes of fd (the kept part of a resumed download) into hash.
bool hash_prefix(int fd, uint64_t n, Sha256& hash) {
  std::vector<char> buf(1 << 20);
  uint64_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, buf.data(), std::min<uint64_t>(buf.size(), n - done), static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    hash.update(buf.data(), static_cast<size_t>(r));
    done += static_cast<uint64_t>(r);
  }
  return true;
}

// Downloads m into blob via blob.incomplete, resuming it with Range. The content is hashed as it
// arrives (after the kept part); an LFS file's sha256 must equal its etag before the rename. A
// partial file shown wrong (size or hash) is deleted, so the next run starts over.
void download_blob(const HubOptions& options, const std::string& repo_id, const HubFile& file,
                   const FileMetadata& m, const fs::path& blob) {
  const fs::path incomplete = blob.string() + ".incomplete";
  const int fd = open_cache_file(incomplete, O_RDWR | O_CREAT | O_APPEND, "cannot write");
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  ::fstat(fd, &st);
  uint64_t offset = static_cast<uint64_t>(st.st_size);
  Sha256 hash;
  const bool verify = m.lfs && options.verify_sha256;
  if (m.size && offset > *m.size) offset = 0;
  if (offset > 0 && verify && !hash_prefix(fd, offset, hash)) offset = 0;
  if (offset == 0 && ::ftruncate(fd, 0) != 0) throw_cache_error("cannot write", incomplete, errno);
  if (offset == 0) hash.reset();
  if (m.size) check_free_space(blob.parent_path(), file.name, *m.size - offset);

  const std::string what = "downloading " + file.name + " of " + repo_id + " from " + display_url(m.location);
  Sink sink;
  sink.fd = fd;
  sink.hash = verify ? &hash : nullptr;
  sink.offset = offset;
  sink.size = m.size;
  sink.max_bytes = file.max_bytes;
  CURLcode code = CURLE_OK;
  CurlHandle h;
  if (!m.size || offset < *m.size) {
    Progress progress(options, file.name, m.size, offset);
    sink.curl = h.curl;
    curl_easy_setopt(h.curl, CURLOPT_URL, m.location.c_str());
    curl_easy_setopt(h.curl, CURLOPT_FOLLOWLOCATION, 1L);  // LFS content lives on a CDN
    curl_easy_setopt(h.curl, CURLOPT_MAXREDIRS, 10L);
    // Once on https, every further hop stays on https.
    if (m.location.rfind("https://", 0) == 0) curl_easy_setopt(h.curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h.curl, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytesPerS);
    curl_easy_setopt(h.curl, CURLOPT_LOW_SPEED_TIME, kLowSpeedTimeS);
    curl_easy_setopt(h.curl, CURLOPT_HEADERFUNCTION, on_download_header);
    curl_easy_setopt(h.curl, CURLOPT_HEADERDATA, &sink);
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
    if (code == CURLE_OK && !sink.started) start_body(&sink);  // an empty body
    curl_off_t received = 0;
    curl_easy_getinfo(h.curl, CURLINFO_SIZE_DOWNLOAD_T, &received);
    progress.update(static_cast<unsigned long long>(received), /*final=*/true);
  }
  std::error_code ec;
  if (sink.discard) {
    fs::remove(incomplete, ec);
    throw Error(what + ": " + sink.problem + "; the partial file was deleted", kExitNetwork);
  }
  if (sink.problem.rfind("HTTP", 0) == 0) {  // the final response was an error, not content
    if (sink.status == 416) fs::remove(incomplete, ec);  // our partial file does not fit: start over next time
    throw Error(what + ": " + sink.problem, kExitNetwork);
  }
  if (sink.write_errno != 0) throw_cache_error("cannot write", incomplete, sink.write_errno);
  if (code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_TOO_MANY_REDIRECTS)
    throw Error(what + " failed: " + h.message(code) + " (only http and https redirects are followed)",
                kExitNetwork);
  if (code != CURLE_OK)
    throw Error(what + " failed: " + h.message(code) + "; the partial file " + quoted(incomplete) +
                    " is kept and the next run resumes it",
                kExitNetwork);
  const uint64_t got = sink.offset + sink.written;
  if (m.size && got != *m.size) {
    throw Error(what + ": got " + std::to_string(got) + " bytes, the Hub announced " + std::to_string(*m.size) +
                    "; the partial file " + quoted(incomplete) + " is kept and the next run resumes it",
                kExitNetwork);
  }
  if (verify) {
    const std::string actual = hash.hex();
    if (actual != m.etag) {
      fs::remove(incomplete, ec);
      throw Error(what + ": the content's sha256 is " + actual + ", the Hub announced " + m.etag +
                      "; the corrupt download was deleted, run again to fetch it anew",
                  kExitNetwork);
    }
  }
  fs::rename(incomplete, blob, ec);
  if (ec) throw Error("cannot rename " + quoted(incomplete) + " to " + quoted(blob) + ": " + ec.message(), kExitIo);
}

// snapshots/<commit>/<filename> -> ../../blobs/<etag> (huggingface_hub _create_symlink, relative).
void link_snapshot(const fs::path& blob, const fs::path& pointer) {
  std::error_code ec;
  create_dirs(pointer.parent_path());
  fs::remove(pointer, ec);
  fs::create_symlink(blob.lexically_relative(pointer.parent_path()), pointer, ec);
  if (ec) throw Error("cannot create the symlink " + quoted(pointer) + ": " + ec.message(), kExitIo);
}

void touch(const fs::path& p) {
  create_dirs(p.parent_path());
  ::close(open_cache_file(p, O_WRONLY | O_CREAT, "cannot write"));
}

// True when blob is cached; a symlink or anything else but a regular file there is refused.
bool blob_cached(const fs::path& blob) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(blob, ec);
  if (!fs::exists(st)) return false;
  if (fs::is_symlink(st)) throw_cache_error("cannot use the cached", blob, ELOOP);
  if (!fs::is_regular_file(st))
    throw Error("cannot use the cached " + quoted(blob) + ": not a regular file; delete it", kExitIo);
  return true;
}

fs::path download_model(const HubOptions& options, const std::string& repo_id, const FileSet& set) {
  const fs::path repo = repo_dir(options, repo_id);
  const fs::path blobs = repo / "blobs";
  std::string commit;  // pinned by the first answer, so every file comes from one commit
  bool has_tokenizer = !set.needs_tokenizer;
  for (const auto& f : set.files) {
    const FileMetadata m = file_metadata(options, repo_id, commit.empty() ? options.revision : commit, f);
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
    create_dirs(blobs);
    if (!blob_cached(blob)) {
      BlobLock lock(options.cache_dir / ".locks" / repo.filename() / (m.etag + ".lock"), options, f.name);
      if (!blob_cached(blob)) download_blob(options, repo_id, f, m, blob);
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
  std::string token_source = "HF_TOKEN";
  if (auto t = env("HF_TOKEN")) {
    options.token = trim(*t);
  } else {
    const fs::path token_file = env("HF_TOKEN_PATH") ? expand_user(*env("HF_TOKEN_PATH")) : hf_home() / "token";
    std::error_code ec;
    if (fs::exists(token_file, ec)) {
      token_source = "the token file " + quoted(token_file);
      options.token = trim(read_bounded_file(token_file, kMaxTokenBytes, "Hub token file"));
    }
  }
  // A line break inside the token would end the Authorization header and start another.
  if (std::any_of(options.token.begin(), options.token.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    throw Error(token_source + " holds a control character (a line break?) inside the token; a Hub token is "
                "one line of printable characters",
                kExitInput);
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

fs::path hub_repo_folder(const HubOptions& options, const std::string& repo_id) {
  return repo_dir(options, repo_id);
}

const std::vector<HubFile>& bert_model_files() {
  static const std::vector<HubFile> files = {
      {"config.json", true, kMaxConfigBytes},
      {"model.safetensors", true, 0},
      {"vocab.txt", false, kMaxTokenizerFileBytes},       // WordPiece vocabulary (BertTokenizer)
      {"tokenizer.json", false, kMaxTokenizerFileBytes},  // the same vocabulary for tokenizers' fast tokenizer
      {"tokenizer_config.json", false, kMaxTokenizerFileBytes},  // do_lower_case, model_max_length
      {"special_tokens_map.json", false, kMaxTokenizerFileBytes},
  };
  return files;
}

std::optional<fs::path> find_cached_snapshot(const HubOptions& options, const std::string& repo_id) {
  if (!looks_like_hub_id(repo_id)) return std::nullopt;
  const CacheState state = cache_state(options, repo_id, bert_files());
  if (!state.usable()) return std::nullopt;
  return state.snapshot;
}

namespace {

fs::path fetch_files(const HubOptions& options, const std::string& repo_id, const FileSet& set, std::string* notice) {
  if (!looks_like_hub_id(repo_id))
    throw Error("'" + printable_line(repo_id) + "' is neither a model directory nor a Hub model id (like "
                "bert-base-uncased or org/name)",
                kExitInput);
  if (options.revision.empty() || options.revision.find("..") != std::string::npos || options.revision[0] == '/')
    throw Error("bad revision '" + printable_line(options.revision) + "'", kExitInput);
  const CacheState state = cache_state(options, repo_id, set);
  if (state.complete || (options.offline && state.usable())) return *state.snapshot;
  if (options.offline) {
    std::string missing = state.missing_required.empty() ? "vocab.txt or tokenizer.json"
                                                         : state.missing_required.front();
    throw Error("model " + repo_id + " (revision " + options.revision + ") is not in the cache " +
                    quoted(options.cache_dir) + " (missing " + missing +
                    ") and HF_HUB_OFFLINE is set; unset HF_HUB_OFFLINE to download it, or pass a local model directory",
                kExitNetwork);
  }
  try {
    return download_model(options, repo_id, set);
  } catch (const Unreachable& e) {
    if (!state.usable()) throw;
    if (notice) *notice = std::string("warning: ") + e.what() + "; using the cached " + state.snapshot->string();
    return *state.snapshot;
  }
}

}  // namespace

fs::path fetch_model(const HubOptions& options, const std::string& repo_id, std::string* notice) {
  return fetch_files(options, repo_id, bert_files(), notice);
}

fs::path fetch_model_file(const HubOptions& options, const std::string& repo_id, const std::string& filename,
                          std::string* notice) {
  if (!safe_file_name(filename))
    throw Error("'" + printable_line(filename) + "' is not a file name in a repo (expected a plain name such as "
                "model.Q4_K_M.gguf)",
                kExitInput);
  return fetch_files(options, repo_id, {{{filename, true, 0}}, false}, notice) / filename;
}

}  // namespace attnlab
