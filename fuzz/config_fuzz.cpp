// Fuzzes BERT's config.json reader, then the weight loader with the fuzzed config against the tiny
// real checkpoint (shape checks, layer counts, the tensor table). Only attnlab::Error may escape.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "attnlab/error.h"
#include "fuzz_util.h"
#include "model/families.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const attnlab::fuzz::ScratchDir dir;
  static const attnlab::CheckpointFiles checkpoint = attnlab::open_checkpoint(ATTNLAB_FIXTURES "/bert/tiny-random/model");
  const auto path = dir.write("config.json", attnlab::fuzz::as_view(data, size));
  try {
    const attnlab::ModelSpec c = attnlab::bert_spec(attnlab::read_bert_config(path));
    ATTNLAB_FUZZ_CHECK(c.hidden > 0 && c.heads > 0 && c.hidden % c.heads == 0);
    ATTNLAB_FUZZ_CHECK(c.layers > 0 && c.vocab_size > 0 && c.max_positions > 0);
    attnlab::ModelWeights weights;
    std::vector<attnlab::TensorSlot> table = attnlab::tensor_table(c, weights);
    attnlab::load_tensors(checkpoint, table, [&](const std::string& n) { return attnlab::checkpoint_names(c, n); });
    ATTNLAB_FUZZ_CHECK(static_cast<int>(weights.layers.size()) == c.layers);
  } catch (const attnlab::Error&) {
  }
  return 0;
}
