// HTTP/1.1 request parsing and response serialisation (see http.h), after RFC 9112.
#include "server/http.h"

#include <algorithm>
#include <cctype>

namespace attnlab::server {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 9110 5.6.2: token characters.
bool is_tchar(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The comma-separated elements of a list-valued field, trimmed; empty elements dropped (RFC 9110 5.6.1).
std::vector<std::string_view> list_elements(std::string_view value) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t comma = value.find(',');
    const std::string_view e = trim_ows(value.substr(0, comma));
    if (!e.empty()) out.push_back(e);
    if (comma == std::string_view::npos) return out;
    value.remove_prefix(comma + 1);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A line of the head without its line ending; false when it holds a CR that does not end it.
bool strip_cr(std::string_view* line) {
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  return line->find('\r') == std::string_view::npos;
}

constexpr size_t kMaxChunkLine = 1024;  // a chunk-size line with its extensions
constexpr uint64_t kTooLong = UINT64_MAX;

// 1*DIGIT (*ok false otherwise); kTooLong past 15 significant digits.
uint64_t parse_decimal(std::string_view s, bool* ok) {
  *ok = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!*ok) return 0;
  while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
  if (s.size() > 15) return kTooLong;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

bool HttpRequest::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; });
}

void HttpResponse::set_header(std::string name, std::string value) {
  for (auto& [k, v] : headers)
    if (iequal(k, name)) {
      v = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequal(k, name)) return v;
  return {};
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "OK";
  }
}

std::string serialize_response(const HttpResponse& response, bool close, bool head_only) {
  std::string out;
  out.reserve(256 + (head_only ? 0 : response.body.size()));
  out += "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  for (const auto& [k, v] : response.headers) out += k + ": " + v + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += response.body;
  return out;
}

void RequestParser::reset() {
  state_ = State::kHead;
  request_ = HttpRequest{};
  pos_ = scan_ = line_start_ = 0;
  first_line_done_ = false;
  remaining_ = 0;
  trailer_bytes_ = 0;
  started_ = expect_continue_ = false;
  error_status_ = 0;
  error_message_.clear();
}

RequestParser::Status RequestParser::fail(int status, std::string message) {
  error_status_ = status;
  error_message_ = std::move(message);
  return Status::kError;
}

bool RequestParser::next_line(std::string_view buf, std::string_view* line, size_t* next) const {
  const size_t nl = buf.find('\n', pos_);
  if (nl == std::string_view::npos) return false;
  *line = buf.substr(pos_, nl - pos_);
  *next = nl + 1;
  return true;
}

