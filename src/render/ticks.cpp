// matplotlib.ticker's MaxNLocator._raw_ticks and ScalarFormatter._set_format, transcribed.
#include "render/ticks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace attnlab {
namespace {

// Python's float divmod (numpy's npy_divmod): floor division and a remainder with the divisor's sign.
void py_divmod(double a, double b, double* div, double* mod) {
  double m = std::fmod(a, b);
  double d = (a - m) / b;
  if (m != 0) {
    if ((b < 0) != (m < 0)) {
      m += b;
      d -= 1.0;
    }
  } else {
    m = std::copysign(0.0, b);
  }
  double fd = 0;
  if (d != 0) {
    fd = std::floor(d);
    if (d - fd > 0.5) fd += 1.0;
  } else {
    fd = std::copysign(0.0, a / b);
  }
  *div = fd;
  *mod = m;
}

bool close_to(double ms, double edge) { return std::abs(ms - edge) < 1e-10; }  // _Edge_integer, offset 0

double edge_le(double x, double step) {
  double d, m;
  py_divmod(x, step, &d, &m);
  return close_to(m / step, 1) ? d + 1 : d;
}
double edge_ge(double x, double step) {
  double d, m;
  py_divmod(x, step, &d, &m);
  return close_to(m / step, 0) ? d : d + 1;
}

}  // namespace

int auto_nbins_vertical(double axis_length_pt, double tick_font_pt) {
  const int space = static_cast<int>(std::floor(axis_length_pt / (tick_font_pt * 2)));
  return std::clamp(space, 1, 9);
}

std::vector<double> auto_ticks(double vmin, double vmax, int nbins) {
  if (!(vmin < vmax)) {  // mtransforms.nonsingular
    const double c = vmin;
    vmin = c == 0 ? -0.001 : c - 0.001 * std::abs(c);
    vmax = c == 0 ? 0.001 : c + 0.001 * std::abs(c);
  }
  // scale_range(vmin, vmax, nbins): offset only matters for ranges tiny next to their magnitude.
  const double dv = vmax - vmin, meanv = (vmax + vmin) / 2;
  double offset = 0;
  if (std::abs(meanv) / dv >= 100) offset = std::copysign(std::pow(10, std::floor(std::log10(std::abs(meanv)))), meanv);
  const double scale = std::pow(10, std::floor(std::log10(dv / nbins)));
  const double lo = vmin - offset, hi = vmax - offset;
  const double base_steps[] = {0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20};
  const double raw_step = (hi - lo) / nbins;
  int istep = 9;
  for (int i = 0; i < 10; ++i) {
    if (base_steps[i] * scale >= raw_step) {
      istep = i;
      break;
    }
  }
  std::vector<double> ticks;
  for (int i = istep; i >= 0; --i) {
    const double step = base_steps[i] * scale;
    double best_vmin, unused;
    py_divmod(lo, step, &best_vmin, &unused);
    best_vmin *= step;
    const double low = edge_le(lo - best_vmin, step), high = edge_ge(hi - best_vmin, step);
    ticks.clear();
    int visible = 0;
    for (double k = low; k <= high; k += 1) {
      const double t = k * step + best_vmin;
      ticks.push_back(t);
      if (t <= hi && t >= lo) ++visible;
    }
    if (visible >= 2) break;
  }
  std::vector<double> out;
  for (double t : ticks) {
    t += offset;
    // The axis drops ticks outside the view interval (with matplotlib's tiny tolerance).
    const double tol = (vmax - vmin) * 1e-10;
    if (t >= vmin - tol && t <= vmax + tol) out.push_back(t);
  }
  return out;
}

std::vector<std::string> format_ticks(const std::vector<double>& ticks) {
  std::vector<std::string> out;
  if (ticks.empty()) return out;
  const auto [mn, mx] = std::minmax_element(ticks.begin(), ticks.end());
  double loc_range = *mx - *mn;
  if (loc_range == 0) loc_range = std::max(std::abs(*mn), std::abs(*mx));
  if (loc_range == 0) loc_range = 1;
  const int oom = static_cast<int>(std::floor(std::log10(loc_range)));
  int sigfigs = std::max(0, 3 - oom);
  const double thresh = 1e-3 * std::pow(10, oom);
  while (sigfigs >= 0) {
    double worst = 0;
    const double p = std::pow(10, sigfigs);
    for (double t : ticks) worst = std::max(worst, std::abs(t - std::nearbyint(t * p) / p));
    if (worst < thresh) {
      --sigfigs;
    } else {
      break;
    }
  }
  ++sigfigs;
  for (double t : ticks) {
    if (std::abs(t) < 1e-8) t = 0;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%1.*f", sigfigs, t);
    std::string s = buf;
    if (s[0] == '-') s = "\u2212" + s.substr(1);
    out.push_back(s);
  }
  return out;
}

}  // namespace attnlab
