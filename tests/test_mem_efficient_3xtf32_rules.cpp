// mem-efficient-3xtf32's eligibility rules, judged on what-if profiles (no GPU needed): float32 only,
// head dim limit and alignment with the nearest passing value, compute capability; its teaching text
// says what 3×TF32 is and that plain mem-efficient uses no TF32.
#include <gtest/gtest.h>

#include <string>

#include "attnscope/registry.hpp"
#include "mem_efficient_3xtf32/mem_efficient_3xtf32.hpp"

using namespace attnscope;

namespace {

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_builtin_backends(reg);
    return reg;
  }();
  return r;
}

const Backend& backend() {
  const Backend* b = registry().find("mem-efficient-3xtf32");
  if (!b) throw std::runtime_error("mem-efficient-3xtf32 is not registered");
  return *b;
}

Problem problem(DType t, int64_t d) {
  Problem p;
  p.batch = 2, p.q_heads = 8, p.kv_heads = 2, p.q_len = 1000, p.kv_len = 3000, p.head_dim = d, p.dtype = t;
  return p;
}

RuleResult must_have(const std::vector<RuleResult>& rs, const std::string& id) {
  for (const auto& r : rs)
    if (r.rule == id) return r;
  throw std::runtime_error("no rule " + id);
}

const DeviceInfo& h100() { return *find_profile("h100"); }

TEST(MemEfficient3xTf32Rules, RegisteredRightAfterMemEfficient) {
  const auto& all = registry().backends();
  for (size_t i = 0; i + 1 < all.size(); ++i)
    if (all[i]->info().id == "mem-efficient") {
      EXPECT_EQ(all[i + 1]->info().id, "mem-efficient-3xtf32");
      return;
    }
  FAIL() << "mem-efficient is not registered";
}

TEST(MemEfficient3xTf32Rules, AcceptsFloat32UpTo128OnH100AndA100) {
  for (const char* gpu : {"h100", "a100", "l4"})
    for (int64_t d : {8, 64, 72, 128})
      for (const auto& r : backend().check(problem(DType::F32, d), *find_profile(gpu))) {
        if (r.rule == "cuda_build" || r.rule == "kernel_image") continue;  // depend on how this binary was built
        EXPECT_TRUE(r.met) << gpu << " head_dim " << d << ": " << r.rule << ": " << r.reason;
      }
}

TEST(MemEfficient3xTf32Rules, SixteenBitDtypesAreRefusedWithTheBackendsThatTakeThem) {
  for (DType t : {DType::F16, DType::BF16}) {
    const auto rs = backend().check(problem(t, 128), h100());
    const RuleResult r = must_have(rs, "dtype");
    EXPECT_FALSE(r.met);
    EXPECT_EQ(r.kind, RuleKind::Input);
    EXPECT_EQ(r.observed, to_string(t));
    EXPECT_EQ(r.required, "float32");
    EXPECT_NE(r.reason.find("float32 only"), std::string::npos) << r.reason;
    EXPECT_NE(r.hint.find("mem-efficient"), std::string::npos) << r.hint;
    EXPECT_TRUE(must_have(rs, "head_dim_max").met);  // only the dtype fails
  }
}

TEST(MemEfficient3xTf32Rules, HeadDimAbove128PointsToPlainMemEfficient) {
  const auto rs = backend().check(problem(DType::F32, 136), h100());
  const RuleResult r = must_have(rs, "head_dim_max");
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.observed, "136");
  EXPECT_NE(r.reason.find("≤ 128"), std::string::npos) << r.reason;
  EXPECT_NE(r.hint.find("head_dim 128"), std::string::npos) << r.hint;
  EXPECT_NE(r.hint.find("mem-efficient (plain fp32 FMA)"), std::string::npos) << r.hint;
  EXPECT_TRUE(must_have(rs, "head_dim_multiple").met);
  // plain mem-efficient does take it, so the hint leads somewhere.
  const Backend* plain = registry().find("mem-efficient");
  ASSERT_NE(plain, nullptr);
  for (const auto& pr : plain->check(problem(DType::F32, 136), h100()))
    if (pr.rule != "cuda_build" && pr.rule != "kernel_image") EXPECT_TRUE(pr.met) << pr.rule;
}

