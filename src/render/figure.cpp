// Draws figures the way matplotlib + seaborn draw the notebook's: sizes in points (1 pt = dpi / 72 px),
// matplotlib's default styling (10 pt text, 12 pt titles, 3.5 pt ticks), seaborn's heatmap rules, and
// tight_layout's spacing. One drawing code for every canvas.
#include "attnlab/figure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "attnlab/error.h"
#include "render/colormap.h"
#include "render/figure_draw.h"
#include "render/ticks.h"

namespace attnlab {
namespace {

// matplotlib rcParams defaults, in points.
constexpr double kFontPt = 10;       // font.size: tick labels, axis labels, annotations
constexpr double kTitlePt = 12;      // axes.titlesize "large"
constexpr double kBarValuePt = 8;    // the notebook's fontsize=8
constexpr double kTickLengthPt = 3.5;
constexpr double kTickPadPt = 3.5;
constexpr double kTickWidthPt = 0.8;
constexpr double kSpineWidthPt = 0.8;
constexpr double kTitlePadPt = 6;
constexpr double kLabelPadPt = 4;
constexpr double kTightPadFont = 1.08;  // tight_layout pad, in multiples of the font size
constexpr double kMinTickLabelPt = 6;   // below this, long label lists are thinned instead
constexpr int kMaxAnnotated = 16;       // annotate heatmaps up to 16 x 16
constexpr int kMaxVectorCells = 32 * 32;  // draw heatmap cells as rectangles up to this many

std::string format_fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 12), v);
  return buf;
}

// Tick labels for `count` ticks `pitch_px` apart: the font shrinks with the pitch, then labels are
// thinned (every n-th shown, as seaborn's "auto" tick labels do) when even the smallest font crowds.
struct TickLabelPlan {
  double size_px;
  int every = 1;
};
TickLabelPlan plan_tick_labels(double pitch_px, double pt) {
  const double full = kFontPt * pt, smallest = kMinTickLabelPt * pt;
  const double fit = pitch_px / 1.25;  // a line of text is ~1.2 em tall
  if (fit >= full) return {full, 1};
  if (fit >= smallest) return {fit, 1};
  return {smallest, static_cast<int>(std::ceil(smallest * 1.25 / pitch_px))};
}

void draw_title(Canvas& c, const Box& ax, const std::string& title, double pt) {
  if (title.empty()) return;
  TextStyle style{kTitlePt * pt, kBlack, 0, HAlign::kCenter, VAlign::kBaseline};
  c.text(ax.cx(), ax.y0 - kTitlePadPt * pt, title, style);
}

std::vector<std::string> labels_or_indices(const std::vector<std::string>& labels, int count, const char* what) {
  if (labels.empty()) {
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) out.push_back(std::to_string(i));
    return out;
  }
  if (static_cast<int>(labels.size()) != count) {
    throw Error(std::string("heatmap has ") + std::to_string(count) + " " + what + " but " +
                    std::to_string(labels.size()) + " labels for them",
                kExitInput);
  }
  return labels;
}

// True when neighbouring labels of these widths, `pitch` apart along their reading direction, overlap
// (seaborn's axis_ticklabels_overlap, for labels in a row).
bool labels_overlap(const Canvas& c, const std::vector<std::string>& labels, double size_px, double pitch, int every) {
  double prev = -1;
  for (size_t i = 0; i < labels.size(); i += static_cast<size_t>(every)) {
    const TextBlock b = c.shaper().measure(labels[i], size_px);
    if (prev >= 0 && (prev + b.width) / 2 > pitch * every) return true;
    prev = b.width;
  }
  return false;
}

