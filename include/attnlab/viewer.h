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
  // off, they are plain base64.
  bool compress = true;
};

// One text of a model page: its run must hold the attentions and the query/key vectors
// (RunOptions{.attentions = true, .qkv = true}).
struct ViewerInput {
  std::string text;
  std::optional<std::string> pair;
  const Result* result = nullptr;
};

// Parses a --layers value: "3", "0-11", "0,2,5-7"; returns the ascending, de-duplicated list, checked
// against num_layers. Throws attnlab::Error (usage) naming the flag and what was expected.
std::vector<int> parse_layer_list(std::string_view text, int num_layers);

// The page's data object (web/README.md) for a model page of one input, or two shown side by side.
// Throws attnlab::Error (usage) when a layer is out of range or a result lacks attentions or q/k.
std::string viewer_data_json(const ModelInfo& model, std::span<const ViewerInput> inputs,
                             const ViewerOptions& options = {});
// The data object of the toy walk-through; toy_json is what toy_json() (toy_checks.h) returns.
std::string toy_viewer_data_json(std::string_view toy_json);

// One array in the page's encoding ({"dtype", "shape", "encoding", "data"}, web/README.md) as the value
// of `name` in w's current object: for JSON answers the page (or a script) decodes the same way.
void write_viewer_array(JsonWriter& w, std::string_view name, std::span<const float> values,
                        std::span<const int> shape, const ViewerOptions& options);

// The complete HTML page around a data object from one of the two functions above. same_origin_api:
// the page may also fetch from the server that sent it (attnlab serve); otherwise it can make no
// request at all.
std::string viewer_page(std::string_view data_json, std::string_view title, bool same_origin_api = false);

}  // namespace attnlab
