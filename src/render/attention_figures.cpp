// Figures of attention: panels from a run's result, a corpus run's head statistics and the notebook's
// figures (see attnlab/figure.h).
#include <algorithm>
#include <utility>

#include "attnlab/corpus.h"
#include "attnlab/figure.h"
#include "attnlab/head_stats.h"

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

Figure head_stats_figure(const CorpusTotals& totals, int stat, const std::string& model) {
  static const char* const kTitles[] = {"Attention to [CLS]",          "Attention to [SEP]",
                                        "Attention to \".\" and \",\"", "Attention to the token itself",
                                        "Attention to the previous token", "Attention to the next token",
                                        "Attention entropy (nats)"};
  // A decoder's first two columns (kDecoderHeadStatNames).
  static const char* const kCausalTitles[] = {"Attention to bos (or the first token)", "Attention to eos"};
  const char* title = totals.causal() && stat < 2 ? kCausalTitles[stat] : kTitles[stat];
  const std::vector<HeadStats> means = totals.head_means();
  HeatmapPanel p;
  p.values = Matrix(totals.layers(), totals.heads());
  for (int l = 0; l < totals.layers(); ++l)
    for (int h = 0; h < totals.heads(); ++h)
      p.values.at(l, h) = static_cast<float>(head_stat(means[static_cast<size_t>(l * totals.heads() + h)], stat));
  for (int h = 0; h < totals.heads(); ++h) p.x_labels.push_back("head " + std::to_string(h));
  for (int l = 0; l < totals.layers(); ++l) p.y_labels.push_back("layer " + std::to_string(l));
  p.title = std::string(title) + ", token-weighted mean over " + std::to_string(totals.texts()) + " texts\n" + model;
  return heatmap_figure(std::move(p));
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
