// The JSON every front end writes for an encoding and a model's next-token prediction: one function
// each, used by the CLI (attention, tokenize), the web app's API and the viewer's page data, so their
// keys and conventions cannot drift apart.
#pragma once

#include <span>

#include "attnlab/engine.h"
#include "attnlab/json_writer.h"

namespace attnlab {

// Inside an open object: "tokens", "input_ids", "token_type_ids" (0s when the encoding has none, as
// transformers returns them), "word_ids" (null for special tokens and where unknown), "special"
// (each token's role: "bos", "eos", "cls", "sep", "pad", "unk", "mask", "special", or null for text)
// and "truncated".
void write_encoding_json(JsonWriter& w, const Encoding& encoding);

// Inside an open object: "top_k": [{"id", "token", "prob"}, ...], most probable first.
void write_top_k_json(JsonWriter& w, std::span<const Engine::NextToken> top);

}  // namespace attnlab
