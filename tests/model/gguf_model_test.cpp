// The real GGUF models `make model` fetches against transformers' GGUF loader (eager, fp32,
// output_attentions=True; fixtures: tools/make_gguf_model_goldens.py): the tokenizer built from the
// file's metadata gives transformers' ids on the tokenizer string set, and the forward pass over the
// dequantized weights gives its attentions, final hidden states and last-position logits.
// GCC 12 sees a null dereference inside nlohmann::json's object construction here (not ours).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <optional>

#include "../support/fixtures.h"
#include "attnlab/engine.h"
#include "attnlab/error.h"
#include "attnlab/tokenizer.h"
#include "io/gguf.h"
#include "model/gguf_model.h"
#include "model/transformer.h"
#include "text/gguf_tokenizer.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kFixtures = fs::path(ATTNLAB_FIXTURES) / "gguf_models";
const fs::path kModels = fs::path(ATTNLAB_SOURCE_DIR) / "models";

fs::path model_file(const json& fx) {
  return kModels / fs::path(fx["model_dir"].get<std::string>()).filename() / fx["gguf_file"].get<std::string>();
}

void check_tokenizer(const std::string& name) {
  const json fx = json::parse(testing::read_text((kFixtures / name / "cases.json").string()));
  const fs::path file = model_file(fx);
  if (!is_gguf_file(file)) GTEST_SKIP() << file << " is missing: run `make model`";
  const HfTokenizer tok = HfTokenizer::open(file);
  const json cases = json::parse(testing::read_text((kFixtures / name / "tokenizer_cases.json").string()));
  size_t checked = 0, differ = 0;
  for (const json& c : cases["cases"]) {
    // Invalid UTF-8 cases (bytes_hex) carry Python's replacement decoding as `text`, which is what
    // transformers encoded.
    const std::string text = c["text"].get<std::string>();
    const std::vector<int> want = c["ids"].get<std::vector<int>>();
    const std::vector<int> want_plain = c["ids_no_special"].get<std::vector<int>>();
    const std::vector<int> got = tok.encode(text).input_ids, got_plain = tok.encode(text, std::nullopt, false).input_ids;
    differ += got != want || got_plain != want_plain;
    EXPECT_EQ(got, want) << name << ": " << text;
    EXPECT_EQ(got_plain, want_plain) << name << ": " << text;
    ++checked;
  }
  EXPECT_GT(checked, 400u);
  std::printf("%s tokenizer: %zu strings, %zu differ from transformers\n", name.c_str(), checked, differ);
}

struct Tolerances {
  double attentions, hidden, logits;
};

void check_forward(const std::string& name, const Tolerances& tol, bool with_tokenizer = true) {
  const json fx = json::parse(testing::read_text((kFixtures / name / "cases.json").string()));
  const testing::FloatBlob bin = testing::read_float_blob((kFixtures / name / "cases.bin").string());
  const fs::path file = model_file(fx);
  ASSERT_TRUE(is_gguf_file(file)) << file << " is missing: run `make model`";
  const TransformerModel model = load_model(file);
  const std::optional<Engine> engine = with_tokenizer ? std::optional<Engine>(Engine::open(file.string())) : std::nullopt;
  double worst_att = 0, worst_hidden = 0, worst_logits = 0;
  int prompts = 0;
  for (const json& c : fx["cases"]) {
    const std::string what = name + "/" + c["name"].get<std::string>();
    const std::vector<int> ids = c["input_ids"].get<std::vector<int>>();
    if (engine) {
      EXPECT_EQ(engine->encode(c["text"].get<std::string>()).input_ids, ids) << what << " ids";
    }
    RunOptions o;
    o.last_hidden = c.contains("last_hidden_state");
    const Result out = forward(model, ids, {}, o);
    const int n = out.seq_len();
    // attentions [len(layers), heads, n - start, n]
    const std::vector<int> layers = c["attention_layers"].get<std::vector<int>>();
    const int start = c["attention_query_start"].get<int>();
    const std::vector<float> want = bin.slice(c["attentions"]);
    std::vector<float> got;
    for (int l : layers)
      for (int h = 0; h < out.num_heads; ++h)
        for (int i = start; i < n; ++i) {
          const std::span<const float> row = out.attentions.row(l, h, i);
          got.insert(got.end(), row.begin(), row.end());
        }
    worst_att = std::max(worst_att, testing::expect_close(got, want, tol.attentions, what + " attentions"));
    if (o.last_hidden)
      worst_hidden = std::max(worst_hidden, testing::expect_close(out.last_hidden_state, bin.slice(c["last_hidden_state"]),
                                                                  tol.hidden, what + " last_hidden_state"));
    const std::span<const float> last = out.last_logits();
    if (c.contains("logits")) {
      worst_logits = std::max(worst_logits, testing::expect_close(std::vector<float>(last.begin(), last.end()),
                                                                  bin.slice(c["logits"]), tol.logits, what + " logits"));
    } else {
      const std::vector<int> at = c["logits_at"]["ids"].get<std::vector<int>>();
      std::vector<float> sub;
      for (int id : at) sub.push_back(last[static_cast<size_t>(id)]);
      worst_logits = std::max(worst_logits, testing::expect_close(sub, bin.slice(c["logits_at"]["values"]), tol.logits,
                                                                  what + " logits"));
    }
    // Top-10 in order where transformers' probabilities are not tied within 1e-6; top-1 always.
    const std::vector<int> want_ids = c["top_k"]["ids"].get<std::vector<int>>();
    const std::vector<float> want_p = bin.slice(c["top_k"]["probs"]);
    std::vector<int> order(last.size());
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(want_ids.size()), order.end(),
                      [&](int a, int b) { return last[static_cast<size_t>(a)] > last[static_cast<size_t>(b)]; });
    EXPECT_EQ(order[0], want_ids[0]) << what << " top-1";
    for (size_t k = 0; k < want_ids.size(); ++k) {
      const bool tied = (k > 0 && want_p[k - 1] - want_p[k] < 1e-6f) || (k + 1 < want_p.size() && want_p[k] - want_p[k + 1] < 1e-6f);
      if (!tied) {
        EXPECT_EQ(order[k], want_ids[k]) << what << " top-" << k + 1;
      }
    }
    ++prompts;
  }
  EXPECT_GE(prompts, 30);
  std::printf("%s: %d prompts, max |diff| attentions %.3g, last hidden %.3g, logits %.3g\n", name.c_str(), prompts,
              worst_att, worst_hidden, worst_logits);
}

