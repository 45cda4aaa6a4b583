// The notebook's figure in PNG, SVG and PDF; colours checked against matplotlib/seaborn's own
// (fixture from tools/make_colormaps.py), text checked as real SVG <text> elements.
#include "attnlab/figure.h"

#include <cairo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>

#include "../support/fixtures.h"
#include "attnlab/error.h"
#include "render/colormap.h"
#include "render/ticks.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;

Matrix from_json(const nlohmann::json& j) {
  Matrix m(static_cast<int>(j.size()), static_cast<int>(j[0].size()));
  m.data = testing::flat(j);
  return m;
}

std::vector<float> rgba_flat(const std::vector<Rgba>& colors) {
  std::vector<float> out;
  for (const Rgba& c : colors) {
    for (double v : {c.r, c.g, c.b, c.a}) out.push_back(static_cast<float>(v));
  }
  return out;
}

// The notebook's figure with the seed-103 numbers (the same as tools/render_reference_figure.py).
Figure notebook_figure(const std::vector<std::string>& bar_tokens = {"[CLS]", "the", "cat", "sat", "on", "the",
                                                                    "mat", ".", "[SEP]"}) {
  const nlohmann::json fx = testing::load_json("colormaps.json");
  const std::vector<std::string> tokens = {"Token 1", "Token 2", "Token 3", "Token 4"};
  HeatmapPanel non_attention{from_json(fx["heatmaps"]["non_attention"]["data"]), {"F1", "F2", "F3", "F4"}, tokens,
                             "RdBu_r", 0.0f, true, 2,
                             "Non-Attention Processing\n(Independent Token Processing)"};
  HeatmapPanel attention{from_json(fx["heatmaps"]["attention"]["data"]), tokens, tokens, "viridis", std::nullopt,
                         true, 2, "Attention Weights\n(How Tokens Influence Each Other)"};
  BarPanel bars{bar_tokens, {0.05f, 0.1f, 0.2f, 0.08f, 0.07f, 0.1f, 0.25f, 0.05f, 0.1f}, 3,
                "BERT [CLS] Attention\n(Real-world Example)", "Attention Score"};
  Figure fig;
  fig.panels = {non_attention, attention, bars};
  return fig;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "attnlab_figure_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path_)) out.push_back(e.path().filename().string());
    return out;
  }

 private:
  fs::path path_;
};

// Decoded contents of every <text> element (tspans joined with '\n'), entities resolved.
std::vector<std::string> svg_texts(const std::string& svg) {
  std::vector<std::string> out;
  static const std::regex text_re("<text[^>]*>([\\s\\S]*?)</text>");
  static const std::regex tspan_re("<tspan[^>]*>([\\s\\S]*?)</tspan>");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text_re); it != std::sregex_iterator(); ++it) {
    std::string inner = (*it)[1];
    if (inner.find("<tspan") != std::string::npos) {
      std::string joined;
      for (auto t = std::sregex_iterator(inner.begin(), inner.end(), tspan_re); t != std::sregex_iterator(); ++t) {
        if (!joined.empty()) joined += '\n';
        joined += (*t)[1];
      }
      inner = joined;
    }
    EXPECT_EQ(inner.find('<'), std::string::npos) << "unescaped '<' in " << inner;
    std::string decoded;
    for (size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '&') {
        const size_t end = inner.find(';', i);
        const std::string entity = inner.substr(i, end - i + 1);
        decoded += entity == "&amp;" ? "&" : entity == "&lt;" ? "<" : entity == "&gt;" ? ">" : entity == "&quot;" ? "\"" : "'";
        i = end;
      } else {
        decoded += inner[i];
      }
    }
    out.push_back(decoded);
  }
  return out;
}

// --- Colours: matplotlib's and seaborn's own ------------------------------------------------------------

TEST(Colormap, TablesEqualMatplotlib) {
  // 1e-6: the tables are matplotlib's float64 values printed with repr (exact); lookups are exact too.
  const nlohmann::json fx = testing::load_json("colormaps.json");
  for (const char* name : {"viridis", "RdBu_r"}) {
    const ColormapLut& lut = colormap_lut(name);
    testing::expect_close(rgba_flat({lut.begin(), lut.end()}), testing::flat(fx["colormaps"][name]["lut"]), 1e-6,
                          std::string(name) + " table");
    std::vector<Rgba> sampled;
    for (const auto& x : fx["samples"]) sampled.push_back(colormap_at(lut, x.get<double>()));
    testing::expect_close(rgba_flat(sampled), testing::flat(fx["colormaps"][name]["sampled"]), 1e-6,
                          std::string(name) + " sampled lookups");
  }
}

