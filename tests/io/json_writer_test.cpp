// JSON writer: floats character for character as printf("%.Ng"), shortest round trip, valid nested
// JSON, streaming to a FILE* identical to the in-memory document, parallel chunks in order, escaping.
#include "attnlab/json_writer.h"

#include <gtest/gtest.h>

#include <bit>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "../support/fixtures.h"
#include "../support/temp_dir.h"
#include "attnlab/error.h"
#include "core/thread_pool.h"

namespace attnlab {
namespace {

std::string printf_g(float f, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(f));
  return buf;
}

// Every value the fast integer path and its fallbacks can meet, for one digit count.
void expect_printf_equivalence(int digits, int random_count) {
  std::vector<float> values = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 0.1f, 1e-4f, 9.99999e-5f, 1e-5f, 123456789.0f,
                               1e9f, 999999999.0f, FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX, FLT_TRUE_MIN,
                               -FLT_TRUE_MIN, std::nextafter(FLT_MIN, 0.0f), 3.0e-39f};
  // Ties: a few significant bits times a power of two is often exactly halfway at N digits.
  for (int e = -149; e <= 127; ++e)
    for (uint32_t m = 1; m < 64; m += 2) values.push_back(std::ldexp(static_cast<float>(m), e - 5));
  // Around every power of ten: where the exponent, the style (fixed/scientific) and rounding flip.
  for (int p = -45; p <= 38; ++p) {
    float f = static_cast<float>(std::pow(10.0, p));
    for (int i = 0; i < 8; ++i) f = std::nextafter(f, 0.0f);
    for (int i = 0; i < 16; ++i, f = std::nextafter(f, FLT_MAX)) values.push_back(f);
  }
  // Just below 10^k * (1 - 0.5e-N): rounds up into the next decade.
  for (int p = -40; p <= 38; ++p) {
    const float f = static_cast<float>(std::pow(10.0, p) * (1 - 0.5 * std::pow(10.0, -digits)));
    float g = f;
    for (int i = 0; i < 4; ++i) g = std::nextafter(g, 0.0f);
    for (int i = 0; i < 8; ++i, g = std::nextafter(g, FLT_MAX)) values.push_back(g);
  }
  std::mt19937 rng(static_cast<unsigned>(digits));
  for (int i = 0; i < random_count; ++i) values.push_back(std::bit_cast<float>(static_cast<uint32_t>(rng())));
  // Attention probabilities: softmax outputs, many tiny.
  std::uniform_real_distribution<float> logit(-60.0f, 0.0f);
  for (int i = 0; i < random_count; ++i) values.push_back(std::exp(logit(rng)));
  for (float f : values) {
    if (!std::isfinite(f)) continue;
    ASSERT_EQ(format_float(f, digits), printf_g(f, digits))
        << "digits " << digits << ", bits 0x" << std::hex << std::bit_cast<uint32_t>(f);
  }
}

TEST(JsonWriter, NineDigitsAreExactlyPrintfG9) { expect_printf_equivalence(9, 300000); }

TEST(JsonWriter, FewerDigitsAreExactlyPrintfG) {
  for (int digits = 1; digits <= 8; ++digits) expect_printf_equivalence(digits, 30000);
}

TEST(JsonWriter, NineDigitsRoundTripEveryFloat) {
  std::mt19937 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    if (!std::isfinite(f)) continue;
    const float back = std::strtof(format_float(f).c_str(), nullptr);
    ASSERT_EQ(std::bit_cast<uint32_t>(back), std::bit_cast<uint32_t>(f)) << format_float(f);
  }
}

TEST(JsonWriter, ShortestRoundTripsAndIsNoLongerThanNineDigits) {
  std::mt19937 rng(11);
  for (int i = 0; i < 100000; ++i) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    if (!std::isfinite(f)) continue;
    const std::string s = format_float(f, /*digits=*/0);
    ASSERT_EQ(std::bit_cast<uint32_t>(std::strtof(s.c_str(), nullptr)), std::bit_cast<uint32_t>(f)) << s;
    ASSERT_LE(s.size(), format_float(f, 9).size()) << s;
    ASSERT_TRUE(nlohmann::json::accept(s)) << s;
  }
  EXPECT_EQ(format_float(0.1f, 0), "0.1");
  EXPECT_EQ(format_float(0.1f, 9), "0.100000001");
}

