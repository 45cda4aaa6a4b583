// Printable error messages (see attnlab/error.h).
#include "attnlab/error.h"

#include <cstdio>

#include "core/utf8.h"

namespace attnlab {

namespace {

std::string escape(std::string_view message, bool keep_newlines) {
  constexpr size_t kMaxMessageBytes = 4096;
  const std::string_view shown = message.substr(0, kMaxMessageBytes);
  std::string out;
  char buf[16];
  for (size_t i = 0; i < shown.size();) {
    const Utf8Step step = decode_utf8_at(shown, i);
    const char32_t cp = step.code_point;
    if (!step.valid) {
      for (size_t k = 0; k < step.length; ++k) {
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(shown[i + k]));
        out += buf;
      }
    } else if ((cp < 0x20 && (cp != '\n' || !keep_newlines)) || cp == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp >= 0x80 && cp <= 0x9f) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(shown.substr(i, step.length));
    }
    i += step.length;
  }
  if (message.size() > kMaxMessageBytes) out += "... (" + std::to_string(message.size()) + " bytes)";
  return out;
}

}  // namespace

std::string printable(std::string_view message) { return escape(message, true); }

std::string printable_line(std::string_view value) { return escape(value, false); }

}  // namespace attnlab
