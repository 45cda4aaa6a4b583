// Array files: .npz and .safetensors read back by numpy (tests/python/array_files.py, the authority),
// ZIP64 forced on a small file, the safetensors through attnlab's own reader, CRC-32, and the
// temporary-file and error behaviour.
#include "attnlab/array_file.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <sys/resource.h>

#include <bit>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "attnlab/error.h"
#include "core/cpu.h"
#include "io/array_writers.h"
#include "io/safetensors.h"
#include "../support/fixtures.h"
#include "../support/subprocess.h"
#include "../support/temp_dir.h"

namespace attnlab {
namespace {
namespace fs = std::filesystem;

struct Arrays {
  std::vector<float> attentions, scalar{-0.0f}, empty;
  std::vector<std::int32_t> small_ints{-7, 0, 2147483647};
  std::vector<std::int64_t> ids{101, 1996, 4937, -9223372036854775807LL - 1, 102};
  Arrays() : attentions(2 * 3 * 5 * 5) {
    std::mt19937 rng(1);
    for (float& x : attentions) x = std::bit_cast<float>(static_cast<std::uint32_t>(rng()) & 0xBFFFFFFFu);  // finite
  }
};

template <typename Writer>
void add_all(Writer& w, const Arrays& a) {
  w.add("attentions", a.attentions, {2, 3, 5, 5});
  w.add("small_ints", a.small_ints, {3});
  w.add("input_ids", a.ids, {1, 5});
  w.add("scalar", a.scalar, {});
  w.add("empty", a.empty, {0, 4});
}

// The file as numpy reads it: {name: {dtype, shape, values}}.
nlohmann::json read_with_numpy(const fs::path& file) {
  const std::string python = std::string(ATTNLAB_SOURCE_DIR) + "/tests/python/";
  const testing::ProcessResult r =
      testing::run_process({python + "with_numpy.sh", python + "array_files.py", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

template <typename T>
void expect_array(const nlohmann::json& arrays, const std::string& name, const char* dtype,
                  const std::vector<std::int64_t>& shape, const std::vector<T>& values) {
  SCOPED_TRACE(name);
  ASSERT_TRUE(arrays.contains(name));
  const auto& a = arrays[name];
  EXPECT_EQ(a["dtype"].get<std::string>(), dtype);
  EXPECT_EQ(a["shape"].get<std::vector<std::int64_t>>(), shape);
  ASSERT_EQ(a["values"].size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_same_v<T, float>) {
      const float got = static_cast<float>(a["values"][i].get<double>());
      ASSERT_EQ(std::bit_cast<std::uint32_t>(got), std::bit_cast<std::uint32_t>(values[i])) << "element " << i;
    } else {
      ASSERT_EQ(a["values"][i].get<std::int64_t>(), values[i]) << "element " << i;
    }
  }
}

void expect_all(const nlohmann::json& arrays, const Arrays& a) {
  EXPECT_EQ(arrays.size(), 5u);
  expect_array(arrays, "attentions", "<f4", {2, 3, 5, 5}, a.attentions);
  expect_array(arrays, "small_ints", "<i4", {3}, a.small_ints);
  expect_array(arrays, "input_ids", "<i8", {1, 5}, a.ids);
  expect_array(arrays, "scalar", "<f4", {}, a.scalar);
  expect_array(arrays, "empty", "<f4", {0, 4}, a.empty);
}

bool only_file_in(const fs::path& dir, const fs::path& file) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path() == file ? 1 : 100;
  return n == 1;
}

TEST(ArrayFile, NpzReadByNumpy) {
  testing::TempDir dir;
  const Arrays a;
  ArrayFileWriter w(dir / "out.npz");
  add_all(w, a);
  EXPECT_FALSE(fs::exists(dir / "out.npz")) << "written in place before commit";
  w.commit();
  EXPECT_TRUE(only_file_in(dir.path(), dir / "out.npz"));
  expect_all(read_with_numpy(dir / "out.npz"), a);
}

// An array streamed in uneven pieces gives the bytes add() gives (numpy's zipfile checks the CRC
// patched into the member's header); misuse is a clear error.
TEST(ArrayFile, NpzStreamedArrayEqualsAddedOne) {
  testing::TempDir dir;
  const Arrays a;
  {
    ArrayFileWriter w(dir / "streamed.npz");
    w.begin_floats("attentions", {2, 3, 5, 5});
    const std::span<const float> all(a.attentions);
    for (std::size_t i = 0, step = 1; i < all.size(); i += step, step = step * 2 + 1)
      w.append(all.subspan(i, std::min(step, all.size() - i)));
    w.end_array();
    w.add("small_ints", a.small_ints, {3});
    w.add("input_ids", a.ids, {1, 5});
    w.add("scalar", a.scalar, {});
    w.add("empty", a.empty, {0, 4});
    w.commit();
  }
  {
    ArrayFileWriter w(dir / "added.npz");
    add_all(w, a);
    w.commit();
  }
  EXPECT_EQ(testing::read_text((dir / "streamed.npz").string()), testing::read_text((dir / "added.npz").string()));
  expect_all(read_with_numpy(dir / "streamed.npz"), a);

  ArrayFileWriter short_stream(dir / "short.npz");
  short_stream.begin_floats("attentions", {2, 3, 5, 5});
  short_stream.append(std::span<const float>(a.attentions).first(10));
  EXPECT_THROW(short_stream.add("small_ints", a.small_ints, {3}), Error);  // another array mid-stream
  EXPECT_THROW(short_stream.commit(), Error);
  EXPECT_THROW(short_stream.end_array(), Error);  // 140 elements short
  ArrayFileWriter long_stream(dir / "long.npz");
  long_stream.begin_floats("x", {2});
  EXPECT_THROW(long_stream.append(std::span<const float>(a.attentions).first(3)), Error);
  ArrayFileWriter st(dir / "x.safetensors");
  EXPECT_THROW(st.begin_floats("attentions", {2}), Error);
  EXPECT_THROW(st.append(std::span<const float>(a.attentions).first(2)), Error);
}

// Members, offsets and the directory past 4 GiB take ZIP64 records; forced here on a small file.
TEST(ArrayFile, NpzWithZip64RecordsReadByNumpy) {
  testing::TempDir dir;
  const Arrays a;
  {
    OutputFile file(dir / "zip64.npz");
    auto npz = make_npz_writer(file, /*zip64_threshold=*/0);
    for (const auto& [name, bytes, shape, dtype] :
         {std::tuple{"attentions", std::as_bytes(std::span(a.attentions)), std::vector<std::int64_t>{2, 3, 5, 5},
                     ArrayDType::kF32},
          std::tuple{"small_ints", std::as_bytes(std::span(a.small_ints)), std::vector<std::int64_t>{3},
                     ArrayDType::kI32},
          std::tuple{"input_ids", std::as_bytes(std::span(a.ids)), std::vector<std::int64_t>{1, 5}, ArrayDType::kI64},
          std::tuple{"scalar", std::as_bytes(std::span(a.scalar)), std::vector<std::int64_t>{}, ArrayDType::kF32},
          std::tuple{"empty", std::as_bytes(std::span(a.empty)), std::vector<std::int64_t>{0, 4}, ArrayDType::kF32}})
      npz->add(ArrayEntry{name, dtype, shape,
                          {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}});
    npz->finish();
    file.commit();
  }
  expect_all(read_with_numpy(dir / "zip64.npz"), a);
}

TEST(ArrayFile, SafetensorsReadByNumpyAndByAttnlab) {
  testing::TempDir dir;
  const Arrays a;
  ArrayFileWriter w(dir / "out.safetensors");
  add_all(w, a);
  w.commit();
  expect_all(read_with_numpy(dir / "out.safetensors"), a);

  const SafetensorsFile f(dir / "out.safetensors");
  const TensorView* t = f.find("attentions");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->dtype, DType::kF32);
  EXPECT_EQ(t->shape, (std::vector<std::int64_t>{2, 3, 5, 5}));
  ASSERT_EQ(t->nbytes, a.attentions.size() * 4);
  EXPECT_EQ(std::memcmp(t->data, a.attentions.data(), t->nbytes), 0);
  ASSERT_NE(f.find("input_ids"), nullptr);
  EXPECT_EQ(f.find("input_ids")->dtype, DType::kI64);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(f.find("input_ids")->data) % 8, 0u) << "8-byte dtypes first, aligned";
}

TEST(ArrayFile, FormatFromExtension) {
  EXPECT_EQ(array_file_format("a/b.npz"), ArrayFileFormat::kNpz);
  EXPECT_EQ(array_file_format("b.safetensors"), ArrayFileFormat::kSafetensors);
  for (const char* bad : {"out.npy", "out", "out.json", "out.NPZ"}) {
    try {
      (void)array_file_format(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      const std::string m = e.what();
      EXPECT_NE(m.find(bad), std::string::npos) << m;
      EXPECT_NE(m.find(".npz"), std::string::npos) << m;
      EXPECT_NE(m.find(".safetensors"), std::string::npos) << m;
    }
  }
}

TEST(ArrayFile, UncommittedOrFailedLeavesNothingBehind) {
  testing::TempDir dir;
  const Arrays a;
  {
    ArrayFileWriter w(dir / "out.npz");
    add_all(w, a);
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));

  // An old file at the target survives an unfinished write.
  testing::write_file(dir / "keep.safetensors", "old");
  {
    ArrayFileWriter w(dir / "keep.safetensors");
    w.add("x", a.scalar, {});
    EXPECT_THROW(w.add("x", a.scalar, {}), Error);       // twice
    EXPECT_THROW(w.add("y", a.attentions, {2, 3}), Error);  // shape
    EXPECT_THROW(w.add("a/b", a.scalar, {}), Error);
  }
  EXPECT_TRUE(only_file_in(dir.path(), dir / "keep.safetensors"));

  try {
    ArrayFileWriter w(dir / "missing" / "out.npz");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitIo);
    EXPECT_NE(std::string(e.what()).find((dir / "missing" / "out.npz").string()), std::string::npos) << e.what();
  }
  try {
    ArrayFileWriter w(dir.path() / ".." / dir.path().filename(), ArrayFileFormat::kNpz);  // a directory
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitIo);
  }
}