TEST(JsonWriter, NonFiniteIsNullAndDigitsAreChecked) {
  for (int digits = 0; digits <= 9; ++digits) {
    EXPECT_EQ(format_float(std::numeric_limits<float>::quiet_NaN(), digits), "null");
    EXPECT_EQ(format_float(-std::numeric_limits<float>::infinity(), digits), "null");
  }
  try {
    JsonWriter w(JsonOptions{10});
    FAIL() << "digits 10 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
  EXPECT_THROW(format_float(1.0f, -1), Error);
}

TEST(JsonWriter, ProducesParseableNestedJson) {
  JsonWriter w;
  const std::vector<float> v = {0.1f, -2.5f, 3.0f, 4.0f};
  w.begin_object().key("a").floats(v, 2, 2).key("s").value("q\"\n\x01").key("n").null().end_object().raw("\n");
  EXPECT_EQ(w.str(), "{\"a\": [[0.100000001, -2.5], [3, 4]], \"s\": \"q\\\"\\n\\u0001\", \"n\": null}\n");
  const auto j = nlohmann::json::parse(w.str());
  EXPECT_EQ(j["a"][1][0].get<double>(), 3.0);
  EXPECT_EQ(j["s"].get<std::string>(), "q\"\n\x01");
  EXPECT_TRUE(j["n"].is_null());
}

TEST(JsonWriter, ShapesOfAnyRankIncludingEmpty) {
  const std::vector<float> v = {1, 2, 3, 4, 5, 6};
  const auto text = [&](std::span<const float> data, std::initializer_list<std::size_t> shape) {
    JsonWriter w;
    w.floats(data, shape);
    return w.str();
  };
  EXPECT_EQ(text(v, {6}), "[1, 2, 3, 4, 5, 6]");
  EXPECT_EQ(text(v, {2, 3}), "[[1, 2, 3], [4, 5, 6]]");
  EXPECT_EQ(text(v, {3, 1, 2}), "[[[1, 2]], [[3, 4]], [[5, 6]]]");
  EXPECT_EQ(text(v, {1, 2, 1, 3}), "[[[[1, 2, 3]], [[4, 5, 6]]]]");
  EXPECT_EQ(text(std::span<const float>(v).first(1), {}), "1");
  EXPECT_EQ(text({}, {0}), "[]");
  EXPECT_EQ(text({}, {2, 0}), "[[], []]");
  EXPECT_EQ(text({}, {2, 0, 3}), "[[], []]");
  EXPECT_THROW(text(v, {4, 2}), Error);
}

// A [layers, heads, seq, seq] block large enough for several parallel batches: one floats() call,
// the CLI's nested loop of per-head calls, and the streamed file are the same text.
TEST(JsonWriter, LargeArraysInParallelChunksStreamIdentically) {
  const std::size_t layers = 3, heads = 4, seq = 300;  // 1.08M floats: 17 chunks
  std::vector<float> v(layers * heads * seq * seq);
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> logit(-30.0f, 0.0f);
  for (float& x : v) x = std::exp(logit(rng));
  v[12345] = std::numeric_limits<float>::quiet_NaN();

  JsonWriter whole;
  whole.begin_object().key("attentions").floats(v, {layers, heads, seq, seq}).end_object();

  JsonWriter nested;
  nested.begin_object().key("attentions").begin_array();
  for (std::size_t l = 0; l < layers; ++l) {
    nested.begin_array();
    for (std::size_t h = 0; h < heads; ++h)
      nested.floats(std::span<const float>(v).subspan((l * heads + h) * seq * seq, seq * seq), static_cast<int>(seq),
                    static_cast<int>(seq));
    nested.end_array();
  }
  nested.end_array().end_object();
  ASSERT_EQ(whole.str(), nested.str());

  testing::TempDir dir;
  const std::string path = (dir / "out.json").string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  {
    JsonWriter streamed(f, path);
    streamed.begin_object().key("attentions").floats(v, {layers, heads, seq, seq}).end_object();
    EXPECT_LT(streamed.str().size(), 2u << 20) << "the streaming writer holds the document";
    streamed.flush();
  }
  std::fclose(f);
  ASSERT_EQ(testing::read_text(path), whole.str());

  const auto j = nlohmann::json::parse(whole.str());
  ASSERT_TRUE(j["attentions"][0][0][12345 / seq][12345 % seq].is_null());
  std::size_t i = 0;
  for (const auto& layer : j["attentions"])
    for (const auto& head : layer)
      for (const auto& row : head)
        for (const auto& x : row) {
          if (i != 12345) {
            ASSERT_EQ(static_cast<float>(x.get<double>()), v[i]) << "element " << i;
          }
          ++i;
        }
  EXPECT_EQ(i, v.size());
}

TEST(JsonWriter, WriteErrorNamesTheSink) {
  std::FILE* full = std::fopen("/dev/full", "wb");
  if (!full) GTEST_SKIP() << "no /dev/full";
  try {
    JsonWriter w(full, "standard output");
    std::vector<float> v(1 << 18, 0.25f);
    w.floats(v).flush();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitIo);
    EXPECT_NE(std::string(e.what()).find("cannot write to standard output"), std::string::npos) << e.what();
  }
  std::fclose(full);
}

