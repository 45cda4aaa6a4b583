// The cairo backend (PNG and PDF); text through pangocairo.
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "render/canvas.h"

namespace attnlab {

void CairoCanvas::rect(const Box& box, const Rgba& fill, bool crisp) {
  cairo_save(cr_);
  if (crisp) cairo_set_antialias(cr_, CAIRO_ANTIALIAS_NONE);
  cairo_set_source_rgba(cr_, fill.r, fill.g, fill.b, fill.a);
  cairo_rectangle(cr_, box.x0, box.y0, box.width(), box.height());
  cairo_fill(cr_);
  cairo_restore(cr_);
}

cairo_surface_t* make_image_surface(int cols, int rows, const std::vector<Rgba>& pixels) {
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols, rows);
  cairo_surface_flush(surface);
  unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  auto byte = [](double v) { return static_cast<uint32_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255)); };
  for (int y = 0; y < rows && data; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(data + static_cast<size_t>(y) * stride);
    for (int x = 0; x < cols; ++x) {
      const Rgba& c = pixels[static_cast<size_t>(y) * cols + x];
      row[x] = (byte(c.r) << 16) | (byte(c.g) << 8) | byte(c.b);
    }
  }
  cairo_surface_mark_dirty(surface);
  return surface;
}

void CairoCanvas::image(const Box& box, int cols, int rows, const std::vector<Rgba>& pixels) {
  cairo_surface_t* surface = make_image_surface(cols, rows, pixels);
  cairo_save(cr_);
  cairo_rectangle(cr_, box.x0, box.y0, box.width(), box.height());
  cairo_clip(cr_);
  cairo_translate(cr_, box.x0, box.y0);
  cairo_scale(cr_, box.width() / cols, box.height() / rows);
  cairo_set_source_surface(cr_, surface, 0, 0);
  cairo_pattern_set_filter(cairo_get_source(cr_), CAIRO_FILTER_NEAREST);
  cairo_paint(cr_);
  cairo_restore(cr_);
  cairo_surface_destroy(surface);
}

void CairoCanvas::line(double x0, double y0, double x1, double y1, double width, const Rgba& color) {
  cairo_save(cr_);
  cairo_set_source_rgba(cr_, color.r, color.g, color.b, color.a);
  cairo_set_line_width(cr_, width);
  cairo_set_line_cap(cr_, CAIRO_LINE_CAP_SQUARE);
  cairo_move_to(cr_, x0, y0);
  cairo_line_to(cr_, x1, y1);
  cairo_stroke(cr_);
  cairo_restore(cr_);
}

void CairoCanvas::draw_text(const TextPlacement& at, const TextBlock& block, std::string_view text,
                            const TextStyle& style) {
  cairo_save(cr_);
  cairo_translate(cr_, at.origin_x, at.origin_y);
  if (style.rotation_deg != 0) cairo_rotate(cr_, -style.rotation_deg * std::numbers::pi / 180.0);
  cairo_set_source_rgba(cr_, style.color.r, style.color.g, style.color.b, style.color.a);
  cairo_move_to(cr_, 0, block.layout_top);
  shaper().show(cr_, text, style.size_px);
  cairo_restore(cr_);
}

}  // namespace attnlab
