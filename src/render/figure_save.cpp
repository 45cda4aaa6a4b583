// save_figure: picks the canvas for the format and writes through a temporary file that is renamed
// into place, so a failed or interrupted save never leaves a partial image behind.
#include <cairo-pdf.h>
#include <cairo.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>

#include "attnlab/error.h"
#include "attnlab/figure.h"
#include "core/temp_files.h"
#include "render/figure_draw.h"

namespace attnlab {
namespace fs = std::filesystem;
namespace {

constexpr int kMaxImageSide = 32767;  // cairo image surfaces

std::string quoted(const fs::path& p) {
  std::string out = "'";
  out += p.string();
  out += '\'';
  return out;
}

// A temporary file beside the target (core/temp_files.h), written through stdio; removed on
// destruction unless committed. Write errors are kept for commit(), since cairo's callbacks cannot throw.
class TempFile {
 public:
  explicit TempFile(const fs::path& target) : target_(target), temp_(target) {
    file_ = fdopen(temp_.fd(), "wb");
    if (!file_) fail("cannot open '" + temp_.path() + "'", errno);
    temp_.take_fd();  // now owned by file_
  }
  ~TempFile() {
    if (file_) std::fclose(file_);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  bool write(const void* data, size_t size) {
    test_signal_point("writing");
    if (std::fwrite(data, 1, size, file_) != size) write_errno_ = errno ? errno : EIO;
    return write_errno_ == 0;
  }
  // A failed write (ENOSPC, EFBIG past ulimit -f) as an error with its reason.
  void throw_if_write_failed() const {
    if (write_errno_ != 0) fail("cannot write " + quoted(target_), write_errno_);
  }
  void commit() {
    throw_if_write_failed();
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) fail("cannot write " + quoted(target_), errno);
    if (const int err = temp_.rename_to_target()) fail("cannot write " + quoted(target_), err);
  }

