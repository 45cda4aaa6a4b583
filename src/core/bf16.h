// bfloat16 <-> float32 bits: the packed bf16 weights (ops/packed_linear.h) and the BF16 tensors of a
// checkpoint (io/safetensors.h) share these.
#pragma once

#include <bit>
#include <cstdint>

namespace attnlab {

// float32 -> bfloat16 bits, round to nearest even (as torch's .to(torch.bfloat16)).
uint16_t to_bf16(float f);

// bfloat16 bits -> float32 (exact: the bits are float32's upper half). static: each ISA build of the
// kernels keeps its own copy, so no AVX-compiled instance can be the one a baseline caller links.
static inline float from_bf16(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

}  // namespace attnlab