TEST(MemEfficient3xTf32Rules, HeadDimNotAMultipleOfEightSaysWhyAndTheNearestValue) {
  const RuleResult tie = must_have(backend().check(problem(DType::F32, 60), h100()), "head_dim_multiple");
  EXPECT_FALSE(tie.met);
  EXPECT_NE(tie.reason.find("16-byte"), std::string::npos) << tie.reason;
  EXPECT_NE(tie.hint.find("nearest allowed: head_dim 64"), std::string::npos) << tie.hint;
  EXPECT_NE(tie.hint.find("1/√60"), std::string::npos) << tie.hint;
  const RuleResult down = must_have(backend().check(problem(DType::F32, 122), h100()), "head_dim_multiple");
  EXPECT_NE(down.hint.find("nearest allowed: head_dim 120 (or 128)"), std::string::npos) << down.hint;
  const RuleResult big = must_have(backend().check(problem(DType::F32, 130), h100()), "head_dim_multiple");
  EXPECT_NE(big.hint.find("head_dim 128"), std::string::npos) << big.hint;  // never past the limit
}

TEST(MemEfficient3xTf32Rules, PreAmpereGpuIsAnEnvironmentProblem) {
  const RuleResult cc = must_have(backend().check(problem(DType::F32, 64), *find_profile("t4")), "compute_capability");
  EXPECT_FALSE(cc.met);
  EXPECT_EQ(cc.kind, RuleKind::Environment);
  EXPECT_NE(cc.reason.find("sm75"), std::string::npos) << cc.reason;
  EXPECT_NE(cc.reason.find("m16n8k8"), std::string::npos) << cc.reason;
}

TEST(MemEfficient3xTf32Rules, SharedMemoryFitsEverySm80PlusPart) {
  // 99 KiB at head_dim 128 is exactly the smallest per-block limit (sm86/89/120), so no device that
  // passes the compute-capability rule can fail on shared memory.
  EXPECT_EQ(mem_efficient_3xtf32::shared_bytes(128), 99 * 1024);
  for (int cc : {80, 86, 87, 89, 90, 100, 120})
    EXPECT_LE(mem_efficient_3xtf32::shared_bytes(128), mem_efficient::max_shared_bytes_per_block(cc)) << cc;
  EXPECT_EQ(mem_efficient_3xtf32::head_dim_bucket(72), 128);
  EXPECT_EQ(mem_efficient_3xtf32::head_dim_bucket(64), 64);
}

TEST(MemEfficient3xTf32Rules, MemoryIsOutputPlusLogSumExpOnly) {
  const Problem p = problem(DType::F32, 128);
  const MemoryPrediction m = backend().predict_memory(p);
  EXPECT_EQ(m.output_bytes, p.output_bytes() + p.lse_bytes());
  EXPECT_EQ(m.workspace_bytes, 0u);
  EXPECT_TRUE(backend().writes_lse());
}

TEST(MemEfficient3xTf32Rules, TeachingTextSaysWhat3xTf32IsAndIsLabelled) {
  const BackendInfo& info = backend().info();
  EXPECT_EQ(info.target, Target::Cuda);
  EXPECT_NE(info.name.find("3×TF32"), std::string::npos) << info.name;
  EXPECT_NE(info.algorithm.find("big·big + big·small + small·big"), std::string::npos);
  EXPECT_NE(info.algorithm.find("1e-6"), std::string::npos);
  EXPECT_NE(info.algorithm.find("mem-efficient's float32 path uses no TF32"), std::string::npos);
  EXPECT_NE(info.memory_complexity.find("O(B·H·Nq)"), std::string::npos);
}

}  // namespace
