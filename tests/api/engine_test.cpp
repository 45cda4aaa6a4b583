// The public engine (include/attnlab/engine.h): every output against transformers, the batch and
// observer forms against single runs, truncation, errors.
// Fixtures: tools/make_engine_fixtures.py -> tests/fixtures/engine/<model>.json.
#include "attnlab/engine.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../support/fixtures.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using testing::expect_bit_identical;
using testing::expect_close;
using testing::flat;

const fs::path kTiny = fs::path(ATTNLAB_FIXTURES) / "bert" / "tiny-random" / "model";
const fs::path kMiniLm = fs::path(ATTNLAB_SOURCE_DIR) / "models" / "all-MiniLM-L6-v2";

std::vector<float> vec(std::span<const float> s) { return {s.begin(), s.end()}; }

// Every output a run can return, against transformers. Tolerances: attentions 1e-5 (fp32 softmax,
// another summation order); hidden states and q/k/v 1e-4 (errors grow through the LayerNorms).
void check_against_transformers(const fs::path& model_dir, const std::string& fixture) {
  const Engine engine = Engine::open(model_dir.string());
  const nlohmann::json fx = testing::load_json("engine/" + fixture + ".json");
  RunOptions all;
  all.hidden_states = true;
  all.qkv = true;
  for (const auto& c : fx.at("cases")) {
    const std::string text = c.at("text");
    std::optional<std::string> pair;
    if (!c.at("pair").is_null()) pair = c.at("pair").get<std::string>();
    const Encoding enc = engine.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt);
    EXPECT_EQ(enc.input_ids, c.at("input_ids").get<std::vector<int>>()) << text;
    EXPECT_EQ(enc.word_ids, c.at("word_ids").get<std::vector<int>>()) << text;
    const Result r = engine.run(enc, all);
    const std::string what = fixture + " '" + text + "' ";
    expect_close(vec(r.attentions.view().span()), flat(c.at("attentions")), 1e-5, what + "attentions");
    expect_close(r.hidden_states, flat(c.at("hidden_states")), 1e-4, what + "hidden_states");
    expect_close(r.query, flat(c.at("query")), 1e-4, what + "query");
    expect_close(r.key, flat(c.at("key")), 1e-4, what + "key");
    expect_close(r.value, flat(c.at("value")), 1e-4, what + "value");
    // The last hidden state is the last layer's output.
    const size_t n = r.last_hidden_state.size();
    expect_bit_identical(std::vector<float>(r.hidden_states.end() - static_cast<long>(n), r.hidden_states.end()),
                         r.last_hidden_state, what + "hidden_states[-1] vs last_hidden_state");
    const auto shape = r.query_view().shape;
    EXPECT_EQ(shape[0], size_t(engine.info().num_layers));
    EXPECT_EQ(shape[1], size_t(engine.info().num_heads));
    EXPECT_EQ(shape[2], enc.size());
    EXPECT_EQ(shape[3], size_t(engine.info().head_dim));
  }
}

TEST(Engine, EveryOutputMatchesTransformersOnTheTinyModel) { check_against_transformers(kTiny, "tiny-random"); }

TEST(Engine, EveryOutputMatchesTransformersOnMiniLm) {
  if (!fs::exists(kMiniLm / "model.safetensors")) GTEST_SKIP() << kMiniLm << " missing: run `make model`";
  check_against_transformers(kMiniLm, "minilm");
}

TEST(Engine, InfoDescribesTheModel) {
  const Engine engine = Engine::open(kTiny.string());
  const ModelInfo& info = engine.info();
  const nlohmann::json config = nlohmann::json::parse(testing::read_text((kTiny / "config.json").string()));
  EXPECT_EQ(info.num_layers, config.at("num_hidden_layers").get<int>());
  EXPECT_EQ(info.num_heads, config.at("num_attention_heads").get<int>());
  EXPECT_EQ(info.hidden, config.at("hidden_size").get<int>());
  EXPECT_EQ(info.head_dim * info.num_heads, info.hidden);
  EXPECT_EQ(info.max_tokens, config.at("max_position_embeddings").get<int>());
  EXPECT_EQ(info.name, kTiny.string());
  EXPECT_TRUE(info.notice.empty());
}