// --- Heatmap: seaborn's _HeatMapper.plot ------------------------------------------------------------
void draw_heatmap(Canvas& c, const HeatmapPanel& p, const Box& cell, double pt) {
  const int rows = p.values.rows, cols = p.values.cols;
  if (rows <= 0 || cols <= 0) throw Error("heatmap '" + p.title + "' has no values", kExitInput);
  const std::vector<std::string> xl = labels_or_indices(p.x_labels, cols, "columns");
  const std::vector<std::string> yl = labels_or_indices(p.y_labels, rows, "rows");
  const ScaledColormap cmap = seaborn_colormap(p.colormap, p.values, p.center);

  // fig.colorbar(mesh, ax=ax) through make_axes_gridspec: the axes keep 80% of the cell, the colour
  // bar starts at 85% and is 1/20 of the height wide (aspect 20).
  const Box ax{cell.x0, cell.y0, cell.x0 + 0.8 * cell.width(), cell.y1};
  const double cb_x = cell.x0 + 0.85 * cell.width();
  const Box cb{cb_x, cell.y0, cb_x + std::min(0.15 * cell.width(), cell.height() / 20), cell.y1};
  const double cw = ax.width() / cols, ch = ax.height() / rows;

  // Cells, row 0 on top (seaborn inverts the y axis). NaN cells stay blank, as seaborn masks them.
  // Past 32 x 32 cells one raster replaces the rectangles (a 512-token map would be 262k elements).
  if (rows * cols > kMaxVectorCells) {
    std::vector<Rgba> pixels;
    pixels.reserve(p.values.data.size());
    for (float v : p.values.data) pixels.push_back(std::isnan(v) ? kWhite : cmap(v));
    c.image(ax, cols, rows, pixels);
  }
  for (int i = 0; i < rows && rows * cols <= kMaxVectorCells; ++i) {
    for (int j = 0; j < cols; ++j) {
      const float v = p.values.at(i, j);
      if (std::isnan(v)) continue;
      c.rect({ax.x0 + j * cw, ax.y0 + i * ch, ax.x0 + (j + 1) * cw, ax.y0 + (i + 1) * ch}, cmap(v), /*crisp=*/true);
    }
  }

  // Annotations, 10 pt unless the cells are too small for the widest value.
  if (p.annotate && rows <= kMaxAnnotated && cols <= kMaxAnnotated) {
    double size = kFontPt * pt, widest = 0;
    for (float v : p.values.data) {
      if (!std::isnan(v)) widest = std::max(widest, c.shaper().measure(format_fixed(v, p.decimals), size).width);
    }
    size *= std::min({1.0, 0.9 * cw / std::max(widest, 1.0), 0.6 * ch / size});
    if (size >= 4 * pt) {
      for (int i = 0; i < rows; ++i) {
        for (int j = 0; j < cols; ++j) {
          const float v = p.values.at(i, j);
          if (std::isnan(v)) continue;
          const TextStyle style{size, annotation_color(cmap(v)), 0, HAlign::kCenter, VAlign::kCenter};
          c.text(ax.x0 + (j + 0.5) * cw, ax.y0 + (i + 0.5) * ch, format_fixed(v, p.decimals), style);
        }
      }
    }
  }

  // Ticks at cell centres, no spines (seaborn despines heatmaps). x labels horizontal unless they
  // overlap, then vertical; y labels vertical unless they overlap, then horizontal (seaborn's rule).
  const double tick = kTickLengthPt * pt, gap = (kTickLengthPt + kTickPadPt) * pt, lw = kTickWidthPt * pt;
  const TickLabelPlan xplan = plan_tick_labels(cw, pt), yplan = plan_tick_labels(ch, pt);
  const double xrot = labels_overlap(c, xl, xplan.size_px, cw, xplan.every) ? 90 : 0;
  const double yrot = labels_overlap(c, yl, yplan.size_px, ch, yplan.every) ? 0 : 90;
  for (int j = 0; j < cols; j += xplan.every) {
    const double x = ax.x0 + (j + 0.5) * cw;
    c.line(x, ax.y1, x, ax.y1 + tick, lw, kBlack);
    c.text(x, ax.y1 + gap, xl[static_cast<size_t>(j)], {xplan.size_px, kBlack, xrot, HAlign::kCenter, VAlign::kTop});
  }
  for (int i = 0; i < rows; i += yplan.every) {
    const double y = ax.y0 + (i + 0.5) * ch;
    c.line(ax.x0 - tick, y, ax.x0, y, lw, kBlack);
    c.text(ax.x0 - gap, y, yl[static_cast<size_t>(i)], {yplan.size_px, kBlack, yrot, HAlign::kRight, VAlign::kCenter});
  }
  draw_title(c, ax, p.title, pt);

  // Colour bar: 256 bands from vmin (bottom) to vmax (top), no outline, ticks on the right.
  for (int k = 0; k < 256; ++k) {
    const double y0 = cb.y1 - (k + 1) * cb.height() / 256, y1 = cb.y1 - k * cb.height() / 256;
    c.rect({cb.x0, y0, cb.x1, y1}, cmap.lut[static_cast<size_t>(k)], /*crisp=*/true);
  }
  const std::vector<double> ticks =
      auto_ticks(cmap.vmin, cmap.vmax, auto_nbins_vertical(cb.height() / pt, kFontPt));
  const std::vector<std::string> labels = format_ticks(ticks);
  const double span = cmap.vmax > cmap.vmin ? cmap.vmax - cmap.vmin : 1;
  for (size_t k = 0; k < ticks.size(); ++k) {
    const double y = cb.y1 - (ticks[k] - cmap.vmin) / span * cb.height();
    c.line(cb.x1, y, cb.x1 + tick, y, lw, kBlack);
    c.text(cb.x1 + gap, y, labels[k], {kFontPt * pt, kBlack, 0, HAlign::kLeft, VAlign::kCenter});
  }
}