RequestParser::Status RequestParser::parse(std::string_view buf) {
  if (error_status_ != 0) return Status::kError;
  if (state_ == State::kHead) {
    // Blank lines before the request line are skipped (RFC 9112 2.2), within the head's budget.
    while (!started_ && pos_ < buf.size()) {
      if (buf[pos_] == '\n') {
        ++pos_;
      } else if (buf[pos_] == '\r') {
        if (pos_ + 1 == buf.size()) return Status::kNeedMore;
        if (buf[pos_ + 1] != '\n') return fail(400, "a bare CR in the request line");
        pos_ += 2;
      } else {
        started_ = true;
        scan_ = line_start_ = pos_;
      }
      if (pos_ > limits_.max_header_bytes) return fail(400, "blank lines without a request");
    }
    if (!started_) return Status::kNeedMore;
    // The head ends at the first empty line; scan_ is where the search stopped last time, line_start_
    // where its line began.
    const size_t start = pos_;
    size_t end = std::string_view::npos;
    for (size_t i = scan_; i < buf.size(); ++i) {
      if (buf[i] != '\n') continue;
      if (!first_line_done_) {
        if (i - start > limits_.max_request_line)
          return fail(414, "the request line is longer than " + std::to_string(limits_.max_request_line) + " bytes");
        first_line_done_ = true;
      } else if (i == line_start_ || (i == line_start_ + 1 && buf[line_start_] == '\r')) {
        end = i + 1;
        break;
      }
      line_start_ = i + 1;
    }
    if (end == std::string_view::npos) {
      scan_ = buf.size();
      const size_t have = buf.size() - start;
      if (!first_line_done_ && have > limits_.max_request_line)
        return fail(414, "the request line is longer than " + std::to_string(limits_.max_request_line) + " bytes");
      if (have > limits_.max_header_bytes)
        return fail(431, "the request head is larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
      return Status::kNeedMore;
    }
    if (end - start > limits_.max_header_bytes)
      return fail(431, "the request head is larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
    if (const Status s = parse_head(buf.substr(start, end - start)); s == Status::kError) return s;
    pos_ = end;
  }
  if (state_ == State::kBody) {
    const uint64_t take = std::min<uint64_t>(remaining_, buf.size() - pos_);
    request_.body.append(buf.substr(pos_, take));
    pos_ += take;
    remaining_ -= take;
    if (remaining_ == 0) state_ = State::kDone;
  }
  if (state_ == State::kChunkSize || state_ == State::kChunkData || state_ == State::kChunkDataEnd ||
      state_ == State::kTrailers)
    if (const Status s = parse_chunks(buf); s == Status::kError) return s;
  return state_ == State::kDone ? Status::kComplete : Status::kNeedMore;
}

RequestParser::Status RequestParser::parse_head(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head.remove_prefix(nl == std::string_view::npos ? head.size() : nl + 1);
    if (!strip_cr(&line)) return fail(400, "a bare CR in the request head");
    lines.push_back(line);
  }
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return fail(400, "no request line");

  // request-line = method SP request-target SP HTTP-version
  const std::string_view rl = lines.front();
  const size_t sp1 = rl.find(' '), sp2 = sp1 == std::string_view::npos ? sp1 : rl.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || rl.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "the request line must be METHOD TARGET HTTP/1.1, single spaces");
  const std::string_view method = rl.substr(0, sp1), target = rl.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = rl.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "the request method is not a token");
  if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
      }))
    return fail(400, "the request target is empty or holds a control character");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || !std::isdigit(static_cast<unsigned char>(version[5])) ||
      version[6] != '.' || !std::isdigit(static_cast<unsigned char>(version[7])))
    return fail(400, "the request line does not end in an HTTP version");
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return fail(505, "only HTTP/1.1 and HTTP/1.0 are served, not " + std::string(version));
  request_.method = method;
  request_.target = target;
  request_.version = version;
  std::string_view path = target;
  if (path.front() != '/') {
    if (path == "*" && method == "OPTIONS") {
    } else if (const size_t scheme = path.find("://");
               scheme != std::string_view::npos && (iequal(path.substr(0, scheme), "http") ||
                                                    iequal(path.substr(0, scheme), "https"))) {
      // absolute-form: the path after the authority
      const size_t slash = path.find('/', scheme + 3);
      path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
    } else {
      return fail(400, "the request target must be a path beginning with /");
    }
  }
  request_.path = percent_decode(path.substr(0, path.find_first_of("?#")));

  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "obsolete line folding in a header");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      return fail(400, "a header line is not NAME: VALUE (no space before the colon)");
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return (u < 0x20 && u != '\t') || u == 0x7f;
        }))
      return fail(400, "a header value holds a control character");
    if (request_.headers.size() == limits_.max_headers)
      return fail(431, "more than " + std::to_string(limits_.max_headers) + " request headers");
    request_.headers.emplace_back(ascii_lower(line.substr(0, colon)), std::string(value));
  }

  const bool http10 = request_.version == "HTTP/1.0";
  int hosts = 0;
  bool has_length = false, has_te = false, close = false, keep_alive = false;
  uint64_t length = 0;
  std::vector<std::string> codings;
  for (const auto& [name, value] : request_.headers) {
    if (name == "host") {
      ++hosts;
    } else if (name == "content-length") {
      // RFC 9112 6.3: a list of identical values is one value; differing ones make the framing ambiguous.
      const auto elements = list_elements(value);
      if (elements.empty()) return fail(400, "Content-Length is empty");
      for (const std::string_view e : elements) {
        bool ok = false;
        const uint64_t v = parse_decimal(e, &ok);
        if (!ok) return fail(400, "Content-Length must be a non-negative decimal integer, not \"" + std::string(e) + "\"");
        if (has_length && v != length) return fail(400, "two Content-Length values that differ");
        has_length = true;
        length = v;
      }
    } else if (name == "transfer-encoding") {
      has_te = true;
      for (const std::string_view e : list_elements(value)) codings.push_back(ascii_lower(e));
    } else if (name == "connection") {
      for (const std::string_view e : list_elements(value)) {
        if (iequal(e, "close")) close = true;
        if (iequal(e, "keep-alive")) keep_alive = true;
      }
    } else if (name == "expect") {
      if (!iequal(value, "100-continue")) return fail(417, "the only Expect served is 100-continue");
      expect_continue_ = true;
    }
  }
  if (!http10 && hosts != 1) return fail(400, "an HTTP/1.1 request needs exactly one Host header");
  if (hosts > 1) return fail(400, "more than one Host header");
  request_.keep_alive = !close && (!http10 || keep_alive);

  if (has_te) {
    if (http10) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (has_length) return fail(400, "both Content-Length and Transfer-Encoding: the body's length is ambiguous");
    if (codings.empty() || codings.back() != "chunked")
      return fail(400, "the last Transfer-Encoding must be chunked");
    if (codings.size() > 1) return fail(501, "no transfer coding but chunked is served");
    state_ = State::kChunkSize;
    return Status::kNeedMore;
  }
  if (length > limits_.max_body)
    return fail(413, "the body is larger than " + std::to_string(limits_.max_body) + " bytes");
  remaining_ = length;
  state_ = length == 0 ? State::kDone : State::kBody;
  if (length == 0) expect_continue_ = false;
  return Status::kNeedMore;
}

