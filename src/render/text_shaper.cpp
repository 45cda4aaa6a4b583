// pango measurement and drawing. One PangoContext with unhinted metrics, so widths do not depend on
// the device (image, PDF or the SVG writer, which draws nothing itself).
#include "render/text_shaper.h"

#include <pango/pangocairo.h>
#include <sys/mman.h>

#include <memory>
#include <mutex>

#include "attnlab/error.h"

namespace attnlab {
namespace {

// Multi-line text as matplotlib >= 3.10 lays it out (linespacing "normal", DejaVu Sans): each line box
// 0.88 em above its baseline and 0.34 em below, stacked without gaps (1.22 em pitch; measured from
// Text._get_layout). pango's line height for DejaVu Sans is 1.164 em, hence the spacing factor.
constexpr double kLineAscentEm = 0.88;
constexpr double kLineDescentEm = 0.34;
constexpr double kLineSpacing = (kLineAscentEm + kLineDescentEm) / 1.164;

struct LayoutDeleter {
  void operator()(PangoLayout* p) const { g_object_unref(p); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, LayoutDeleter>;

LayoutPtr make_layout(PangoContext* context, const std::string& text, double size_px) {
  LayoutPtr layout(pango_layout_new(context));
  PangoFontDescription* desc = pango_font_description_from_string("DejaVu Sans");
  pango_font_description_set_absolute_size(desc, size_px * PANGO_SCALE);
  pango_layout_set_font_description(layout.get(), desc);
  pango_font_description_free(desc);
  pango_layout_set_alignment(layout.get(), PANGO_ALIGN_CENTER);
  pango_layout_set_line_spacing(layout.get(), static_cast<float>(kLineSpacing));
  pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
  return layout;
}

// Ink ascent and descent of "lp" at this size: matplotlib's reference metrics for a line.
void lp_metrics(PangoContext* context, double size_px, double* ascent, double* descent) {
  LayoutPtr lp = make_layout(context, "lp", size_px);
  PangoRectangle ink, logical;
  pango_layout_get_extents(lp.get(), &ink, &logical);
  const double baseline = pango_layout_get_baseline(lp.get()) / double(PANGO_SCALE);
  *ascent = baseline - ink.y / double(PANGO_SCALE);
  *descent = (ink.y + ink.height) / double(PANGO_SCALE) - baseline;
}

// fontconfig loads its configuration and font cache on first use, in a pango thread, and crashes
// (SIGSEGV inside its XML parser, or pango after cairo fails to make a scaled font) when memory runs
// out half-way. So before the first use, check that this much address space is still free (a
// PROT_NONE reservation counts against ulimit -v like any allocation) and fail cleanly when it is
// not. Measured under ulimit -v: loading the fonts and drawing a small figure take about 100 MB of
// address space (the pango thread's stack and malloc arena among them); 128 MB leaves a margin.
constexpr size_t kFontSetupHeadroomBytes = size_t{128} << 20;

void check_font_setup_headroom() {
  void* p = ::mmap(nullptr, kFontSetupHeadroomBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw Error("out of memory: too little left to load the fonts for figure text");
  ::munmap(p, kFontSetupHeadroomBytes);
}

// Figures need real glyphs: with no usable font (fontconfig out of file descriptors or memory, or
// DejaVu Sans and every fallback missing) pango draws boxes, and a figure of boxes is an error.
void check_font(PangoContext* context) {
  LayoutPtr probe = make_layout(context, "Attention 0.5", 12.0);
  bool usable = pango_layout_get_unknown_glyphs_count(probe.get()) == 0;
  // Each run's font must open in cairo too (FreeType reads the font file: it needs a descriptor).
  for (GSList* run = pango_layout_get_line_readonly(probe.get(), 0)->runs; usable && run; run = run->next) {
    PangoFont* font = static_cast<PangoGlyphItem*>(run->data)->item->analysis.font;
    cairo_scaled_font_t* scaled = font ? pango_cairo_font_get_scaled_font(PANGO_CAIRO_FONT(font)) : nullptr;
    usable = scaled != nullptr && cairo_scaled_font_status(scaled) == CAIRO_STATUS_SUCCESS;
  }
  if (!usable)
    throw Error("no usable font for figure text: fontconfig found no font for \"DejaVu Sans\" (install "
                "fonts-dejavu-core; too few free file descriptors (ulimit -n) or too little memory also cause this)");
}

}  // namespace

std::string sanitize_text(std::string_view text) {
  gchar* valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
  std::string out;
  for (const char* p = valid; *p; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < 0x20 && c != '\n' && c != '\t') continue;
    if (c == 0x7F) continue;
    out += static_cast<char>(c);
  }
  g_free(valid);
  return out;
}

TextShaper::TextShaper() {
  static std::once_flag fonts_loaded;
  std::call_once(fonts_loaded, check_font_setup_headroom);
  PangoFontMap* font_map = pango_cairo_font_map_get_default();
  context_ = pango_font_map_create_context(font_map);
  if (!context_) throw Error("cannot create a pango context for text layout");
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY);
  pango_cairo_context_set_font_options(context_, options);
  cairo_font_options_destroy(options);
  pango_context_set_round_glyph_positions(context_, FALSE);
  try {
    check_font(context_);
  } catch (...) {
    g_object_unref(context_);
    throw;
  }
}

TextShaper::~TextShaper() { g_object_unref(context_); }

TextBlock TextShaper::measure(std::string_view text, double size_px) const {
  const std::string clean = sanitize_text(text);
  LayoutPtr layout = make_layout(context_, clean, size_px);
  double lp_ascent = 0, lp_descent = 0;
  lp_metrics(context_, size_px, &lp_ascent, &lp_descent);

  TextBlock block;
  PangoRectangle logical;
  pango_layout_get_extents(layout.get(), nullptr, &logical);
  block.width = logical.width / double(PANGO_SCALE);
  PangoLayoutIter* iter = pango_layout_get_iter(layout.get());
  do {
    PangoLayoutLine* line = pango_layout_iter_get_line_readonly(iter);
    PangoRectangle line_logical;
    pango_layout_iter_get_line_extents(iter, nullptr, &line_logical);
    TextLine out;
    out.text = clean.substr(static_cast<size_t>(line->start_index), static_cast<size_t>(line->length));
    out.x = line_logical.x / double(PANGO_SCALE);
    out.width = line_logical.width / double(PANGO_SCALE);
    out.baseline = pango_layout_iter_get_baseline(iter) / double(PANGO_SCALE);
    block.lines.push_back(std::move(out));
  } while (pango_layout_iter_next_line(iter));
  pango_layout_iter_free(iter);

  // Move from pango's layout coordinates to the box. A single line's box is the ink extent of "lp"
  // (matplotlib's minimum line metrics); several lines use matplotlib's "normal" line boxes.
  const bool multi = block.lines.size() > 1;
  const double ascent = multi ? kLineAscentEm * size_px : lp_ascent;
  const double descent = multi ? kLineDescentEm * size_px : lp_descent;
  const double top = block.lines.front().baseline - ascent;
  block.layout_top = -top;
  for (TextLine& line : block.lines) line.baseline -= top;
  block.height = block.lines.back().baseline + descent;
  return block;
}

void TextShaper::show(cairo_t* cr, std::string_view text, double size_px) const {
  LayoutPtr layout = make_layout(context_, sanitize_text(text), size_px);
  pango_cairo_show_layout(cr, layout.get());
}

}  // namespace attnlab
