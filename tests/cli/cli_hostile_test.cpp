// Hostile model folders: every broken copy of the tiny model is refused with exit 3 (4 for an
// unreadable file) and one "attnlab: error:" line naming the file, never a crash or a hang.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "../support/fixtures.h"
#include "../support/temp_dir.h"
#include "../support/sanitized.h"
#include "cli_run.h"

namespace attnlab::testing {
namespace {
namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

// The 8-byte little-endian header length (header.size() unless header_len is given), then header.
std::string safetensors_header(const std::string& header, std::optional<uint64_t> header_len = std::nullopt) {
  const uint64_t len = header_len.value_or(header.size());
  std::string bytes(8, '\0');
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  return bytes + header;
}

using Breaker = std::function<void(const fs::path& dir)>;

// A breaker that replaces model.safetensors with this header (see safetensors_header) and
// data_bytes zero bytes of data.
Breaker weights_file(const std::string& header, size_t data_bytes, std::optional<uint64_t> header_len = std::nullopt) {
  return [=](const fs::path& d) {
    write_file(d / "model.safetensors", safetensors_header(header, header_len) + std::string(data_bytes, '\0'));
  };
}

// Sets one config.json field to a JSON value (or removes it), keeping the others in their order.
void set_config(const fs::path& dir, const std::string& key, const std::string& json_value) {
  ordered_json c = ordered_json::parse(read_text((dir / "config.json").string()));
  c[key] = ordered_json::parse(json_value);
  write_file(dir / "config.json", c.dump());
}
void remove_config_field(const fs::path& dir, const std::string& key) {
  ordered_json c = ordered_json::parse(read_text((dir / "config.json").string()));
  c.erase(key);
  write_file(dir / "config.json", c.dump());
}

void set_vocab_id(const fs::path& dir, const std::string& token, uint64_t id) {
  ordered_json t = ordered_json::parse(read_text((dir / "tokenizer.json").string()));
  t["model"]["vocab"][token] = id;
  write_file(dir / "tokenizer.json", t.dump());
}

// Removes one tensor and its bytes, moving the later tensors' offsets down: a well-formed file
// that lacks a tensor BERT needs.
void remove_tensor(const fs::path& file, const std::string& name) {
  const std::string b = read_text(file.string());
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(b[static_cast<size_t>(i)]);
  ordered_json h = ordered_json::parse(b.substr(8, n));
  const std::string data = b.substr(8 + n);
  const uint64_t lo = h[name]["data_offsets"][0], hi = h[name]["data_offsets"][1];
  h.erase(name);
  for (auto& [key, v] : h.items()) {
    if (key == "__metadata__" || v["data_offsets"][0].get<uint64_t>() < hi) continue;
    for (auto& o : v["data_offsets"]) o = o.get<uint64_t>() - (hi - lo);
  }
  write_file(file, safetensors_header(h.dump()) + data.substr(0, lo) + data.substr(hi));
}

// Keeps the lines of a text file that are not `line`.
void remove_line(const fs::path& file, const std::string& line) {
  const std::string text = read_text(file.string());
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string::npos ? text.size() : end + 1;
    const std::string l = text.substr(pos, end - pos);
    if (l != line + "\n" && l != line) out += l;
    pos = end;
  }
  write_file(file, out);
}

void make_fifo(const fs::path& file) {
  fs::remove(file);
  ASSERT_EQ(::mkfifo(file.c_str(), 0644), 0) << file;
}

constexpr const char* kWeights = R"(model\.safetensors: )";
constexpr const char* kConfig = R"(config\.json: )";
constexpr const char* kDir = "<the model directory>";  // stands for the broken copy's path

struct HostileCase {
  const char* name;
  Breaker do_break;  // on a fresh copy of the tiny model
  int exit_code;
  const char* file;     // pattern naming the file, or kDir
  const char* message;  // pattern for the message after it
};

const HostileCase kCases[] = {
    {"truncated_data", [](const fs::path& d) { fs::resize_file(d / "model.safetensors", 5000); }, 3, kWeights,
     "runs? past the (end of the file|data section).*truncated"},
    {"truncated_header", [](const fs::path& d) { fs::resize_file(d / "model.safetensors", 1000); }, 3, kWeights,
     R"(header length 4008 runs past the end of the file \(1000 bytes; truncated download\?\))"},
    {"header_length_past_end", weights_file("{}", 0, 1000), 3, kWeights, "header length 1000 runs past the end"},
    {"header_length_2pow62", weights_file("{}", 0, uint64_t{1} << 62), 3, kWeights,
     "header length 4611686018427387904 exceeds the limit"},
    {"header_not_json", weights_file("not json {", 0), 3, kWeights, "header is not valid JSON"},
    {"empty_file", [](const fs::path& d) { write_file(d / "model.safetensors", ""); }, 3, kWeights,
     "0 bytes, expected at least 8"},
    {"seven_byte_file", [](const fs::path& d) { write_file(d / "model.safetensors", "1234567"); }, 3, kWeights,
     "7 bytes, expected at least 8"},
    {"metadata_not_strings", weights_file(R"({"__metadata__": {"format": "pt", "step": 3}})", 0), 3, kWeights,
     "__metadata__ value 'step' is number, expected a string"},
    {"offsets_out_of_range", weights_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4), 3, kWeights,
     R"(tensor 'a': data_offsets \[0,8\] run past the data section \(4 bytes)"},
    {"overlapping_offsets",
     weights_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                  12),
     3, kWeights, "tensor 'b' overlaps the previous tensor"},
    {"unknown_dtype", weights_file(R"({"a":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}})", 8), 3, kWeights,
     "tensor 'a': unknown dtype 'F12'"},
    {"shape_byte_mismatch", weights_file(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}})", 8), 3, kWeights,
     R"(F32 shape \[4\] needs 16 bytes, data_offsets give 8)"},
    {"negative_shape", weights_file(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), 3, kWeights,
     "negative dimension -2"},
    {"shape_bytes_overflow",
     weights_file(R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}})", 0), 3, kWeights,
     R"(needs more than 2\^64 bytes)"},
    {"control_chars_escaped", weights_file(R"({"\u001b[2J":{"dtype":"F12","shape":[],"data_offsets":[0,0]}})", 0), 3,
     kWeights, R"(tensor '\\x1b\[2J': unknown dtype)"},
    {"c1_control_escaped", weights_file(R"({"\u009b2J":{"dtype":"F12","shape":[],"data_offsets":[0,0]}})", 0), 3,
     kWeights, R"(tensor '\\u009b2J': unknown dtype)"},
    {"missing_tensor",
     [](const fs::path& d) { remove_tensor(d / "model.safetensors", "encoder.layer.1.attention.self.key.weight"); }, 3,
     kWeights, "missing tensor 'encoder.layer.1.attention.self.key.weight'"},
    {"tensor_shape_vs_config", [](const fs::path& d) { set_config(d, "intermediate_size", "65"); }, 3, kWeights,
     R"(tensor 'encoder.layer.0.intermediate.dense.weight' has shape \[64, 32\], config says \[65, 32\])"},
    {"config_vocab_2pow30", [](const fs::path& d) { set_config(d, "vocab_size", "1073741824"); }, 3, kWeights,
     R"(config says \[1073741824, 32\])"},
    {"config_layers_2pow30", [](const fs::path& d) { set_config(d, "num_hidden_layers", "1073741824"); }, 3, kConfig,
     "'num_hidden_layers' must be a positive integer at most 1024"},
    {"heads_not_dividing_hidden", [](const fs::path& d) { set_config(d, "num_attention_heads", "5"); }, 3, kConfig,
     "hidden_size 32 is not divisible by num_attention_heads 5"},
    {"config_missing_key", [](const fs::path& d) { remove_config_field(d, "num_attention_heads"); }, 3, kConfig,
     "missing required field 'num_attention_heads'"},
    {"config_not_json", [](const fs::path& d) { write_file(d / "config.json", R"({"hidden_size": 3)"); }, 3, kConfig,
     "not valid JSON"},
    {"config_number_overflow", [](const fs::path& d) { write_file(d / "config.json", R"({"hidden_size": 1e400})"); }, 3,
     kConfig, "not valid JSON.*number overflow"},
    {"config_wrong_type", [](const fs::path& d) { set_config(d, "hidden_size", R"("32")"); }, 3, kConfig,
     R"(field 'hidden_size' must be a positive integer, found "32")"},
    {"config_float_for_int", [](const fs::path& d) { set_config(d, "num_hidden_layers", "2.5"); }, 3, kConfig,
     "field 'num_hidden_layers' must be a positive integer, found 2.5"},
    {"unsupported_architecture", [](const fs::path& d) { set_config(d, "model_type", R"("gpt2")"); }, 3, kConfig,
     "model_type 'gpt2' is not supported"},
    {"config_is_fifo", [](const fs::path& d) { make_fifo(d / "config.json"); }, 3, kConfig, "not a regular file"},
    {"config_huge",
     [](const fs::path& d) { write_file(d / "config.json", R"({"x": ")" + std::string(2000000, 'a') + R"("})"); }, 3,
     kConfig, "is 2000009 bytes, more than the 1048576 bytes"},
    {"weights_is_fifo", [](const fs::path& d) { make_fifo(d / "model.safetensors"); }, 4, kWeights,
     "not a regular file"},
    {"empty_vocabulary",
     [](const fs::path& d) {
       fs::remove(d / "tokenizer.json");
       write_file(d / "vocab.txt", "");
     },
     3, R"(vocab\.txt: )", "vocabulary is empty"},
    {"vocabulary_without_unk",
     [](const fs::path& d) {
       fs::remove(d / "tokenizer.json");
       remove_line(d / "vocab.txt", "[UNK]");
     },
     3, R"(vocab\.txt: )", R"(no unknown token '\[UNK\]')"},
    {"tokenizer_json_huge_id", [](const fs::path& d) { set_vocab_id(d, "cat", uint64_t{1} << 40); }, 3,
     R"(tokenizer\.json: )", "model.vocab: id of 'cat' is 1099511627776, expected an integer id"},
    {"token_id_beyond_model_vocab", [](const fs::path& d) { set_vocab_id(d, "cat", (uint64_t{1} << 31) - 2); }, 3, "",
     R"(token id 2147483646 at position 2 is outside the vocabulary \(vocab_size 110\))"},
    {"missing_model_file", [](const fs::path& d) { fs::remove(d / "model.safetensors"); }, 3, kWeights,
     "missing model weights"},
    {"missing_config", [](const fs::path& d) { fs::remove(d / "config.json"); }, 3, kDir,
     R"(not a model directory \(no config\.json, no \.gguf file\))"},
    {"missing_vocabulary",
     [](const fs::path& d) {
       fs::remove(d / "tokenizer.json");
       fs::remove(d / "vocab.txt");
     },
     3, kDir, R"(no tokenizer\.json or vocab\.txt)"},
};