 private:
  [[noreturn]] static void fail(const std::string& what, int err) {
    throw Error(what + ": " + std::strerror(err), kExitIo);
  }
  fs::path target_;
  PendingTempFile temp_;
  FILE* file_ = nullptr;
  int write_errno_ = 0;
};

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, ContextDeleter>;

void check_cairo(cairo_status_t status, const fs::path& out) {
  if (status == CAIRO_STATUS_WRITE_ERROR) throw Error("cannot write " + quoted(out), kExitIo);
  if (status != CAIRO_STATUS_SUCCESS) {
    throw Error("cannot draw " + quoted(out) + ": cairo: " + cairo_status_to_string(status));
  }
}

void draw_with_cairo(cairo_surface_t* surface, const TextShaper& shaper, const Figure& fig, double dpi, double scale,
                     const fs::path& out) {
  ContextPtr cr(cairo_create(surface));
  cairo_scale(cr.get(), scale, scale);
  {
    CairoCanvas canvas(cr.get(), shaper);
    render_figure(canvas, fig, dpi);
  }
  check_cairo(cairo_status(cr.get()), out);
}

}  // namespace

ImageFormat image_format_from_name(std::string_view name) {
  if (name == "png") return ImageFormat::kPng;
  if (name == "svg") return ImageFormat::kSvg;
  if (name == "pdf") return ImageFormat::kPdf;
  throw Error("unknown image format '" + std::string(name) + "'; known formats: png, svg, pdf", kExitUsage);
}

ImageFormat image_format_from_path(const fs::path& path) {
  std::string ext = path.extension().string();
  if (ext.empty()) {
    throw Error("cannot tell the image format of " + quoted(path) +
                    ": it has no extension (use .png, .svg or .pdf)",
                kExitUsage);
  }
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const std::string name = ext.substr(1);
  if (name == "png" || name == "svg" || name == "pdf") return image_format_from_name(name);
  throw Error("cannot tell the image format of " + quoted(path) + ": unknown extension '" + ext +
                  "'; known formats: png, svg, pdf",
              kExitUsage);
}

void check_output_writable(const fs::path& out) {
  if (out.empty() || !out.has_filename()) throw Error("cannot write " + quoted(out) + ": not a file name", kExitIo);
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::error_code ec;
  const fs::file_status dir_status = fs::status(dir, ec);
  if (!fs::exists(dir_status)) {
    throw Error("cannot write " + quoted(out) + ": directory " + quoted(dir) + " does not exist", kExitIo);
  }
  if (!fs::is_directory(dir_status)) {
    throw Error("cannot write " + quoted(out) + ": " + quoted(dir) + " is not a directory", kExitIo);
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw Error("cannot write " + quoted(out) + ": directory " + quoted(dir) + " is not writable: " +
                    std::strerror(errno),
                kExitIo);
  }
  if (fs::is_directory(fs::status(out, ec))) {
    throw Error("cannot write " + quoted(out) + ": it is a directory", kExitIo);
  }
}

namespace {

// Error(kExitUsage) for a dpi, size or pixel count out of range; `out` names the target in messages.
void check_figure(const Figure& fig, ImageFormat fmt, double dpi, const fs::path& out) {
  if (!(dpi >= 1 && dpi <= 2400)) {
    throw Error("dpi must be between 1 and 2400, got " + std::to_string(dpi), kExitUsage);
  }
  if (!(fig.width_in > 0 && fig.height_in > 0 && fig.width_in <= 1000 && fig.height_in <= 1000)) {
    throw Error("figure size must be positive and at most 1000 inches, got " + std::to_string(fig.width_in) +
                    " x " + std::to_string(fig.height_in),
                kExitUsage);
  }
  if (fig.panels.empty()) throw Error("figure for " + quoted(out) + " has no panels");
  // Pixels = inches x dpi, truncated as matplotlib's Agg canvas does.
  const int width_px = static_cast<int>(std::floor(fig.width_in * dpi + 1e-9));
  const int height_px = static_cast<int>(std::floor(fig.height_in * dpi + 1e-9));
  if (fmt == ImageFormat::kPng && (width_px > kMaxImageSide || height_px > kMaxImageSide || width_px < 1 || height_px < 1)) {
    throw Error("a " + std::to_string(width_px) + " x " + std::to_string(height_px) +
                    " pixel PNG is out of range (1 to 32767 per side); lower the dpi",
                kExitUsage);
  }
}

// Draws `fig` in `fmt` and hands the bytes to write(data, size), which returns false on a failed write.
template <typename Write>
void draw_figure(const Figure& fig, ImageFormat fmt, double dpi, const fs::path& out, Write& write) {
  const int width_px = static_cast<int>(std::floor(fig.width_in * dpi + 1e-9));
  const int height_px = static_cast<int>(std::floor(fig.height_in * dpi + 1e-9));
  const cairo_write_func_t write_stream = [](void* closure, const unsigned char* data, unsigned int length) {
    return (*static_cast<Write*>(closure))(data, length) ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
  };

  const TextShaper shaper;
  switch (fmt) {
    case ImageFormat::kPng: {
      SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width_px, height_px));
      check_cairo(cairo_surface_status(surface.get()), out);
      draw_with_cairo(surface.get(), shaper, fig, dpi, 1.0, out);
      check_cairo(cairo_surface_write_to_png_stream(surface.get(), write_stream, &write), out);
      break;
    }
    case ImageFormat::kPdf: {
      SurfacePtr surface(
          cairo_pdf_surface_create_for_stream(write_stream, &write, fig.width_in * 72, fig.height_in * 72));
      check_cairo(cairo_surface_status(surface.get()), out);
      draw_with_cairo(surface.get(), shaper, fig, dpi, 72.0 / dpi, out);
      cairo_surface_finish(surface.get());
      check_cairo(cairo_surface_status(surface.get()), out);
      break;
    }
    case ImageFormat::kSvg: {
      SvgCanvas canvas(shaper, fig.width_in * dpi, fig.height_in * dpi, fig.width_in * 72,
                       fig.height_in * 72);
      render_figure(canvas, fig, dpi);
      const std::string doc = canvas.finish();
      write(doc.data(), doc.size());
      break;
    }
  }
}

}  // namespace

void save_figure(const Figure& fig, const fs::path& out, ImageFormat fmt, double dpi) {
  check_figure(fig, fmt, dpi, out);
  check_output_writable(out);
  TempFile tmp(out);
  auto write = [&tmp](const void* data, size_t size) { return tmp.write(data, size); };
  try {
    draw_figure(fig, fmt, dpi, out, write);
  } catch (const Error&) {
    tmp.throw_if_write_failed();  // cairo's "write error" says no more than that
    throw;
  }
  tmp.commit();
}

std::string figure_bytes(const Figure& fig, ImageFormat fmt, double dpi) {
  std::string bytes;
  auto write = [&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return true;
  };
  const fs::path what = "figure";
  check_figure(fig, fmt, dpi, what);
  draw_figure(fig, fmt, dpi, what, write);
  return bytes;
}

}  // namespace attnlab
