// small-k's eligibility rules without a GPU: the two input rules that greyed out xFormers' smallkF
// (dtype is not float32; head_dim > 32), each with observed/required values and a hint naming the
// nearest allowed value and the backend to use instead; all unmet rules reported together.
#include <gtest/gtest.h>

#include <string>

#include "attnscope/platform.hpp"
#include "builtin_backend.hpp"
#include "small_k/small_k.hpp"

using namespace attnscope;

namespace {

const Backend& backend() { return testing_support::builtin_backend("small-k"); }

Problem problem(DType t, int64_t d) { return testing_support::make_problem(t, 2, 8, 2, 1000, 3000, d); }

RuleResult must_have(const std::vector<RuleResult>& rs, const std::string& id) {
  return testing_support::rule_named(rs, id);
}

const DeviceInfo& h100() { return *find_profile("h100"); }

TEST(SmallKRules, Float32UpToHeadDim32PassesTheInputRules) {
  for (int64_t d : {1, 8, 16, 31, 32}) {
    const auto rs = backend().check(problem(DType::F32, d), h100());
    EXPECT_TRUE(must_have(rs, "dtype").met) << d;
    EXPECT_TRUE(must_have(rs, "head_dim_max").met) << d;
  }
}

TEST(SmallKRules, HalfPrecisionIsRefusedWithTheBackendsThatTakeIt) {
  for (DType t : {DType::F16, DType::BF16}) {
    const RuleResult r = must_have(backend().check(problem(t, 16), h100()), "dtype");
    EXPECT_FALSE(r.met);
    EXPECT_EQ(r.kind, RuleKind::Input);
    EXPECT_EQ(r.observed, std::string(to_string(t)));
    EXPECT_EQ(r.required, "float32");
    EXPECT_NE(r.reason.find(std::string(to_string(t))), std::string::npos) << r.reason;
    EXPECT_NE(r.hint.find("float32"), std::string::npos) << r.hint;
    EXPECT_NE(r.hint.find("flash2"), std::string::npos) << r.hint;
    EXPECT_NE(r.hint.find("mem-efficient"), std::string::npos) << r.hint;
  }
}

TEST(SmallKRules, HeadDimPastTheLimitNamesTheNearestAndTheAlternative) {
  for (int64_t d : {33, 40, 64, 128}) {
    const RuleResult r = must_have(backend().check(problem(DType::F32, d), h100()), "head_dim_max");
    EXPECT_FALSE(r.met) << d;
    EXPECT_EQ(r.observed, std::to_string(d));
    EXPECT_NE(r.required.find("32"), std::string::npos) << r.required;
    EXPECT_NE(r.hint.find("head_dim 32"), std::string::npos) << r.hint;
    EXPECT_NE(r.hint.find("mem-efficient"), std::string::npos) << r.hint;
  }
}

TEST(SmallKRules, EveryUnmetRuleIsReportedAtOnce) {
  // bf16 at d = 64 fails both input rules, like smallkF's two lines in the classic message.
  const auto unmet = backend().requirements(problem(DType::BF16, 64), h100());
  int inputs = 0;
  for (const auto& r : unmet) inputs += r.kind == RuleKind::Input;
  EXPECT_EQ(inputs, 2);
}

TEST(SmallKRules, TheCpuIsAnEnvironmentProblemNotAnInputProblem) {
  const RuleResult r = must_have(backend().check(problem(DType::F32, 16), cpu_device()), "device_kind");
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.kind, RuleKind::Environment);
}

TEST(SmallKRules, PredictsOutputAndLseWithoutWorkspace) {
  const Problem p = problem(DType::F32, 32);
  const MemoryPrediction m = backend().predict_memory(p, h100());
  EXPECT_EQ(m.output_bytes, p.output_bytes() + p.lse_bytes());
  EXPECT_EQ(m.workspace_bytes, 0u);
  EXPECT_TRUE(backend().writes_lse());
  EXPECT_EQ(backend().info().target, Target::Cuda);
}

TEST(SmallKRules, RowsPerThreadKeepRegistersConstant) {
  EXPECT_EQ(small_k::rows_per_thread(8), 8);
  EXPECT_EQ(small_k::rows_per_thread(9), 4);
  EXPECT_EQ(small_k::rows_per_thread(16), 4);
  EXPECT_EQ(small_k::rows_per_thread(32), 2);
  EXPECT_EQ(small_k::rows_per_block(32, false), 256);
  EXPECT_EQ(small_k::rows_per_block(32, true), 128);  // causal blocks cover half the rows
}

}  // namespace