void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

class HostileModel : public ::testing::TestWithParam<HostileCase> {
 protected:
  // A fresh copy of the tiny model, broken as the case says.
  fs::path broken_copy() {
    const fs::path dir = work_ / GetParam().name;
    fs::copy(kTiny, dir, fs::copy_options::recursive);
    GetParam().do_break(dir);
    return dir;
  }
  TempDir work_;
};

TEST_P(HostileModel, IsRefusedWithOneLineNamingTheFile) {
  const HostileCase& c = GetParam();
  const fs::path dir = broken_copy();
  ProcessOptions o;
  o.timeout = std::chrono::seconds(60);
  const std::string file = c.file == kDir ? regex_escape(dir.string()) : c.file;
  expect_run(run_cli({"attention", "--model", dir.string(), "The cat sat."}, o), c.exit_code,
             std::string("^attnlab: error: .*") + file + ".*" + c.message);
}

INSTANTIATE_TEST_SUITE_P(Cli, HostileModel, ::testing::ValuesIn(kCases),
                         [](const auto& test) { return std::string(test.param.name); });

// An id beyond the model's vocab_size is fine for tokenizing; only the model refuses it.
TEST(HostileTokenizer, SparseIdTokenizes) {
  TempDir work;
  const fs::path dir = work / "sparse";
  fs::copy(kTiny, dir, fs::copy_options::recursive);
  set_vocab_id(dir, "cat", (uint64_t{1} << 31) - 2);
  ProcessOptions o;
  o.timeout = std::chrono::seconds(60);
  expect_run(run_cli({"tokenize", "--model", dir.string(), "the cat"}, o), 0, "2147483646");
}