TEST(Engine, DefaultRunReturnsNoExtrasAndViewsAgreeWithTheLayout) {
  const Engine engine = Engine::open(kTiny.string());
  const Result r = engine.run("The cat sat on the mat.");
  EXPECT_TRUE(r.hidden_states.empty());
  EXPECT_TRUE(r.query.empty() && r.key.empty() && r.value.empty());
  const AttentionTensor& a = r.attentions;
  const int n = r.seq_len();
  ASSERT_EQ(a.seq_len(), n);
  const auto v = a.view();
  const auto strides = v.strides_bytes();
  EXPECT_EQ(strides[3], sizeof(float));
  EXPECT_EQ(strides[2], sizeof(float) * n);
  EXPECT_EQ(strides[0], sizeof(float) * a.heads() * n * n);
  for (int l = 0; l < a.layers(); ++l)
    for (int h = 0; h < a.heads(); ++h)
      for (int q = 0; q < n; ++q) {
        const auto row = a.row(l, h, q);
        const char* base = reinterpret_cast<const char*>(v.data);
        EXPECT_EQ(reinterpret_cast<const char*>(row.data()), base + l * strides[0] + h * strides[1] + q * strides[2]);
        EXPECT_EQ(a.head(l, h).data() + q * n, row.data());
      }
}

