// float32 <-> float16 (core/f16.h) against numpy's casts (tests/fixtures/f16_rounding.json, written by
// tools/make_f16_fixtures.py), and the round trip through every half bit pattern.
#include "core/f16.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../support/fixtures.h"

namespace attnlab {
namespace {

// The value a half's bits stand for, computed independently of from_f16 (NaN aside).
double half_value(uint16_t h) {
  const int exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  const double mag = exp == 0x1f ? INFINITY : exp == 0 ? std::ldexp(man, -24) : std::ldexp(1024 + man, exp - 25);
  return (h & 0x8000) ? -mag : mag;
}

TEST(F16, RoundingMatchesNumpyScalarAndArray) {
  const auto fx = testing::load_json("f16_rounding.json");
  const auto f32 = fx["f32_bits"].get<std::vector<uint32_t>>();
  const auto f16 = fx["f16_bits"].get<std::vector<uint16_t>>();
  ASSERT_EQ(f32.size(), f16.size());
  ASSERT_GT(f32.size(), 4000u);
  std::vector<float> x(f32.size());
  for (size_t i = 0; i < f32.size(); ++i) x[i] = std::bit_cast<float>(f32[i]);
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(to_f16(x[i]), f16[i]) << std::hex << "float32 bits 0x" << f32[i] << " (" << x[i] << ")";

  // The array version, over the whole set and at odd offsets and lengths (a vectorised loop's tails).
  std::vector<uint16_t> out(x.size() + 1, 0xABCD);
  to_f16(x.data(), out.data(), x.size());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(out[i], f16[i]) << std::hex << "float32 bits 0x" << f32[i];
  EXPECT_EQ(out[x.size()], 0xABCD) << "wrote past n";
  for (size_t off : {1u, 3u, 7u})
    for (size_t n : {0u, 1u, 2u, 5u, 15u, 17u, 33u}) {
      std::vector<uint16_t> piece(n + 1, 0xABCD);
      to_f16(x.data() + off, piece.data(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(piece[i], f16[off + i]) << "offset " << off << " length " << n;
      EXPECT_EQ(piece[n], 0xABCD) << "offset " << off << " length " << n << ": wrote past n";
    }
}

// The boundaries spelt out, so a failure reads as what went wrong (the fixture has them all too).
TEST(F16, Boundaries) {
  EXPECT_EQ(to_f16(0.0f), 0x0000);
  EXPECT_EQ(to_f16(-0.0f), 0x8000);
  EXPECT_EQ(to_f16(1.0f), 0x3c00);
  EXPECT_EQ(to_f16(65504.0f), 0x7bff);                           // the largest finite half
  EXPECT_EQ(to_f16(std::bit_cast<float>(0x477fefffu)), 0x7bff);  // just under 65520
  EXPECT_EQ(to_f16(65520.0f), 0x7c00);                           // the tie goes to "even" inf
  EXPECT_EQ(to_f16(-65520.0f), 0xfc00);
  EXPECT_EQ(to_f16(INFINITY), 0x7c00);
  EXPECT_EQ(to_f16(-INFINITY), 0xfc00);
  EXPECT_EQ(to_f16(std::ldexp(1.0f, -14)), 0x0400);              // the smallest normal
  EXPECT_EQ(to_f16(std::ldexp(1023.5f, -24)), 0x0400);           // a tie rounding up into it
  EXPECT_EQ(to_f16(std::bit_cast<float>(0x387fffffu)), 0x0400);  // just below 2^-14
  EXPECT_EQ(to_f16(std::ldexp(1022.5f, -24)), 0x03fe);           // a tie to the even subnormal
  EXPECT_EQ(to_f16(std::ldexp(1.0f, -24)), 0x0001);              // the smallest subnormal
  EXPECT_EQ(to_f16(std::ldexp(1.5f, -24)), 0x0002);              // tie, odd kept part: up
  EXPECT_EQ(to_f16(std::ldexp(2.5f, -24)), 0x0002);              // tie, even kept part: down
  EXPECT_EQ(to_f16(std::ldexp(1.0f, -25)), 0x0000);              // tie between 0 and 2^-24: 0
  EXPECT_EQ(to_f16(std::bit_cast<float>(0x33000001u)), 0x0001);  // just above it
  EXPECT_EQ(to_f16(-std::ldexp(1.0f, -26)), 0x8000);             // underflow keeps the sign
  EXPECT_EQ(to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);       // tie, even: down
  EXPECT_EQ(to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);   // tie, odd: up
  EXPECT_EQ(to_f16(0.3f), 0x34cd);
  EXPECT_EQ(to_f16(6e-8f), 0x0001);
  EXPECT_EQ(to_f16(1e-8f), 0x0000);
}

// NaNs as numpy converts them: sign and the payload's top 10 bits kept, never turned into inf (a
// payload only in the low 13 bits gives 0x7c01); no quiet bit forced.
TEST(F16, NanAsNumpy) {
  const std::pair<uint32_t, uint16_t> cases[] = {
      {0x7fc00000u, 0x7e00}, {0xffc00000u, 0xfe00}, {0x7f800001u, 0x7c01}, {0xff801fffu, 0xfc01},
      {0x7f802000u, 0x7c01}, {0x7fa00000u, 0x7d00}, {0x7fffffffu, 0x7fff}, {0x7fe00000u, 0x7f00},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(to_f16(std::bit_cast<float>(in)), want) << std::hex << "0x" << in;
    EXPECT_TRUE(std::isnan(from_f16(want)));
  }
  EXPECT_EQ(to_f16(std::nanf("")) & 0x7e00, 0x7e00) << "a quiet float32 NaN stays a quiet half";
}

TEST(F16, FromF16MatchesNumpy) {
  const auto fx = testing::load_json("f16_rounding.json");
  const auto h = fx["half_bits"].get<std::vector<uint16_t>>();
  const auto f = fx["half_as_f32_bits"].get<std::vector<uint32_t>>();
  ASSERT_EQ(h.size(), f.size());
  for (size_t i = 0; i < h.size(); ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(from_f16(h[i])), f[i]) << std::hex << "half 0x" << h[i];
}

// Every one of the 65536 patterns: from_f16 gives the half's value (NaNs: a NaN carrying the sign and
// payload), and to_f16 gives the same bits back, NaNs included.
TEST(F16, RoundTripOfEveryHalf) {
  std::vector<float> all(65536);
  for (uint32_t b = 0; b < 65536; ++b) {
    const auto h = static_cast<uint16_t>(b);
    const float f = from_f16(h);
    all[b] = f;
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << "half 0x" << b;
      ASSERT_EQ(std::bit_cast<uint32_t>(f), ((b & 0x8000u) << 16) | 0x7f800000u | ((b & 0x3ffu) << 13));
    } else {
      ASSERT_EQ(static_cast<double>(f), half_value(h)) << std::hex << "half 0x" << b;
      ASSERT_EQ(std::signbit(f), (b & 0x8000) != 0) << std::hex << "half 0x" << b;
    }
    ASSERT_EQ(to_f16(f), h) << std::hex << "half 0x" << b;
  }
  std::vector<uint16_t> back(all.size());
  to_f16(all.data(), back.data(), all.size());
  for (uint32_t b = 0; b < 65536; ++b) ASSERT_EQ(back[b], b) << std::hex << "half 0x" << b;
}

}  // namespace
}  // namespace attnlab
