// Fuzzes the parsing of the Hub's HTTP answers (io/hub_http.h): the bytes are the raw header lines
// of a HEAD answer (split at '\n', as libcurl hands them over one by one), judged as the metadata
// of config.json and of model.safetensors; the Content-Range and Location found are parsed too.
// Only attnlab::Error may escape, and what is accepted must be safe to use as a cache file name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "attnlab/error.h"
#include "fuzz_util.h"
#include "io/hub_http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = attnlab::fuzz::as_view(data, size);
  attnlab::HubResponse response;
  // The first byte picks the status, like the answers huggingface.co gives.
  static constexpr long kStatuses[] = {200, 206, 302, 307, 401, 403, 404, 416, 500, 100};
  response.status = size > 0 ? kStatuses[static_cast<uint8_t>(bytes[0]) % 10] : 200;
  size_t start = size > 0 ? 1 : 0;
  while (start < size) {
    size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) end = size;
    attnlab::add_header_line(response, bytes.substr(start, end - start + (end < size ? 1 : 0)));
    start = end + 1;
  }
  for (const bool weights : {false, true}) {
    attnlab::MetadataRequest req;
    req.repo_id = "org/name";
    req.revision = "main";
    req.filename = weights ? "model.safetensors" : "config.json";
    req.url = "https://huggingface.co/org/name/resolve/main/" + req.filename;
    req.endpoint = "https://huggingface.co";
    req.weights = weights;
    req.max_bytes = weights ? 0 : uint64_t{1} << 20;
    try {
      const attnlab::FileMetadata m = attnlab::interpret_metadata(response, req);
      if (m.exists) {
        ATTNLAB_FUZZ_CHECK(attnlab::safe_file_name(m.etag) && attnlab::safe_file_name(m.commit));
        ATTNLAB_FUZZ_CHECK(!m.lfs || m.etag.size() == 64);
        ATTNLAB_FUZZ_CHECK(!m.on_cdn || attnlab::redirect_allowed(req.url, m.location));
        ATTNLAB_FUZZ_CHECK(weights || !m.size || *m.size <= req.max_bytes);
        ATTNLAB_FUZZ_CHECK(!weights || !m.size || *m.size > 0);
      }
    } catch (const attnlab::Error&) {
    }
  }
  if (const auto range = attnlab::parse_content_range(response.header("content-range")))
    ATTNLAB_FUZZ_CHECK(range->first <= range->last && (!range->total || *range->total > range->last));
  (void)attnlab::display_url(response.header("location"));
  return 0;
}
