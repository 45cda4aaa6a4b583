// Text measurement with pango (font "DejaVu Sans", fontconfig fallback for any script), shared by
// every canvas so PNG, PDF and SVG lay text out from the same numbers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

typedef struct _cairo cairo_t;            // NOLINT: cairo's own typedef
typedef struct _PangoContext PangoContext;  // NOLINT: pango's own typedef

namespace attnlab {

// One shaped line, positioned inside its block (y down, origin at the block's top-left).
struct TextLine {
  std::string text;  // valid UTF-8, no control characters
  double x = 0;      // left edge (lines are centred within the block)
  double baseline = 0;
  double width = 0;
};

// A block of text in pixels. Its box is matplotlib's text box: the logical width, and in height from
// the ascent of "lp" above the first baseline to the descent of "lp" below the last, which is what
// matplotlib aligns ("top", "center", "bottom") against.
struct TextBlock {
  double width = 0, height = 0;
  double layout_top = 0;  // where pango's layout top lies in the box (negative: above the box)
  std::vector<TextLine> lines;
};

class TextShaper {
 public:
  TextShaper();
  ~TextShaper();
  TextShaper(const TextShaper&) = delete;
  TextShaper& operator=(const TextShaper&) = delete;

  // Lines split at '\n'; size is the font size in pixels.
  TextBlock measure(std::string_view text, double size_px) const;
  // Draws the text with its pango layout top-left at cairo's current point.
  void show(cairo_t* cr, std::string_view text, double size_px) const;

 private:
  PangoContext* context_;
};

// Makes text safe to shape and to put in XML: invalid UTF-8 replaced, control characters except
// '\n' and '\t' dropped.
std::string sanitize_text(std::string_view text);

}  // namespace attnlab
