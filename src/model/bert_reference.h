// The whole-model reference forward pass (llm.c's CPU reference beside its CUDA path): the BERT
// encoder chained from the scalar twins of the kernels, in plain float, on the fp32 weights as
// loaded (BertWeights' tensors, never the packed copies). The oracle every fast path is tested
// against (each instruction set's kernels, bf16 weights): slow, single-threaded, obviously right.
#pragma once

#include <span>
#include <vector>

#include "model/transformer.h"

namespace attnlab {

struct BertReferenceOutput {
  int seq_len = 0, num_layers = 0, num_heads = 0, hidden = 0;
  std::vector<float> attentions;         // [layer][head][query][key], as Result::attentions
  std::vector<float> hidden_states;      // [num_layers + 1][seq_len][hidden]: the embeddings, then each layer's output
  std::vector<float> last_hidden_state;  // [seq_len][hidden]: the last of hidden_states
  std::vector<float> pooler_output;      // [hidden]; empty when the checkpoint has no pooler

  // i = 0: the embeddings' output; i = l + 1: layer l's output ([seq_len][hidden]).
  std::span<const float> hidden_state(int i) const {
    const size_t n = static_cast<size_t>(seq_len) * hidden;
    return {hidden_states.data() + static_cast<size_t>(i) * n, n};
  }
};

// One sequence (special tokens included): input_ids, token_type_ids: [seq_len]. Error(kExitInput)
// for bad ids, as bert_forward; Error when the model no longer holds an fp32 weight (a checkpoint
// stored in F16/BF16 keeps only the packed copy after loading).
BertReferenceOutput bert_forward_reference(const TransformerModel& model, std::span<const int> input_ids,
                                           std::span<const int> token_type_ids);

}  // namespace attnlab