// --- Bar chart: ax.bar + the notebook's value labels --------------------------------------------------
void draw_bars(Canvas& c, const BarPanel& p, const Box& ax, double pt) {
  if (p.labels.size() != p.values.size()) {
    throw Error("bar chart '" + p.title + "' has " + std::to_string(p.values.size()) + " values but " +
                    std::to_string(p.labels.size()) + " labels",
                kExitInput);
  }
  const int n = static_cast<int>(p.values.size());
  // x: bars of width 0.8 at 0..n-1 with 5% margins. y: 5% margins, except at 0 where bars stick.
  const double xspan = std::max(n - 1 + 0.8, 0.8), xlo = -0.4 - 0.05 * xspan, xhi = n - 1 + 0.4 + 0.05 * xspan;
  double lo = 0, hi = 0;
  for (float v : p.values) {
    if (std::isfinite(v)) lo = std::min(lo, static_cast<double>(v)), hi = std::max(hi, static_cast<double>(v));
  }
  const double margin = 0.05 * (hi - lo);
  double ylo = lo < 0 ? lo - margin : 0, yhi = hi > 0 ? hi + margin : 0;
  if (ylo == yhi) ylo = -0.055, yhi = 0.055;
  auto X = [&](double x) { return ax.x0 + (x - xlo) / (xhi - xlo) * ax.width(); };
  auto Y = [&](double y) { return ax.y1 - (y - ylo) / (yhi - ylo) * ax.height(); };

  const double pitch = ax.width() / (xhi - xlo);
  const double value_size = kBarValuePt * pt;
  double widest = 0;
  for (float v : p.values) widest = std::max(widest, c.shaper().measure(format_fixed(v, p.decimals), value_size).width);
  const double value_scale = std::min(1.0, pitch / std::max(widest, 1.0));
  for (int i = 0; i < n; ++i) {
    const float v = p.values[static_cast<size_t>(i)];
    if (!std::isfinite(v)) continue;
    c.rect({X(i - 0.4), Y(std::max(0.0f, v)), X(i + 0.4), Y(std::min(0.0f, v))}, kSkyBlue);
  }
  if (value_scale * kBarValuePt >= 4) {
    for (int i = 0; i < n; ++i) {
      const float v = p.values[static_cast<size_t>(i)];
      if (!std::isfinite(v)) continue;
      c.text(X(i), Y(v), format_fixed(v, p.decimals),
             {value_size * value_scale, kBlack, 0, HAlign::kCenter, VAlign::kBottom});
    }
  }

  // Spines, then ticks and labels.
  const double sw = kSpineWidthPt * pt, lw = kTickWidthPt * pt;
  c.line(ax.x0, ax.y0, ax.x1, ax.y0, sw, kBlack);
  c.line(ax.x0, ax.y1, ax.x1, ax.y1, sw, kBlack);
  c.line(ax.x0, ax.y0, ax.x0, ax.y1, sw, kBlack);
  c.line(ax.x1, ax.y0, ax.x1, ax.y1, sw, kBlack);
  const double tick = kTickLengthPt * pt, gap = (kTickLengthPt + kTickPadPt) * pt;
  const std::vector<double> ticks = auto_ticks(ylo, yhi, auto_nbins_vertical(ax.height() / pt, kFontPt));
  const std::vector<std::string> tick_labels = format_ticks(ticks);
  double label_left = ax.x0 - gap;
  for (size_t k = 0; k < ticks.size(); ++k) {
    const double y = Y(ticks[k]);
    c.line(ax.x0 - tick, y, ax.x0, y, lw, kBlack);
    const Box b = c.text(ax.x0 - gap, y, tick_labels[k], {kFontPt * pt, kBlack, 0, HAlign::kRight, VAlign::kCenter});
    label_left = std::min(label_left, b.x0);
  }
  // 45-degree labels need less pitch than horizontal ones: a line height across the diagonal.
  const TickLabelPlan xplan = plan_tick_labels(pitch * 1.41, pt);
  for (int i = 0; i < n; i += xplan.every) {
    c.line(X(i), ax.y1, X(i), ax.y1 + tick, lw, kBlack);
    c.text(X(i), ax.y1 + gap, p.labels[static_cast<size_t>(i)],
           {xplan.size_px, kBlack, 45, HAlign::kRight, VAlign::kTop});
  }
  if (!p.y_label.empty()) {
    c.text(label_left - kLabelPadPt * pt, ax.cy(), p.y_label, {kFontPt * pt, kBlack, 90, HAlign::kRight, VAlign::kCenter});
  }
  draw_title(c, ax, p.title, pt);
}

