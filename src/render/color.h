// Colours as matplotlib holds them: RGBA floats in [0, 1].
#pragma once

#include <cmath>
#include <cstdint>

namespace attnlab {

struct Rgba {
  double r = 0, g = 0, b = 0, a = 1;
};

inline bool operator==(const Rgba& x, const Rgba& y) {
  return x.r == y.r && x.g == y.g && x.b == y.b && x.a == y.a;
}

// 0xRRGGBB, e.g. 0x87CEEB for matplotlib's "skyblue".
constexpr Rgba rgb_hex(uint32_t hex) {
  return {((hex >> 16) & 0xFF) / 255.0, ((hex >> 8) & 0xFF) / 255.0, (hex & 0xFF) / 255.0, 1.0};
}

constexpr Rgba kBlack{0, 0, 0, 1};
constexpr Rgba kWhite{1, 1, 1, 1};
constexpr Rgba kDarkGrey{0.15, 0.15, 0.15, 1};  // matplotlib colour ".15"
constexpr Rgba kSkyBlue = rgb_hex(0x87CEEB);

// WCAG relative luminance, as seaborn's utils.relative_luminance computes it.
inline double relative_luminance(const Rgba& c) {
  auto lin = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

}  // namespace attnlab
