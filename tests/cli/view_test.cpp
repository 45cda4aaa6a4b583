// `attnlab view` end to end: the page is written whole or not at all, and every bad argument is a clear
// error before any work. (Its data is checked against --all --json by tests/python/check_viewer_page.py;
// the page itself in a real browser by tests/browser/.)
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "../support/temp_dir.h"
#include "cli_run.h"

namespace attnlab::testing {
namespace {
namespace fs = std::filesystem;

// Nothing but the listed files in dir: no page, no temporary leftovers.
void expect_only(const fs::path& dir, std::size_t count) {
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++n;
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(n, count) << dir;
}

TEST(CliView, HelpNamesEveryFlag) {
  const ProcessResult r = run_cli({"view", "--help"});
  for (const char* flag : {"--pair", "--compare", "--out", "--layers", "--precision", "--toy", "--seed", "--truncate"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag << "\n" << describe(r);
}

TEST(CliView, WritesOnePageAndSaysWhere) {
  TempDir dir;
  const fs::path out = dir / "page.html";
  const ProcessResult r = run_cli({"view", "--model", kTiny.string(), "--out", out.string(), "The cat sat."});
  expect_run(r, 0, "attnlab: saved " + regex_escape(out.string()) + R"( \([0-9.]+ [KM]B\))");
  EXPECT_GT(fs::file_size(out), 1000u);
  expect_only(dir.path(), 1);
}

TEST(CliView, StdoutWhenOutIsDash) {
  const ProcessResult r = run_cli({"view", "--toy", "--out", "-"});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out.rfind("<!DOCTYPE html>", 0), 0u) << r.out.substr(0, 200);
  EXPECT_NE(r.out.find("</html>"), std::string::npos);
}

TEST(CliView, BadLayersBeforeAnyWork) {
  TempDir dir;
  const std::string out = (dir / "page.html").string();
  // The tiny model has 2 layers.
  expect_run(run_cli({"view", "--model", kTiny.string(), "--out", out, "--layers", "0-5", "x"}), 2,
             "attnlab: error: --layers '0-5': layer 5 is out of range: the model has 2 layers");
  expect_run(run_cli({"view", "--model", kTiny.string(), "--out", out, "--layers", "one", "x"}), 2,
             "attnlab: error: --layers 'one': 'one' is not a layer number");
  expect_run(run_cli({"view", "--model", kTiny.string(), "--out", out, "--layers", "1-0", "x"}), 2,
             "runs backwards");
  expect_run(run_cli({"view", "--model", kTiny.string(), "--out", out, "--layers", "0,", "x"}), 2,
             "'' is not a layer number");
  expect_only(dir.path(), 0);
}

TEST(CliView, UnwritableOutBeforeAnyWork) {
  TempDir dir;
  const fs::path out = dir / "missing" / "page.html";
  const ProcessResult r = run_cli({"view", "--model", "/nonexistent-model", "--out", out.string(), "x"});
  // The output is checked first: the error names it, not the (also missing) model.
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.err.find(out.string()), std::string::npos) << describe(r);
  EXPECT_EQ(r.err.find("nonexistent-model"), std::string::npos) << describe(r);
}

TEST(CliView, TextTooLongIsRefusedUnlessTruncate) {
  TempDir dir;
  const fs::path out = dir / "page.html";
  std::string text;
  for (int i = 0; i < 600; ++i) text += "word ";
  const ProcessResult refused = run_cli({"view", "--model", kTiny.string(), "--out", out.string(), text});
  EXPECT_NE(refused.exit_code, 0) << describe(refused);
  EXPECT_TRUE(has_line_matching(refused.err, "attnlab: error: TEXT: input is [0-9]+ tokens, the model accepts at "
                                             "most [0-9]+ .*--truncate"))
      << describe(refused);
  expect_only(dir.path(), 0);
  const ProcessResult cut = run_cli({"view", "--model", kTiny.string(), "--out", out.string(), "--truncate", text});
  EXPECT_EQ(cut.exit_code, 0) << describe(cut);
  expect_only(dir.path(), 1);
}

TEST(CliView, BadPrecisionAndToyMisuse) {
  expect_run(run_cli({"view", "--toy", "--precision", "f8"}), 2, "--precision 'f8': expected f32");
  expect_run(run_cli({"view", "--toy", "some text"}), 2, "--toy .* takes no TEXT");
  expect_run(run_cli({"view", "--toy", "--seed", "x1"}), 2, "--seed: expected an integer");
  expect_run(run_cli({"view"}), 2, "TEXT is required");
  expect_run(run_cli({"view", "--model", kTiny.string(), "a", "--compare-pair", "b"}), 2,
             "--compare-pair needs --compare");
  expect_run(run_cli({"view", "--model", kTiny.string(), "-", "--pair", "-"}), 2, "only one of TEXT");
}

}  // namespace
}  // namespace attnlab::testing
