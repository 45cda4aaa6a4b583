// Streaming JSON writer (see attnlab/json_writer.h). Floats go through an exact integer path for
// printf("%.Ng") (N <= 9) instead of std::to_chars with a precision (an arbitrary-precision path).
#include "attnlab/json_writer.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "attnlab/error.h"
#include "core/thread_pool.h"
#include "core/utf8.h"

namespace attnlab {
namespace {

__extension__ using u128 = unsigned __int128;

constexpr std::size_t kFlushBytes = std::size_t{1} << 20;  // streaming: write out every ~1 MB
constexpr std::size_t kChunkFloats = 1 << 15;              // floats per parallel formatting task (~0.8 MB)
constexpr std::size_t kMaxFloatText = 15;                  // "-1.23456789e-38"
constexpr std::size_t kSerialFloats = 1 << 15;             // below this, format on the calling thread

constexpr uint32_t kPow10[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

constexpr auto kPow5 = [] {
  std::array<u128, 45> t{};
  u128 p = 1;
  for (u128& x : t) {
    x = p;
    p *= 5;
  }
  return t;
}();

constexpr auto kPow10Double = [] {  // 10^-39 .. 10^39, for guessing a float's decade (checked after)
  std::array<double, 79> t{};
  for (int k = -39; k <= 39; ++k) {
    double p = 1;
    for (int i = 0; i < (k < 0 ? -k : k); ++i) p = k < 0 ? p / 10 : p * 10;
    t[static_cast<std::size_t>(k + 39)] = p;
  }
  return t;
}();

// n * 2^t rounded to an integer, half to even: q = the floor, up = whether rounding adds one.
template <typename U>
void round_shift(U n, int t, uint64_t& q, bool& up) {
  if (t >= 0) {
    q = static_cast<uint64_t>(n << t);
    up = false;
    return;
  }
  const int sh = -t;
  const U r = n & ((U{1} << sh) - 1);
  const U half = U{1} << (sh - 1);
  q = static_cast<uint64_t>(n >> sh);
  up = r > half || (r == half && (q & 1));
}

// m * 2^e * 10^s (m < 2^24) rounded to an integer, half to even, as printf rounds the exact value.
// False when the numbers leave 128 bits. Callers pick s so that the result is below 10^10.
bool scale(uint32_t m, int e, int s, uint64_t& q, bool& up) {
  if (s >= 0) {
    if (s > 44) return false;  // 5^44 * 2^24 < 2^127
    const int t = e + s;
    if (t > 40 || t < -126) return false;
    if (s <= 17 && t > -64) {  // 5^17 * 2^24 < 2^64: the common case in 64 bits
      round_shift(static_cast<uint64_t>(m) * static_cast<uint64_t>(kPow5[static_cast<std::size_t>(s)]), t, q, up);
    } else {
      round_shift(static_cast<u128>(m) * kPow5[static_cast<std::size_t>(s)], t, q, up);
    }
    return true;
  }
  // m * 2^e / 5^a / 2^a: one 128-bit division (values of 10^digits and above, rare).
  const int a = -s;
  if (a > 38) return false;
  u128 num = m, den = kPow5[static_cast<std::size_t>(a)];
  if (e >= a) {
    if (e - a > 100) return false;
    num <<= (e - a);
  } else {
    if (a - e > 127 - 89) return false;  // 5^38 < 2^89
    den <<= (a - e);
  }
  q = static_cast<uint64_t>(num / den);
  const u128 r2 = (num % den) * 2;
  up = r2 > den || (r2 == den && (q & 1));
  return true;
}

constexpr auto kDigitPairs = [] {  // "00" "01" ... "99"
  std::array<char, 200> t{};
  for (int i = 0; i < 100; ++i) {
    t[static_cast<std::size_t>(2 * i)] = static_cast<char>('0' + i / 10);
    t[static_cast<std::size_t>(2 * i + 1)] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

void write_pair(char* out, uint32_t v) { std::memcpy(out, &kDigitPairs[2 * v], 2); }

// v < 10^8 as eight ASCII digits in one register, the first digit in the lowest byte (little-endian
// memory order), without a loop or a table: two 4-digit lanes, split into pairs, then into digits.
uint64_t eight_digits(uint32_t v) {
  const uint64_t merged = (v / 10000) | (static_cast<uint64_t>(v % 10000) << 32);
  const uint64_t top = ((merged * 10486) >> 20) & ((0x7FULL << 32) | 0x7FULL);  // / 100 per lane
  const uint64_t hundreds = ((merged - 100 * top) << 16) + top;
  uint64_t tens = (hundreds * 103) >> 10;  // / 10 per 16-bit lane
  tens &= (0xFULL << 48) | (0xFULL << 32) | (0xFULL << 16) | 0xFULL;
  tens += (hundreds - 10 * tens) << 8;
  return tens;  // digit values; + '0' per byte for text
}

constexpr uint64_t kAsciiZeros = 0x3030303030303030;

// printf("%.<p>g") of a normal, nonzero float with 1 <= p <= 9; nullptr when out of the fast range.
char* format_general(float f, int p, char* out) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const int biased = static_cast<int>((bits >> 23) & 0xff);
  if (biased == 0) return nullptr;  // subnormal
  const uint32_t m = (bits & 0x7fffff) | 0x800000;
  const int e = biased - 150;                          // f = m * 2^e
  // floor(log10 f): the decade of 2^(e2), or the next one when f reaches the power of ten between.
  const int kmin = ((biased - 127) * 78913) >> 18;
  int k = kmin + (std::fabs(static_cast<double>(f)) >= kPow10Double[static_cast<std::size_t>(kmin + 40)]);
  uint64_t q;
  bool up;
  if (!scale(m, e, p - 1 - k, q, up)) return nullptr;
  if (q < kPow10[p - 1] || q >= kPow10[p]) {  // the guess was one decade off (it may be near 10^k)
    k += q < kPow10[p - 1] ? -1 : 1;
    if (!scale(m, e, p - 1 - k, q, up) || q < kPow10[p - 1] || q >= kPow10[p]) return nullptr;
  }
  if (up && ++q == kPow10[p]) {
    q = kPow10[p - 1];
    ++k;
  }
  // Nine digits (q padded with zeros): d0, then eight in a register. Only stores, some overlapping,
  // which out's kMaxFloatChars of room allows: no byte loop, no reload of what was just written.
  const uint32_t q9 = static_cast<uint32_t>(q) * kPow10[9 - p];
  const char d0 = static_cast<char>('0' + q9 / 100000000);
  const uint64_t digits8 = eight_digits(q9 % 100000000);
  const uint64_t w = digits8 + kAsciiZeros;
  const int n = digits8 == 0 ? 1 : 9 - std::countl_zero(digits8) / 8;  // significant digits (%g drops zeros)
  char* o = out;
  if (bits >> 31) *o++ = '-';
  if (k >= 0 && k < p) {  // fixed: ddd.ddd
    o[0] = d0;
    std::memcpy(o + 1, &w, 8);
    if (n <= k + 1) return o + k + 1;
    const uint64_t fraction = w >> (8 * k);  // k < 8 here
    std::memcpy(o + k + 2, &fraction, 8);
    o[k + 1] = '.';
    return o + n + 1;
  }
  if (k < 0 && k >= -4) {  // fixed: 0.000ddd
    std::memcpy(o, "0.000000", 8);
    o += 1 - k;
    o[0] = d0;
    std::memcpy(o + 1, &w, 8);
    return o + n;
  }
  o[0] = d0;  // scientific: d.ddde-XX
  if (n > 1) {
    o[1] = '.';
    std::memcpy(o + 2, &w, 8);
    o += n + 1;
  } else {
    o += 1;
  }
  o[0] = 'e';
  o[1] = k < 0 ? '-' : '+';
  write_pair(o + 2, static_cast<uint32_t>(k < 0 ? -k : k));  // |k| <= 38 here
  return o + 4;
}

void check_digits(int digits) {
  if (digits < 0 || digits > 9)
    throw Error("JSON float digits must be 0 (shortest round trip) or 1-9, got " + std::to_string(digits), kExitUsage);
}

// A row-major array of `shape` as nested JSON arrays; format(begin, end) writes elements
// [begin, end) with the brackets and separators around them, so pieces can be formatted apart.
class NestedFloats {
 public:
  NestedFloats(std::span<const float> v, std::span<const std::size_t> shape, int digits)
      : v_(v), nd_(shape.size()), cols_(shape.empty() ? 1 : shape.back()), digits_(digits) {
    std::size_t p = 1;
    for (std::size_t d = shape.size(); d-- > 1;) periods_.push_back(p *= shape[d]);
  }

  // Upper bound on the bytes format(begin, end) writes.
  std::size_t max_bytes(std::size_t count) const {
    return count * (kMaxFloatText + 2 + 2 * nd_) + 2 * nd_ + kMaxFloatChars;  // + the last float's store slack
  }

  char* format(char* out, std::size_t begin, std::size_t end) const {
    for (std::size_t i = begin; i < end;) {
      if (i == 0) {
        out = std::fill_n(out, nd_, '[');
      } else {
        std::size_t j = 0;  // containers that close before element i and open again
        while (j < periods_.size() && i % periods_[j] == 0) ++j;
        out = std::fill_n(out, j, ']');
        *out++ = ',';
        *out++ = ' ';
        out = std::fill_n(out, j, '[');
      }
      out = format_float(v_[i], digits_, out);
      const std::size_t stop = std::min(end, (i / cols_ + 1) * cols_);  // end of this row
      for (++i; i < stop; ++i) {
        *out++ = ',';
        *out++ = ' ';
        out = format_float(v_[i], digits_, out);
      }
    }
    if (end == v_.size()) out = std::fill_n(out, nd_, ']');
    return out;
  }

 private:
  std::span<const float> v_;
  std::size_t nd_, cols_;
  int digits_;
  std::vector<std::size_t> periods_;  // elements per row, per matrix, ... (innermost first)
};

// An array with no elements still shows its outer dimensions: shape {2, 0} -> [[], []].
void append_empty_nested(std::string& out, std::span<const std::size_t> shape) {
  out += '[';
  if (shape.size() > 1)
    for (std::size_t i = 0; i < shape[0]; ++i) {
      if (i) out += ", ";
      append_empty_nested(out, shape.subspan(1));
    }
  out += ']';
}

}  // namespace

char* format_float(float f, int digits, char* out) {
  if (!std::isfinite(f)) return std::copy_n("null", 4, out);
  if (digits == 0) return std::to_chars(out, out + kMaxFloatChars, f).ptr;  // shortest of fixed / scientific
  if (f == 0.0f) {
    if (std::signbit(f)) *out++ = '-';
    *out++ = '0';
    return out;
  }
  if (char* end = format_general(f, digits, out)) return end;
  return std::to_chars(out, out + kMaxFloatChars, static_cast<double>(f), std::chars_format::general, digits).ptr;
}

std::string format_float(float f, int digits) {
  check_digits(digits);
  char buf[kMaxFloatChars];
  return std::string(buf, format_float(f, digits, buf));
}

JsonWriter::JsonWriter(JsonOptions options) : digits_(options.digits) { check_digits(digits_); }

JsonWriter::JsonWriter(std::FILE* sink, std::string sink_name, JsonOptions options)
    : sink_(sink), sink_name_(std::move(sink_name)), digits_(options.digits) {
  check_digits(digits_);
}

JsonWriter::~JsonWriter() {
  if (sink_ && !out_.empty()) (void)std::fwrite(out_.data(), 1, out_.size(), sink_);
}

void JsonWriter::write_to_sink(const char* data, std::size_t size) {
  errno = 0;
  if (std::fwrite(data, 1, size, sink_) != size)
    throw Error("cannot write to " + sink_name_ + ": " + std::strerror(errno ? errno : EIO), kExitIo);
}

void JsonWriter::maybe_flush() {
  if (sink_ && out_.size() >= kFlushBytes) {
    write_to_sink(out_.data(), out_.size());
    out_.clear();
  }
}

void JsonWriter::flush() {
  if (!sink_) return;
  write_to_sink(out_.data(), out_.size());
  out_.clear();
  errno = 0;
  if (std::fflush(sink_) != 0)
    throw Error("cannot write to " + sink_name_ + ": " + std::strerror(errno ? errno : EIO), kExitIo);
}

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
  maybe_flush();
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
  maybe_flush();
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
  maybe_flush();
  return *this;
}
JsonWriter& JsonWriter::value(float f) {
  separator();
  char buf[kMaxFloatChars];
  out_.append(buf, format_float(f, digits_, buf));
  maybe_flush();
  return *this;
}
JsonWriter& JsonWriter::value(long long i) {
  separator();
  out_ += std::to_string(i);
  maybe_flush();
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
JsonWriter& JsonWriter::raw(std::string_view text) {
  out_ += text;
  maybe_flush();
  return *this;
}
JsonWriter& JsonWriter::floats(std::span<const float> v) {
  const std::size_t shape[1] = {v.size()};
  return floats(v, shape);
}
JsonWriter& JsonWriter::floats(std::span<const float> v, int rows, int cols) {
  const std::size_t shape[2] = {static_cast<std::size_t>(rows), static_cast<std::size_t>(cols)};
  return floats(v, shape);
}

JsonWriter& JsonWriter::floats(std::span<const float> v, std::span<const std::size_t> shape) {
  std::size_t count = 1;
  for (std::size_t d : shape) count *= d;
  if (count != v.size())
    throw Error("JsonWriter::floats: the shape has " + std::to_string(count) + " elements, the data " +
                std::to_string(v.size()));
  if (shape.empty()) return value(v[0]);
  separator();
  if (count == 0) {
    append_empty_nested(out_, shape);
    maybe_flush();
    return *this;
  }
  const NestedFloats array(v, shape, digits_);
  if (count < kSerialFloats) {
    const std::size_t at = out_.size();
    out_.resize(at + array.max_bytes(count));
    out_.resize(static_cast<std::size_t>(array.format(out_.data() + at, 0, count) - out_.data()));
    maybe_flush();
    return *this;
  }
  // Batches of chunks formatted in parallel into reused buffers, then written in order. Two chunks
  // per thread keep the threads busy while holding only a few MB.
  if (sink_) {
    write_to_sink(out_.data(), out_.size());
    out_.clear();
  }
  const std::size_t chunks = (count + kChunkFloats - 1) / kChunkFloats;
  const std::size_t batch = std::min<std::size_t>(chunks, 2 * static_cast<std::size_t>(std::max(1, num_threads())));
  if (scratch_.size() < batch) scratch_.resize(batch);
  std::vector<std::size_t> lengths(batch);
  for (std::size_t first = 0; first < chunks; first += batch) {
    const std::size_t n = std::min(batch, chunks - first);
    parallel_for(static_cast<int>(n), [&](int t) {
      const std::size_t c = first + static_cast<std::size_t>(t);
      const std::size_t begin = c * kChunkFloats, end = std::min(count, begin + kChunkFloats);
      std::string& buf = scratch_[static_cast<std::size_t>(t)];
      if (buf.size() < array.max_bytes(kChunkFloats)) buf.resize(array.max_bytes(kChunkFloats));
      const char* stop = array.format(buf.data(), begin, end);
      lengths[static_cast<std::size_t>(t)] = static_cast<std::size_t>(stop - buf.data());
    });
    for (std::size_t t = 0; t < n; ++t) {
      if (sink_) write_to_sink(scratch_[t].data(), lengths[t]);
      else out_.append(scratch_[t].data(), lengths[t]);
    }
  }
  return *this;
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

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
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
