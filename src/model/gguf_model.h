// GGUF checkpoints (llama.cpp's files) on the family tables: general.architecture and its
// `<arch>.*` metadata give the ModelSpec as transformers' GGUF loader derives its config
// (modeling_gguf_pytorch_utils.py), and each role of the family's table has its GGUF name
// (llama.cpp's llm-arch: token_embd, blk.%d.attn_q, ...). Tensors are dequantized to float32 bit for
// bit as gguf-py's gguf.quants.dequantize, then the Q/K row order llama.cpp's converter permuted is
// undone for the llama architecture, as transformers does.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "model/spec.h"
#include "model/weights.h"

namespace attnlab {

// The architectures read ("llama, qwen2, qwen3"), for messages and --help.
const char* supported_gguf_architectures();

// Error (kExitInput) naming the file and key for an architecture not read or metadata out of range.
ModelSpec read_gguf_spec(const GgufFile& file);

// Fills the family's table (model/families.h) from the file: each HF-named slot looked up by its GGUF
// name, shapes checked (GGUF dims are the torch shape reversed). With keep_quantized, a matrix whose
// type has an integer form (io/gguf_quants.h) keeps its blocks (Tensor::quant, rows in HF order);
// every other tensor is dequantized into `owned`.
void load_gguf_tensors(const GgufFile& file, const ModelSpec& spec, std::vector<TensorSlot>& table,
                       bool keep_quantized = false);
// A quantized tensor's float32 values into `owned` (dequantize_row, bit for bit), its blocks dropped.
void dequantize_tensor(Tensor& t);

// The GGUF name of a slot of the llama table ("model.layers.3.self_attn.q_proj.weight" ->
// "blk.3.attn_q.weight"); empty when the role has no GGUF name.
std::string gguf_tensor_name(const ModelSpec& spec, const std::string& hf_name);

}  // namespace attnlab