// ---------------------------------------------------------------------------------------------
// Issue 12 item 5: no leftovers and clean exits under signals and resource limits.

using testing::kSanitized;  // the sanitizers reserve terabytes of address space: no RLIMIT_AS runs

// Names in dir that look like attnlab's temporary files (".NAME.tmp-XXXXXX").
std::vector<std::string> temp_files_in(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) found.push_back(e.path().filename());
  return found;
}

std::vector<std::string> demo_args(const fs::path& out) {
  return {"demo", "--model", kTiny.string(), "--out", out.string(), "--format", "png,svg,pdf", "--dpi", "200"};
}

// The hook in core/temp_files.h raises the signal at a chosen moment of figure writing: right after
// the temporary file is made, after some writes, just before the rename, for the first and a later file.
TEST(HostileSignals, InterruptedFigureWritingLeavesNoTemporaryFile) {
  const char* moments[] = {"created#1", "writing#1", "writing#40", "renaming#1", "created#2", "renaming#3"};
  for (const int sig : {SIGINT, SIGTERM}) {
    for (const char* moment : moments) {
      SCOPED_TRACE(std::string(moment) + " signal " + std::to_string(sig));
      TempDir out;
      ProcessOptions o;
      o.timeout = std::chrono::seconds(120);
      o.env["ATTNLAB_TEST_SIGNAL_AT"] = std::string(moment) + ":" + std::to_string(sig);
      const ProcessResult r = run_cli(demo_args(out.path()), o);
      EXPECT_FALSE(r.timed_out);
      EXPECT_EQ(r.exit_code, 128 + sig) << describe(r);
      EXPECT_TRUE(temp_files_in(out.path()).empty()) << ::testing::PrintToString(temp_files_in(out.path()));
    }
  }
}

