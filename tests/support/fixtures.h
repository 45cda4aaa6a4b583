// Test helpers: load fixtures written by tools/*.py and compare tensors, reporting the max
// difference and the first element beyond tolerance (llm.c check_tensor style).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <zlib.h>
#include <sstream>
#include <string>
#include <vector>

namespace attnlab::testing {

inline std::string fixture_path(const std::string& name) { return std::string(ATTNLAB_FIXTURES) + "/" + name; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `path`, or `path`.gz inflated when only that exists (large fixtures are committed gzipped).
inline std::string read_maybe_gz(const std::string& path) {
  if (std::ifstream(path, std::ios::binary)) return read_text(path);
  gzFile f = gzopen((path + ".gz").c_str(), "rb");
  if (!f) return {};
  std::string out;
  std::vector<char> buf(1 << 16);
  int n;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) out.append(buf.data(), static_cast<size_t>(n));
  gzclose(f);
  return out;
}

// A golden set's float32 arrays: cases.bin (little-endian float32) beside cases.json, whose array entries
// {"offset", "shape"} are slices of it (offset in floats, shape row-major).
struct FloatBlob {
  std::vector<float> data;
  std::vector<float> slice(const nlohmann::json& entry) const {
    size_t n = 1;
    for (const auto& d : entry["shape"]) n *= d.get<size_t>();
    const size_t off = entry["offset"].get<size_t>();
    return {data.begin() + static_cast<long>(off), data.begin() + static_cast<long>(off + n)};
  }
};

inline FloatBlob read_float_blob(const std::string& path) {
  FloatBlob b;
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  EXPECT_TRUE(in.good()) << path;
  b.data.resize(static_cast<size_t>(in.tellg()) / sizeof(float));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(b.data.data()), static_cast<std::streamsize>(b.data.size() * sizeof(float)));
  return b;
}

inline nlohmann::json load_json(const std::string& name) {
  return nlohmann::json::parse(read_text(fixture_path(name)));
}

// Flattens nested JSON arrays of numbers into floats (exact: fixtures hold float32 values as doubles).
inline void flatten(const nlohmann::json& j, std::vector<float>& out) {
  if (j.is_array()) {
    for (const auto& e : j) flatten(e, out);
  } else {
    out.push_back(static_cast<float>(j.get<double>()));
  }
}
inline std::vector<float> flat(const nlohmann::json& j) {
  std::vector<float> v;
  flatten(j, v);
  return v;
}

// Returns the max |a - b| and records a failure naming the first index beyond tol.
inline double expect_close(const std::vector<float>& got, const std::vector<float>& want, double tol,
                           const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what << ": size";
  double max_diff = 0.0;
  long first_bad = -1;
  for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) {
    const double d = std::abs(static_cast<double>(got[i]) - want[i]);
    if (!(d <= tol) && first_bad < 0) first_bad = static_cast<long>(i);
    if (!(d <= max_diff)) max_diff = d;
  }
  std::printf("[ max diff ] %-48s %.3g (tolerance %.0e)\n", what.c_str(), max_diff, tol);
  if (first_bad >= 0)
    ADD_FAILURE() << what << ": element " << first_bad << " got " << got[first_bad] << " want "
                  << want[first_bad] << " (max diff " << max_diff << ", tolerance " << tol << ")";
  return max_diff;
}

// Bitwise equality of float arrays, naming the first differing element.
inline void expect_bit_identical(const std::vector<float>& got, const std::vector<float>& want,
                                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0) {
      ADD_FAILURE() << what << ": element " << i << " differs: got " << got[i] << " want " << want[i];
      return;
    }
  }
}

// Two JSON values equal; arrays element by element, so a failure names the first difference (index
// and both elements) rather than printing two documents of megabytes.
inline void expect_same_json(const nlohmann::json& ours, const nlohmann::json& theirs, const std::string& what) {
  if (!ours.is_array() || !theirs.is_array()) {
    EXPECT_EQ(ours, theirs) << what;
    return;
  }
  EXPECT_EQ(ours.size(), theirs.size()) << what;
  for (size_t i = 0; i < std::min(ours.size(), theirs.size()); ++i)
    if (ours[i] != theirs[i]) {
      ADD_FAILURE() << what << "[" << i << "]: " << ours[i].dump() << " vs the reference's " << theirs[i].dump();
      return;
    }
}

// A tokenizer.json document against the reference's, component by component (model.* key by key).
inline void expect_same_tokenizer_document(const nlohmann::json& ours, const nlohmann::json& theirs) {
  for (const char* key : {"normalizer", "pre_tokenizer", "post_processor", "decoder", "added_tokens"})
    expect_same_json(ours.value(key, nlohmann::json()), theirs.value(key, nlohmann::json()), key);
  for (const auto& [key, value] : theirs["model"].items())
    expect_same_json(ours["model"].value(key, nlohmann::json()), value, "model." + key);
}

}  // namespace attnlab::testing