TEST(GgufModel, SmolLM2TokenizerMatchesTransformers) { check_tokenizer("smollm2-135m-instruct"); }
TEST(GgufModel, Gemma3TokenizerMatchesTransformers) { check_tokenizer("gemma-3-270m"); }

// The tokenizer.json document built from Gemma's metadata is the one transformers saves for the same
// file (tests/fixtures/tokenizers/gemma3/, tools/make_tokenizer_json_fixtures.py): every component, the
// 6384 added tokens, and the 514906 merges it recovers from the vocabulary, in order.
TEST(GgufModel, Gemma3TokenizerDocumentIsTransformers) {
  const json fx = json::parse(testing::read_text((kFixtures / "gemma-3-270m" / "cases.json").string()));
  const fs::path file = model_file(fx);
  if (!is_gguf_file(file)) GTEST_SKIP() << file << " is missing: run `make model`";
  const json want = json::parse(testing::read_maybe_gz(testing::fixture_path("tokenizers/gemma3/tokenizer.json")));
  const json got = gguf_tokenizer(GgufFile(file)).document;
  testing::expect_same_tokenizer_document(got, want);
}

// Tolerances as measured (README "GGUF files"): SmolLM2 over 30 layers attentions <= 4.3e-5 (the
// induction prompt; most <= 1e-5), last hidden 8.0e-5, logits <= 5.1e-4 at magnitudes near 25; Gemma 3
// over 18 layers attentions <= 5.2e-6, last hidden 9.3e-5, logits <= 1.8e-4.
TEST(GgufModel, SmolLM2MatchesTransformers) { check_forward("smollm2-135m-instruct", {1e-4, 5e-4, 1e-3}); }

TEST(GgufModel, Gemma3MatchesTransformers) { check_forward("gemma-3-270m", {1e-5, 2e-4, 5e-4}); }

// read_gguf_spec of a model's file against transformers' derived config on the fields every family
// has; the config is returned for the family's own.
json check_common_spec(const std::string& name, ModelSpec& s) {
  const json fx = json::parse(testing::read_text((kFixtures / name / "cases.json").string()));
  s = read_gguf_spec(GgufFile(model_file(fx)));
  const json hf = fx["hf_config"];
  EXPECT_EQ(s.model_type, hf["model_type"].get<std::string>());
  EXPECT_EQ(s.layers, hf["num_hidden_layers"].get<int>());
  EXPECT_EQ(s.hidden, hf["hidden_size"].get<int>());
  EXPECT_EQ(s.heads, hf["num_attention_heads"].get<int>());
  EXPECT_EQ(s.kv_heads, hf["num_key_value_heads"].get<int>());
  EXPECT_EQ(s.head_dim, hf["head_dim"].get<int>());
  EXPECT_EQ(s.intermediate, hf["intermediate_size"].get<int>());
  EXPECT_EQ(s.vocab_size, hf["vocab_size"].get<int>());
  EXPECT_EQ(s.max_positions, hf["max_position_embeddings"].get<int>());
  EXPECT_EQ(s.norm_eps, hf["rms_norm_eps"].get<double>());
  EXPECT_EQ(s.tied_embeddings, hf["tie_word_embeddings"].get<bool>());
  EXPECT_EQ(s.bos_token_id, hf["bos_token_id"].get<int>());
  EXPECT_EQ(s.eos_token_ids, std::vector<int>{hf["eos_token_id"].get<int>()});
  return hf;
}

TEST(GgufModel, SmolLM2SpecIsTransformersConfig) {
  ModelSpec s;
  const json hf = check_common_spec("smollm2-135m-instruct", s);
  EXPECT_EQ(s.family, "llama");
  EXPECT_EQ(s.rope.theta, hf["rope_parameters"]["rope_theta"].get<double>());
}