// Signals from outside at several moments of a run that writes six figures: whatever the moment,
// the run ends by the signal (130 / 143) or completes, and never leaves a temporary file.
TEST(HostileSignals, SignalsAtAnyMomentLeaveNoTemporaryFile) {
  int interrupted = 0;
  for (const int delay_ms : {50, 150, 300, 500, 800, 1200, 1800}) {
    const int sig = delay_ms % 100 == 0 ? SIGTERM : SIGINT;
    SCOPED_TRACE("after " + std::to_string(delay_ms) + " ms, signal " + std::to_string(sig));
    TempDir out;
    ProcessOptions o;
    o.timeout = std::chrono::seconds(120);
    o.send_signal = std::make_pair(sig, std::chrono::milliseconds(delay_ms));
    const ProcessResult r = run_cli(demo_args(out.path()), o);
    EXPECT_FALSE(r.timed_out);
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 128 + sig) << describe(r);
    interrupted += r.exit_code == 128 + sig;
    EXPECT_TRUE(temp_files_in(out.path()).empty()) << ::testing::PrintToString(temp_files_in(out.path()));
  }
  EXPECT_GT(interrupted, 0);  // at least the early signals landed mid-run
}

TEST(HostileLimits, FileSizeLimitIsAnErrorNotSigxfsz) {
  TempDir out;
  ProcessOptions o;
  o.timeout = std::chrono::seconds(60);
  o.limits = {{RLIMIT_FSIZE, 1024}};  // less than the figure and the tiny model's 2.4 kB npz
  for (const std::string flag : {"--plot", "--output"}) {
    SCOPED_TRACE(flag);
    const fs::path file = out / (flag == "--plot" ? "row.png" : "all.npz");
    const ProcessResult r = run_cli({"attention", "--model", kTiny.string(), "hello world", flag, file.string()}, o);
    expect_run(r, 4, "^attnlab: error: cannot write '" + regex_escape(file.string()) + "'.*File too large");
    EXPECT_FALSE(fs::exists(file));
    EXPECT_TRUE(temp_files_in(out.path()).empty()) << ::testing::PrintToString(temp_files_in(out.path()));
  }
}