TEST(Colormap, HeatmapColoursEqualSeaborn) {
  const nlohmann::json fx = testing::load_json("colormaps.json");
  for (const char* which : {"non_attention", "attention"}) {
    const nlohmann::json& h = fx["heatmaps"][which];
    const Matrix values = from_json(h["data"]);
    std::optional<float> center;
    if (!h["center"].is_null()) center = h["center"].get<float>();
    const ScaledColormap cmap = seaborn_colormap(h["cmap"].get<std::string>(), values, center);
    testing::expect_close(rgba_flat({cmap.lut.begin(), cmap.lut.end()}), testing::flat(h["lut"]), 1e-6,
                          std::string(which) + " (sub-)colormap");
    std::vector<Rgba> faces, text_colors;
    for (float v : values.data) {
      faces.push_back(cmap(v));
      text_colors.push_back(annotation_color(cmap(v)));
    }
    testing::expect_close(rgba_flat(faces), testing::flat(h["face_colors"]), 1e-6, std::string(which) + " cells");
    testing::expect_close(rgba_flat(text_colors), testing::flat(h["text_colors"]), 1e-6,
                          std::string(which) + " annotation colours");
    std::vector<float> ticks;
    for (double t : auto_ticks(cmap.vmin, cmap.vmax, 9)) ticks.push_back(static_cast<float>(t));
    testing::expect_close(ticks, testing::flat(h["colorbar_ticks"]), 1e-9, std::string(which) + " colour bar ticks");
  }
}

TEST(Colormap, UnknownNameIsUsageError) {
  try {
    colormap_lut("jet");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("viridis"), std::string::npos) << e.what();
  }
}

TEST(Ticks, MatplotlibLabels) {
  EXPECT_EQ(format_ticks({-0.2, 0.0, 0.2, 0.4}), (std::vector<std::string>{"\u22120.2", "0.0", "0.2", "0.4"}));
  EXPECT_EQ(format_ticks({0.235, 0.24, 0.245}), (std::vector<std::string>{"0.235", "0.240", "0.245"}));
  // The bar chart's y axis: 0 .. 0.2625 with 9 bins gives 0.00, 0.05, ..., 0.25.
  const std::vector<double> ticks = auto_ticks(0, 0.2625, 9);
  EXPECT_EQ(format_ticks(ticks), (std::vector<std::string>{"0.00", "0.05", "0.10", "0.15", "0.20", "0.25"}));
}

// --- Formats --------------------------------------------------------------------------------------------