void draw_panel(Canvas& c, const Panel& panel, const Box& cell, double pt) {
  if (const auto* h = std::get_if<HeatmapPanel>(&panel)) {
    draw_heatmap(c, *h, cell, pt);
  } else {
    draw_bars(c, std::get<BarPanel>(panel), cell, pt);
  }
}

// plt.tight_layout() for one row of panels, as matplotlib computes it: one pass that measures what
// sticks out of each cell (titles, tick labels, colour bar labels) at the default subplot positions
// (left .125, right .9, bottom .11, top .88, wspace .2), then sets margins to that plus a pad of 1.08
// font sizes, with equal cell widths. Decorations depend a little on the cell size (ticks, label
// rotation); should the result stick out of the figure, the pass is repeated from it.
std::vector<Box> tight_layout(const Figure& fig, const TextShaper& shaper, double width, double height, double pt) {
  const size_t n = fig.panels.size();
  if (n == 0) return {};
  const double pad = kTightPadFont * kFontPt * pt;
  const double nd = static_cast<double>(n);
  std::vector<Box> cells(n);
  const double default_w = 0.775 * width / (nd + (nd - 1) * 0.2);
  for (size_t i = 0; i < n; ++i) {
    const double x0 = 0.125 * width + static_cast<double>(i) * default_w * 1.2;
    cells[i] = {x0, 0.12 * height, x0 + default_w, 0.89 * height};
  }
  auto measure = [&](std::vector<Box>* deco) {  // per cell: left, top, right, bottom overhang
    Box all = Box::empty();
    for (size_t i = 0; i < n; ++i) {
      BoundsCanvas bounds(shaper);
      draw_panel(bounds, fig.panels[i], cells[i], pt);
      const Box& b = bounds.bounds();
      (*deco)[i] = {cells[i].x0 - b.x0, cells[i].y0 - b.y0, b.x1 - cells[i].x1, b.y1 - cells[i].y1};
      all.add(b);
    }
    return all;
  };
  std::vector<Box> deco(n);
  measure(&deco);
  for (int pass = 0; pass < 3; ++pass) {
    const double left = std::max(deco[0].x0, 0.0) + pad, right = std::max(deco[n - 1].x1, 0.0) + pad;
    double top = 0, bottom = 0, space = 0;
    for (size_t i = 0; i < n; ++i) {
      top = std::max(top, deco[i].y0);
      bottom = std::max(bottom, deco[i].y1);
      if (i + 1 < n) space = std::max(space, deco[i].x1 + deco[i + 1].x0);
    }
    top += pad, bottom += pad, space += pad;
    const double min_side = 8 * pt;  // a hopelessly crowded figure still draws, just squeezed
    const double cw = std::max((width - left - right - space * (nd - 1)) / nd, min_side);
    const double ch = std::max(height - top - bottom, min_side);
    for (size_t i = 0; i < n; ++i) {
      const double x0 = left + static_cast<double>(i) * (cw + space);
      cells[i] = {x0, top, x0 + cw, top + ch};
    }
    const Box all = measure(&deco);
    if (all.x0 >= -1 && all.y0 >= -1 && all.x1 <= width + 1 && all.y1 <= height + 1) break;
  }
  return cells;
}