RequestParser::Status RequestParser::parse_chunks(std::string_view buf) {
  while (state_ != State::kDone) {
    if (state_ == State::kChunkData) {
      const uint64_t take = std::min<uint64_t>(remaining_, buf.size() - pos_);
      request_.body.append(buf.substr(pos_, take));
      pos_ += take;
      remaining_ -= take;
      if (remaining_ > 0) return Status::kNeedMore;
      state_ = State::kChunkDataEnd;
      continue;
    }
    if (state_ == State::kChunkDataEnd) {
      if (pos_ == buf.size()) return Status::kNeedMore;
      if (buf[pos_] == '\n') {
        pos_ += 1;
      } else if (buf[pos_] == '\r') {
        if (pos_ + 1 == buf.size()) return Status::kNeedMore;
        if (buf[pos_ + 1] != '\n') return fail(400, "a chunk is longer than its size says");
        pos_ += 2;
      } else {
        return fail(400, "a chunk is longer than its size says");
      }
      state_ = State::kChunkSize;
      continue;
    }
    std::string_view line;
    size_t next = 0;
    const bool have = next_line(buf, &line, &next);
    if (state_ == State::kChunkSize) {
      if (!have) {
        if (buf.size() - pos_ > kMaxChunkLine) return fail(400, "a chunk-size line is too long");
        return Status::kNeedMore;
      }
      if (line.size() > kMaxChunkLine || !strip_cr(&line)) return fail(400, "a malformed chunk-size line");
      size_t digits = 0;
      uint64_t size = 0;
      while (digits < line.size() && hex_value(line[digits]) >= 0) {
        if (digits == 15) return fail(413, "a chunk larger than " + std::to_string(limits_.max_body) + " bytes");
        size = size * 16 + static_cast<uint64_t>(hex_value(line[digits]));
        ++digits;
      }
      const std::string_view rest = trim_ows(line.substr(digits));
      if (digits == 0 || (!rest.empty() && rest.front() != ';')) return fail(400, "a malformed chunk size");
      pos_ = next;
      if (size == 0) {
        state_ = State::kTrailers;
        continue;
      }
      if (request_.body.size() + size > limits_.max_body)
        return fail(413, "the body is larger than " + std::to_string(limits_.max_body) + " bytes");
      remaining_ = size;
      state_ = State::kChunkData;
      continue;
    }
    // kTrailers: header lines until an empty one, within the head's budget; their values unused.
    if (!have) {
      if (trailer_bytes_ + (buf.size() - pos_) > limits_.max_header_bytes)
        return fail(431, "the trailer fields are larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
      return Status::kNeedMore;
    }
    trailer_bytes_ += next - pos_;
    if (trailer_bytes_ > limits_.max_header_bytes)
      return fail(431, "the trailer fields are larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
    if (!strip_cr(&line)) return fail(400, "a bare CR in a trailer field");
    pos_ = next;
    if (line.empty()) {
      state_ = State::kDone;
      break;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
      return fail(400, "a trailer line is not NAME: VALUE");
  }
  expect_continue_ = false;
  return Status::kComplete;
}

}  // namespace attnlab::server
