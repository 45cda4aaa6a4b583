// A small streaming JSON writer for attnlab's machine-readable output. Floats are written with
// 9 significant digits ("%.9g"), which round-trips every float32 exactly and keeps files compact.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(float f);
  JsonWriter& value(long long i);
  JsonWriter& value(int i) { return value(static_cast<long long>(i)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  JsonWriter& raw_number(std::string_view digits);  // an integer already formatted
  JsonWriter& floats(std::span<const float> v);                  // [a, b, ...]
  JsonWriter& floats(std::span<const float> v, int rows, int cols);  // [[...], ...]
  JsonWriter& ints(std::span<const int> v);
  JsonWriter& strings(const std::vector<std::string>& v);

  const std::string& str() const { return out_; }

 private:
  void separator();
  std::string out_;
  std::vector<bool> first_;  // one per open container: no element written yet
  bool after_key_ = false;
};

// Appends s to out as a JSON string literal. Invalid UTF-8 bytes become U+FFFD.
void append_json_string(std::string& out, std::string_view s);

// "%.9g", with non-finite values written as null (JSON has no NaN).
std::string format_float9(float f);

}  // namespace attnlab
