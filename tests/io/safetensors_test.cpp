// safetensors reader: valid files in every accepted dtype, and one test per way a file can lie.
#include "io/safetensors.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <cstring>

#include "../support/temp_dir.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {

using testing::TempDir;
using testing::write_file;

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

std::string file_with(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

// Expects SafetensorsFile(path) to throw an attnlab::Error whose message contains every fragment.
void expect_error(const std::string& bytes, std::initializer_list<const char*> fragments) {
  TempDir dir;
  const auto path = dir / "model.safetensors";
  write_file(path, bytes);
  try {
    SafetensorsFile f(path);
    ADD_FAILURE() << "no error for " << bytes.substr(0, 120);
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_EQ(e.exit_code(), kExitInput) << msg;
    for (const char* f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
  }
}

const std::string kTwoFloats(8, '\0');

TEST(Safetensors, ReadsF32F16Bf16) {
  TempDir dir;
  std::string data;
  const float f[2] = {1.5f, -2.25f};
  data.append(reinterpret_cast<const char*>(f), 8);
  const uint16_t h[2] = {0x3e00, 0xc080};   // f16 1.5, -2.25
  const uint16_t bf[2] = {0x3fc0, 0xc010};  // bf16 1.5, -2.25
  data.append(reinterpret_cast<const char*>(h), 4);
  data.append(reinterpret_cast<const char*>(bf), 4);
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"c":{"dtype":"BF16","shape":[1,2],"data_offsets":[12,16]}})";
  write_file(dir / "m.safetensors", file_with(header, data));
  SafetensorsFile file(dir / "m.safetensors");
  for (const char* name : {"a", "b", "c"}) {
    const TensorView* t = file.find(name);
    ASSERT_NE(t, nullptr) << name;
    float out[2];
    convert_to_f32(*t, file.path(), out);
    EXPECT_EQ(out[0], 1.5f) << name;
    EXPECT_EQ(out[1], -2.25f) << name;
  }
  EXPECT_EQ(file.find("zzz"), nullptr);
}

TEST(Safetensors, F16SpecialValues) {
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(f16_to_f32(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7c00)));
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)));
  EXPECT_EQ(f16_to_f32(0x8000), -0.0f);
}

TEST(Safetensors, EmptyFile) { expect_error("", {"0 bytes", "at least 8"}); }
TEST(Safetensors, SevenByteFile) { expect_error("1234567", {"7 bytes"}); }
TEST(Safetensors, HeaderLengthPastEnd) { expect_error(le64(1000) + "{}", {"past the end"}); }
TEST(Safetensors, HeaderLength2Pow62) { expect_error(le64(uint64_t{1} << 62) + "{}", {"exceeds the limit"}); }
TEST(Safetensors, TruncatedHeader) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  expect_error(le64(header.size()) + header.substr(0, 20), {"past the end"});
}
TEST(Safetensors, HeaderNotJson) { expect_error(file_with("not json at all", ""), {"not valid JSON"}); }
TEST(Safetensors, HeaderNumberOverflows) {
  // Found by fuzz_safetensors: nlohmann throws out_of_range, not parse_error, for 1e400.
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[1e400],"data_offsets":[0,8]}})", kTwoFloats), {"not valid JSON", "1e400"});
}
TEST(Safetensors, HeaderNotObject) { expect_error(file_with("[1,2]", ""), {"not a JSON object"}); }
TEST(Safetensors, TruncatedData) {
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", kTwoFloats),
               {"'a'", "past the data section", "truncated"});
}
TEST(Safetensors, OffsetsOutOfRange) {
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", kTwoFloats), {"'a'", "past the data"});
}
TEST(Safetensors, OffsetsReversed) {
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", kTwoFloats), {"end before"});
}
TEST(Safetensors, OverlappingOffsets) {
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", kTwoFloats),
               {"overlaps"});
}
TEST(Safetensors, GapBetweenTensors) {
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", kTwoFloats), {"gap before tensor 'a'"});
}
TEST(Safetensors, UncoveredTrailingData) {
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", kTwoFloats), {"cover 4"});
}
TEST(Safetensors, UnknownDtype) {
  expect_error(file_with(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", kTwoFloats), {"unknown dtype 'F33'"});
}
TEST(Safetensors, ShapeByteMismatch) {
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", kTwoFloats), {"needs 12 bytes", "give 8"});
}
TEST(Safetensors, NegativeShape) {
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kTwoFloats), {"negative dimension"});
}
TEST(Safetensors, OverflowingShape) {
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", kTwoFloats),
               {"overflows"});
}
TEST(Safetensors, ShapeWhoseByteSizeWraps) {
  // 2^62 elements x 8 bytes wraps to 0 in 64 bits; it must not pass as an empty tensor.
  expect_error(file_with(R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", ""),
               {"needs more than 2^64 bytes"});
}
TEST(Safetensors, EmptyTensorConvertsToNothing) {
  // Found by fuzz_safetensors: converting a 0-element F32 tensor into an empty buffer was memcpy(nullptr, ., 0).
  TempDir dir;
  write_file(dir / "m.safetensors", file_with(R"({"a":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0]}})", ""));
  SafetensorsFile file(dir / "m.safetensors");
  std::vector<float> out;
  convert_to_f32(*file.find("a"), file.path(), out.data());
  EXPECT_EQ(file.find("a")->numel(), 0);
}
TEST(Safetensors, FifoDoesNotHang) {
  TempDir dir;
  const auto path = dir / "model.safetensors";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  try {
    SafetensorsFile f(path);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), kExitIo);
  }
}
TEST(Safetensors, MissingFields) {
  expect_error(file_with(R"({"a":{"shape":[2],"data_offsets":[0,8]}})", kTwoFloats), {"'dtype'"});
  expect_error(file_with(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", kTwoFloats), {"'shape'"});
  expect_error(file_with(R"({"a":{"dtype":"F32","shape":[2]}})", kTwoFloats), {"data_offsets"});
}
TEST(Safetensors, MissingFile) {
  try {
    SafetensorsFile f("/nonexistent/model.safetensors");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.safetensors: cannot open"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnlab
