// CPU feature detection and the choice of kernel build (core/cpu.h).
#include "core/cpu.h"

#include <gtest/gtest.h>

#include <string>

#include "attnlab/error.h"

namespace attnlab {
namespace {

TEST(Cpu, NamesAreTheOnesAttnlabIsaAccepts) {
  EXPECT_STREQ(isa_name(Isa::kScalar), "scalar");
  EXPECT_STREQ(isa_name(Isa::kAvx2), "avx2");
  EXPECT_STREQ(isa_name(Isa::kAvx512), "avx512");
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (isa_supported(isa)) {
      EXPECT_EQ(isa_from_setting(isa_name(isa)), isa);
    }
}

TEST(Cpu, ScalarRunsAnywhereAndAvx512ImpliesAvx2) {
  EXPECT_TRUE(isa_supported(Isa::kScalar));
  if (isa_supported(Isa::kAvx512)) {
    EXPECT_TRUE(isa_supported(Isa::kAvx2));
  }
}

TEST(Cpu, UnsetMeansTheBestSupported) {
  const Isa best = isa_from_setting("");
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (isa_supported(isa)) {
      EXPECT_GE(static_cast<int>(best), static_cast<int>(isa));
    }
  EXPECT_TRUE(isa_supported(best));
}

TEST(Cpu, UnknownNameIsAUsageErrorListingTheChoices) {
  try {
    isa_from_setting("sse9");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("ATTNLAB_ISA=sse9"), std::string::npos) << msg;
    EXPECT_NE(msg.find("known: scalar, avx2, avx512"), std::string::npos) << msg;
    EXPECT_NE(msg.find("supported here: scalar"), std::string::npos) << msg;
  }
}

TEST(Cpu, UnsupportedBuildIsAUsageErrorNamingIt) {
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (isa_supported(isa)) continue;
    try {
      isa_from_setting(isa_name(isa));
      FAIL() << "no error for " << isa_name(isa);
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitUsage);
      EXPECT_NE(std::string(e.what()).find(std::string("ATTNLAB_ISA=") + isa_name(isa) + ": "), std::string::npos)
          << e.what();
    }
    EXPECT_THROW(set_isa(isa), Error);
  }
}

TEST(Cpu, SetIsaChangesTheActiveBuild) {
  const Isa previous = active_isa();
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    if (!isa_supported(isa)) continue;
    set_isa(isa);
    EXPECT_EQ(active_isa(), isa);
  }
  set_isa(previous);
}

}  // namespace
}  // namespace attnlab
