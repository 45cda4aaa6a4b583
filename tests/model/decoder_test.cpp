// The Llama-architecture decoders against transformers' eager fp32 forward (fixtures:
// tools/make_llama_fixtures.py, and as GGUF files of the llama, qwen2, qwen3 architectures through
// transformers' GGUF loader: tools/make_gguf_arch_fixtures.py): attentions (1e-5), hidden states (1e-4),
// logits (1e-4), the top-k next tokens in the same order; plus the config reader's and the loader's refusals.
// GCC 12 sees a null dereference inside nlohmann::json's object construction here (not ours).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>

#include "../support/fixtures.h"
#include "attnlab/error.h"
#include "attnlab/tokenizer.h"
#include "../support/isa.h"
#include "core/cpu.h"
#include "model/decoder.h"
#include "model/families.h"
#include "model/transformer.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kDir = fs::path(ATTNLAB_FIXTURES) / "decoders";

std::vector<std::string> decoder_fixtures() {
  std::vector<std::string> names;
  if (!fs::exists(kDir)) return names;
  for (const auto& e : fs::directory_iterator(kDir))
    if (fs::exists(e.path() / "cases.json")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Every fixture through the one forward on every instruction set this CPU runs (the causal, grouped
// and windowed attention is the kernels' own).
void check_fixture(const std::string& name) {
  const fs::path dir = kDir / name;
  const json fx = json::parse(testing::read_text((dir / "cases.json").string()));
  const testing::FloatBlob bin = testing::read_float_blob((dir / "cases.bin").string());
  // tools/make_gguf_arch_fixtures.py's fixtures hold a GGUF file (llama, qwen2, qwen3 as llama.cpp writes
  // them), whose tokenizer comes from its metadata.
  const bool gguf = fs::exists(dir / "model.gguf");
  const fs::path model_path = gguf ? dir / "model.gguf" : dir / "model";
  const TransformerModel model = load_model(model_path);
  const std::optional<HfTokenizer> tokenizer = gguf ? std::optional<HfTokenizer>(HfTokenizer::open(model_path)) : std::nullopt;
  ASSERT_FALSE(fx["cases"].empty());
  double worst_att = 0, worst_logits = 0;
  for (const json& c : fx["cases"]) {
    const std::vector<int> ids = c["input_ids"].get<std::vector<int>>();
    if (tokenizer && c["text"].is_string()) {
      EXPECT_EQ(tokenizer->encode(c["text"].get<std::string>()).input_ids, ids) << name << " ids";
    }
    RunOptions o;
    o.hidden_states = c.contains("hidden_states");
    o.all_logits = true;
    const Result out = forward(model, ids, {}, o);
    const std::string what = name + "/" + c.value("name", std::string("case")) + " " + isa_name(active_isa());
    const std::span<const float> got = out.attentions.view().span();
    worst_att = std::max(worst_att, testing::expect_close(std::vector<float>(got.begin(), got.end()),
                                                          bin.slice(c["attentions"]), 1e-5, what + " attentions"));
    if (c.contains("hidden_states"))
      testing::expect_close(out.hidden_states, bin.slice(c["hidden_states"]), 1e-4, what + " hidden_states");
    worst_logits = std::max(worst_logits, testing::expect_close(out.logits, bin.slice(c["logits"]), 1e-4, what + " logits"));
    // Causal: above the diagonal exactly 0; outside a layer's window too.
    const int n = out.seq_len();
    for (int l = 0; l < out.num_layers; ++l) {
      const int window = model.spec.window[static_cast<size_t>(l)];
      for (int h = 0; h < out.num_heads; ++h)
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j)
            if (j > i || (window > 0 && j <= i - window)) {
              ASSERT_EQ(out.attentions.row(l, h, i)[static_cast<size_t>(j)], 0.0f) << what << " layer " << l;
            }
    }
    if (c.contains("top_k")) {
      const json& tk = c["top_k"];
      const std::vector<int> want = tk.contains("ids") ? tk["ids"].get<std::vector<int>>() : std::vector<int>{};
      const float* last = out.logits.data() + static_cast<size_t>(n - 1) * out.vocab_size;
      std::vector<int> order(static_cast<size_t>(out.vocab_size));
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return last[a] > last[b]; });
      order.resize(want.size());
      EXPECT_EQ(order, want) << what << " top-k";
    }
  }
  std::printf("[ summary  ] %s (%s): max diff attentions %.3g, logits %.3g\n", name.c_str(), isa_name(active_isa()),
              worst_att, worst_logits);
}

