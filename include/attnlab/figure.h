// The notebook's figure (seaborn heatmaps and a matplotlib bar chart side by side), drawn by one code
// path into PNG (cairo image), PDF (cairo PDF) and SVG (attnlab's writer, text kept as <text>).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "attnlab/engine.h"
#include "attnlab/matrix.h"
#include "attnlab/toy.h"

namespace attnlab {

class CorpusTotals;  // attnlab/corpus.h

enum class ImageFormat { kPng, kSvg, kPdf };

// "png" | "svg" | "pdf"; anything else is Error(kExitUsage) listing the known names.
ImageFormat image_format_from_name(std::string_view name);
// By extension (case-insensitive); Error(kExitUsage) for a missing or unknown one.
ImageFormat image_format_from_path(const std::filesystem::path& path);

// sns.heatmap(values, cmap=colormap, center=center, annot=annotate, fmt=".{decimals}f", ...), with its
// colour bar. Rows top to bottom, y_labels per row, x_labels per column.
struct HeatmapPanel {
  Matrix values;
  std::vector<std::string> x_labels, y_labels;
  std::string colormap = "viridis";  // "RdBu_r" or "viridis"
  std::optional<float> center;
  bool annotate = true;
  int decimals = 2;
  std::string title;  // may contain '\n'
};

// ax.bar(range(n), values, color="skyblue") with each value printed above its bar, x tick labels
// rotated 45 degrees.
struct BarPanel {
  std::vector<std::string> labels;
  std::vector<float> values;
  int decimals = 3;
  std::string title, y_label;
};

using Panel = std::variant<HeatmapPanel, BarPanel>;

struct Figure {
  double width_in = 20, height_in = 6;  // plt.subplots(1, n, figsize=(20, 6))
  std::vector<Panel> panels;            // side by side, equal widths (plt.tight_layout)
};

// Writes the figure. PNG: width_in * dpi x height_in * dpi pixels; PDF and SVG: inches x 72 points.
// Written to a temporary file beside `out` and renamed; on failure nothing is left behind.
// Error(kExitUsage) for a bad dpi or size, Error(kExitIo) when `out` cannot be written.
void save_figure(const Figure& fig, const std::filesystem::path& out, ImageFormat fmt, double dpi = 100);

// The same image as save_figure writes, returned instead of written (PNG, SVG or PDF bytes): for front
// ends that display it (the Python package's inline figures). Error(kExitUsage) as save_figure.
std::string figure_bytes(const Figure& fig, ImageFormat fmt, double dpi = 100);

// Fails early with Error(kExitIo) naming the path when `out` cannot be created (missing directory,
// not a directory, not writable, or `out` is a directory).
void check_output_writable(const std::filesystem::path& out);

// One-panel figures for the CLI, sized to their content: a bar chart whose width grows with the label
// count, a heatmap whose size grows with the matrix (annotations only while cells are readable,
// <= 16 x 16).
Figure bar_chart_figure(BarPanel panel);
Figure heatmap_figure(HeatmapPanel panel);

// Panels of a run's attention (layer, head, query 0-based, in range): one query row as bars over
// the tokens ("Attention Score", 3 decimals); one head's [seq, seq] matrix as a viridis heatmap with
// the tokens on both axes.
BarPanel attention_row_panel(const Result& result, int layer, int head, int query, std::string title);
HeatmapPanel attention_head_panel(const Result& result, int layer, int head, std::string title);

// A corpus run's layer x head heatmap of statistic `stat` (kHeadStatNames order, attnlab/head_stats.h)
// of the token-weighted means (CorpusTotals::head_means), titled with the text count and `model`.
Figure head_stats_figure(const CorpusTotals& totals, int stat, const std::string& model);

// The notebook's figures: cell 3's three panels side by side (20 x 6 in: the toy non-attention
// outputs, the toy attention weights, then `cls`, BERT's [CLS] row), and cell 5's single bar chart
// of a custom sentence (width growing with its tokens, 5 in high).
Figure notebook_figure(const toy::Run& toy, BarPanel cls);
Figure notebook_custom_figure(BarPanel cls);

}  // namespace attnlab