void draw_figure(Canvas& c, const Figure& fig, double width, double height, double pt) {
  const std::vector<Box> cells = tight_layout(fig, c.shaper(), width, height, pt);
  c.rect({0, 0, width, height}, kWhite);
  for (size_t i = 0; i < fig.panels.size(); ++i) {
    c.begin_group("panel" + std::to_string(i + 1));
    draw_panel(c, fig.panels[i], cells[i], pt);
    c.end_group();
  }
}

}  // namespace

void render_figure(Canvas& canvas, const Figure& fig, double dpi) {
  draw_figure(canvas, fig, fig.width_in * dpi, fig.height_in * dpi, dpi / 72.0);
}

}  // namespace attnlab

namespace attnlab {

Figure bar_chart_figure(BarPanel panel) {
  // ~0.45 in per bar plus room for the axis, between matplotlib's default 6.4 in and 100 in.
  const double n = static_cast<double>(panel.values.size());
  Figure fig;
  fig.width_in = std::clamp(1.5 + 0.45 * n, 6.4, 100.0);
  fig.height_in = 6;
  fig.panels.push_back(std::move(panel));
  return fig;
}

Figure heatmap_figure(HeatmapPanel panel) {
  // ~0.5 in per cell up to 16 cells (annotations readable), then shrinking cells up to 20 in (512
  // tokens: ~4 px cells at 100 dpi, labels thinned); room for the colour bar (axes take 80% of the width).
  const double side = std::max(panel.values.rows, panel.values.cols);
  const double axes_in = std::clamp(side <= kMaxAnnotated ? 0.5 * side : 8 + 0.05 * (side - kMaxAnnotated), 4.0, 20.0);
  if (panel.values.rows > kMaxAnnotated || panel.values.cols > kMaxAnnotated) panel.annotate = false;
  Figure fig;
  fig.height_in = axes_in + 2;
  fig.width_in = axes_in / 0.8 + 2;
  fig.panels.push_back(std::move(panel));
  return fig;
}

}  // namespace attnlab
