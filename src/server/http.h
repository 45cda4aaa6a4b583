// HTTP/1.1 messages for `attnlab serve`: a strict, incremental request parser (RFC 9112) and the
// response's wire form. The parser reads a connection's buffered bytes as they arrive, in linear time
// whatever the split, and refuses every ambiguous framing instead of guessing: Content-Length beside
// Transfer-Encoding, Content-Length values that differ, a negative or non-decimal length, a transfer
// coding other than chunked, obsolete line folding, whitespace before a header's colon.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnlab::server {

struct HttpRequest {
  std::string method;   // "GET"
  std::string target;   // as sent: "/api/view?x=1"
  std::string path;     // target's path, percent-decoded: "/api/view"
  std::string version;  // "HTTP/1.1" or "HTTP/1.0"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values without OWS
  std::string body;     // Content-Length bytes, or the chunks joined
  bool keep_alive = true;

  // The first value of header `name` (lower case), or "" when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Length and Connection
  std::string body;

  void set_header(std::string name, std::string value);  // replaces one of the same name
  std::string header(std::string_view name) const;       // case-insensitive; "" when absent
};

// Status line, headers, Content-Length, "Connection: close" when `close`; the body unless `head_only`
// (a HEAD request: same headers, no body).
// ASCII lower case (header names, hosts, media types).
std::string ascii_lower(std::string_view s);

std::string serialize_response(const HttpResponse& response, bool close, bool head_only);
const char* reason_phrase(int status);

struct ParseLimits {
  size_t max_request_line = 8192;   // longer: 414
  size_t max_header_bytes = 65536;  // the whole head (request line, headers); longer: 431
  size_t max_headers = 100;         // more header fields: 431
  size_t max_body = 1 << 20;        // larger declared or received body: 413
};

class RequestParser {
 public:
  enum class Status { kNeedMore, kComplete, kError };

  explicit RequestParser(ParseLimits limits = {}) : limits_(limits) {}

  // Parses the next request from `buf`, the connection's unread bytes; call again with the same
  // bytes plus any that arrived since (bytes before consumed() of a completed request are dropped by
  // the caller, who then calls reset()). kComplete: request() holds it and consumed() bytes of buf
  // are its own. kError: error_status() (400, 413, 414, 417, 431, 501, 505) and error_message()
  // say why; the connection cannot be trusted past it.
  Status parse(std::string_view buf);

  const HttpRequest& request() const { return request_; }
  HttpRequest& request() { return request_; }
  size_t consumed() const { return pos_; }
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }
  // Some byte of a request (not the blank lines RFC 9112 2.2 lets a client send before one) is in.
  bool started() const { return started_; }
  // The head is parsed (its body may still be coming).
  bool head_done() const { return state_ != State::kHead; }
  // The head is in, its body not yet, and the client waits for "100 Continue" (Expect: 100-continue).
  bool wants_continue() const { return state_ != State::kHead && state_ != State::kDone && expect_continue_; }
  void reset();

 private:
  enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kDone };

  Status fail(int status, std::string message);
  Status parse_head(std::string_view head);
  Status parse_chunks(std::string_view buf);
  // The next line of buf from pos_ (without CRLF or LF): false when it is not all in yet.
  bool next_line(std::string_view buf, std::string_view* line, size_t* next) const;

  ParseLimits limits_;
  State state_ = State::kHead;
  HttpRequest request_;
  size_t pos_ = 0;         // bytes of buf parsed so far
  size_t scan_ = 0;        // where the search for the head's end resumes
  size_t line_start_ = 0;  // where the head's current line begins
  bool first_line_done_ = false;
  uint64_t remaining_ = 0;  // body or chunk bytes still to come
  size_t trailer_bytes_ = 0;
  bool started_ = false, expect_continue_ = false;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace attnlab::server
