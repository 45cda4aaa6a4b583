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


// ---- declare() / write(): the whole file laid out first, data in any order and pieces.

// The file as numpy reads it through tests/python/array_files.py (which checks the safetensors layout:
// contiguous, aligned, nothing after the last tensor), F16 added to its dtypes, and each array's raw
// bits: {name: {dtype, shape, crc (zlib.crc32 of its bytes), bits (floats as their uint bits; left out
// past 100000 elements)}}; for .npz also "__testzip__", zipfile's testzip() (null when every
// member's CRC-32 is right).
nlohmann::json read_bits_with_numpy(const fs::path& file) {
  const std::string python = std::string(ATTNLAB_SOURCE_DIR) + "/tests/python/";
  const std::string script = R"(
import json, sys, zipfile, zlib
import numpy as np
sys.path.insert(0, sys.argv[1])
import array_files
array_files.SAFETENSORS_DTYPES.setdefault("F16", "<f2")
path = sys.argv[2]
out = {}
if path.endswith(".npz"):
    with zipfile.ZipFile(path) as z:
        out["__testzip__"] = z.testzip()
for name, a in array_files.load(path).items():
    a = np.ascontiguousarray(a)
    raw = a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize]) if a.dtype.kind == "f" else a
    out[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "crc": zlib.crc32(a.tobytes())}
    if a.size <= 100000:
        out[name]["bits"] = raw.ravel().tolist()
json.dump(out, sys.stdout)
)";
  const testing::ProcessResult r =
      testing::run_process({python + "with_numpy.sh", "-c", script, python, file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
}

template <typename T>
std::uint32_t zlib_crc(const std::vector<T>& v) {
  return static_cast<std::uint32_t>(
      ::crc32(0, reinterpret_cast<const Bytef*>(v.data()), static_cast<uInt>(v.size() * sizeof(T))));
}

// One array of read_bits_with_numpy's answer: dtype, shape and every element's bits.
template <typename T>
void expect_bits(const nlohmann::json& arrays, const std::string& name, const char* dtype,
                 const std::vector<std::int64_t>& shape, const std::vector<T>& values) {
  SCOPED_TRACE(name);
  ASSERT_TRUE(arrays.contains(name)) << arrays.dump().substr(0, 300);
  const auto& a = arrays[name];
  EXPECT_EQ(a["dtype"].get<std::string>(), dtype);
  EXPECT_EQ(a["shape"].get<std::vector<std::int64_t>>(), shape);
  EXPECT_EQ(a["crc"].get<std::uint32_t>(), zlib_crc(values));
  if (!a.contains("bits")) return;
  ASSERT_EQ(a["bits"].size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_same_v<T, float>) {
      ASSERT_EQ(a["bits"][i].get<std::uint32_t>(), std::bit_cast<std::uint32_t>(values[i])) << "element " << i;
    } else if constexpr (std::is_same_v<T, std::uint16_t>) {
      ASSERT_EQ(a["bits"][i].get<std::uint16_t>(), values[i]) << "element " << i;
    } else {
      ASSERT_EQ(a["bits"][i].get<std::int64_t>(), std::int64_t{values[i]}) << "element " << i;
    }
  }
}

// What the declared tests write: float32 [2,3,4,5], float16 [3,7] (bit patterns: zeros, the
// subnormal and normal ends, inf, NaNs, random), int64 [4], int32 [2].
struct Declared {
  std::vector<float> x;
  std::vector<std::uint16_t> h{0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0xfbff, 0x7c00, 0xfc00,
                               0x7e00, 0xfe01, 0x7c01, 0x3555};
  std::vector<std::int64_t> ids{101, -1, 9223372036854775807LL, -9223372036854775807LL - 1};
  std::vector<std::int32_t> small{-2147483647 - 1, 2147483647};
  Declared() : x(2 * 3 * 4 * 5) {
    std::mt19937 rng(3);
    for (float& v : x) v = std::bit_cast<float>(static_cast<std::uint32_t>(rng()) & 0xBFFFFFFFu);  // finite
    while (h.size() < 21) h.push_back(static_cast<std::uint16_t>(rng() & 0x7bff));
  }
  static std::vector<ArraySpec> specs() {
    return {{"x", ArrayDType::kF32, {2, 3, 4, 5}}, {"h", ArrayDType::kF16, {3, 7}},
            {"ids", ArrayDType::kI64, {4}}, {"small", ArrayDType::kI32, {2}}};
  }
};

