// Fuzzes the web app's request parser (attnlab serve's POST /api/* bodies) on arbitrary bytes: it must
// either return a checked request or throw ApiError with a 4xx status, never crash or throw anything
// else. A parsed request then goes through the layer/head check against a 12 x 12 model.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "fuzz_util.h"
#include "server/api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  attnlab::ModelInfo info;
  info.num_layers = 12;
  info.num_heads = 12;
  try {
    const attnlab::server::ApiRequest r = attnlab::server::parse_request(attnlab::fuzz::as_view(data, size), 4096);
    attnlab::server::check_selection(r, info);
  } catch (const attnlab::server::ApiError& e) {
    if (e.status < 400 || e.status > 499) std::abort();
  }
  return 0;
}