TEST(Engine, SelectHeadsCopiesTheChosenBlocksInTheOrderGiven) {
  // A [3, 2, 2, 2] tensor whose every value is its own index.
  std::vector<float> data(3 * 2 * 2 * 2);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>(i);
  const ArrayView<4> t{data.data(), {3, 2, 2, 2}};
  const std::vector<int> layers = {2, 0}, head = {1};
  EXPECT_EQ(select_heads(t, layers), (std::vector<float>{16, 17, 18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(select_heads(t, layers, head), (std::vector<float>{20, 21, 22, 23, 4, 5, 6, 7}));
  EXPECT_TRUE(select_heads(t, {}).empty());
}

TEST(Engine, BatchEqualsSingleRunsBitForBit) {
  const Engine engine = Engine::open(kTiny.string());
  const std::vector<Encoding> inputs = {engine.encode("The cat sat on the mat."), engine.encode("x"),
                                        engine.encode("a longer sentence, with punctuation!", "and a pair")};
  RunOptions all;
  all.hidden_states = all.qkv = true;
  const std::vector<Result> batch = engine.run_batch(inputs, all);
  ASSERT_EQ(batch.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Result one = engine.run(inputs[i], all);
    const std::string what = "input " + std::to_string(i) + " ";
    EXPECT_EQ(batch[i].encoding.input_ids, inputs[i].input_ids);
    expect_bit_identical(vec(batch[i].attentions.view().span()), vec(one.attentions.view().span()), what + "attentions");
    expect_bit_identical(batch[i].last_hidden_state, one.last_hidden_state, what + "last_hidden_state");
    expect_bit_identical(batch[i].pooler_output, one.pooler_output, what + "pooler_output");
    expect_bit_identical(batch[i].hidden_states, one.hidden_states, what + "hidden_states");
    expect_bit_identical(batch[i].query, one.query, what + "query");
    expect_bit_identical(batch[i].value, one.value, what + "value");
  }
}

TEST(Engine, ObserverSeesEveryLayerWithoutTheResultKeepingThem) {
  const Engine engine = Engine::open(kTiny.string());
  const std::vector<Encoding> inputs = {engine.encode("The cat sat on the mat."), engine.encode("two words")};
  RunOptions keep;
  keep.hidden_states = true;
  const std::vector<Result> full = engine.run_batch(inputs, keep);

  std::vector<std::vector<std::vector<float>>> seen_att(inputs.size()), seen_hidden(inputs.size());
  RunOptions observe;
  observe.attentions = false;
  observe.last_hidden = false;  // the last view's hidden is the last layer's output
  observe.on_layer = [&](std::span<const LayerView> views) {
    ASSERT_EQ(views.size(), inputs.size()) << "every input's view of the layer in one call";
    for (size_t i = 0; i < views.size(); ++i) {
      const LayerView& v = views[i];
      EXPECT_EQ(v.input, static_cast<int>(i)) << "inputs in order";
      EXPECT_EQ(static_cast<int>(seen_att[i].size()), v.layer) << "layers in order";
      EXPECT_EQ(v.attention.shape[1], inputs[i].size());
      seen_att[i].push_back(vec(v.attention.span()));
      seen_hidden[i].push_back(vec(v.hidden.span()));
    }
  };
  const std::vector<Result> lean = engine.run_batch(inputs, observe);
  for (size_t i = 0; i < inputs.size(); ++i) {
    EXPECT_TRUE(lean[i].attentions.empty());
    EXPECT_TRUE(lean[i].last_hidden_state.empty());
    EXPECT_TRUE(lean[i].pooler_output.empty());
    ASSERT_EQ(static_cast<int>(seen_att[i].size()), engine.info().num_layers);
    const size_t n = inputs[i].size(), h = static_cast<size_t>(engine.info().hidden);
    for (int l = 0; l < engine.info().num_layers; ++l) {
      const auto block = full[i].attentions.view().span().subspan(
          static_cast<size_t>(l) * engine.info().num_heads * n * n, static_cast<size_t>(engine.info().num_heads) * n * n);
      expect_bit_identical(seen_att[i][l], vec(block), "observed attention, layer " + std::to_string(l));
      const auto hidden = std::span<const float>(full[i].hidden_states).subspan((l + 1) * n * h, n * h);
      expect_bit_identical(seen_hidden[i][l], vec(hidden), "observed hidden, layer " + std::to_string(l));
    }
  }
}

TEST(Engine, TruncationIsThePolicyOfEncode) {
  const Engine engine = Engine::open(kTiny.string());
  std::string text;
  for (int i = 0; i < 600; ++i) text += "cat ";
  const Encoding cut = engine.encode(text);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(static_cast<int>(cut.size()), engine.info().max_tokens);
  TruncationOptions short_cut;
  short_cut.max_length = 8;
  EXPECT_EQ(engine.encode(text, std::nullopt, short_cut).size(), 8u);
  TruncationOptions refuse;
  refuse.truncate = false;
  try {
    engine.encode(text, std::nullopt, refuse);
    FAIL() << "an input longer than the model accepts must be refused";
  } catch (const InputTooLong& e) {  // its own type, so front ends add their advice without reading the message
    EXPECT_EQ(e.exit_code(), kExitInput);
    EXPECT_EQ(e.tokens(), 602);
    EXPECT_EQ(e.limit(), 512);
    EXPECT_NE(std::string(e.what()).find("602 tokens, the model accepts at most 512"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(engine.encode("The cat", std::nullopt, refuse).truncated);
}

TEST(Engine, ErrorsNameWhatIsWrong) {
  try {
    Engine::open("./no/such/model/dir/");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitInput);
    EXPECT_NE(std::string(e.what()).find("no such model directory"), std::string::npos) << e.what();
  }
  EngineOptions tokenizer_only;
  tokenizer_only.tokenizer_only = true;
  const Engine tok = Engine::open(kTiny.string(), tokenizer_only);
  EXPECT_EQ(tok.encode("The cat").tokens.front(), "[CLS]");
  EXPECT_THROW(tok.run("The cat"), Error);
  const Engine engine = Engine::open(kTiny.string());
  Encoding bad = engine.encode("The cat");
  bad.input_ids[1] = 1 << 20;
  try {
    engine.run(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitInput);
    EXPECT_NE(std::string(e.what()).find("outside the vocabulary"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnlab
