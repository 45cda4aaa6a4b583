// attnlab's own SVG writer: rectangles, lines and real <text> elements (cairo's SVG surface would turn
// text into glyph outlines). Positions come from the same pango measurements as the PNG and PDF.
#include <cairo.h>

#include <cmath>
#include <cstdint>
#include <cstdio>

#include "render/canvas.h"

namespace attnlab {
namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string color_attr(const char* name, const Rgba& c) {
  char buf[64];
  std::snprintf(buf, sizeof buf, " %s=\"#%02x%02x%02x\"", name, static_cast<int>(std::lround(c.r * 255)),
                static_cast<int>(std::lround(c.g * 255)), static_cast<int>(std::lround(c.b * 255)));
  std::string s = buf;
  if (c.a < 1) s += std::string(" ") + name + "-opacity=\"" + num(c.a) + "\"";
  return s;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char ch : text) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += ch;
    }
  }
  return out;
}

SvgCanvas::SvgCanvas(const TextShaper& shaper, double width, double height, double width_pt, double height_pt)
    : Canvas(shaper) {
  out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out_ += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + num(width_pt) + "pt\" height=\"" +
          num(height_pt) + "pt\" viewBox=\"0 0 " + num(width) + " " + num(height) +
          "\" xml:space=\"preserve\" font-family=\"DejaVu Sans, Bitstream Vera Sans, sans-serif\">\n";
}

void SvgCanvas::rect(const Box& box, const Rgba& fill, bool crisp) {
  out_ += "<rect x=\"" + num(box.x0) + "\" y=\"" + num(box.y0) + "\" width=\"" + num(box.width()) +
          "\" height=\"" + num(box.height()) + "\"" + color_attr("fill", fill) +
          (crisp ? " shape-rendering=\"crispEdges\"" : "") + "/>\n";
}

void SvgCanvas::line(double x0, double y0, double x1, double y1, double width, const Rgba& color) {
  out_ += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(x1) + "\" y2=\"" + num(y1) +
          "\" stroke-width=\"" + num(width) + "\" stroke-linecap=\"square\"" + color_attr("stroke", color) + "/>\n";
}

void SvgCanvas::image(const Box& box, int cols, int rows, const std::vector<Rgba>& pixels) {
  cairo_surface_t* surface = make_image_surface(cols, rows, pixels);
  std::string png;
  cairo_surface_write_to_png_stream(
      surface,
      [](void* closure, const unsigned char* data, unsigned int length) {
        static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
        return CAIRO_STATUS_SUCCESS;
      },
      &png);
  cairo_surface_destroy(surface);
  static constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (size_t i = 0; i < png.size(); i += 3) {
    const auto byte = [&](size_t k) { return k < png.size() ? static_cast<unsigned char>(png[k]) : 0u; };
    const uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    b64 += kBase64[(v >> 18) & 63];
    b64 += kBase64[(v >> 12) & 63];
    b64 += i + 1 < png.size() ? kBase64[(v >> 6) & 63] : '=';
    b64 += i + 2 < png.size() ? kBase64[v & 63] : '=';
  }
  out_ += "<image x=\"" + num(box.x0) + "\" y=\"" + num(box.y0) + "\" width=\"" + num(box.width()) + "\" height=\"" +
          num(box.height()) + "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64," +
          b64 + "\"/>\n";
}

void SvgCanvas::begin_group(std::string_view id) { out_ += "<g id=\"" + xml_escape(id) + "\">\n"; }
void SvgCanvas::end_group() { out_ += "</g>\n"; }

void SvgCanvas::draw_text(const TextPlacement& at, const TextBlock& block, std::string_view /*text*/,
                          const TextStyle& style) {
  // Anchor each line where the alignment asks, so a viewer whose font differs slightly still centres
  // centred text and right-aligns right-aligned text.
  const char* anchor = style.ha == HAlign::kLeft ? "start" : style.ha == HAlign::kCenter ? "middle" : "end";
  std::string transform = "translate(" + num(at.origin_x) + " " + num(at.origin_y) + ")";
  if (style.rotation_deg != 0) transform += " rotate(" + num(-style.rotation_deg) + ")";
  auto x_of = [&](const TextLine& line) {
    return style.ha == HAlign::kLeft ? line.x : style.ha == HAlign::kCenter ? line.x + line.width / 2
                                                                            : line.x + line.width;
  };
  out_ += "<text transform=\"" + transform + "\"";
  if (block.lines.size() == 1) {
    out_ += " x=\"" + num(x_of(block.lines[0])) + "\" y=\"" + num(block.lines[0].baseline) + "\"";
  }
  out_ += " font-size=\"" + num(style.size_px) + "\" text-anchor=\"" + anchor + "\"" +
          color_attr("fill", style.color) + ">";
  if (block.lines.size() == 1) {
    out_ += xml_escape(block.lines[0].text);
  } else {
    for (const TextLine& line : block.lines) {
      out_ += "<tspan x=\"" + num(x_of(line)) + "\" y=\"" + num(line.baseline) + "\">" + xml_escape(line.text) +
              "</tspan>";
    }
  }
  out_ += "</text>\n";
}

std::string SvgCanvas::finish() { return out_ + "</svg>\n"; }

}  // namespace attnlab
