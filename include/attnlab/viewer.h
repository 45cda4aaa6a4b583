// The interactive attention viewer: one self-contained HTML page (all script, style and data inline;
// its Content-Security-Policy lets it make no request at all) with the head, model, matrix and
// neuron views of a real model's attention, or the notebook's toy layers step by step. The page's
// script and style are web/src/, embedded at build time; web/README.md documents the data it carries.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/engine.h"
#include "attnlab/json_writer.h"
#include "attnlab/toy_checks.h"

namespace attnlab {

enum class ViewerPrecision {
  kFloat32,  // the engine's values bit for bit
  kFloat16,  // rounded to nearest-even half precision: about half the size, ~5e-4 relative error
};

struct ViewerOptions {
  ViewerPrecision precision = ViewerPrecision::kFloat32;
  // Model layers to include, ascending, each in [0, num_layers); empty = every layer.
  std::vector<int> layers;
  // Shuffle + deflate the arrays (the page inflates them with the browser's DecompressionStream);
  // off, their bytes are stored as they are.
  bool compress = true;
};

// One text of a model page: its run must hold the attentions and the query/key vectors
// (RunOptions{.attentions = true, .qkv = true}).
struct ViewerInput {
  std::string text;
  std::optional<std::string> pair;
  const Result* result = nullptr;
};

// A page's data (web/README.md): the data object, whose arrays point into the byte block beside it.
struct ViewerData {
  std::string json;
  std::string bytes;  // empty for pages without arrays (the toy walk-through, attnlab serve's app)
};

// How a page carries its byte block (web/README.md).
enum class ViewerBytes {
  kRaw,     // byte for byte (the few bytes HTML would alter escaped): the smallest file; only a file
            // or an HTTP body keeps the bytes as they are
  kBase64,  // base64: the whole page is ASCII, so it survives text channels that re-encode it (a
            // notebook output, a JSON string, an iframe's srcdoc)
};

struct ViewerPageOptions {
  ViewerBytes bytes = ViewerBytes::kRaw;
  // The page may also fetch from the server that sent it (attnlab serve); otherwise it can make no
  // request at all.
  bool same_origin_api = false;
};

// The page is windows-1252 text, as its <meta charset> says: every byte is one character, so the byte
// block can be carried raw. Whoever sends the page over HTTP sends this Content-Type with it.
inline constexpr std::string_view kViewerPageMediaType = "text/html; charset=windows-1252";

// Parses a --layers value: "3", "0-11", "0,2,5-7"; returns the ascending, de-duplicated list, checked
// against num_layers. Throws attnlab::Error (usage) naming the flag and what was expected.
std::vector<int> parse_layer_list(std::string_view text, int num_layers);

// The data of a model page of one input, or two shown side by side. Throws attnlab::Error (usage)
// when a layer is out of range or a result lacks attentions or q/k.
ViewerData viewer_data(const ModelInfo& model, std::span<const ViewerInput> inputs, const ViewerOptions& options = {});
// The same data object with every array inline (base64), for JSON answers, which have no byte block
// (attnlab serve's /api/view).
std::string viewer_data_json(const ModelInfo& model, std::span<const ViewerInput> inputs,
                             const ViewerOptions& options = {});
// The data of the toy walk-through; toy_json is what toy_json() (toy_checks.h) returns.
ViewerData toy_viewer_data(std::string_view toy_json);

// One array inline ({"dtype", "shape", "encoding", "data"}, base64; web/README.md) as the value of
// `name` in w's current object: for JSON answers the page (or a script) decodes the same way.
void write_viewer_array(JsonWriter& w, std::string_view name, std::span<const float> values,
                        std::span<const int> shape, const ViewerOptions& options);

// The complete HTML page around `data` from one of the functions above: pure ASCII apart from a raw
// byte block (non-ASCII text in the data and the script is written as \u escapes).
std::string viewer_page(const ViewerData& data, std::string_view title, const ViewerPageOptions& options = {});

}  // namespace attnlab
