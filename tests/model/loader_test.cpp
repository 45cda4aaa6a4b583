// Bad model folders: every problem is an attnlab::Error naming the file and the problem.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>

#include "../support/fixtures.h"
#include "../support/temp_dir.h"
#include "attnlab/error.h"
#include "model/transformer.h"

namespace attnlab {
namespace {

using testing::TempDir;
using testing::write_file;

const std::filesystem::path kTiny = testing::fixture_path("bert/tiny-random/model");

// Re-serialises a checkpoint after `edit` changed its tensor list (name -> dtype, shape, bytes).
struct RawTensor {
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};
void write_safetensors(const std::filesystem::path& p, const std::map<std::string, RawTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, t] : tensors) {
    header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  const std::string h = header.dump();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((h.size() >> (8 * i)) & 0xff);
  write_file(p, out + h + data);
}

std::map<std::string, RawTensor> tiny_tensors() {
  SafetensorsFile f(kTiny / "model.safetensors");
  std::map<std::string, RawTensor> m;
  for (const auto& [name, t] : f.tensors())
    m[name] = {dtype_name(t.dtype), t.shape, std::string(reinterpret_cast<const char*>(t.data), t.nbytes)};
  return m;
}

// A copy of the tiny model in a temp dir, with `mutate` applied, must fail to load with `fragment`.
void expect_load_error(const std::function<void(const std::filesystem::path&)>& mutate, const std::string& file,
                       const std::string& fragment) {
  TempDir dir;
  for (const auto& e : std::filesystem::directory_iterator(kTiny)) std::filesystem::copy(e.path(), dir / e.path().filename().string());
  mutate(dir.path());
  try {
    (void)load_model(dir.path());
    ADD_FAILURE() << "no error; expected " << fragment;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find((dir / file).string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << "'" << fragment << "' not in: " << msg;
    EXPECT_NE(e.exit_code(), 0);
  }
}

void edit_config(const std::filesystem::path& dir, const std::function<void(nlohmann::json&)>& f) {
  auto j = nlohmann::json::parse(testing::read_text((dir / "config.json").string()));
  f(j);
  write_file(dir / "config.json", j.dump());
}

// Another process shortening the checkpoint while a model maps it: the next forward pass reports
// the file (an Error, exit code for bad input) instead of the process dying of SIGBUS.
TEST(ModelFolder, CheckpointTruncatedWhileInUseIsAnErrorNotACrash) {
  TempDir dir;
  for (const auto& e : std::filesystem::directory_iterator(kTiny)) std::filesystem::copy(e.path(), dir / e.path().filename().string());
  const TransformerModel m = load_model(dir.path());
  const std::vector<int> ids = {2, 7, 3}, types = {0, 0, 0};
  EXPECT_NO_THROW(forward(m, ids, types));
  std::filesystem::resize_file(dir / "model.safetensors", 0);
  try {
    forward(m, ids, types);
    FAIL() << "no error after the checkpoint was truncated";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitInput);
    EXPECT_NE(std::string(e.what()).find("model.safetensors: the file changed on disk"), std::string::npos) << e.what();
  }
}

TEST(ModelFolder, LoadsTinyModel) {
  const TransformerModel m = load_model(kTiny);
  EXPECT_EQ(m.spec.hidden, 32);
  EXPECT_EQ(m.spec.heads, 4);
  EXPECT_TRUE(m.weights.has_pooler);
}

TEST(ModelFolder, MissingConfig) {
  expect_load_error([](auto d) { std::filesystem::remove(d / "config.json"); }, "config.json", "missing or unreadable");
}
TEST(ModelFolder, ConfigNotJson) {
  expect_load_error([](auto d) { write_file(d / "config.json", "{\"hidden_size\": 3"); }, "config.json", "not valid JSON");
}
TEST(ModelFolder, ConfigNumberOverflows) {
  // Found by fuzz_config: nlohmann throws out_of_range, not parse_error, for 66E555...
  expect_load_error([](auto d) { write_file(d / "config.json", "{\"hidden_size\": 1e400}"); }, "config.json", "not valid JSON");
}
TEST(ModelFolder, ConfigNotObject) {
  expect_load_error([](auto d) { write_file(d / "config.json", "[]"); }, "config.json", "expected a JSON object");
}
TEST(ModelFolder, ConfigMissingKey) {
  expect_load_error([](auto d) { edit_config(d, [](auto& j) { j.erase("num_attention_heads"); }); }, "config.json",
                    "missing required field 'num_attention_heads'");
}
TEST(ModelFolder, ConfigWrongType) {
  expect_load_error([](auto d) { edit_config(d, [](auto& j) { j["hidden_size"] = "32"; }); }, "config.json",
                    "'hidden_size' must be a positive integer, found \"32\"");
}
TEST(ModelFolder, ConfigNonPositive) {
  expect_load_error([](auto d) { edit_config(d, [](auto& j) { j["num_hidden_layers"] = 0; }); }, "config.json",
                    "'num_hidden_layers' must be a positive integer");
}
TEST(ModelFolder, ConfigLayerCountBeyondLimit) {
  // The tensor table is sized by the layer count before any tensor is checked: 2^30 would be ~1 TB.
  expect_load_error([](auto d) { edit_config(d, [](auto& j) { j["num_hidden_layers"] = 1 << 30; }); }, "config.json",
                    "'num_hidden_layers' must be a positive integer at most 1024");
}
TEST(ModelFolder, ConfigVocabSizeWithoutTheBytes) {
  // vocab_size 2^30 with a 150 kB checkpoint: the shape check refuses it before anything is allocated.
  expect_load_error([](auto d) { edit_config(d, [](auto& j) { j["vocab_size"] = 1 << 30; }); }, "model.safetensors",
                    "config says [1073741824, 32]");
}
TEST(ModelFolder, ConfigTooLarge) {
  expect_load_error([](auto d) { write_file(d / "config.json", "{\"x\": \"" + std::string(2 << 20, 'a') + "\"}"); },
                    "config.json", "more than the 1048576 bytes");
}
TEST(ModelFolder, ConfigIsAFifo) {
  expect_load_error([](auto d) {
    std::filesystem::remove(d / "config.json");
    ASSERT_EQ(::mkfifo((d / "config.json").c_str(), 0600), 0);
  }, "config.json", "not a regular file");
}
TEST(ModelFolder, HeadsDoNotDivideHidden) {
  expect_load_error([](auto d) { edit_config(d, [](auto& j) { j["num_attention_heads"] = 5; }); }, "config.json",
                    "hidden_size 32 is not divisible by num_attention_heads 5");
}
TEST(ModelFolder, UnsupportedArchitecture) {
  expect_load_error([](auto d) { edit_config(d, [](auto& j) { j["model_type"] = "gpt2"; }); }, "config.json",
                    "model_type 'gpt2' is not supported");
}
TEST(ModelFolder, UnsupportedActivation) {
  expect_load_error([](auto d) { edit_config(d, [](auto& j) { j["hidden_act"] = "relu"; }); }, "config.json",
                    "hidden_act 'relu'");
}
TEST(ModelFolder, MissingWeights) {
  expect_load_error([](auto d) { std::filesystem::remove(d / "model.safetensors"); }, "model.safetensors",
                    "missing model weights");
}
TEST(ModelFolder, TruncatedWeights) {
  expect_load_error([](auto d) { std::filesystem::resize_file(d / "model.safetensors", 5000); }, "model.safetensors",
                    "truncated");
}
TEST(ModelFolder, MissingTensor) {
  expect_load_error([](auto d) {
    auto t = tiny_tensors();
    t.erase("encoder.layer.1.attention.self.key.weight");
    write_safetensors(d / "model.safetensors", t);
  }, "model.safetensors", "missing tensor 'encoder.layer.1.attention.self.key.weight'");
}
TEST(ModelFolder, TensorShapeDisagreesWithConfig) {
  expect_load_error([](auto d) {
    auto t = tiny_tensors();
    auto& q = t["encoder.layer.0.attention.self.query.weight"];
    q.shape = {32, 31};
    q.bytes.resize(32 * 31 * 4);
    write_safetensors(d / "model.safetensors", t);
  }, "model.safetensors", "'encoder.layer.0.attention.self.query.weight' has shape [32, 31], config says [32, 32]");
}
TEST(ModelFolder, ConfigDisagreesWithTensors) {
  expect_load_error([](auto d) { edit_config(d, [](auto& j) { j["intermediate_size"] = 65; }); }, "model.safetensors",
                    "config says [65, 32]");
}
TEST(ModelFolder, IntegerTensorWhereFloatExpected) {
  expect_load_error([](auto d) {
    auto t = tiny_tensors();
    t["pooler.dense.bias"].dtype = "I32";
    write_safetensors(d / "model.safetensors", t);
  }, "model.safetensors", "'pooler.dense.bias' has dtype I32, expected a floating type");
}
TEST(ModelFolder, CheckpointWithoutPoolerLoads) {
  TempDir dir;
  for (const auto& e : std::filesystem::directory_iterator(kTiny)) std::filesystem::copy(e.path(), dir / e.path().filename().string());
  auto t = tiny_tensors();
  t.erase("pooler.dense.weight");
  t.erase("pooler.dense.bias");
  write_safetensors(dir / "model.safetensors", t);
  const TransformerModel m = load_model(dir.path());
  EXPECT_FALSE(m.weights.has_pooler);
  const std::vector<int> ids = {2, 5, 3}, types = {0, 0, 0};
  EXPECT_TRUE(forward(m, ids, types).pooler_output.empty());
}

TEST(BertForward, RejectsBadIds) {
  const TransformerModel m = load_model(kTiny);
  const std::vector<int> types = {0, 0};
  EXPECT_THROW((void)forward(m, std::vector<int>{2, 110}, types), Error);
  EXPECT_THROW((void)forward(m, std::vector<int>{2, -1}, types), Error);
  EXPECT_THROW((void)forward(m, std::vector<int>{2, 3}, std::vector<int>{0, 2}), Error);
  EXPECT_THROW((void)forward(m, std::vector<int>{}, std::vector<int>{}), Error);
  EXPECT_THROW((void)forward(m, std::vector<int>(513, 2), std::vector<int>(513, 0)), Error);
}

}  // namespace
}  // namespace attnlab
