// The attribution methods (include/attnlab/analysis.h) against the papers' reference computations
// run on transformers: tools/make_analysis_fixtures.py -> tests/fixtures/analysis/<model>.json.
// Tolerance 1e-5 (flow 1e-4): the references are float64 on transformers' float32 tensors, attnlab
// works on its own float32 forward pass (attentions within 1e-5 of PyTorch's) and sums in double.
#include <gtest/gtest.h>

#include <filesystem>

#include "../support/fixtures.h"
#include "analysis/attribution_methods.h"
#include "api/engine_access.h"
#include "attnlab/analysis.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using testing::expect_close;
using testing::flat;

const fs::path kTiny = fs::path(ATTNLAB_FIXTURES) / "bert" / "tiny-random" / "model";
const fs::path kMiniLm = fs::path(ATTNLAB_SOURCE_DIR) / "models" / "all-MiniLM-L6-v2";

Encoding encode_case(const Engine& engine, const nlohmann::json& c) {
  const std::string text = c.at("text");
  std::optional<std::string> pair;
  if (!c.at("pair").is_null()) pair = c.at("pair").get<std::string>();
  const Encoding enc = engine.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt);
  EXPECT_EQ(enc.input_ids, c.at("input_ids").get<std::vector<int>>()) << text;
  return enc;
}

void check_against_reference(const fs::path& model_dir, const std::string& fixture) {
  const Engine engine = Engine::open(model_dir.string());
  const nlohmann::json fx = testing::load_json("analysis/" + fixture + ".json");
  const int layers = engine.info().num_layers, heads = engine.info().num_heads;
  for (const auto& c : fx.at("cases")) {
    const Encoding enc = encode_case(engine, c);
    const size_t n = enc.size();
    for (const std::string& name : method_names()) {
      if (!c.contains(name)) continue;
      const Attribution a = analyze(engine, enc, parse_method(name));
      EXPECT_EQ(method_name(a.method), name);
      std::vector<size_t> shape{n, n};
      if (name == "norm" || name == "alti" || name == "value-zeroing") shape = {size_t(layers), n, n};
      if (name == "norm-heads") shape = {size_t(layers), size_t(heads), n, n};
      EXPECT_EQ(a.shape, shape) << name;
      expect_close(a.scores, flat(c.at(name)), name == "flow" ? 1e-4 : 1e-5,
                   fixture + " '" + c.at("text").get<std::string>() + "' " + name);
    }
  }
}

TEST(Attribution, EveryMethodMatchesTheReferenceOnTheTinyModel) { check_against_reference(kTiny, "tiny-random"); }

TEST(Attribution, EveryMethodMatchesTheReferenceOnMiniLm) {
  if (!fs::exists(kMiniLm / "model.safetensors")) GTEST_SKIP() << kMiniLm << " missing: run `make model`";
  check_against_reference(kMiniLm, "minilm");
}

TEST(Attribution, RowPicksTheQueryRowOfTheRightBlock) {
  Attribution a;
  a.shape = {2, 3, 2, 2};  // [layers, heads, n, n]
  for (int i = 0; i < 24; ++i) a.scores.push_back(static_cast<float>(i));
  EXPECT_EQ(a.seq_len(), 2);
  EXPECT_EQ(a.row(/*query=*/1, /*layer=*/1, /*head=*/2)[0], 22.0f);
  a.shape = {2, 2};
  EXPECT_EQ(a.row(1)[1], 3.0f);
}

TEST(Attribution, UnknownMethodIsAUsageErrorListingTheValidOnes) {
  try {
    parse_method("rollouts");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    const std::string m = e.what();
    EXPECT_NE(m.find("'rollouts'"), std::string::npos) << m;
    for (const std::string& name : method_names()) EXPECT_NE(m.find(name), std::string::npos) << m;
  }
}

TEST(Attribution, FlowRefusesLongInputsUnlessForced) {
  const Engine engine = Engine::open(kTiny.string());
  std::string text;
  for (int i = 0; i < kMaxFlowTokens; ++i) text += "a ";
  const Encoding enc = engine.encode(text);
  ASSERT_GT(static_cast<int>(enc.size()), kMaxFlowTokens);
  try {
    analyze(engine, enc, Method::kFlow);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitInput);
    EXPECT_NE(std::string(e.what()).find(std::to_string(kMaxFlowTokens)), std::string::npos) << e.what();
  }
  AnalysisOptions force;
  force.force = true;
  const Attribution a = analyze(engine, enc, Method::kFlow, force);
  EXPECT_EQ(a.shape, (std::vector<size_t>{enc.size(), enc.size()}));
}

// Value zeroing reruns a layer for many tokens in one packed batch; how many tokens share a batch
// changes no bit of any rerun.
TEST(Attribution, ValueZeroingRerunsDoNotDependOnTheBatching) {
  const Engine engine = Engine::open(kTiny.string());
  const Encoding enc = engine.encode("The cat sat on the mat.");
  RunOptions options;
  options.hidden_states = true;
  const Result run = engine.run(enc, options);
  const TransformerModel& model = EngineAccess::model(engine);
  const int n = static_cast<int>(enc.size()), hidden = run.hidden;
  const size_t state = static_cast<size_t>(n) * hidden;
  std::vector<float> all(static_cast<size_t>(n) * state), one(state);
  layer_zeroing_values(model, 1, run.hidden_states.data() + state, n, 0, n, all.data());
  for (int j = 0; j < n; ++j) {
    layer_zeroing_values(model, 1, run.hidden_states.data() + state, n, j, 1, one.data());
    testing::expect_bit_identical(one,
                                  std::vector<float>(all.begin() + static_cast<long>(j * state),
                                                     all.begin() + static_cast<long>((j + 1) * state)),
                                  "token " + std::to_string(j));
  }
}

}  // namespace
}  // namespace attnlab
