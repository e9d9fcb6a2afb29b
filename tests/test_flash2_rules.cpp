// flash2's eligibility rules, judged on the CPU with what-if profiles (no GPU needed): compute
// capability with its fallback, dtype, the compiled head-dim set with the nearest allowed value,
// 16-byte alignment, shared memory per block, memory prediction and the teaching text.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "attnscope/platform.hpp"
#include "attnscope/registry.hpp"
#include "flash2/flash2.hpp"
#include "builtin_backend.hpp"

using namespace attnscope;

namespace {

const Backend& backend() { return testing_support::builtin_backend("flash2"); }

Problem problem(DType t, int64_t d, bool causal = false) {
  Problem p;
  p.batch = 2, p.q_heads = 8, p.kv_heads = 2, p.q_len = 1000, p.kv_len = 3000, p.head_dim = d, p.dtype = t;
  p.causal = causal;
  return p;
}

RuleResult must_have(const std::vector<RuleResult>& rs, const std::string& id) {
  for (const auto& r : rs)
    if (r.rule == id) return r;
  throw std::runtime_error("no rule " + id);
}

bool has_rule(const std::vector<RuleResult>& rs, const std::string& id) {
  return std::any_of(rs.begin(), rs.end(), [&](const RuleResult& r) { return r.rule == id; });
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const DeviceInfo& profile(const char* name) { return *find_profile(name); }

// The input rules and the device rules this backend owns (kernel_image depends on how this binary was
// built and is tested with the rule builders).
void expect_input_and_device_rules_met(const std::vector<RuleResult>& rs) {
  for (const char* id : {"device_kind", "compute_capability", "dtype", "head_dim_max", "head_dim_multiple", "shared_memory"})
    EXPECT_TRUE(must_have(rs, id).met) << id << ": " << must_have(rs, id).reason;
}

TEST(Flash2Rules, AcceptsEveryCompiledHeadDimInBothSixteenBitTypesOnAmpereAdaAndHopper) {
  for (const char* dev : {"a100", "l4", "h100"})
    for (DType t : {DType::F16, DType::BF16})
      for (const flash2::TileShape& s : flash2::kTileShapes)
        for (bool causal : {false, true}) {
          SCOPED_TRACE(std::string(dev) + " d=" + std::to_string(s.head_dim));
          expect_input_and_device_rules_met(backend().check(problem(t, s.head_dim, causal), profile(dev)));
        }
}

TEST(Flash2Rules, T4IsGreyedWithTheSm80ReasonAndPointsToMemEfficient) {
  const auto rs = backend().check(problem(DType::F16, 64), profile("t4"));
  const RuleResult cc = must_have(rs, "compute_capability");
  EXPECT_FALSE(cc.met);
  EXPECT_EQ(cc.kind, RuleKind::Environment);
  EXPECT_EQ(cc.observed, "sm75");
  EXPECT_TRUE(contains(cc.reason, "device is sm75 (")) << cc.reason;
  EXPECT_TRUE(contains(cc.reason, "T4")) << cc.reason;
  EXPECT_TRUE(contains(cc.reason, "needs sm80 or newer")) << cc.reason;
  EXPECT_TRUE(contains(cc.reason, "mma.sync")) << cc.reason;
  EXPECT_TRUE(contains(cc.hint, "cublas-math or naive")) << cc.hint;  // backends without an sm80 rule
  EXPECT_FALSE(has_rule(rs, "shared_memory"));     // judged only where the kernel could run at all
  EXPECT_TRUE(must_have(rs, "dtype").met);         // the input itself is fine: only the device is not
  EXPECT_TRUE(must_have(rs, "head_dim_max").met);
}

TEST(Flash2Rules, Float32IsAnInputProblemNamingBothSixteenBitTypes) {
  const RuleResult r = must_have(backend().check(problem(DType::F32, 128), profile("h100")), "dtype");
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.kind, RuleKind::Input);
  EXPECT_EQ(r.observed, "float32");
  EXPECT_TRUE(contains(r.reason, "dtype is float32")) << r.reason;
  EXPECT_TRUE(contains(r.reason, "float16, bfloat16")) << r.reason;
  EXPECT_TRUE(contains(r.hint, "float16 or bfloat16")) << r.hint;
}

TEST(Flash2Rules, UncompiledHeadDimsRunOnTheNextKernelUpTo256) {
  // FlashAttention-2 accepts every multiple of 8 up to 256 (80 and 112 included): those without their
  // own kernel run on the next compiled one.
  struct Case { int64_t d, kernel; };
  for (const Case c : {Case{80, 96}, Case{48, 64}, Case{112, 128}, Case{160, 256}, Case{200, 256}, Case{16, 32}, Case{8, 32}}) {
    SCOPED_TRACE(c.d);
    expect_input_and_device_rules_met(backend().check(problem(DType::BF16, c.d), profile("h100")));
    ASSERT_NE(flash2::tile_shape(c.d), nullptr);
    EXPECT_EQ(flash2::tile_shape(c.d)->head_dim, c.kernel);
  }
  const RuleResult r = must_have(backend().check(problem(DType::BF16, 512), profile("h100")), "head_dim_max");
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.observed, "512");
  EXPECT_TRUE(contains(r.reason, "32, 64, 96, 128 and 256")) << r.reason;
  EXPECT_TRUE(contains(r.hint, "256")) << r.hint;
}

