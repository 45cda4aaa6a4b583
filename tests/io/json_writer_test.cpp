// JSON writer: valid JSON, float32 round trip with 9 significant digits, escaping.
#include "io/json_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

namespace attnlab {
namespace {

TEST(JsonWriter, NineDigitsRoundTripEveryFloat) {
  std::mt19937 rng(7);
  for (int i = 0; i < 100000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    if (!std::isfinite(f)) continue;
    const float back = std::strtof(format_float9(f).c_str(), nullptr);
    ASSERT_EQ(std::memcmp(&back, &f, 4), 0) << format_float9(f);
  }
}

TEST(JsonWriter, ProducesParseableNestedJson) {
  JsonWriter w;
  const std::vector<float> v = {0.1f, -2.5f, 3.0f, 4.0f};
  w.begin_object().key("a").floats(v, 2, 2).key("s").value("q\"\n\x01").key("n").null().end_object();
  const auto j = nlohmann::json::parse(w.str());
  EXPECT_EQ(j["a"][1][0].get<double>(), 3.0);
  EXPECT_EQ(j["s"].get<std::string>(), "q\"\n\x01");
  EXPECT_TRUE(j["n"].is_null());
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