class DecoderGolden : public testing::IsaTest {};
ATTNLAB_INSTANTIATE_OVER_ISAS(DecoderGolden);

TEST_P(DecoderGolden, MatchesTransformersEager) {
  const std::vector<std::string> names = decoder_fixtures();
  ASSERT_GE(names.size(), 15u);
  for (const std::string& name : names) check_fixture(name);
}

// A packed batch of sequences of different lengths gives each one's single run (positions restart).
TEST(DecoderBatch, EqualsSingleRuns) {
  const TransformerModel model = load_model(kDir / "mistral-window" / "model");
  std::vector<Encoding> batch(3);
  for (size_t b = 0; b < batch.size(); ++b)
    for (int t = 0; t < 5 + 4 * static_cast<int>(b); ++t) batch[b].input_ids.push_back((t * 31 + 7 * static_cast<int>(b)) % 100);
  const std::vector<Result> outs = forward_batch(model, batch);
  for (size_t b = 0; b < batch.size(); ++b) {
    const Result one = forward(model, batch[b].input_ids);
    const auto x = outs[b].attentions.view().span(), y = one.attentions.view().span();
    EXPECT_TRUE(std::equal(x.begin(), x.end(), y.begin(), y.end())) << "sequence " << b;
    EXPECT_EQ(outs[b].logits, one.logits) << "sequence " << b;
  }
}

// Attention by blocks of query rows (RunOptions::on_attention_rows, the bounded-memory path): every
// block, in order, holds the whole pass's rows bit for bit, and the rest of the result is the same, on
// every instruction set; blocks of 1, 3 and 7 rows over causal, windowed and grouped-head fixtures, in
// a batch too. The BERT fixture checks the bidirectional path.
class AttentionRowBlocks : public testing::IsaTest {};
ATTNLAB_INSTANTIATE_OVER_ISAS(AttentionRowBlocks);

TEST_P(AttentionRowBlocks, EqualTheWholePass) {
  for (const fs::path& dir : {kDir / "llama-gqa" / "model", kDir / "mistral-window" / "model",
                             kDir / "gemma3-window" / "model", kDir / "qwen2-window" / "model",
                             fs::path(ATTNLAB_FIXTURES) / "bert" / "tiny-random" / "model"}) {
    const TransformerModel model = load_model(dir);
    std::vector<Encoding> batch(2);
    for (size_t b = 0; b < batch.size(); ++b)
      for (int t = 0; t < 19 + 6 * static_cast<int>(b); ++t)
        batch[b].input_ids.push_back((t * 37 + 11 * static_cast<int>(b) + 1) % 90 + 5);
    const std::vector<Result> whole = forward_batch(model, batch);
    for (const int block_rows : {1, 3, 7}) {
      const int heads = whole[0].num_heads;
      const int longest = static_cast<int>(batch[1].size());
      RunOptions o;
      o.attentions = false;
      o.attention_block_bytes = sizeof(float) * static_cast<size_t>(heads) * longest * block_rows;
      std::vector<std::vector<int>> next_row(batch.size(), std::vector<int>(static_cast<size_t>(whole[0].num_layers), 0));
      int last_layer = 0;
      o.on_attention_rows = [&](const AttentionRows& r) {
        const std::string what = dir.parent_path().filename().string() + " input " + std::to_string(r.input) +
                                 " layer " + std::to_string(r.layer) + " rows from " + std::to_string(r.row0);
        ASSERT_GE(r.layer, last_layer) << what;
        last_layer = r.layer;
        int& next = next_row[static_cast<size_t>(r.input)][static_cast<size_t>(r.layer)];
        ASSERT_EQ(r.row0, next) << what;
        const int seq = static_cast<int>(batch[static_cast<size_t>(r.input)].size());
        ASSERT_EQ(r.probs.shape[0], static_cast<size_t>(heads)) << what;
        ASSERT_EQ(r.probs.shape[2], static_cast<size_t>(seq)) << what;
        ASSERT_LE(r.rows(), std::max(1, block_rows * longest / seq)) << what;
        next += r.rows();
        const AttentionTensor& a = whole[static_cast<size_t>(r.input)].attentions;
        for (int h = 0; h < heads; ++h)
          for (int i = 0; i < r.rows(); ++i) {
            const std::span<const float> want = a.row(r.layer, h, r.row0 + i);
            const float* got = r.probs.data + (static_cast<size_t>(h) * r.rows() + i) * seq;
            ASSERT_TRUE(std::equal(want.begin(), want.end(), got)) << what << " head " << h << " row " << i;
          }
      };
      const std::vector<Result> blocks = forward_batch(model, batch, o);
      for (size_t b = 0; b < batch.size(); ++b) {
        for (int next : next_row[b]) EXPECT_EQ(next, static_cast<int>(batch[b].size())) << "input " << b;
        EXPECT_TRUE(blocks[b].attentions.empty());
        EXPECT_EQ(blocks[b].logits, whole[b].logits);
        EXPECT_EQ(blocks[b].last_hidden_state, whole[b].last_hidden_state);
      }
    }
  }
}