// Every piece of the declared arrays, in a scrambled order: x's 24 rows of 5 shuffled, some rows
// element by element backwards, some in two pieces the second first; empty pieces; h in two pieces,
// the second first; ids and small by add(). `write` is (name, element offset, span) for each type.
template <typename Write, typename Add>
void write_declared(const Declared& d, Write&& write, Add&& add) {
  const std::span<const float> x(d.x);
  const std::span<const std::uint16_t> h(d.h);
  std::vector<int> rows(24);
  for (int i = 0; i < 24; ++i) rows[static_cast<std::size_t>(i)] = i;
  std::shuffle(rows.begin(), rows.end(), std::mt19937(5));
  write("x", 60, x.subspan(60, 0));  // empty, in the middle
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const std::size_t at = static_cast<std::size_t>(rows[k]) * 5;
    if (k == 3) write("h", 10, h.subspan(10));
    if (k == 7) add("ids", std::span<const std::int64_t>(d.ids), std::vector<std::int64_t>{4});
    if (k == 11) write("h", 0, h.first(10));
    if (k == 13) add("small", std::span<const std::int32_t>(d.small), std::vector<std::int64_t>{2});
    if (k % 3 == 0) {
      for (std::size_t i = 5; i-- > 0;) write("x", at + i, x.subspan(at + i, 1));
    } else if (k % 3 == 1) {
      write("x", at + 2, x.subspan(at + 2, 3));
      write("x", at, x.subspan(at, 2));
    } else {
      write("x", at, x.subspan(at, 5));
    }
  }
  write("x", 120, x.subspan(120, 0));  // empty, at the very end
}

void expect_declared(const nlohmann::json& arrays, const Declared& d) {
  expect_bits(arrays, "x", "<f4", {2, 3, 4, 5}, d.x);
  expect_bits(arrays, "h", "<f2", {3, 7}, d.h);
  expect_bits(arrays, "ids", "<i8", {4}, d.ids);
  expect_bits(arrays, "small", "<i4", {2}, d.small);
}

void write_declared_file(const fs::path& path, const Declared& d) {
  ArrayFileWriter w(path);
  w.declare(Declared::specs());
  write_declared(
      d, [&](const char* name, std::size_t at, auto piece) { w.write(name, at, piece); },
      [&](const char* name, auto data, const std::vector<std::int64_t>& shape) { w.add(name, data, shape); });
  EXPECT_FALSE(fs::exists(path)) << "written in place before commit";
  w.commit();
}

TEST(ArrayFile, DeclaredNpzWrittenInPiecesReadByNumpy) {
  testing::TempDir dir;
  const Declared d;
  write_declared_file(dir / "out.npz", d);
  EXPECT_TRUE(only_file_in(dir.path(), dir / "out.npz"));
  const nlohmann::json arrays = read_bits_with_numpy(dir / "out.npz");
  EXPECT_TRUE(arrays["__testzip__"].is_null()) << "a member's CRC is wrong: " << arrays["__testzip__"];
  EXPECT_EQ(arrays.size(), 5u);
  expect_declared(arrays, d);
}

TEST(ArrayFile, DeclaredSafetensorsWrittenInPiecesReadByNumpyAndByAttnlab) {
  testing::TempDir dir;
  const Declared d;
  write_declared_file(dir / "out.safetensors", d);
  EXPECT_TRUE(only_file_in(dir.path(), dir / "out.safetensors"));
  const nlohmann::json arrays = read_bits_with_numpy(dir / "out.safetensors");
  EXPECT_EQ(arrays.size(), 4u);
  expect_declared(arrays, d);

  const SafetensorsFile f(dir / "out.safetensors");
  EXPECT_EQ(f.tensors().size(), 4u);
  for (const auto& [name, dtype, shape, bytes] :
       {std::tuple{"x", DType::kF32, std::vector<std::int64_t>{2, 3, 4, 5}, std::as_bytes(std::span(d.x))},
        std::tuple{"h", DType::kF16, std::vector<std::int64_t>{3, 7}, std::as_bytes(std::span(d.h))},
        std::tuple{"ids", DType::kI64, std::vector<std::int64_t>{4}, std::as_bytes(std::span(d.ids))},
        std::tuple{"small", DType::kI32, std::vector<std::int64_t>{2}, std::as_bytes(std::span(d.small))}}) {
    SCOPED_TRACE(name);
    const TensorView* t = f.find(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->dtype, dtype);
    EXPECT_EQ(t->shape, shape);
    ASSERT_EQ(t->nbytes, bytes.size());
    EXPECT_EQ(std::memcmp(t->data, bytes.data(), t->nbytes), 0);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t->data) % dtype_size(dtype), 0u) << "aligned to its element size";
  }
}