// Not a check: prints ns/float of floats() on an attention-like block, for the README and the report.
TEST(JsonWriter, ReportsFormattingSpeed) {
  std::vector<float> v(1 << 22);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> logit(-20.0f, 0.0f);
  for (float& x : v) x = std::exp(logit(rng));
  for (int digits : {9, 0}) {
    timespec c0{}, c1{};  // one thread's CPU time: on a shared machine wall time measures the neighbours
    char buf[kMaxFloatChars];
    std::size_t bytes = 0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    for (float x : v) bytes += static_cast<std::size_t>(format_float(x, digits, buf) - buf);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    const double cpu_ns = (c1.tv_sec - c0.tv_sec) * 1e9 + static_cast<double>(c1.tv_nsec - c0.tv_nsec);
    std::printf("format_float, digits %d: %.1f ns/float of one thread's CPU time (%.1f bytes/float)\n", digits,
                cpu_ns / static_cast<double>(v.size()), static_cast<double>(bytes) / static_cast<double>(v.size()));
    std::FILE* null = std::fopen("/dev/null", "wb");
    ASSERT_NE(null, nullptr);
    JsonWriter w(null, "/dev/null", JsonOptions{digits});
    timespec p0{}, p1{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p0);
    const auto t0 = std::chrono::steady_clock::now();
    w.floats(v, {v.size() / 512, 512}).flush();
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &p1);
    const double all_cpu_ns = (p1.tv_sec - p0.tv_sec) * 1e9 + static_cast<double>(p1.tv_nsec - p0.tv_nsec);
    std::fclose(null);
    std::printf("floats(), digits %d: %.1f ns/float wall on %d threads, %.1f ns/float of CPU time in all\n", digits,
                ns / static_cast<double>(v.size()), num_threads(), all_cpu_ns / static_cast<double>(v.size()));
  }
}

// As Python's bytes.decode(errors="replace"), the tokenizer and the printed token lists: one U+FFFD
// per maximal invalid subsequence (the truncated sequence e2 82 is one).
TEST(JsonWriter, InvalidUtf8BecomesReplacementCharacter) {
  std::string out;
  append_json_string(out, std::string("a\xff" "b\xe2\x82", 5));
  EXPECT_EQ(out, "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\"");
  EXPECT_TRUE(nlohmann::json::accept(out));
}

}  // namespace
}  // namespace attnlab