// A write that fails part-way (here: past a file size limit, EFBIG) is kExitIo naming the target,
// and the temporary file goes.
TEST(ArrayFile, WriteErrorIsAnIoErrorAndLeavesNothing) {
  testing::TempDir dir;
  const std::vector<float> big(1 << 16, 0.5f);
  rlimit old{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = old;
  small.rlim_cur = 100000;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  for (const char* name : {"big.npz", "big.safetensors"}) {
    try {
      ArrayFileWriter w(dir / name);
      w.add("big", big, {1 << 16});
      w.commit();
      ADD_FAILURE() << name << ": no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitIo);
      EXPECT_NE(std::string(e.what()).find((dir / name).string()), std::string::npos) << e.what();
    }
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ArrayFile, Crc32MatchesTheStandardAndSplitsAnywhere) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32({reinterpret_cast<const std::uint8_t*>(check.data()), check.size()}), 0xCBF43926u);
  std::vector<std::uint8_t> data((std::size_t{9} << 20) + 3);  // parallel path
  std::mt19937 rng(2);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  const std::span<const std::uint8_t> all(data);
  const std::uint32_t whole = crc32(all);
  std::uint32_t serial = 0;  // 1 MB pieces, each below the parallel threshold
  for (std::size_t i = 0; i < data.size(); i += 1 << 20)
    serial = crc32(all.subspan(i, std::min<std::size_t>(1 << 20, data.size() - i)), serial);
  EXPECT_EQ(whole, serial);
  EXPECT_EQ(crc32(all.subspan(5), crc32(all.first(5))), whole);
}