// Laid out by declare() and filled in any order, a file is byte for byte the one add() writes.
TEST(ArrayFile, DeclaredFileEqualsTheAddedOne) {
  testing::TempDir dir;
  const Declared d;
  for (const char* ext : {".npz", ".safetensors"}) {
    SCOPED_TRACE(ext);
    {
      ArrayFileWriter w(dir / (std::string("added") + ext));
      w.add("x", d.x, {2, 3, 4, 5});
      w.add("ids", d.ids, {4});
      w.add("small", d.small, {2});
      w.commit();
    }
    {
      ArrayFileWriter w(dir / (std::string("declared") + ext));
      w.declare({{"x", ArrayDType::kF32, {2, 3, 4, 5}}, {"ids", ArrayDType::kI64, {4}},
                 {"small", ArrayDType::kI32, {2}}});
      w.add("small", d.small, {2});
      for (std::size_t from = d.x.size(); from > 0; from -= 8)  // 8 at a time, the last first
        w.write("x", from - 8, std::span<const float>(d.x).subspan(from - 8, 8));
      w.write("ids", 2, std::span<const std::int64_t>(d.ids).subspan(2));
      w.write("ids", 0, std::span<const std::int64_t>(d.ids).first(2));
      w.commit();
    }
    EXPECT_EQ(testing::read_text((dir / (std::string("declared") + ext)).string()),
              testing::read_text((dir / (std::string("added") + ext)).string()));
  }
}

// The npz writer declared with ZIP64 records forced (threshold 0) on a small file: numpy still reads
// it, CRCs and all.
TEST(ArrayFile, DeclaredNpzWithZip64RecordsReadByNumpy) {
  testing::TempDir dir;
  const Declared d;
  {
    OutputFile file(dir / "zip64.npz");
    auto npz = make_npz_writer(file, /*zip64_threshold=*/0);
    std::vector<ArrayEntry> entries;
    for (const ArraySpec& s : Declared::specs()) entries.push_back(ArrayEntry{s.name, s.dtype, s.shape, {}});
    const std::vector<std::uint64_t> at = npz->declare(entries);
    ASSERT_EQ(at.size(), 4u);
    const auto put = [&](std::size_t i, std::uint64_t element_bytes, std::uint64_t element, auto piece) {
      file.write_at(at[i] + element * element_bytes, piece.data(), piece.size_bytes());
    };
    write_declared(
        d,
        [&](const char* name, std::size_t element, auto piece) {
          if (std::string(name) == "x") put(0, 4, element, piece);
          if (std::string(name) == "h") put(1, 2, element, piece);
        },
        [&](const char* name, auto data, const std::vector<std::int64_t>&) {
          put(std::string(name) == "ids" ? 2 : 3, 0, 0, data);
        });
    npz->finish();
    file.commit();
  }
  const nlohmann::json arrays = read_bits_with_numpy(dir / "zip64.npz");
  EXPECT_TRUE(arrays["__testzip__"].is_null()) << "a member's CRC is wrong: " << arrays["__testzip__"];
  expect_declared(arrays, d);
}