TEST(AttentionRowBlocks, NeedAttentionsOff) {
  const TransformerModel model = load_model(kDir / "llama-gqa" / "model");
  RunOptions o;
  o.on_attention_rows = [](const AttentionRows&) {};
  EXPECT_THROW(forward(model, std::vector<int>{1, 2, 3}, {}, o), Error);
}

class DecoderConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attnlab_decoder_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void expect_refused(const json& config, const std::string& needle) {
    std::ofstream(dir_ / "config.json") << config.dump();
    try {
      read_decoder_config(dir_ / "config.json");
      ADD_FAILURE() << "accepted " << config.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitInput);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
    }
  }
  static json base() {
    return {{"model_type", "llama"},       {"vocab_size", 100},          {"hidden_size", 64},
            {"intermediate_size", 128},    {"num_hidden_layers", 2},     {"num_attention_heads", 4},
            {"num_key_value_heads", 2},    {"max_position_embeddings", 64}, {"rms_norm_eps", 1e-5}};
  }
  fs::path dir_;
};

TEST_F(DecoderConfig, ReadsAValidConfig) {
  std::ofstream(dir_ / "config.json") << base().dump();
  const ModelSpec s = read_decoder_config(dir_ / "config.json");
  EXPECT_EQ(s.head_dim, 16);
  EXPECT_EQ(s.kv_heads, 2);
  EXPECT_EQ(s.rope.type, "default");
}

TEST_F(DecoderConfig, RefusesHostileConfigs) {
  json c = base();
  c["model_type"] = "gpt_neox";
  expect_refused(c, "model_type: 'gpt_neox' is not a decoder family");
  c = base();
  c["hidden_size"] = "64";
  expect_refused(c, "hidden_size: expected an integer");
  c = base();
  c["num_attention_heads"] = 0;
  expect_refused(c, "num_attention_heads: expected an integer in [1, 4096]");
  c = base();
  c["num_key_value_heads"] = 3;
  expect_refused(c, "num_key_value_heads: 3 does not divide num_attention_heads 4");
  c = base();
  c["num_attention_heads"] = 5;
  c["num_key_value_heads"] = 5;
  expect_refused(c, "5 does not divide hidden_size 64");
  c = base();
  c["vocab_size"] = 1LL << 40;
  expect_refused(c, "vocab_size: expected an integer");
  c = base();
  c["rope_scaling"] = {{"rope_type", "longrope"}, {"factor", 2.0}};
  expect_refused(c, "unknown RoPE scaling 'longrope'");
  c = base();
  c["rope_parameters"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"rope_theta", 500000.0}};
  expect_refused(c, "low_freq_factor");
  c = base();
  c["hidden_act"] = "gelu";
  expect_refused(c, "hidden_act: 'gelu' is not supported");
}

