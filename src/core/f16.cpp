// float16 rounding (see f16.h). Integer arithmetic on the bit patterns only, so the result does not
// depend on the floating-point environment (rounding mode, flush-to-zero) or on F16C being present.
#include "core/f16.h"

#include <bit>

namespace attnlab {
namespace {

// Field boundaries, as float32 bit patterns of magnitudes (sign cleared).
constexpr uint32_t kF32Inf = 0x7f800000u;         // exponent all ones: inf, or NaN with a payload
constexpr uint32_t kF16Overflow = 0x477ff000u;    // 65520, halfway from 65504 to 65536: ties to "even" inf
constexpr uint32_t kF16MinNormal = 0x38800000u;   // 2^-14
constexpr uint32_t kF16HalfMinSub = 0x33000000u;  // 2^-25, halfway from 0 to 2^-24: ties to even 0

inline uint16_t round_to_f16(uint32_t bits) {
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const uint32_t mag = bits & 0x7fffffffu;
  if (mag >= kF16Overflow) {
    if (mag <= kF32Inf) return static_cast<uint16_t>(sign | 0x7c00u);  // inf, or a finite too large: inf
    // NaN: numpy's rule, the payload's top 10 bits, made nonzero if they are all 0 so it stays a NaN.
    const uint32_t payload = (mag >> 13) & 0x3ffu;
    return static_cast<uint16_t>(sign | 0x7c00u | (payload ? payload : 1u));
  }
  if (mag >= kF16MinNormal) {
    // Normal: rebias the exponent (127 -> 15, i.e. subtract 112 << 23), then drop 13 mantissa bits,
    // rounding to nearest even by adding 0xfff plus the lowest kept bit. A carry out of the mantissa
    // moves correctly into the exponent (0x3ff + 1 ulp -> next power of two); mag < kF16Overflow
    // keeps the result at or below 0x7bff.
    uint32_t r = mag - (112u << 23);
    r += 0xfffu + ((r >> 13) & 1u);
    return static_cast<uint16_t>(sign | (r >> 13));
  }
  if (mag <= kF16HalfMinSub) return static_cast<uint16_t>(sign);  // rounds to +-0 (2^-25 itself is a tie, to even 0)
  // Subnormal half: the result counts units of 2^-24. The float32 is m * 2^(e - 150) with the implicit
  // bit restored in m (24 bits), so in those units it is m >> (126 - e), e in [102, 112] here, shift
  // in [14, 24]. Round the shifted-out bits to nearest even; rounding up from 0x3ff gives 0x400, the
  // smallest normal's bit pattern, as it should.
  const uint32_t e = mag >> 23;
  const uint32_t m = (mag & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126u - e;
  uint32_t h = m >> shift;
  const uint32_t rest = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

}  // namespace

uint16_t to_f16(float x) { return round_to_f16(std::bit_cast<uint32_t>(x)); }

void to_f16(const float* x, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = round_to_f16(std::bit_cast<uint32_t>(x[i]));
}

float from_f16(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | kF32Inf | (man << 13);  // inf, or NaN with its payload
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (man << 13);  // normal: rebias 15 -> 127
  } else if (man == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal: man * 2^-24 with man's top set bit at p (0..9) is 2^(p - 24) * 1.f, a normal float32
    // with exponent field p - 24 + 127 and the bits below p as the top of its mantissa.
    const auto p = static_cast<uint32_t>(std::bit_width(man)) - 1u;
    bits = sign | ((p + 103u) << 23) | ((man << (23u - p)) & 0x7fffffu);
  }
  return std::bit_cast<float>(bits);
}

}  // namespace attnlab