// What transformers' GGUF loader derives for Gemma 3 (defaults of Gemma3TextConfig included) is the spec.
TEST(GgufModel, Gemma3SpecIsTransformersConfig) {
  ModelSpec s;
  const json hf = check_common_spec("gemma-3-270m", s);
  EXPECT_EQ(s.family, "gemma3");
  EXPECT_EQ(s.attention_scale, std::pow(hf["query_pre_attn_scalar"].get<double>(), -0.5));
  EXPECT_EQ(s.rope.theta, hf["rope_parameters"]["full_attention"]["rope_theta"].get<double>());
  EXPECT_EQ(s.local_rope.theta, hf["rope_parameters"]["sliding_attention"]["rope_theta"].get<double>());
  EXPECT_TRUE(hf["final_logit_softcapping"].is_null());
  EXPECT_EQ(s.final_logit_softcap, 0.0f);
  ASSERT_EQ(s.window.size(), hf["layer_types"].size());
  for (size_t l = 0; l < s.window.size(); ++l)
    EXPECT_EQ(s.window[l], hf["layer_types"][l] == "sliding_attention" ? hf["sliding_window"].get<int>() : 0) << l;
}

size_t packed_bytes(const TransformerModel& m) {
  size_t n = m.weights.lm_head_p.bytes();
  for (const LayerWeights& L : m.weights.layers) n += L.qkv_p.bytes() + L.o_p.bytes() + L.up_p.bytes() + L.down_p.bytes();
  return n;
}

// The linear layers over the files' quantized blocks (ops/packed_linear.h) give the bits of the
// float32 path over the dequantized weights (--dequantize), for a short prompt (blocks expanded in
// L1) and the long one (expanded per chunk of panels), while the packed weights stay near the file's
// size instead of 4-8x it.
void check_quantized_equals_dequantized(const std::string& name) {
  const json fx = json::parse(testing::read_text((kFixtures / name / "cases.json").string()));
  const fs::path file = model_file(fx);
  ASSERT_TRUE(is_gguf_file(file)) << file << " is missing: run `make model`";
  const TransformerModel quant = load_model(file);
  LoadOptions plain_options;
  plain_options.dequantize = true;
  const TransformerModel plain = load_model(file, plain_options);
  const double file_bytes = static_cast<double>(fs::file_size(file));
  std::printf("%s: packed weights %.0f MB quantized, %.0f MB dequantized, file %.0f MB\n", name.c_str(),
              packed_bytes(quant) / 1e6, packed_bytes(plain) / 1e6, file_bytes / 1e6);
  EXPECT_LT(static_cast<double>(packed_bytes(quant)), 1.5 * file_bytes);
  EXPECT_GT(static_cast<double>(packed_bytes(plain)), 3.0 * file_bytes);
  for (const json& c : fx["cases"]) {
    const std::string case_name = c["name"].get<std::string>();
    if (case_name != "capital" && case_name != "long") continue;
    const std::vector<int> ids = c["input_ids"].get<std::vector<int>>();
    RunOptions o;
    o.last_hidden = true;
    const Result a = forward(quant, ids, {}, o), b = forward(plain, ids, {}, o);
    const auto att_a = a.attentions.view().span(), att_b = b.attentions.view().span();
    testing::expect_bit_identical(std::vector<float>(att_a.begin(), att_a.end()),
                                  std::vector<float>(att_b.begin(), att_b.end()), name + "/" + case_name + " attentions");
    testing::expect_bit_identical(a.logits, b.logits, name + "/" + case_name + " logits");
    testing::expect_bit_identical(a.last_hidden_state, b.last_hidden_state, name + "/" + case_name + " last hidden");
  }
}

TEST(GgufModel, SmolLM2QuantizedKernelsGiveTheDequantizedBits) {
  check_quantized_equals_dequantized("smollm2-135m-instruct");
}
TEST(GgufModel, Gemma3QuantizedKernelsGiveTheDequantizedBits) { check_quantized_equals_dequantized("gemma-3-270m"); }

// A GGUF file that is valid but no model (tools/make_gguf_fixtures.py's all_types.gguf: architecture
// llama, none of its keys): each reader names the file and the first thing it lacks.
TEST(GgufModel, RefusesAFileThatIsNoModel) {
  const fs::path file = fs::path(ATTNLAB_FIXTURES) / "gguf" / "all_types.gguf";
  const auto message = [](const auto& f) {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitInput);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string model = message([&] { load_model(file); });
  EXPECT_NE(model.find(file.string()), std::string::npos) << model;
  EXPECT_NE(model.find("missing metadata key 'llama."), std::string::npos) << model;
  const std::string tok = message([&] { HfTokenizer::open(file); });
  EXPECT_NE(tok.find(file.string()), std::string::npos) << tok;
  EXPECT_NE(tok.find("tokenizer.ggml.model"), std::string::npos) << tok;
}

}  // namespace
}  // namespace attnlab
