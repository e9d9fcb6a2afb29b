// mem-efficient-fma's eligibility rules, judged on what-if profiles (no GPU needed): float32 only, the
// same head-dim limits as mem-efficient, Turing accepted, shared memory of the CUDA-core kernel on every
// device (also where mem-efficient itself would run 3×TF32); its teaching text says no TF32 is used.
#include <gtest/gtest.h>

#include <string>

#include "attnscope/registry.hpp"
#include "builtin_backend.hpp"
#include "mem_efficient/mem_efficient.hpp"

using namespace attnscope;
using testing_support::rule_named;

namespace {

const Backend& backend() { return testing_support::builtin_backend("mem-efficient-fma"); }

Problem problem(DType t, int64_t d) { return testing_support::make_problem(t, 2, 8, 2, 1000, 3000, d); }

const DeviceInfo& h100() { return *find_profile("h100"); }

TEST(MemEfficientFmaRules, RegisteredRightAfterMemEfficient) {
  const Registry reg = [] {
    Registry r;
    register_builtin_backends(r);
    return r;
  }();
  const auto& all = reg.backends();
  for (size_t i = 0; i + 1 < all.size(); ++i)
    if (all[i]->info().id == "mem-efficient") {
      EXPECT_EQ(all[i + 1]->info().id, "mem-efficient-fma");
      EXPECT_EQ(reg.find("mem-efficient-3xtf32"), nullptr);  // replaced: mem-efficient runs 3×TF32 itself
      return;
    }
  FAIL() << "mem-efficient is not registered";
}

TEST(MemEfficientFmaRules, AcceptsFloat32UpTo256WhereSharedMemoryAllows) {
  for (const char* gpu : {"h100", "a100"})
    for (int64_t d : {8, 64, 72, 128, 200, 256})
      for (const auto& r : backend().check(problem(DType::F32, d), *find_profile(gpu))) {
        if (r.rule == "cuda_build" || r.rule == "kernel_image") continue;  // depend on how this binary was built
        EXPECT_TRUE(r.met) << gpu << " head_dim " << d << ": " << r.rule << ": " << r.reason;
      }
}

TEST(MemEfficientFmaRules, SixteenBitDtypesAreRefusedWithTheBackendsThatTakeThem) {
  for (DType t : {DType::F16, DType::BF16}) {
    const auto rs = backend().check(problem(t, 128), h100());
    const RuleResult r = rule_named(rs, "dtype");
    EXPECT_FALSE(r.met);
    EXPECT_EQ(r.kind, RuleKind::Input);
    EXPECT_EQ(r.observed, to_string(t));
    EXPECT_EQ(r.required, "float32");
    EXPECT_NE(r.reason.find("float32 only"), std::string::npos) << r.reason;
    EXPECT_NE(r.hint.find("mem-efficient"), std::string::npos) << r.hint;
    EXPECT_TRUE(rule_named(rs, "head_dim_max").met);  // only the dtype fails
  }
}

TEST(MemEfficientFmaRules, HeadDimLimitsNameThisBackend) {
  const RuleResult max = rule_named(backend().check(problem(DType::F32, 264), h100()), "head_dim_max");
  EXPECT_FALSE(max.met);
  EXPECT_NE(max.reason.find("mem-efficient-fma needs head_dim ≤ 256"), std::string::npos) << max.reason;
  EXPECT_NE(max.hint.find("head_dim 256"), std::string::npos) << max.hint;
  const RuleResult tie = rule_named(backend().check(problem(DType::F32, 60), h100()), "head_dim_multiple");
  EXPECT_FALSE(tie.met);
  EXPECT_NE(tie.reason.find("mem-efficient-fma needs a multiple of 8"), std::string::npos) << tie.reason;
  EXPECT_NE(tie.hint.find("nearest allowed: head_dim 64"), std::string::npos) << tie.hint;
}

TEST(MemEfficientFmaRules, SharedMemoryIsTheCudaCoreKernelsOnEveryDevice) {
  // head_dim 128: mem-efficient would run 3×TF32 (99 KiB) on an H100; this backend needs FMA's 83 KiB.
  const RuleResult h = rule_named(backend().check(problem(DType::F32, 128), h100()), "shared_memory");
  EXPECT_TRUE(h.met);
  EXPECT_EQ(h.required, "≥ 83 KiB");
  // head_dim 256 on an L4 (99 KiB): 147 KiB does not fit; the hint stays in float32 (no 16-bit here).
  const RuleResult l4 = rule_named(backend().check(problem(DType::F32, 256), *find_profile("l4")), "shared_memory");
  EXPECT_FALSE(l4.met);
  EXPECT_EQ(l4.kind, RuleKind::Environment);
  EXPECT_NE(l4.reason.find("147 KiB"), std::string::npos) << l4.reason;
  EXPECT_NE(l4.hint.find("head_dim ≤ 128 in float32"), std::string::npos) << l4.hint;
  EXPECT_NE(l4.hint.find("(83 KiB)"), std::string::npos) << l4.hint;
  EXPECT_EQ(l4.hint.find("float16"), std::string::npos) << l4.hint;
}

TEST(MemEfficientFmaRules, TuringRunsItWithinSixtyFourKiB) {
  const DeviceInfo& t4 = *find_profile("t4");
  EXPECT_TRUE(rule_named(backend().check(problem(DType::F32, 64), t4), "compute_capability").met);
  EXPECT_TRUE(rule_named(backend().check(problem(DType::F32, 64), t4), "shared_memory").met);
  const RuleResult big = rule_named(backend().check(problem(DType::F32, 128), t4), "shared_memory");
  EXPECT_FALSE(big.met);
  EXPECT_NE(big.hint.find("head_dim ≤ 64 in float32"), std::string::npos) << big.hint;
}

TEST(MemEfficientFmaRules, MemoryIsOutputPlusLogSumExpOnly) {
  const Problem p = problem(DType::F32, 128);
  const MemoryPrediction m = backend().predict_memory(p, h100());
  EXPECT_EQ(m.output_bytes, p.output_bytes() + p.lse_bytes());
  EXPECT_EQ(m.workspace_bytes, 0u);
  EXPECT_TRUE(backend().writes_lse());
}

TEST(MemEfficientFmaRules, TeachingTextSaysNoTensorCoresAndNoTf32) {
  const BackendInfo& info = backend().info();
  EXPECT_EQ(info.target, Target::Cuda);
  EXPECT_NE(info.name.find("exact FMA"), std::string::npos) << info.name;
  EXPECT_NE(info.algorithm.find("no tensor cores and no TF32 at all"), std::string::npos);
  EXPECT_NE(info.algorithm.find("3×TF32"), std::string::npos);  // says what mem-efficient does instead
  EXPECT_NE(info.memory_complexity.find("147 KiB"), std::string::npos);
}

}  // namespace