// Misuse of declare()/write()/add() is attnlab::Error naming the file and the array; a file with
// bytes missing is not committed and leaves nothing behind.
TEST(ArrayFile, DeclaredMisuseIsAnErrorNamingFileAndArray) {
  testing::TempDir dir;
  const Declared d;
  const auto expect_error = [](const auto& f, const fs::path& file, const std::string& array, const char* what) {
    try {
      f();
      ADD_FAILURE() << what << ": no error";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(file.string()), std::string::npos) << what << ": " << m;
      if (!array.empty()) {
        EXPECT_NE(m.find("'" + array + "'"), std::string::npos) << what << ": " << m;
      }
    }
  };
  for (const char* name : {"bad.npz", "bad.safetensors"}) {
    SCOPED_TRACE(name);
    const fs::path path = dir / name;
    {
      ArrayFileWriter w(path);
      w.declare(Declared::specs());
      const std::span<const float> x(d.x);
      expect_error([&] { w.write("nope", 0, x.first(1)); }, path, "nope", "undeclared name");
      expect_error([&] { w.add("nope", d.x, {120}); }, path, "nope", "add() of an undeclared name");
      expect_error([&] { w.write("h", 0, std::span<const std::int64_t>(d.ids).first(1)); }, path, "h",
                   "int64 data to an F16 array");
      expect_error([&] { w.write("x", 0, std::span<const std::int64_t>(d.ids).first(1)); }, path, "x",
                   "int64 data to an F32 array");
      expect_error([&] { w.add("small", d.x, {120}); }, path, "small", "add() of float32 data to an I32 array");
      expect_error([&] { w.write("x", 0, std::span<const std::uint16_t>(d.h).first(2)); }, path, "x",
                   "float16 data to an F32 array");
      expect_error([&] { w.write("ids", 0, x.first(1)); }, path, "ids", "float32 data to an I64 array");
      expect_error([&] { w.write("x", 118, x.first(3)); }, path, "x", "past the end");
      expect_error([&] { w.write("x", 121, x.first(0)); }, path, "x", "empty, but past the end");
      expect_error([&] { w.write("h", 21, std::span<const std::uint16_t>(d.h).first(1)); }, path, "h",
                   "one past the end");
      expect_error([&] { w.write("h", 20, x.first(2)); }, path, "h", "float32 rounded to F16, past the end");
      // An offset whose byte offset wraps around 2^64 (2^62 float32 elements = 2^64 bytes) is past the
      // end too, not element 0.
      expect_error([&] { w.write("x", std::uint64_t{1} << 62, x.first(1)); }, path, "x", "offset wrapping around");
      expect_error([&] { w.add("ids", std::vector<std::int64_t>(5, 1), {5}); }, path, "ids",
                   "add() of more elements than declared");
      expect_error([&] { w.declare(Declared::specs()); }, path, "", "declare() twice");
      w.write("x", 0, x.first(119));  // one element short
      w.write("h", 0, std::span<const std::uint16_t>(d.h));
      w.add("ids", d.ids, {4});
      w.add("small", d.small, {2});
      expect_error([&] { w.commit(); }, path, "x", "commit with bytes missing");
      EXPECT_FALSE(fs::exists(path)) << "committed with bytes missing";
    }
    EXPECT_TRUE(fs::is_empty(dir.path())) << "the temporary file was left behind";

    {
      ArrayFileWriter w(path);
      w.add("ids", d.ids, {4});
      expect_error([&] { w.declare(Declared::specs()); }, path, "", "declare() after add()");
    }
    {
      ArrayFileWriter w(path);
      expect_error([&] { w.declare({{"a", ArrayDType::kF32, {2}}, {"a", ArrayDType::kF32, {2}}}); }, path, "a",
                   "a name declared twice");
    }
    {
      ArrayFileWriter w(path);
      expect_error([&] { w.declare({{"a", ArrayDType::kF32, {2, -1}}}); }, path, "a", "a negative dimension");
    }
    {
      ArrayFileWriter w(path);
      w.declare({{"a", ArrayDType::kF32, {2}}});
      w.write("a", 0, std::span<const float>(d.x).first(2));
      w.commit();
      expect_error([&] { w.write("a", 0, std::span<const float>(d.x).first(2)); }, path, "a", "write after commit");
    }
    fs::remove(path);
    EXPECT_TRUE(fs::is_empty(dir.path()));
  }
}

// float32 data written to an F16 array is rounded as numpy's astype(float16) rounds it: the
// rounding fixture's inputs (tests/fixtures/f16_rounding.json) written as floats, in pieces and past
// the writer's 65536-element rounding buffer, read back by numpy as the fixture's half bits.
TEST(ArrayFile, DeclaredF16ArrayTakesFloatsRoundedAsNumpy) {
  const auto fx = testing::load_json("f16_rounding.json");
  const auto f32 = fx["f32_bits"].get<std::vector<std::uint32_t>>();
  const auto f16 = fx["f16_bits"].get<std::vector<std::uint16_t>>();
  ASSERT_EQ(f32.size(), f16.size());
  constexpr std::size_t kLong = 70001;  // > 65536: more than one piece of the writer's buffer
  std::vector<float> x(kLong), small(f32.size());
  std::vector<std::uint16_t> want(kLong), want_small(f32.size());
  for (std::size_t i = 0; i < kLong; ++i) {
    x[i] = std::bit_cast<float>(f32[(i * 7) % f32.size()]);
    want[i] = f16[(i * 7) % f32.size()];
  }
  for (std::size_t i = 0; i < f32.size(); ++i) {
    small[i] = std::bit_cast<float>(f32[i]);
    want_small[i] = f16[i];
  }
  testing::TempDir dir;
  for (const char* name : {"half.npz", "half.safetensors"}) {
    SCOPED_TRACE(name);
    {
      ArrayFileWriter w(dir / name);
      w.declare({{"long", ArrayDType::kF16, {static_cast<std::int64_t>(kLong)}},
                 {"fixture", ArrayDType::kF16, {static_cast<std::int64_t>(f32.size())}}});
      const std::span<const float> all(x);
      w.write("long", 3, all.subspan(3));  // 69998 floats in one call, past the first 65536
      w.write("long", 0, all.first(3));
      w.add("fixture", small, {static_cast<std::int64_t>(f32.size())});  // add() rounds too
      w.commit();
    }
    const nlohmann::json arrays = read_bits_with_numpy(dir / name);
    expect_bits(arrays, "long", "<f2", {static_cast<std::int64_t>(kLong)}, want);
    expect_bits(arrays, "fixture", "<f2", {static_cast<std::int64_t>(f32.size())}, want_small);
    if (std::string(name).ends_with(".npz")) {
      EXPECT_TRUE(arrays["__testzip__"].is_null()) << "a member's CRC is wrong: " << arrays["__testzip__"];
    }
  }
}