// Exit 0, or exit 1 with the one line "attnlab: error: out of memory..." on stderr; never a hang
// or a signal.
void expect_clean_under_memory_limit(const ProcessResult& r) {
  EXPECT_FALSE(r.timed_out) << describe(r);
  if (r.exit_code == 0) return;
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(has_line_matching(r.err, "^attnlab: error: .*out of memory")) << describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
}

TEST(HostileLimits, VersionExitsUnderAnyMemoryLimit) {
  if (kSanitized) GTEST_SKIP() << "sanitizer build";
  for (const rlim_t mb : {90, 120, 160, 200, 300}) {
    SCOPED_TRACE(std::to_string(mb) + " MB");
    ProcessOptions o;
    o.timeout = std::chrono::seconds(30);
    o.limits = {{RLIMIT_AS, mb << 20}};
    const ProcessResult r = run_cli({"--version"}, o);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_TRUE(has_line_matching(r.out, "^attnlab ")) << describe(r);
  }
}

TEST(HostileLimits, ARunWithFiguresIsCleanUnderAnyMemoryLimit) {
  if (kSanitized) GTEST_SKIP() << "sanitizer build";
  int failed = 0, succeeded = 0;
  for (rlim_t mb = 90; mb <= 330; mb += 16) {
    SCOPED_TRACE(std::to_string(mb) + " MB");
    TempDir out;
    ProcessOptions o;
    o.timeout = std::chrono::seconds(60);
    o.limits = {{RLIMIT_AS, mb << 20}};
    const ProcessResult r = run_cli({"attention", "--model", kTiny.string(), "hello world", "--plot",
                                     (out / "row.png").string(), "--output", (out / "all.npz").string()},
                                    o);
    expect_clean_under_memory_limit(r);
    (r.exit_code == 0 ? succeeded : failed) += 1;
    EXPECT_TRUE(temp_files_in(out.path()).empty()) << ::testing::PrintToString(temp_files_in(out.path()));
  }
  EXPECT_GT(failed, 0);     // the low limits were low enough to fail ...
  EXPECT_GT(succeeded, 0);  // ... and the high ones high enough to work
}

TEST(HostileLimits, BrokenPipeOnStdoutIsExit4) {
  ProcessOptions o;
  o.timeout = std::chrono::seconds(60);
  o.stdout_unread = true;
  const ProcessResult r = run_cli({"attention", "--model", kTiny.string(), "hello world", "--json", "--all"}, o);
  EXPECT_EQ(r.exit_code, 4) << describe(r);
  EXPECT_TRUE(has_line_matching(r.err, "^attnlab: error: cannot write to standard output")) << describe(r);
}

