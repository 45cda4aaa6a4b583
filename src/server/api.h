// The web app's JSON API, apart from HTTP: requests parsed and checked into plain structs, answers built
// as JSON text. Every failure is an ApiError carrying the HTTP status to send.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/engine.h"

namespace attnlab::server {

struct ApiError : std::runtime_error {
  ApiError(int http_status, const std::string& message) : std::runtime_error(message), status(http_status) {}
  int status;  // 400 bad JSON or field, 404, 405, 413, 422 text too long, 503 busy
};

// POST /api/tokenize, /api/attention and /api/view bodies:
//   {"model"?, "text", "pair"?, "truncate"?: true, "layers"?: [..], "heads"?: [..],
//    "include"?: ["attentions", "hidden", "pooler", "qk"], "format"?: "json" | "f16-base64"}
struct ApiRequest {
  std::string model;  // empty: the server's first model
  std::string text;
  std::optional<std::string> pair;
  bool truncate = true;
  std::vector<int> layers, heads;  // empty: all
  bool attentions = true, hidden = false, pooler = false, qk = false;
  bool f16_base64 = false;
};

// Parses and checks a request body (at most `max_text_bytes` of text and pair together).
// Throws ApiError(400) naming the field and what was expected.
ApiRequest parse_request(std::string_view body, size_t max_text_bytes);

// Checks layers/heads against the model (ApiError 400).
void check_selection(const ApiRequest& request, const ModelInfo& info);

// Tokenizes as the request asks: ApiError 422 when the text is longer than the model takes and
// "truncate" is false.
Encoding encode_request(const Engine& engine, const ApiRequest& request);

// The answers: the same keys and layout as `attnlab tokenize --json` and `attnlab attention --all --json`.
std::string tokenize_json(const ModelInfo& info, const Encoding& encoding);
std::string attention_json(const ModelInfo& info, const ApiRequest& request, const Result& result);

// {"error": message, "code": status}
std::string error_json(int status, std::string_view message);

}  // namespace attnlab::server