TEST(Flash2Rules, HeadDimRulesAndTheKernelTableAgree) {
  // The rules and the kernel table agree on every head dim up to past the largest.
  for (int64_t d = 1; d <= 300; ++d) {
    const auto rs = backend().check(problem(DType::F16, d), profile("h100"));
    const bool accepted = must_have(rs, "head_dim_max").met && must_have(rs, "head_dim_multiple").met;
    EXPECT_EQ(accepted, flash2::tile_shape(d) != nullptr) << d;
    EXPECT_EQ(accepted, d % 8 == 0 && d <= 256) << d;
  }
}

TEST(Flash2Rules, HeadDimNotAMultipleOfEightSaysWhyAndWhereToPad) {
  const auto rs = backend().check(problem(DType::F16, 100), profile("h100"));
  const RuleResult m = must_have(rs, "head_dim_multiple");
  EXPECT_FALSE(m.met);
  EXPECT_TRUE(contains(m.reason, "16-byte")) << m.reason;
  EXPECT_TRUE(contains(m.hint, "104")) << m.hint;
  EXPECT_TRUE(must_have(rs, "head_dim_max").met);  // 100 is in range: only the multiple is wrong
}

TEST(Flash2Rules, EveryUnmetRuleIsListedTogether) {
  // float32 at head dim 300 on a T4: device, dtype and both head-dim rules, all at once.
  const auto unmet = backend().requirements(problem(DType::F32, 300), profile("t4"));
  for (const char* id : {"compute_capability", "dtype", "head_dim_max", "head_dim_multiple"})
    EXPECT_TRUE(has_rule(unmet, id)) << id;
}

TEST(Flash2Rules, TheCpuIsTheWrongKindOfDevice) {
  const DeviceInfo cpu = cpu_device();
  const RuleResult r = must_have(backend().check(problem(DType::F16, 64), cpu), "device_kind");
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.kind, RuleKind::Environment);
  EXPECT_TRUE(contains(r.reason, "CUDA GPU")) << r.reason;
}

TEST(Flash2Rules, SharedMemoryOfEveryTileShapeFitsTheSmallestSm80PlusPart) {
  // sm86/sm89/sm120 allow 99 KiB per block: every compiled shape must fit, so the rule can only fail
  // if a shape grows; the rule reports the shape's real need.
  for (const flash2::TileShape& s : flash2::kTileShapes) {
    EXPECT_LE(s.shared_memory_bytes(), 99 * 1024) << s.head_dim;
    const RuleResult r = must_have(backend().check(problem(DType::F16, s.head_dim), profile("l4")), "shared_memory");
    EXPECT_TRUE(r.met);
    EXPECT_TRUE(contains(r.required, std::to_string((s.shared_memory_bytes() + 1023) / 1024) + " KiB")) << r.required;
    EXPECT_TRUE(contains(r.observed, "99 KiB")) << r.observed;
  }
}

TEST(Flash2Rules, MemoryIsOutputPlusLogSumExpOnly) {
  const Problem p = problem(DType::BF16, 128);
  const MemoryPrediction m = backend().predict_memory(p, profile("h100"));
  EXPECT_EQ(m.output_bytes, p.output_bytes() + p.lse_bytes());
  EXPECT_EQ(m.workspace_bytes, 0u);
  EXPECT_TRUE(backend().writes_lse());
}

TEST(Flash2Rules, TeachingTextStatesTheAlgorithmTheMemoryAndWhereItShines) {
  const BackendInfo& info = backend().info();
  EXPECT_EQ(info.id, "flash2");
  EXPECT_EQ(info.family, "flash");
  EXPECT_EQ(info.target, Target::Cuda);
  for (const char* part : {"mma.sync", "online softmax", "ldmatrix", "cp.async", "swizzle", "bottom-right", "log-sum-exp"})
    EXPECT_TRUE(contains(info.algorithm, part)) << part;
  EXPECT_TRUE(contains(info.memory_complexity, "O(N)")) << info.memory_complexity;
  EXPECT_TRUE(contains(info.shines, "float16/bfloat16")) << info.shines;
}

}  // namespace
