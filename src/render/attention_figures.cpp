// Figures of attention: panels from a run's result and the notebook's figures (see attnlab/figure.h).
#include <algorithm>
#include <utility>

#include "attnlab/figure.h"

namespace attnlab {
namespace {

std::vector<std::string> numbered(const char* prefix, int n) {
  std::vector<std::string> v;
  for (int i = 1; i <= n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

}  // namespace

BarPanel attention_row_panel(const Result& result, int layer, int head, int query, std::string title) {
  BarPanel bar;
  bar.labels = result.encoding.tokens;
  const auto row = result.attentions.row(layer, head, query);
  bar.values.assign(row.begin(), row.end());
  bar.decimals = 3;
  bar.title = std::move(title);
  bar.y_label = "Attention Score";
  return bar;
}

HeatmapPanel attention_head_panel(const Result& result, int layer, int head, std::string title) {
  HeatmapPanel map;
  const int n = result.seq_len();
  map.values = Matrix(n, n);
  const auto values = result.attentions.head(layer, head);
  std::copy(values.begin(), values.end(), map.values.data.begin());
  map.x_labels = result.encoding.tokens;
  map.y_labels = result.encoding.tokens;
  map.colormap = "viridis";
  map.title = std::move(title);
  return map;
}

Figure notebook_figure(const toy::Run& toy, BarPanel cls) {
  const Matrix& na = toy.non_attention;
  const Matrix& weights = toy.attention.weights;
  Figure fig;
  fig.width_in = 20;
  fig.height_in = 6;
  HeatmapPanel left{na, numbered("F", na.cols), numbered("Token ", na.rows), "RdBu_r", 0.0f, true, 2,
                    "Non-Attention Processing\n(Independent Token Processing)"};
  HeatmapPanel middle{weights, numbered("Token ", weights.cols), numbered("Token ", weights.rows), "viridis",
                      std::nullopt, true, 2, "Attention Weights\n(How Tokens Influence Each Other)"};
  fig.panels = {std::move(left), std::move(middle), std::move(cls)};
  return fig;
}

Figure notebook_custom_figure(BarPanel cls) {
  Figure fig;
  fig.width_in = std::max(6.0, 0.6 * static_cast<double>(cls.labels.size()) + 2.0);
  fig.height_in = 5;
  fig.panels = {std::move(cls)};
  return fig;
}

}  // namespace attnlab
