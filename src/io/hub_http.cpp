// Hub response parsing (see hub_http.h).
#include "io/hub_http.h"

#include <algorithm>
#include <cctype>

#include "attnlab/error.h"

namespace attnlab {
namespace {

constexpr size_t kMaxHeaders = 100;
constexpr size_t kMaxHeaderValue = 16 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_hex(std::string_view s, size_t n) {
  return s.size() == n &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// huggingface_hub _normalize_etag: drop a weak "W/" prefix and the quotes.
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
  return etag;
}

std::string scheme_of(std::string_view url) {
  const size_t colon = url.find("://");
  return colon == std::string_view::npos ? std::string() : lower(url.substr(0, colon));
}

// A value quoted in a message, escaped and cut (it came from the server).
std::string shown(std::string_view value) {
  std::string out = "'";
  out += printable(value.substr(0, 200));
  if (value.size() > 200) out += "...";
  out += '\'';
  return out;
}

}  // namespace

bool safe_file_name(std::string_view s) {
  if (s.empty() || s.size() > 255 || s[0] == '.') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string HubResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

void add_header_line(HubResponse& response, std::string_view line) {
  if (line.rfind("HTTP/", 0) == 0) {
    response.headers.clear();
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return;
  const std::string_view value = trim(line.substr(colon + 1));
  if (value.size() > kMaxHeaderValue || response.headers.size() >= kMaxHeaders) return;
  response.headers[lower(trim(line.substr(0, colon)))] = std::string(value);
}

std::optional<uint64_t> parse_size(std::string_view s) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

std::optional<ContentRange> parse_content_range(std::string_view value) {
  value = trim(value);
  if (value.rfind("bytes ", 0) != 0) return std::nullopt;
  value.remove_prefix(6);
  const size_t dash = value.find('-'), slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) return std::nullopt;
  const auto first = parse_size(value.substr(0, dash));
  const auto last = parse_size(value.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange range{*first, *last, std::nullopt};
  const std::string_view total = value.substr(slash + 1);
  if (total != "*") {
    range.total = parse_size(total);
    if (!range.total || *range.total <= *last) return std::nullopt;
  }
  return range;
}

bool redirect_allowed(std::string_view from, std::string_view to) {
  const std::string a = scheme_of(from), b = scheme_of(to);
  if (b != "http" && b != "https") return false;
  return !(a == "https" && b == "http");
}

std::string display_url(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t end = std::min(url.find_first_of("/?#", start), url.size());
  const size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

FileMetadata interpret_metadata(const HubResponse& r, const MetadataRequest& req) {
  const std::string error_code = r.header("x-error-code");
  const std::string where = " (revision " + req.revision + ")";
  const std::string& repo = req.repo_id;
  if (error_code == "RepoNotFound")
    throw Error("no model " + repo + " on the Hub at " + req.endpoint +
                    "; check the id, or set HF_TOKEN if the repo is private",
                kExitNetwork);
  if (error_code == "RevisionNotFound")
    throw Error("repo " + repo + " has no revision '" + req.revision + "'", kExitNetwork);
  if (r.status == 401 || r.status == 403 || error_code == "GatedRepo")
    throw Error("repo " + repo + ": access denied (HTTP " + std::to_string(r.status) +
                    "); it is gated or private: accept its terms on the Hub and set HF_TOKEN to a token "
                    "with access" + (req.token_set ? " (HF_TOKEN is set but was refused)" : ""),
                kExitNetwork);
  FileMetadata m;
  m.commit = r.header("x-repo-commit");
  if (r.status == 404 && (error_code == "EntryNotFound" || error_code.empty())) return m;
  if (r.status >= 400 || r.status < 200)
    throw Error("repo " + repo + ": HEAD " + req.url + " returned HTTP " + std::to_string(r.status) + where,
                kExitNetwork);
  m.exists = true;
  const std::string linked_etag = r.header("x-linked-etag");
  m.lfs = !linked_etag.empty();
  m.etag = normalize_etag(m.lfs ? linked_etag : r.header("etag"));
  const std::string linked_size = r.header("x-linked-size");
  const std::string size_text = linked_size.empty() ? r.header("content-length") : linked_size;
  m.size = parse_size(size_text);
  const std::string location = r.header("location");
  m.on_cdn = r.status >= 300 && !location.empty();
  m.location = m.on_cdn ? location : req.url;
  const std::string file = req.filename + " of " + repo;
  if (m.commit.empty() || !safe_file_name(m.commit))
    throw Error(req.url +
                    " does not look like the Hugging Face Hub: missing or bad X-Repo-Commit header; check HF_ENDPOINT",
                kExitNetwork);
  if (!safe_file_name(m.etag))
    throw Error(req.url + ": missing or bad ETag header (" + shown(m.etag) + "); cannot cache " + req.filename,
                kExitNetwork);
  if (m.lfs && !is_hex(m.etag, 64))
    throw Error(req.url + ": the X-Linked-Etag of " + file + " is " + shown(m.etag) +
                    ", not a sha256 (64 lowercase hex digits); cannot verify the download",
                kExitNetwork);
  if (!size_text.empty() && !m.size)
    throw Error(req.url + ": bad size header " + shown(size_text) + " for " + file, kExitNetwork);
  if (m.size && *m.size == 0 && req.weights)
    throw Error(req.url + ": the Hub announces 0 bytes for " + file + "; a weights file cannot be empty", kExitNetwork);
  if (m.size && req.max_bytes > 0 && *m.size > req.max_bytes)
    throw Error(req.url + ": the Hub announces " + std::to_string(*m.size) + " bytes for " + file +
                    ", more than the " + std::to_string(req.max_bytes) + " bytes attnlab reads from it",
                kExitNetwork);
  if (m.on_cdn && !redirect_allowed(req.url, m.location))
    throw Error(req.url + ": refusing the redirect of " + file + " to " + shown(display_url(m.location)) +
                    ": only http and https are followed, and never from https to http",
                kExitNetwork);
  return m;
}

}  // namespace attnlab