// Gemma 3's reader (model/gemma3.cpp) through the family dispatch: the defaults of Gemma3TextConfig
// where config.json is silent, and one clear refusal per hostile field.
TEST_F(DecoderConfig, Gemma3DefaultsAndRefusals) {
  json c = {{"model_type", "gemma3_text"}, {"vocab_size", 100}, {"hidden_size", 64}, {"intermediate_size", 128},
            {"num_hidden_layers", 7}, {"num_attention_heads", 4}, {"num_key_value_heads", 1}};
  std::ofstream(dir_ / "config.json") << c.dump();
  const ModelSpec s = read_model_config(dir_ / "config.json");
  EXPECT_EQ(s.family, "gemma3");
  EXPECT_EQ(s.head_dim, 256);                       // the class default, not hidden / heads
  EXPECT_EQ(s.attention_scale, std::pow(256.0, -0.5));  // query_pre_attn_scalar 256
  EXPECT_EQ(s.window, (std::vector<int>{4096, 4096, 4096, 4096, 4096, 0, 4096}));  // pattern 6
  EXPECT_EQ(s.rope.theta, 1e6);
  EXPECT_EQ(s.local_rope.theta, 1e4);
  EXPECT_TRUE(s.tied_embeddings);
  EXPECT_EQ(s.norm_weight_offset, 1.0f);
  EXPECT_EQ(s.embed_scale, static_cast<float>(std::sqrt(64.0)));
  const auto refused = [&](const char* key, const json& value, const std::string& needle) {
    json bad = c;
    bad[key] = value;
    std::ofstream(dir_ / "config.json") << bad.dump();
    try {
      read_model_config(dir_ / "config.json");
      ADD_FAILURE() << "accepted " << key << " = " << value.dump();
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitInput);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  refused("model_type", "gemma3", "multimodal Gemma 3");
  refused("use_bidirectional_attention", true, "use_bidirectional_attention: bidirectional");
  refused("hidden_activation", "gelu", "hidden_activation: 'gelu' is not supported");
  refused("layer_types", json::array({"sliding_attention"}), "layer_types: expected a list of 7");
  refused("layer_types", json(std::vector<std::string>(7, "chunked_attention")), "unknown layer type 'chunked_attention'");
  refused("query_pre_attn_scalar", -1, "query_pre_attn_scalar: expected a positive number");
  refused("rope_parameters", {{"full_attention", {{"rope_type", "longrope"}}}}, "unknown RoPE scaling 'longrope'");
  refused("rope_parameters", {{"rope_type", "default"}}, "expected an object keyed by layer type");
  refused("sliding_window", 0, "sliding_window: expected an integer");
}

TEST_F(DecoderConfig, RefusesHostileShardIndexes) {
  std::ofstream(dir_ / "config.json") << base().dump();
  auto expect_load_refused = [&](const json& index, const std::string& needle) {
    std::ofstream(dir_ / "model.safetensors.index.json") << index.dump();
    try {
      load_model(dir_);
      ADD_FAILURE() << "accepted " << index.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_load_refused({{"weight_map", {{"model.embed_tokens.weight", "../outside.safetensors"}}}},
                      "is not a file name in the model's folder");
  expect_load_refused({{"weight_map", {{"model.embed_tokens.weight", "/etc/passwd"}}}}, "is not a file name");
  expect_load_refused({{"weight_map", {{"model.embed_tokens.weight", "model-00001-of-00002.safetensors"}}}},
                      "is missing");
  expect_load_refused({{"weight_map", 3}}, "weight_map: expected an object");
  fs::remove(dir_ / "model.safetensors.index.json");
  try {
    load_model(dir_);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing model weights"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnlab
