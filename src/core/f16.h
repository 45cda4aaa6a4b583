// IEEE binary16 (half precision, numpy's float16) <-> float32 bits: the F16 arrays of an array file
// (attnlab/array_file.h, ArrayDType::kF16) are written through these.
#pragma once

#include <cstddef>
#include <cstdint>

namespace attnlab {

// float32 -> binary16 bits, round to nearest even, bit for bit numpy's np.float32(x).astype(np.float16)
// for every input: below 2^-14 the subnormal halves (multiples of 2^-24, rounding up into the
// smallest normal 2^-14 where it must), magnitudes >= 65520 to +-inf (65504, the largest finite half,
// takes everything in [65504, 65520)), +-0 and +-inf kept. A NaN stays a NaN of the same sign with
// the top 10 of its 23 payload bits, as numpy keeps them; one whose top 10 are all zero becomes
// 0x7c01 (sign kept). Like numpy, no quiet bit is forced: a signalling float32 NaN gives a signalling
// half (0x7f800001 -> 0x7c01), a quiet one a quiet half (0x7fc00000 -> 0x7e00).
uint16_t to_f16(float x);

// binary16 bits -> float32, exact (every half is a float32); a NaN keeps its sign and payload
// (placed in the top 10 payload bits), so to_f16(from_f16(h)) == h for all 65536 patterns.
float from_f16(uint16_t h);

// to_f16 of x[0..n) into out[0..n).
void to_f16(const float* x, uint16_t* out, size_t n);

}  // namespace attnlab
