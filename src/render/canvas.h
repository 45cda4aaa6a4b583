// The small drawing interface the figure code draws through, in pixels with y down. Backends: cairo
// (PNG, PDF), an SVG writer that keeps text as <text>, and a bounds recorder used for layout.
#pragma once

#include <algorithm>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "render/color.h"
#include "render/text_shaper.h"

namespace attnlab {

struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  double width() const { return x1 - x0; }
  double height() const { return y1 - y0; }
  double cx() const { return (x0 + x1) / 2; }
  double cy() const { return (y0 + y1) / 2; }
  static Box empty() {
    const double inf = std::numeric_limits<double>::infinity();
    return {inf, inf, -inf, -inf};
  }
  bool is_empty() const { return x0 > x1 || y0 > y1; }
  void add(const Box& b) {
    x0 = std::min(x0, b.x0), y0 = std::min(y0, b.y0), x1 = std::max(x1, b.x1), y1 = std::max(y1, b.y1);
  }
};

enum class HAlign { kLeft, kCenter, kRight };
enum class VAlign { kTop, kCenter, kBaseline, kBottom };  // kBaseline: of the last line, as matplotlib

struct TextStyle {
  double size_px = 10;
  Rgba color = kBlack;
  double rotation_deg = 0;  // counter-clockwise
  HAlign ha = HAlign::kLeft;
  VAlign va = VAlign::kBaseline;
};

// Where a text block goes: its box origin (top-left of the unrotated box) and the screen bounding box
// of the rotated box. Alignment is matplotlib's default rotation_mode: the rotated text's bounding box
// has its (ha, va) point at the anchor.
struct TextPlacement {
  double origin_x = 0, origin_y = 0;
  Box bounds;
};
TextPlacement place_text(const TextBlock& block, double x, double y, const TextStyle& style);

class Canvas {
 public:
  explicit Canvas(const TextShaper& shaper) : shaper_(shaper) {}
  virtual ~Canvas() = default;
  Canvas(const Canvas&) = delete;
  Canvas& operator=(const Canvas&) = delete;

  // crisp: no antialiasing, so adjacent cells tile without seams (matplotlib's pcolormesh does the same).
  virtual void rect(const Box& box, const Rgba& fill, bool crisp = false) = 0;
  virtual void line(double x0, double y0, double x1, double y1, double width, const Rgba& color) = 0;
  // A raster of cols x rows opaque pixels (row-major, top row first) stretched over box without
  // smoothing: large heatmaps, where one element per cell would make a huge SVG.
  virtual void image(const Box& box, int cols, int rows, const std::vector<Rgba>& pixels) = 0;
  // Groups for structure in the SVG (one per panel); no-ops elsewhere.
  virtual void begin_group(std::string_view /*id*/) {}
  virtual void end_group() {}

  // Draws text anchored at (x, y); returns its screen bounding box.
  Box text(double x, double y, std::string_view text, const TextStyle& style);
  // The bounding box text would get, without drawing it.
  Box measure_text(double x, double y, std::string_view text, const TextStyle& style) const;
  const TextShaper& shaper() const { return shaper_; }

 protected:
  virtual void draw_text(const TextPlacement& at, const TextBlock& block, std::string_view text,
                         const TextStyle& style) = 0;

 private:
  const TextShaper& shaper_;
};

// Records only the bounding box of everything drawn (for tight layout).
class BoundsCanvas : public Canvas {
 public:
  using Canvas::Canvas;
  void rect(const Box& box, const Rgba&, bool) override { bounds_.add(box); }
  void image(const Box& box, int, int, const std::vector<Rgba>&) override { bounds_.add(box); }
  void line(double x0, double y0, double x1, double y1, double width, const Rgba&) override;
  const Box& bounds() const { return bounds_; }

 protected:
  void draw_text(const TextPlacement& at, const TextBlock&, std::string_view, const TextStyle&) override {
    bounds_.add(at.bounds);
  }

 private:
  Box bounds_ = Box::empty();
};

// cairo backend: an image surface for PNG, a PDF surface (scaled to points by the caller).
class CairoCanvas : public Canvas {
 public:
  CairoCanvas(cairo_t* cr, const TextShaper& shaper) : Canvas(shaper), cr_(cr) {}
  void rect(const Box& box, const Rgba& fill, bool crisp) override;
  void line(double x0, double y0, double x1, double y1, double width, const Rgba& color) override;
  void image(const Box& box, int cols, int rows, const std::vector<Rgba>& pixels) override;

 protected:
  void draw_text(const TextPlacement& at, const TextBlock& block, std::string_view text,
                 const TextStyle& style) override;

 private:
  cairo_t* cr_;
};

// A small SVG writer: every string becomes a <text> element holding the exact (escaped) string.
class SvgCanvas : public Canvas {
 public:
  // width/height in pixels (the coordinate system), width_pt/height_pt the document size.
  SvgCanvas(const TextShaper& shaper, double width, double height, double width_pt, double height_pt);
  void rect(const Box& box, const Rgba& fill, bool crisp) override;
  void line(double x0, double y0, double x1, double y1, double width, const Rgba& color) override;
  void image(const Box& box, int cols, int rows, const std::vector<Rgba>& pixels) override;  // embedded PNG
  void begin_group(std::string_view id) override;
  void end_group() override;
  std::string finish();  // the whole document

 protected:
  void draw_text(const TextPlacement& at, const TextBlock& block, std::string_view text,
                 const TextStyle& style) override;

 private:
  std::string out_;
};

std::string xml_escape(std::string_view text);

// An RGB24 cairo image surface holding the pixels (caller destroys it).
typedef struct _cairo_surface cairo_surface_t;  // NOLINT: cairo's own typedef
cairo_surface_t* make_image_surface(int cols, int rows, const std::vector<Rgba>& pixels);

}  // namespace attnlab