TEST(ImageFormat, FromNameAndPath) {
  EXPECT_EQ(image_format_from_name("png"), ImageFormat::kPng);
  EXPECT_EQ(image_format_from_name("svg"), ImageFormat::kSvg);
  EXPECT_EQ(image_format_from_name("pdf"), ImageFormat::kPdf);
  EXPECT_EQ(image_format_from_path("a/b/figure.PNG"), ImageFormat::kPng);
  EXPECT_EQ(image_format_from_path("figure.svg"), ImageFormat::kSvg);
  for (const char* bad : {"jpg", "PNG", ""}) {
    try {
      image_format_from_name(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      EXPECT_NE(std::string(e.what()).find("png, svg, pdf"), std::string::npos) << e.what();
    }
  }
  for (const char* bad : {"figure.jpg", "figure"}) {
    try {
      image_format_from_path(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(Figure, SvgKeepsEveryStringAsText) {
  TempDir dir;
  const fs::path out = dir.path() / "figure.svg";
  save_figure(notebook_figure(), out, ImageFormat::kSvg);
  const std::string svg = testing::read_text(out.string());
  EXPECT_NE(svg.find("width=\"1440pt\" height=\"432pt\""), std::string::npos);
  const std::vector<std::string> texts = svg_texts(svg);
  const std::multiset<std::string> have(texts.begin(), texts.end());

  std::vector<std::string> want = {
      "Non-Attention Processing\n(Independent Token Processing)",
      "Attention Weights\n(How Tokens Influence Each Other)",
      "BERT [CLS] Attention\n(Real-world Example)",
      "Attention Score",
      "F1", "F2", "F3", "F4", "Token 1", "Token 2", "Token 3", "Token 4",
      "[CLS]", "the", "cat", "sat", "on", "mat", ".", "[SEP]",
      "0.050", "0.100", "0.200", "0.080", "0.070", "0.250",
      "0.00", "0.05", "0.10", "0.15", "0.20", "0.25",                         // bar y axis
      "\u22120.2", "0.0", "0.2", "0.4", "0.6", "0.8", "1.0",                  // RdBu_r colour bar
      "0.235", "0.240", "0.245", "0.250", "0.255", "0.260", "0.265",          // viridis colour bar
  };
  const nlohmann::json fx = testing::load_json("colormaps.json");
  for (const char* which : {"non_attention", "attention"}) {
    for (const auto& t : fx["heatmaps"][which]["texts"]) want.push_back(t.get<std::string>());  // seaborn's own
  }
  for (const std::string& w : want) EXPECT_TRUE(have.count(w) > 0) << "no <text> holding \"" << w << "\"";
  // Each heatmap label appears on both axes of the attention map, and once on the other.
  EXPECT_EQ(have.count("Token 1"), 3u);
  EXPECT_EQ(have.count("the"), 2u);
  EXPECT_EQ(have.count("0.25"), 9u);  // eight annotations + the bar axis tick
}

TEST(Figure, SvgEscapesMarkup) {
  TempDir dir;
  const fs::path out = dir.path() / "figure.svg";
  save_figure(notebook_figure({"<s>", "a&b", "\"q\"", "it's", "</text>", "x", "y", "z", "w"}), out, ImageFormat::kSvg);
  const std::string svg = testing::read_text(out.string());
  EXPECT_NE(svg.find("&lt;s&gt;"), std::string::npos);
  EXPECT_NE(svg.find("a&amp;b"), std::string::npos);
  const std::vector<std::string> texts = svg_texts(svg);
  for (const char* token : {"<s>", "a&b", "\"q\"", "it's", "</text>"}) {
    EXPECT_NE(std::find(texts.begin(), texts.end(), token), texts.end()) << token;
  }
}

bool has_ink(cairo_surface_t* img, int x0, int x1) {
  const int h = cairo_image_surface_get_height(img), stride = cairo_image_surface_get_stride(img);
  const unsigned char* data = cairo_image_surface_get_data(img);
  for (int y = 0; y < h; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<size_t>(y) * stride);
    for (int x = x0; x < x1; ++x) {
      if ((row[x] & 0xFFFFFF) != 0xFFFFFF) return true;
    }
  }
  return false;
}

TEST(Figure, PngIsFigsizeTimesDpiAndEveryPanelIsDrawn) {
  TempDir dir;
  const fs::path out = dir.path() / "figure.png";
  save_figure(notebook_figure(), out, ImageFormat::kPng, 100);
  cairo_surface_t* img = cairo_image_surface_create_from_png(out.c_str());
  ASSERT_EQ(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_width(img), 2000);
  EXPECT_EQ(cairo_image_surface_get_height(img), 600);
  for (int panel = 0; panel < 3; ++panel) {
    EXPECT_TRUE(has_ink(img, panel * 2000 / 3 + 50, (panel + 1) * 2000 / 3 - 50)) << "panel " << panel << " is blank";
  }
  cairo_surface_destroy(img);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"figure.png"});  // no temporary file left

  const fs::path small = dir.path() / "small.png";
  save_figure(notebook_figure(), small, ImageFormat::kPng, 50);
  img = cairo_image_surface_create_from_png(small.c_str());
  EXPECT_EQ(cairo_image_surface_get_width(img), 1000);
  EXPECT_EQ(cairo_image_surface_get_height(img), 300);
  cairo_surface_destroy(img);

  if (const char* keep = std::getenv("ATTNLAB_KEEP_FIGURES")) {  // for looking at the output
    for (const char* ext : {"png", "svg", "pdf"}) {
      save_figure(notebook_figure(), fs::path(keep) / (std::string("notebook_figure.") + ext),
                  image_format_from_name(ext));
    }
  }
}

TEST(Figure, PdfIsWrittenAndRenders) {
  TempDir dir;
  const fs::path out = dir.path() / "figure.pdf";
  save_figure(notebook_figure(), out, ImageFormat::kPdf);
  const std::string pdf = testing::read_text(out.string());
  ASSERT_EQ(pdf.substr(0, 5), "%PDF-");
  EXPECT_NE(pdf.find("/MediaBox [ 0 0 1440 432 ]"), std::string::npos);
  if (std::system("command -v pdftoppm >/dev/null 2>&1") != 0) GTEST_SKIP() << "pdftoppm not installed";
  const std::string cmd = "pdftoppm -png -r 50 -singlefile '" + out.string() + "' '" + (dir.path() / "page").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  cairo_surface_t* img = cairo_image_surface_create_from_png((dir.path() / "page.png").c_str());
  ASSERT_EQ(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
  EXPECT_EQ(cairo_image_surface_get_width(img), 1000);
  EXPECT_EQ(cairo_image_surface_get_height(img), 300);
  cairo_surface_destroy(img);
}

void expect_io_error(const Figure& fig, const fs::path& out, ImageFormat fmt, const std::string& names) {
  try {
    save_figure(fig, out, fmt);
    ADD_FAILURE() << "no error writing " << out;
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitIo) << e.what();
    EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << e.what();
  }
}

TEST(Figure, UnwritableOutputIsAnIoErrorNamingThePath) {
  TempDir dir;
  const Figure fig = notebook_figure();
  expect_io_error(fig, dir.path() / "missing" / "figure.png", ImageFormat::kPng, (dir.path() / "missing").string());
  { std::ofstream((dir.path() / "file").string()) << "x"; }
  expect_io_error(fig, dir.path() / "file" / "figure.svg", ImageFormat::kSvg, (dir.path() / "file").string());
  fs::create_directory(dir.path() / "taken.pdf");
  expect_io_error(fig, dir.path() / "taken.pdf", ImageFormat::kPdf, "taken.pdf");
  if (geteuid() != 0) {  // root writes anywhere
    fs::create_directory(dir.path() / "ro");
    fs::permissions(dir.path() / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    expect_io_error(fig, dir.path() / "ro" / "figure.png", ImageFormat::kPng, (dir.path() / "ro").string());
    fs::permissions(dir.path() / "ro", fs::perms::owner_all);
  }
  // Nothing left behind: only what the test made itself, and no temporary file inside "taken.pdf".
  std::vector<std::string> left = dir.entries();
  std::sort(left.begin(), left.end());
  std::vector<std::string> made = {"file", "taken.pdf"};
  if (geteuid() != 0) made = {"file", "ro", "taken.pdf"};
  EXPECT_EQ(left, made);
  EXPECT_TRUE(fs::is_empty(dir.path() / "taken.pdf"));
}

TEST(Figure, BadDpiIsUsageError) {
  TempDir dir;
  for (double dpi : {0.0, -5.0, 100000.0}) {
    try {
      save_figure(notebook_figure(), dir.path() / "f.png", ImageFormat::kPng, dpi);
      ADD_FAILURE() << dpi;
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage) << e.what();
    }
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Figure, SinglePanelHelpersHandleLongTokenLists) {
  TempDir dir;
  std::vector<std::string> tokens;
  std::vector<float> values;
  Matrix m(40, 40);
  for (int i = 0; i < 40; ++i) {
    tokens.push_back(i % 7 == 0 ? "\u732b" : i % 5 == 0 ? "\u0645\u0631\u062d\u0628\u0627" : "tok" + std::to_string(i));
    values.push_back(0.01f * static_cast<float>(i % 9));
    for (int j = 0; j < 40; ++j) m.at(i, j) = static_cast<float>((i * 7 + j * 3) % 11) / 11.0f;
  }
  const Figure bars = bar_chart_figure({tokens, values, 3, "Attention from [CLS]", "Attention Score"});
  EXPECT_GT(bars.width_in, 15);
  save_figure(bars, dir.path() / "bars.png", ImageFormat::kPng);
  const Figure heat = heatmap_figure({m, tokens, tokens, "viridis", std::nullopt, true, 2, "Layer 0, head 0"});
  EXPECT_FALSE(std::get<HeatmapPanel>(heat.panels[0]).annotate);  // 40 x 40: too small to read
  save_figure(heat, dir.path() / "heat.svg", ImageFormat::kSvg);
  const std::string svg = testing::read_text((dir.path() / "heat.svg").string());
  EXPECT_NE(svg.find("<image "), std::string::npos);  // 1600 cells: one raster, not 1600 rectangles
  EXPECT_LT(svg.size(), 200000u);
  const std::vector<std::string> texts = svg_texts(svg);
  EXPECT_EQ(std::count(texts.begin(), texts.end(), "0.27"), 0);  // not annotated
  EXPECT_GT(std::count(texts.begin(), texts.end(), "\u732b"), 0);
  if (const char* keep = std::getenv("ATTNLAB_KEEP_FIGURES")) {
    save_figure(bars, fs::path(keep) / "bars.png", ImageFormat::kPng);
    save_figure(heat, fs::path(keep) / "heat.png", ImageFormat::kPng);
  }
}

}  // namespace
}  // namespace attnlab