// The PCLMULQDQ folding (where this CPU has it) against zlib's crc32 and the portable tables, at
// every length from 0 to 300 and some large ones, at every alignment, continuing from a running CRC.
TEST(ArrayFile, Crc32FoldingEqualsZlibAndThePortableTables) {
  std::vector<std::uint8_t> data((std::size_t{1} << 20) + 77);
  std::mt19937 rng(7);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 300; ++n) lengths.push_back(n);
  for (std::size_t n : {1023u, 1024u, 4099u, 65536u, 1048576u}) lengths.push_back(n);
  for (const std::size_t n : lengths)
    for (std::size_t align = 0; align < 16 && align + n <= data.size(); align += (n < 300 ? 1 : 5)) {
      const std::span<const std::uint8_t> s(data.data() + align, n);
      const std::uint32_t start = static_cast<std::uint32_t>(rng());
      const auto want = static_cast<std::uint32_t>(::crc32(start, s.data(), static_cast<uInt>(n)));
      ASSERT_EQ(crc32_one_thread(s, start), want) << "length " << n << " offset " << align;
      ASSERT_EQ(crc32_portable(s, start), want) << "length " << n << " offset " << align;
    }
  std::printf("[ crc32 ] PCLMULQDQ folding %s on this CPU\n", cpu_has_clmul() ? "used" : "not available");
}

}  // namespace
}  // namespace attnlab
