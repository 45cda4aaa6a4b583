// The cairo backend (PNG and PDF); text through pangocairo.
#include <cairo.h>

#include <cmath>
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
