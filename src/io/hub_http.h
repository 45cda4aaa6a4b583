// The Hub's HTTP answers, parsed and judged apart from the transfer (hub.cpp), so the parsing can be
// fuzzed on its own (fuzz/hub_headers_fuzz.cpp): response header lines, the HEAD answer that
// describes one file (huggingface_hub get_hf_file_metadata), redirect targets and Content-Range.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace attnlab {

// Headers of the last response only (a status line starts a new set), names lower-cased.
struct HubResponse {
  long status = 0;
  std::map<std::string, std::string> headers;
  std::string header(const std::string& name) const;
};

// Adds one raw header line as libcurl delivers it ("Name: value\r\n", or "HTTP/1.1 302 Found").
// Lines without a colon, and more than 100 headers or 16 kB per value, are ignored.
void add_header_line(HubResponse& response, std::string_view line);

// What the request was, for judging the answer and for messages.
struct MetadataRequest {
  std::string repo_id;        // "org/name"
  std::string revision;       // as the user gave it
  std::string filename;       // "config.json"
  std::string url;            // the resolve URL asked (credentials masked: see display_url)
  std::string endpoint;       // HF_ENDPOINT, credentials masked
  bool token_set = false;     // a token was sent
  bool weights = false;       // the file holds weights: an announced size of 0 cannot be right
  uint64_t max_bytes = 0;     // the largest size attnlab reads for this file; 0: no limit
};

struct FileMetadata {
  bool exists = false;           // false: 404 EntryNotFound (commit may still be set)
  std::string commit;            // X-Repo-Commit
  std::string etag;              // X-Linked-Etag or ETag, normalized
  bool lfs = false;              // X-Linked-Etag was sent: etag is the content's sha256 (64 hex digits)
  std::optional<uint64_t> size;  // X-Linked-Size or Content-Length
  std::string location;          // where to GET the content
  bool on_cdn = false;           // location came from an absolute redirect (LFS content)
};

// Judges the HEAD answer r to req (r.status is the HTTP status; the resolve URL is req.url).
// Throws Error(kExitNetwork) for what the Hub says is wrong (no such repo, revision or access, a
// server error) and for answers that cannot be right: no or bad X-Repo-Commit or ETag, an LFS etag
// that is not a sha256, a size of 0 for weights or above max_bytes, a redirect to anything but
// http(s) or from https down to http.
FileMetadata interpret_metadata(const HubResponse& r, const MetadataRequest& req);

// True when a download may go from `from` to `to`: both http or https, never https -> http.
bool redirect_allowed(std::string_view from, std::string_view to);

// "bytes START-END/TOTAL" (RFC 9110; TOTAL may be "*"). nullopt when malformed.
struct ContentRange {
  uint64_t first = 0, last = 0;
  std::optional<uint64_t> total;
};
std::optional<ContentRange> parse_content_range(std::string_view value);

// A decimal size of at most 18 digits; nullopt otherwise.
std::optional<uint64_t> parse_size(std::string_view s);

// A name the server gave us (etag, commit) that can be a file name: [A-Za-z0-9._-], at most 255
// characters, not starting with '.'.
bool safe_file_name(std::string_view s);

// The URL with any "user:password@" replaced by "***@", for messages.
std::string display_url(std::string_view url);

}  // namespace attnlab
