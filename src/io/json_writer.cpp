// Streaming JSON writer (see json_writer.h).
#include "io/json_writer.h"

#include <cmath>
#include <cstdio>

#include "text/utf8.h"

namespace attnlab {

void JsonWriter::separator() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ", ";
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::begin_object() {
  separator();
  out_ += '{';
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  out_ += '}';
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  separator();
  out_ += '[';
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  out_ += ']';
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
  separator();
  append_json_string(out_, k);
  out_ += ": ";
  after_key_ = true;
  return *this;
}
JsonWriter& JsonWriter::value(std::string_view s) {
  separator();
  append_json_string(out_, s);
  return *this;
}
JsonWriter& JsonWriter::value(float f) {
  separator();
  out_ += format_float9(f);
  return *this;
}
JsonWriter& JsonWriter::value(long long i) {
  separator();
  out_ += std::to_string(i);
  return *this;
}
JsonWriter& JsonWriter::value(bool b) {
  separator();
  out_ += b ? "true" : "false";
  return *this;
}
JsonWriter& JsonWriter::null() {
  separator();
  out_ += "null";
  return *this;
}
JsonWriter& JsonWriter::raw_number(std::string_view digits) {
  separator();
  out_ += digits;
  return *this;
}
JsonWriter& JsonWriter::floats(std::span<const float> v) {
  begin_array();
  for (float f : v) value(f);
  return end_array();
}
JsonWriter& JsonWriter::floats(std::span<const float> v, int rows, int cols) {
  begin_array();
  for (int r = 0; r < rows; ++r) floats(v.subspan(static_cast<size_t>(r) * cols, cols));
  return end_array();
}
JsonWriter& JsonWriter::ints(std::span<const int> v) {
  begin_array();
  for (int i : v) value(i);
  return end_array();
}
JsonWriter& JsonWriter::strings(const std::vector<std::string>& v) {
  begin_array();
  for (const auto& s : v) value(std::string_view(s));
  return end_array();
}

std::string format_float9(float f) {
  if (!std::isfinite(f)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f));
  return buf;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const Utf8Step step = decode_utf8_at(s, i);
    if (!step.valid) {  // as Python's errors="replace": one U+FFFD per maximal invalid subsequence
      out += "\xEF\xBF\xBD";
      i += step.length;
      continue;
    }
    if (step.length > 1) {
      out.append(s.substr(i, step.length));
      i += step.length;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

}  // namespace attnlab
