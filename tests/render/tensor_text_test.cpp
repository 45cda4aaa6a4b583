// PyTorch's print(tensor) format, checked against what real PyTorch printed for the notebook.
#include "attnlab/text_format.h"

#include <gtest/gtest.h>

#include "../support/fixtures.h"
#include "attnlab/toy.h"

namespace attnlab {
namespace {

Matrix from_json(const nlohmann::json& j) {
  Matrix m(static_cast<int>(j.size()), static_cast<int>(j[0].size()));
  m.data = testing::flat(j);
  return m;
}

class TensorTextGolden : public ::testing::TestWithParam<int> {};

// The notebook's printed block for the fixture's own numbers must come out character for character.
TEST_P(TensorTextGolden, ReproducesPyTorchPrint) {
  const int seed = GetParam();
  const auto fx = testing::load_json("toy_seed" + std::to_string(seed) + ".json");
  const std::string printed = testing::read_text(testing::fixture_path("toy_seed" + std::to_string(seed) + "_stdout.txt"));
  const std::pair<const char*, const char*> tensors[] = {{"input", ""},
                                                         {"non_attention_output", "AddmmBackward0"},
                                                         {"attention_weights", "SoftmaxBackward0"},
                                                         {"attention_output", "MmBackward0"}};
  for (const auto& [name, grad_fn] : tensors) {
    const std::string text = torch_tensor_text(from_json(fx[name]), grad_fn);
    EXPECT_NE(printed.find(text + "\n"), std::string::npos) << name << " printed as:\n" << text << "\nnot in:\n" << printed;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, TensorTextGolden, ::testing::Values(103, 0, 42, 2024));

TEST(TensorText, ScientificModeForWideRange) {
  Matrix m(1, 2);
  m.data = {1.0e-5f, 2.5f};
  EXPECT_EQ(torch_tensor_text(m), "tensor([[1.0000e-05, 2.5000e+00]])");
}

TEST(TensorText, IntegerMode) {
  Matrix m(1, 3);
  m.data = {1.0f, -2.0f, 30.0f};
  EXPECT_EQ(torch_tensor_text(m), "tensor([[ 1., -2., 30.]])");
}

}  // namespace
}  // namespace attnlab
