// Fuzzes attnlab serve's HTTP/1.1 request framing (src/server/http.h) on arbitrary bytes: request
// lines, headers, Content-Length and chunked bodies, pipelined requests. Every outcome must be a
// complete request, a need for more bytes, or an error with a 4xx/5xx status; and the bytes fed in
// pieces (split where the first byte says) must parse exactly as the bytes fed whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/http.h"

namespace {

using attnlab::server::RequestParser;

struct Outcome {
  std::vector<std::string> requests;  // method, target, headers and body of each complete request
  int error = 0;
  bool operator==(const Outcome&) const = default;
};

std::string describe(const attnlab::server::HttpRequest& r) {
  std::string s = r.method + ' ' + r.target + ' ' + r.path + ' ' + r.version + (r.keep_alive ? " ka\n" : " close\n");
  for (const auto& [k, v] : r.headers) s += k + ": " + v + '\n';
  return s + '\n' + r.body;
}

// Parses the requests in `bytes`, handed to the parser `step` bytes more at a time (0: all at once),
// as a connection's buffer grows.
Outcome parse_all(std::string_view bytes, size_t step) {
  attnlab::server::ParseLimits limits;
  limits.max_request_line = 512;
  limits.max_header_bytes = 2048;
  limits.max_headers = 16;
  limits.max_body = 1024;
  RequestParser parser(limits);
  Outcome out;
  std::string buf;
  size_t fed = 0;
  for (;;) {
    const size_t more = step == 0 ? bytes.size() - fed : std::min(step, bytes.size() - fed);
    buf.append(bytes.substr(fed, more));
    fed += more;
    for (;;) {
      const RequestParser::Status s = parser.parse(buf);
      if (s == RequestParser::Status::kError) {
        const int e = parser.error_status();
        if (e < 400 || e > 599) std::abort();
        out.error = e;
        return out;
      }
      if (s == RequestParser::Status::kNeedMore) break;
      if (parser.consumed() == 0 || parser.consumed() > buf.size()) std::abort();
      out.requests.push_back(describe(parser.request()));
      buf.erase(0, parser.consumed());
      parser.reset();
    }
    if (fed == bytes.size()) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 17;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Outcome whole = parse_all(bytes, 0), pieces = parse_all(bytes, step);
  if (!(whole == pieces)) std::abort();
  return 0;
}