// add() of a declared array must give the whole array, as declared (array_file.h: "add() a whole one
// (which must match its declaration)"), and commit() must see every byte written once.
// DISABLED: both fail today (see the report); enable once src/io/array_file.cpp checks them.
TEST(ArrayFile, DeclaredAddMustMatchAndEveryByteOnce) {
  testing::TempDir dir;
  const Declared d;
  for (const char* name : {"bad.npz", "bad.safetensors"}) {
    SCOPED_TRACE(name);
    ArrayFileWriter w(dir / name);
    w.declare(Declared::specs());
    EXPECT_THROW(w.add("ids", std::span<const std::int64_t>(d.ids).first(3), {3}), Error) << "fewer elements";
    EXPECT_THROW(w.add("small", d.small, {1, 2}), Error) << "another shape";
    ArrayFileWriter twice(dir / (std::string("twice") + name));
    twice.declare({{"a", ArrayDType::kF32, {4}}});
    twice.write("a", 0, std::span<const float>(d.x).first(2));
    EXPECT_THROW(twice.write("a", 1, std::span<const float>(d.x).first(2)), Error) << "element 1 twice";
    twice.write("a", 2, std::span<const float>(d.x).first(1));  // after the refused write: 0-2 written, 3 never
    EXPECT_THROW(twice.commit(), Error) << "element 3 never written";
  }
}

// 64 MB of float32 declared and written in 1 MB pieces, last piece first: numpy reads it back whole
// (the npz's CRC, taken by reading the data back, is checked by zipfile), attnlab's reader too.
TEST(ArrayFile, DeclaredLargeArrayWrittenBackwardsInPieces) {
  testing::TempDir dir;
  constexpr std::size_t kElements = std::size_t{16} << 20, kPiece = std::size_t{1} << 18;  // 64 MB, 1 MB
  std::vector<float> big(kElements);
  std::mt19937 rng(9);
  for (float& v : big) v = static_cast<float>(rng() >> 8) * 0x1p-24f;
  const std::span<const float> all(big);
  const std::vector<std::uint16_t> after{1, 2, 0x7c00};
  const std::vector<std::int32_t> before{7};
  for (const char* name : {"big.npz", "big.safetensors"}) {
    SCOPED_TRACE(name);
    {
      ArrayFileWriter w(dir / name);
      w.declare({{"before", ArrayDType::kI32, {1}}, {"big", ArrayDType::kF32, {16, 1024, 1024}},
                 {"after", ArrayDType::kF16, {3}}});
      w.write("after", 0, std::span<const std::uint16_t>(after));
      for (std::size_t at = kElements; at > 0; at -= kPiece)
        w.write("big", at - kPiece, all.subspan(at - kPiece, kPiece));
      w.add("before", before, {1});
      w.commit();
    }
    const nlohmann::json arrays = read_bits_with_numpy(dir / name);
    if (std::string(name).ends_with(".npz")) {
      EXPECT_TRUE(arrays["__testzip__"].is_null()) << "a member's CRC is wrong: " << arrays["__testzip__"];
    } else {
      const SafetensorsFile f(dir / name);
      const TensorView* t = f.find("big");
      ASSERT_NE(t, nullptr);
      ASSERT_EQ(t->nbytes, kElements * 4);
      EXPECT_EQ(std::memcmp(t->data, big.data(), t->nbytes), 0);
    }
    expect_bits(arrays, "big", "<f4", {16, 1024, 1024}, big);
    expect_bits(arrays, "after", "<f2", {3}, after);
    expect_bits(arrays, "before", "<i4", {1}, before);
  }
}

}  // namespace
}  // namespace attnlab