// With one free file descriptor the font is still read (a figure identical to the normal one), or
// the run fails naming the font; never a figure of boxes with exit 0.
TEST(HostileLimits, FewFileDescriptorsNeverGiveAFigureOfBoxes) {
  // Under the sanitizers their own runtime needs descriptors too (UBSan's vptr check then reports
  // objects it could not read), so the limit tests the sanitizer, not attnlab.
  if (kSanitized) GTEST_SKIP() << "sanitizer build";
  TempDir out;
  ProcessOptions o;
  o.timeout = std::chrono::seconds(60);
  const fs::path normal = out / "normal.png", limited = out / "limited.png";
  expect_run(run_cli({"attention", "--model", kTiny.string(), "hello world", "--plot", normal.string()}, o), 0,
             "saved");
  for (const rlim_t files : {4, 5, 6}) {
    SCOPED_TRACE(std::to_string(files) + " descriptors");
    o.limits = {{RLIMIT_NOFILE, files}};
    const ProcessResult r =
        run_cli({"attention", "--model", kTiny.string(), "hello world", "--plot", limited.string()}, o);
    if (r.exit_code == 0) {
      EXPECT_EQ(read_text(limited.string()), read_text(normal.string()));
    } else {
      // attnlab's own message, or (when the runner hands the child extra descriptors, as ctest does)
      // the dynamic loader's EMFILE before attnlab starts; either way no figure was written.
      EXPECT_TRUE(has_line_matching(r.err, "^attnlab: error: (no usable font|.*Too many open files)") ||
                  (r.exit_code == 127 && has_line_matching(r.err, "error while loading shared libraries: .*Error 24")))
          << describe(r);
      EXPECT_FALSE(fs::exists(limited)) << describe(r);
    }
    fs::remove(limited);
  }
}

// ---------------------------------------------------------------------------------------------
// Issue 12 item 6: messages.

TEST(HostileMessages, SuccessLinesEscapeControlCharacters) {
  TempDir out;
  const fs::path plot = out / "a\x1b[2Jb\nc.png";
  ProcessOptions o;
  o.timeout = std::chrono::seconds(60);
  const ProcessResult r = run_cli({"attention", "--model", kTiny.string(), "hello world", "--plot", plot.string()}, o);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << describe(r);
  EXPECT_TRUE(has_line_matching(r.err, R"(^attnlab: saved .*a\\x1b\[2Jb\\x0ac\.png$)")) << describe(r);
  EXPECT_TRUE(fs::exists(plot));

  const fs::path demo_out = out / "d\x1b]0;x\x07";
  fs::create_directories(demo_out);
  const ProcessResult d = run_cli({"demo", "--model", kTiny.string(), "--out", demo_out.string()}, o);
  EXPECT_EQ(d.exit_code, 0) << describe(d);
  EXPECT_EQ(d.out.find('\x1b'), std::string::npos) << describe(d);
  EXPECT_TRUE(has_line_matching(d.out, R"(^Saved figure: .*d\\x1b\]0;x\\x07/)")) << describe(d);
}

TEST(HostileMessages, ModelValueStaysOnOneLineAndEmptyIsRefused) {
  ProcessOptions o;
  o.timeout = std::chrono::seconds(60);
  const ProcessResult r = run_cli({"tokenize", "--model", "no\nsuch\x1b[31m", "hi"}, o);
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
  EXPECT_TRUE(has_line_matching(r.err, R"(^attnlab: error: no\\x0asuch\\x1b\[31m: no such model directory)"))
      << describe(r);
  expect_run(run_cli({"tokenize", "--model", "", "hi"}, o), 2, "--model.*empty value");
}

TEST(HostileMessages, TokenWithALineBreakIsRefused) {
  ProcessOptions o;
  o.timeout = std::chrono::seconds(60);
  o.env["HF_TOKEN"] = "hf_abc\r\nX-Injected: 1";
  o.env["HF_HUB_OFFLINE"] = "1";
  expect_run(run_cli({"tokenize", "--model", "org/some-model", "hi"}, o), 3,
             "^attnlab: error: HF_TOKEN holds a control character");
}

}  // namespace
}  // namespace attnlab::testing
