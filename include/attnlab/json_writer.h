// attnlab's JSON writer: streams a document to a FILE* in chunks (or builds a small one in memory),
// with float arrays of any shape formatted in parallel. Floats default to printf("%.9g")'s exact text.
#pragma once

#include <cstddef>
#include <cstdio>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

// How floats are written: `digits` significant digits, 1-9, as printf("%.<digits>g") writes them
// (9, the default, reads back to the same float32 for every value); 0 = the shortest text that reads
// back to the same float32 (std::to_chars). Non-finite values are written as null (JSON has no NaN).
struct JsonOptions {
  int digits = 9;
};

// One writer builds one document; it is not thread-safe, but floats() spreads the formatting of a
// large array over attnlab's kernel threads and writes the pieces in order. Separators are ", " and
// ": " (the CLI's output format). Errors are attnlab::Error: a bad `digits` is kExitUsage, a failed
// write kExitIo naming the sink.
class JsonWriter {
 public:
  // In memory: the document is kept whole and read with str(). For small documents and tests.
  explicit JsonWriter(JsonOptions options = {});
  // Streaming: text goes to `sink` (not owned) whenever about 1 MB has gathered, so the document is
  // never held whole. `sink_name` names the sink in error messages ("standard output", a path).
  JsonWriter(std::FILE* sink, std::string sink_name, JsonOptions options = {});
  // Writes what is still buffered; a failure here cannot be reported, so call flush() first.
  ~JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

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
  JsonWriter& raw(std::string_view text);           // as is, no separator: e.g. "\n" after the document
  JsonWriter& floats(std::span<const float> v);                      // [a, b, ...]
  JsonWriter& floats(std::span<const float> v, int rows, int cols);  // [[...], ...]
  // v (row-major, v.size() == product of shape) as nested arrays: shape {2, 3} -> [[a, b, c], [d, e, f]].
  JsonWriter& floats(std::span<const float> v, std::span<const std::size_t> shape);
  JsonWriter& floats(std::span<const float> v, std::initializer_list<std::size_t> shape) {
    return floats(v, std::span<const std::size_t>(shape.begin(), shape.size()));
  }
  JsonWriter& ints(std::span<const int> v);
  JsonWriter& strings(const std::vector<std::string>& v);

  // Sends buffered text to the sink and fflush()es it; nothing in memory mode.
  void flush();
  // The document so far (memory mode; in streaming mode, only what is not yet flushed).
  const std::string& str() const { return out_; }

 private:
  void separator();
  void maybe_flush();
  void write_to_sink(const char* data, std::size_t size);

  std::string out_;
  std::FILE* sink_ = nullptr;
  std::string sink_name_;
  int digits_ = 9;
  std::vector<bool> first_;  // one per open container: no element written yet
  bool after_key_ = false;
  std::vector<std::string> scratch_;  // floats(): one buffer per parallel formatting task, reused
};

// Room format_float needs at `out`: the text is at most 15 characters ("-1.23456789e-38"), but it is
// written with whole 8-byte stores that may reach past its end.
inline constexpr std::size_t kMaxFloatChars = 24;

// f as JSON number text (see JsonOptions) into out[0, kMaxFloatChars); returns the end. digits 0-9.
char* format_float(float f, int digits, char* out);
std::string format_float(float f, int digits = 9);

// Appends s to out as a JSON string literal. Invalid UTF-8 bytes become U+FFFD.
void append_json_string(std::string& out, std::string_view s);

}  // namespace attnlab
