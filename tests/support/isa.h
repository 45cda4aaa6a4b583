// Runs a test suite once per kernel build (core/cpu.h), CTranslate2-style: derive the fixture from
// IsaTest and instantiate it with ATTNLAB_INSTANTIATE_OVER_ISAS(Suite). A build this CPU (or this
// binary) lacks is skipped, naming it; the previous choice is restored after each test.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/cpu.h"

namespace attnlab::testing {

class IsaTest : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!isa_supported(GetParam())) GTEST_SKIP() << isa_name(GetParam()) << ": not supported on this CPU or build";
    previous_ = active_isa();
    set_isa(GetParam());
  }
  void TearDown() override {
    if (isa_supported(GetParam())) set_isa(previous_);
  }
  std::string isa() const { return isa_name(GetParam()); }

 private:
  Isa previous_ = Isa::kScalar;
};

inline std::string isa_param_name(const ::testing::TestParamInfo<Isa>& info) { return isa_name(info.param); }

}  // namespace attnlab::testing

#define ATTNLAB_INSTANTIATE_OVER_ISAS(suite)                                                                     \
  INSTANTIATE_TEST_SUITE_P(Isa, suite,                                                                            \
                           ::testing::Values(::attnlab::Isa::kScalar, ::attnlab::Isa::kAvx2, ::attnlab::Isa::kAvx512), \
                           ::attnlab::testing::isa_param_name)
