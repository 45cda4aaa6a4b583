// CRC-32 (ISO-HDLC, the ZIP and zlib polynomial; see array_writers.h): slicing-by-8 tables as the
// portable twin, PCLMULQDQ folding where the CPU has it (Gopal et al., "Fast CRC Computation for
// Generic Polynomials Using PCLMULQDQ Instruction", Intel 2009, with the bit-reflected constants of
// its appendix, as zlib-ng and Chromium's zlib use them), and large inputs split over the thread
// pool, the pieces' CRCs joined by crc32_combine.
#include <array>
#include <cstring>
#include <vector>

#include <immintrin.h>

#include "core/cpu.h"
#include "core/thread_pool.h"
#include "io/array_writers.h"

namespace attnlab {
namespace {

constexpr std::uint32_t kCrcPoly = 0xEDB88320u;

// Slicing-by-8 tables: kCrcTables[k][b] = CRC of byte b followed by k zero bytes.
constexpr auto kCrcTables = [] {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = c & 1 ? (c >> 1) ^ kCrcPoly : c >> 1;
    t[0][b] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  return t;
}();

std::uint32_t crc32_tables(const std::uint8_t* p, std::size_t n, std::uint32_t crc) {
  crc = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = kCrcTables[7][lo & 0xff] ^ kCrcTables[6][(lo >> 8) & 0xff] ^ kCrcTables[5][(lo >> 16) & 0xff] ^
          kCrcTables[4][lo >> 24] ^ kCrcTables[3][hi & 0xff] ^ kCrcTables[2][(hi >> 8) & 0xff] ^
          kCrcTables[1][(hi >> 16) & 0xff] ^ kCrcTables[0][hi >> 24];
  }
  for (; n > 0; --n, ++p) crc = (crc >> 8) ^ kCrcTables[0][(crc ^ *p) & 0xff];
  return ~crc;
}

// a * b modulo the CRC polynomial, bit-reflected (zlib's multmodp).
std::uint32_t multmodp(std::uint32_t a, std::uint32_t b) {
  std::uint32_t m = 1u << 31, p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = b & 1 ? (b >> 1) ^ kCrcPoly : b >> 1;
  }
  return p;
}

// CRC of A followed by B, from CRC(A), CRC(B) and B's length: CRC(A) * x^(8 len_b) + CRC(B) (zlib's
// crc32_combine).
std::uint32_t crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) {
  std::uint32_t x2n = 1u << 30;  // x^1, then x^2, x^4, ... by squaring
  std::uint32_t p = 1u << 31;    // x^0
  for (std::uint64_t n = len_b * 8; n; n >>= 1) {
    if (n & 1) p = multmodp(x2n, p);
    x2n = multmodp(x2n, x2n);
  }
  return multmodp(p, crc_a) ^ crc_b;
}

#define ATTNLAB_CLMUL __attribute__((target("pclmul,sse4.1")))

ATTNLAB_CLMUL inline __m128i load(const std::uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// x.lo * k.lo ^ x.hi * k.hi ^ next, carry-less: x moved forward by the distance k encodes.
ATTNLAB_CLMUL inline __m128i fold(__m128i x, __m128i k, __m128i next) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

// The running (pre-inverted) CRC of n bytes, n >= 64 and a multiple of 16: four 128-bit lanes folded
// 64 bytes at a time, then folded into one, then reduced to 32 bits (Barrett).
ATTNLAB_CLMUL std::uint32_t crc32_fold(const std::uint8_t* buf, std::size_t len, std::uint32_t crc) {
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  const __m128i k5k0 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
  __m128i x1 = _mm_xor_si128(load(buf), _mm_cvtsi32_si128(static_cast<int>(crc)));
  __m128i x2 = load(buf + 16), x3 = load(buf + 32), x4 = load(buf + 48);
  buf += 64;
  len -= 64;
  for (; len >= 64; buf += 64, len -= 64) {
    x1 = fold(x1, k1k2, load(buf));
    x2 = fold(x2, k1k2, load(buf + 16));
    x3 = fold(x3, k1k2, load(buf + 32));
    x4 = fold(x4, k1k2, load(buf + 48));
  }
  x1 = fold(x1, k3k4, x2);
  x1 = fold(x1, k3k4, x3);
  x1 = fold(x1, k3k4, x4);
  for (; len >= 16; buf += 16, len -= 16) x1 = fold(x1, k3k4, load(buf));
  // 128 -> 64 bits
  const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), _mm_clmulepi64_si128(x1, k3k4, 0x10));
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 4), _mm_clmulepi64_si128(_mm_and_si128(x1, low32), k5k0, 0x00));
  // Barrett reduction to 32 bits
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x1, low32), poly, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), poly, 0x00);
  return static_cast<std::uint32_t>(_mm_extract_epi32(_mm_xor_si128(x1, t), 1));
}

}  // namespace

std::uint32_t crc32_portable(std::span<const std::uint8_t> data, std::uint32_t crc) {
  return crc32_tables(data.data(), data.size(), crc);
}

std::uint32_t crc32_one_thread(std::span<const std::uint8_t> data, std::uint32_t crc) {
  const std::size_t folded = data.size() >= 64 && cpu_has_clmul() ? data.size() & ~std::size_t{15} : 0;
  if (folded) crc = ~crc32_fold(data.data(), folded, ~crc);
  return crc32_tables(data.data() + folded, data.size() - folded, crc);
}

std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc) {
  constexpr std::size_t kPiece = std::size_t{4} << 20;  // below this, one thread
  if (data.size() < 2 * kPiece) return crc32_one_thread(data, crc);
  const std::size_t pieces = std::min<std::size_t>(data.size() / kPiece, 64);
  const std::size_t step = data.size() / pieces;
  std::vector<std::uint32_t> crcs(pieces);
  parallel_for(static_cast<int>(pieces), [&](int i) {
    const std::size_t begin = static_cast<std::size_t>(i) * step;
    const std::size_t end = static_cast<std::size_t>(i) + 1 == pieces ? data.size() : begin + step;
    crcs[static_cast<std::size_t>(i)] = crc32_one_thread(data.subspan(begin, end - begin), 0);
  });
  for (std::size_t i = 0; i < pieces; ++i) {
    const std::size_t len = i + 1 == pieces ? data.size() - i * step : step;
    crc = crc32_combine(crc, crcs[i], len);
  }
  return crc;
}

}  // namespace attnlab
