// Fuzzes the config.json reader, then the weight loader with the fuzzed config against the tiny
// real checkpoint (shape checks, layer counts, the tensor table). Only attnlab::Error may escape.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "attnlab/error.h"
#include "fuzz_util.h"
#include "model/config.h"
#include "model/weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const attnlab::fuzz::ScratchDir dir;
  static const auto checkpoint =
      std::make_unique<attnlab::SafetensorsFile>(ATTNLAB_FIXTURES "/bert/tiny-random/model/model.safetensors");
  const auto path = dir.write("config.json", attnlab::fuzz::as_view(data, size));
  try {
    const attnlab::BertConfig c = attnlab::read_bert_config(path);
    ATTNLAB_FUZZ_CHECK(c.hidden_size > 0 && c.num_attention_heads > 0 && c.hidden_size % c.num_attention_heads == 0);
    ATTNLAB_FUZZ_CHECK(c.num_hidden_layers > 0 && c.vocab_size > 0 && c.max_position_embeddings > 0);
    attnlab::BertWeights weights;
    attnlab::load_weights(*checkpoint, c, weights);
    ATTNLAB_FUZZ_CHECK(static_cast<int>(weights.layers.size()) == c.num_hidden_layers);
  } catch (const attnlab::Error&) {
  }
  return 0;
}
