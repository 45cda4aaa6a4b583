// Colormap lookups with matplotlib's and seaborn's exact semantics.
#include "render/colormap.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "attnlab/error.h"

namespace attnlab {

namespace colormap_data {
extern const ColormapLut kViridis;
extern const ColormapLut kRdbuR;
}  // namespace colormap_data

const ColormapLut& colormap_lut(std::string_view name) {
  if (name == "viridis") return colormap_data::kViridis;
  if (name == "RdBu_r") return colormap_data::kRdbuR;
  throw Error("unknown colormap '" + std::string(name) + "'; known colormaps: viridis, RdBu_r", kExitUsage);
}

Rgba colormap_at(const ColormapLut& lut, double x) {
  if (std::isnan(x)) return {0, 0, 0, 0};
  constexpr int kN = 256;
  double xa = x * kN;
  if (xa == kN) xa = kN - 1;
  if (xa < 0) return lut.front();
  if (xa >= kN) return lut.back();
  return lut[static_cast<size_t>(xa)];
}

Rgba ScaledColormap::operator()(double value) const {
  const double x = vmax == vmin ? 0.0 : (value - vmin) / (vmax - vmin);
  return colormap_at(lut, x);
}

ScaledColormap seaborn_colormap(std::string_view name, const Matrix& values, std::optional<float> center) {
  const ColormapLut& base = colormap_lut(name);
  double vmin = std::numeric_limits<double>::infinity(), vmax = -vmin;
  for (float v : values.data) {
    if (!std::isfinite(v)) continue;
    vmin = std::min(vmin, static_cast<double>(v));
    vmax = std::max(vmax, static_cast<double>(v));
  }
  if (vmin > vmax) vmin = vmax = 0;  // no finite value: nothing is drawn anyway
  ScaledColormap out{base, vmin, vmax};
  if (center) {
    const double c = *center;
    const double vrange = std::max(vmax - c, c - vmin);
    // Normalize(c - vrange, c + vrange)([vmin, vmax]); Normalize maps everything to 0 when the range is empty.
    const double lo = c - vrange, span = 2 * vrange;
    const double cmin = span == 0 ? 0 : (vmin - lo) / span;
    const double cmax = span == 0 ? 0 : (vmax - lo) / span;
    // np.linspace(cmin, cmax, 256): start + i * step, the last point exactly cmax.
    const double step = (cmax - cmin) / 255.0;
    for (int i = 0; i < 256; ++i) {
      const double cc = i == 255 ? cmax : cmin + i * step;
      out.lut[static_cast<size_t>(i)] = colormap_at(base, cc);
    }
  }
  return out;
}

Rgba annotation_color(const Rgba& cell) { return relative_luminance(cell) > 0.408 ? kDarkGrey : kWhite; }

}  // namespace attnlab
