// Text placement shared by every canvas, and the bounds recorder.
#include "render/canvas.h"

#include <cmath>
#include <numbers>

namespace attnlab {

TextPlacement place_text(const TextBlock& block, double x, double y, const TextStyle& style) {
  const double t = style.rotation_deg * std::numbers::pi / 180.0;
  const double c = std::cos(t), s = std::sin(t);
  // Box-frame (u right, v down) to screen offsets for a counter-clockwise rotation with y down.
  auto rot_x = [&](double u, double v) { return u * c + v * s; };
  auto rot_y = [&](double u, double v) { return -u * s + v * c; };
  Box rotated = Box::empty();
  for (double u : {0.0, block.width}) {
    for (double v : {0.0, block.height}) {
      const double px = rot_x(u, v), py = rot_y(u, v);
      rotated.add({px, py, px, py});
    }
  }
  double ax = 0;
  switch (style.ha) {
    case HAlign::kLeft: ax = rotated.x0; break;
    case HAlign::kCenter: ax = rotated.cx(); break;
    case HAlign::kRight: ax = rotated.x1; break;
  }
  double ay = 0;
  switch (style.va) {
    case VAlign::kTop: ay = rotated.y0; break;
    case VAlign::kCenter: ay = rotated.cy(); break;
    case VAlign::kBottom: ay = rotated.y1; break;
    case VAlign::kBaseline: {
      const double b = block.lines.empty() ? block.height : block.lines.back().baseline;
      ay = rot_y(0, b);
      break;
    }
  }
  TextPlacement at;
  at.origin_x = x - ax;
  at.origin_y = y - ay;
  at.bounds = {rotated.x0 + at.origin_x, rotated.y0 + at.origin_y, rotated.x1 + at.origin_x,
               rotated.y1 + at.origin_y};
  return at;
}

Box Canvas::text(double x, double y, std::string_view text, const TextStyle& style) {
  const TextBlock block = shaper_.measure(text, style.size_px);
  const TextPlacement at = place_text(block, x, y, style);
  draw_text(at, block, text, style);
  return at.bounds;
}

Box Canvas::measure_text(double x, double y, std::string_view text, const TextStyle& style) const {
  return place_text(shaper_.measure(text, style.size_px), x, y, style).bounds;
}

void BoundsCanvas::line(double x0, double y0, double x1, double y1, double width, const Rgba&) {
  const double h = width / 2;
  bounds_.add({std::min(x0, x1) - h, std::min(y0, y1) - h, std::max(x0, x1) + h, std::max(y0, y1) + h});
}

}  // namespace attnlab
