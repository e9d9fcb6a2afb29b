// mem-efficient's eligibility rules, judged on what-if profiles (no GPU needed): every dtype, head dim
// limit and alignment with the nearest passing value, compute capability (Turing runs float16 and
// float32, not bfloat16), kernel images, shared memory per block.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "attnscope/build_info.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/registry.hpp"
#include "mem_efficient/mem_efficient.hpp"
#include "builtin_backend.hpp"

using namespace attnscope;

namespace {

const Backend& backend() { return testing_support::builtin_backend("mem-efficient"); }

Problem problem(DType t, int64_t d) {
  Problem p;
  p.batch = 2, p.q_heads = 8, p.kv_heads = 2, p.q_len = 1000, p.kv_len = 3000, p.head_dim = d, p.dtype = t;
  return p;
}

const RuleResult* rule(const std::vector<RuleResult>& rs, const std::string& id) {
  for (const auto& r : rs)
    if (r.rule == id) return &r;
  return nullptr;
}

// By value: callers often pass a temporary rule list.
RuleResult must_have(const std::vector<RuleResult>& rs, const std::string& id) {
  const RuleResult* r = rule(rs, id);
  if (!r) throw std::runtime_error("no rule " + id);
  return *r;
}

const DeviceInfo& h100() { return *find_profile("h100"); }

TEST(MemEfficientRules, AcceptsEveryDtypeOnH100) {
  for (DType t : all_dtypes()) {
    const auto rs = backend().check(problem(t, 128), h100());
    EXPECT_TRUE(must_have(rs, "dtype").met) << to_string(t);
    EXPECT_TRUE(must_have(rs, "head_dim_max").met);
    EXPECT_TRUE(must_have(rs, "head_dim_multiple").met);
    EXPECT_TRUE(must_have(rs, "compute_capability").met);
    EXPECT_TRUE(must_have(rs, "shared_memory").met);
  }
}

TEST(MemEfficientRules, HeadDimAboveTheLimitNamesTheLimitAndTheAlternative) {
  const auto rs = backend().check(problem(DType::F16, 264), h100());
  const RuleResult r = must_have(rs, "head_dim_max");
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.observed, "264");
  EXPECT_NE(r.reason.find("head_dim is 264"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("≤ 256"), std::string::npos) << r.reason;
  EXPECT_NE(r.hint.find("head_dim 256"), std::string::npos) << r.hint;
  EXPECT_TRUE(must_have(rs, "head_dim_multiple").met);  // 264 is a multiple of 8: only one rule fails
  EXPECT_TRUE(must_have(backend().check(problem(DType::F16, 256), h100()), "head_dim_max").met);
}

TEST(MemEfficientRules, HeadDimNotAMultipleOfEightSaysWhyAndTheNearestValue) {
  const RuleResult tie = must_have(backend().check(problem(DType::F32, 60), h100()), "head_dim_multiple");
  EXPECT_FALSE(tie.met);
  EXPECT_NE(tie.reason.find("16-byte"), std::string::npos) << tie.reason;
  EXPECT_NE(tie.hint.find("nearest allowed: head_dim 64"), std::string::npos) << tie.hint;  // 56 and 64 tie: up
  EXPECT_NE(tie.hint.find("1/√60"), std::string::npos) << tie.hint;

  const RuleResult down = must_have(backend().check(problem(DType::F16, 58), h100()), "head_dim_multiple");
  EXPECT_NE(down.hint.find("nearest allowed: head_dim 56 (or 64)"), std::string::npos) << down.hint;

  const RuleResult tiny = must_have(backend().check(problem(DType::BF16, 3), h100()), "head_dim_multiple");
  EXPECT_NE(tiny.hint.find("head_dim 8"), std::string::npos) << tiny.hint;

  const RuleResult big = must_have(backend().check(problem(DType::F16, 300), h100()), "head_dim_multiple");
  EXPECT_FALSE(big.met);
  EXPECT_NE(big.hint.find("head_dim 256"), std::string::npos) << big.hint;  // never suggests a value over the limit
}

const DeviceInfo& t4() { return *find_profile("t4"); }

// A Volta-class device (no what-if profile has one): below every mem-efficient kernel.
DeviceInfo sm70() {
  DeviceInfo d = t4();
  d.id = "profile:v100-test", d.name = "Test: sm70", d.cc_major = 7, d.cc_minor = 0;
  return d;
}

TEST(MemEfficientRules, TuringRunsFloat16OnTensorCores) {
  const auto rs = backend().check(problem(DType::F16, 128), t4());
  const RuleResult cc = must_have(rs, "compute_capability");
  EXPECT_TRUE(cc.met) << cc.reason;
  EXPECT_EQ(cc.required, "sm75 or newer");
  EXPECT_NE(cc.reason.find("mma.sync m16n8k8"), std::string::npos) << cc.reason;
  EXPECT_TRUE(must_have(rs, "bf16_tensor_cores").met);
  EXPECT_TRUE(must_have(rs, "shared_memory").met);  // 48 KiB of Turing's 64
  EXPECT_TRUE(must_have(rs, "dtype").met);
  EXPECT_TRUE(must_have(backend().check(problem(DType::F32, 64), t4()), "shared_memory").met);  // 51 KiB
}

TEST(MemEfficientRules, BfloatOnTuringNamesTheDeviceAndSuggestsFloat16) {
  const auto rs = backend().check(problem(DType::BF16, 128), t4());
  const RuleResult r = must_have(rs, "bf16_tensor_cores");
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.kind, RuleKind::Input);
  EXPECT_EQ(r.field, "dtype");
  EXPECT_EQ(r.observed, "bfloat16 on sm75");
  EXPECT_NE(r.reason.find("bfloat16 tensor-core MMA"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("compute capability ≥ 8.0"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("T4"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("is 7.5"), std::string::npos) << r.reason;
  EXPECT_NE(r.hint.find("choose float16"), std::string::npos) << r.hint;
  EXPECT_TRUE(must_have(rs, "dtype").met);               // bfloat16 itself is a supported dtype
  EXPECT_TRUE(must_have(rs, "compute_capability").met);  // and the device runs the other dtypes
  for (const char* dev : {"a100", "l4", "h100"})
    EXPECT_TRUE(must_have(backend().check(problem(DType::BF16, 128), *find_profile(dev)), "bf16_tensor_cores").met)
        << dev;
}

TEST(MemEfficientRules, TuringSharedMemoryRefusesTheLargeBucketsWithTheLargestThatFits) {
  for (int64_t d : {128, 256}) {
    const RuleResult r = must_have(backend().check(problem(DType::F32, d), t4()), "shared_memory");
    EXPECT_FALSE(r.met) << d;
    EXPECT_EQ(r.kind, RuleKind::Environment);
    EXPECT_NE(r.reason.find(d == 128 ? "83 KiB" : "147 KiB"), std::string::npos) << r.reason;
    EXPECT_NE(r.reason.find("allows 64 KiB"), std::string::npos) << r.reason;
    EXPECT_NE(r.hint.find("head_dim ≤ 64 in float32 on sm75"), std::string::npos) << r.hint;
    EXPECT_NE(r.hint.find("or float16 (48 KiB at head_dim 128)"), std::string::npos) << r.hint;
    EXPECT_EQ(r.hint.find("bfloat16"), std::string::npos) << r.hint;  // not offered where it cannot run
  }
  // 16-bit at head_dim 256 needs 96 KiB: refused on Turing, pointing to 128.
  const RuleResult f16 = must_have(backend().check(problem(DType::F16, 256), t4()), "shared_memory");
  EXPECT_FALSE(f16.met);
  EXPECT_NE(f16.hint.find("head_dim ≤ 128 in float16 on sm75 (48 KiB)"), std::string::npos) << f16.hint;
  EXPECT_TRUE(must_have(backend().check(problem(DType::F16, 128), t4()), "shared_memory").met);
}

TEST(MemEfficientRules, VoltaIsAnEnvironmentProblemWithAFallback) {
  const DeviceInfo v = sm70();
  const auto rs = backend().check(problem(DType::F16, 64), v);
  const RuleResult cc = must_have(rs, "compute_capability");
  EXPECT_FALSE(cc.met);
  EXPECT_EQ(cc.kind, RuleKind::Environment);
  EXPECT_EQ(cc.observed, "sm70");
  EXPECT_NE(cc.reason.find("needs sm75 or newer"), std::string::npos) << cc.reason;
  EXPECT_NE(cc.reason.find("ldmatrix"), std::string::npos) << cc.reason;
  EXPECT_NE(cc.hint.find("naive"), std::string::npos) << cc.hint;
  EXPECT_EQ(rule(rs, "shared_memory"), nullptr);      // judged only where the kernels could run at all
  EXPECT_EQ(rule(rs, "bf16_tensor_cores"), nullptr);
  EXPECT_TRUE(must_have(rs, "dtype").met);            // the input itself is fine
  const RuleResult img = must_have(rs, "kernel_image");  // no build carries sm70 machine code
  EXPECT_FALSE(img.met);
  EXPECT_NE(img.hint.find("no rebuild"), std::string::npos) << img.hint;  // sm75 instructions: none for sm70
  EXPECT_NE(img.hint.find("sm75"), std::string::npos) << img.hint;
}

TEST(MemEfficientRules, KernelImagesAreTheBuildsPlusTuringWhenAmpereIsBuilt) {
  const std::vector<int> project = build::compute_capabilities();
  const std::vector<int> own = build::turing_capable_compute_capabilities();
  const auto has = [](const std::vector<int>& v, int cc) { return std::find(v.begin(), v.end(), cc) != v.end(); };
  for (int cc : project) EXPECT_TRUE(has(own, cc)) << cc;
  EXPECT_EQ(has(own, 75), has(project, 80));  // kernels/CMakeLists.txt adds sm_75 when 80 is a target
  const RuleResult img = must_have(backend().check(problem(DType::F16, 64), t4()), "kernel_image");
  EXPECT_EQ(img.met, has(own, 75));
  if (!img.met) EXPECT_NE(img.hint.find("80-real"), std::string::npos) << img.hint;
  // The other Turing-capable backends share the list; the sm80 ones keep the project's, and on a T4
  // their hint does not send the user to a rebuild that could not help.
  for (const char* id : {"naive", "cublas-math", "small-k"}) {
    const RuleResult r =
        testing_support::rule_named(testing_support::builtin_backend(id).check(problem(DType::F32, 32), t4()), "kernel_image");
    EXPECT_EQ(r.met, has(own, 75)) << id;
    if (!r.met) EXPECT_NE(r.hint.find("80-real"), std::string::npos) << id << ": " << r.hint;
  }
  for (const char* id : {"flash2", "split-kv-decode"}) {
    const RuleResult r =
        testing_support::rule_named(testing_support::builtin_backend(id).check(problem(DType::F16, 64), t4()), "kernel_image");
    EXPECT_FALSE(r.met) << id;
    EXPECT_NE(r.hint.find("no rebuild"), std::string::npos) << id << ": " << r.hint;
  }
}

TEST(MemEfficientRules, Fp32HeadDim256NeedsMoreSharedMemoryThanAnL4Has) {
  const DeviceInfo& l4 = *find_profile("l4");
  const RuleResult f32 = must_have(backend().check(problem(DType::F32, 256), l4), "shared_memory");
  EXPECT_FALSE(f32.met);
  EXPECT_EQ(f32.kind, RuleKind::Environment);
  EXPECT_NE(f32.reason.find("147 KiB"), std::string::npos) << f32.reason;
  EXPECT_NE(f32.reason.find("99 KiB"), std::string::npos) << f32.reason;
  EXPECT_NE(f32.hint.find("head_dim ≤ 128"), std::string::npos) << f32.hint;
  // The same head dim in 16 bits, and fp32 at 128, fit; an A100 (163 KiB) takes fp32 at 256.
  EXPECT_TRUE(must_have(backend().check(problem(DType::F16, 256), l4), "shared_memory").met);
  EXPECT_FALSE(must_have(backend().check(problem(DType::F32, 136), l4), "shared_memory").met);
  EXPECT_TRUE(must_have(backend().check(problem(DType::F32, 128), l4), "shared_memory").met);
  EXPECT_TRUE(must_have(backend().check(problem(DType::F32, 256), *find_profile("a100")), "shared_memory").met);
}

TEST(MemEfficientRules, Fp32SharedMemoryIsThatOfTheKernelThatRunsThere) {
  // sm80+ and head_dim ≤ 128: 3×TF32 (51 / 99 KiB); above 128, or on Turing: the FMA kernel.
  EXPECT_TRUE(mem_efficient::f32_runs_3xtf32(90, 128));
  EXPECT_TRUE(mem_efficient::f32_runs_3xtf32(86, 8));
  EXPECT_FALSE(mem_efficient::f32_runs_3xtf32(90, 136));
  EXPECT_FALSE(mem_efficient::f32_runs_3xtf32(75, 64));
  EXPECT_EQ(must_have(backend().check(problem(DType::F32, 128), h100()), "shared_memory").required, "≥ 99 KiB");
  EXPECT_EQ(must_have(backend().check(problem(DType::F32, 72), h100()), "shared_memory").required, "≥ 99 KiB");
  EXPECT_EQ(must_have(backend().check(problem(DType::F32, 64), h100()), "shared_memory").required, "≥ 51 KiB");
  EXPECT_EQ(must_have(backend().check(problem(DType::F32, 136), h100()), "shared_memory").required, "≥ 147 KiB");
  EXPECT_EQ(must_have(backend().check(problem(DType::F32, 128), t4()), "shared_memory").required, "≥ 83 KiB");
  // An L4 (99 KiB per block) takes 3×TF32 at 128 exactly; the hint for 256 names that kernel's size.
  const DeviceInfo& l4 = *find_profile("l4");
  EXPECT_TRUE(must_have(backend().check(problem(DType::F32, 128), l4), "shared_memory").met);
  const RuleResult big = must_have(backend().check(problem(DType::F32, 256), l4), "shared_memory");
  EXPECT_NE(big.hint.find("head_dim ≤ 128 in float32 on sm89 (99 KiB)"), std::string::npos) << big.hint;
}

TEST(MemEfficientRules, MemoryIsOutputPlusLogSumExpOnly) {
  const Problem p = problem(DType::BF16, 128);
  const MemoryPrediction m = backend().predict_memory(p, h100());
  EXPECT_EQ(m.output_bytes, p.output_bytes() + p.lse_bytes());
  EXPECT_EQ(m.workspace_bytes, 0u);
  EXPECT_TRUE(backend().writes_lse());
}

TEST(MemEfficientRules, TeachingTextStatesTheFp32MathAndTheMemory) {
  const BackendInfo& info = backend().info();
  EXPECT_EQ(info.target, Target::Cuda);
  // Which float32 kernel runs when, what 3×TF32 computes, that plain TF32 never runs, the accuracy.
  for (const char* says : {"On compute capability ≥ 8.0 with head_dim ≤ 128 both products run on tensor cores by 3×TF32",
                           "big·big + big·small + small·big", "Single-pass TF32 (about 1e-3) is never used",
                           "of order 1e-7", "With head_dim > 128, or on Turing (sm75), float32 runs on the CUDA cores",
                           "no tensor cores, no TF32", "mem-efficient-fma"})
    EXPECT_NE(info.algorithm.find(says), std::string::npos) << says;
  EXPECT_NE(info.memory_complexity.find("51 or 99 KiB (float32 on tensor cores"), std::string::npos);
  EXPECT_NE(info.algorithm.find("online softmax"), std::string::npos);
  EXPECT_NE(info.memory_complexity.find("O(B·H·Nq)"), std::string::npos);
  EXPECT_NE(info.shines.find("float32"), std::string::npos);
}

TEST(MemEfficientRules, CompiledTilesFitTheDevicesTheRulesAccept) {
  // The devices' per-block limits are the profiles' (the real GPU reports its own): T4 64 KiB, A100
  // 163, L4 99 (the smallest sm80+ limit, shared by sm86/89), H100 227.
  const auto limit = [](const char* name) { return find_profile(name)->shared_memory_per_block; };
  EXPECT_EQ(limit("t4"), 64u * 1024);
  EXPECT_EQ(limit("a100"), 163u * 1024);
  EXPECT_EQ(limit("l4"), 99u * 1024);
  EXPECT_EQ(limit("h100"), 227u * 1024);
  // Every bucket of the tensor-core path fits the smallest sm80+ limit, so fp16/bf16 never fail on
  // shared memory; fp32 up to 128 does too; every bucket fits sm80 and sm90.
  for (int bucket : {64, 128, 256}) {
    EXPECT_LE(uint64_t(mem_efficient::tc_shared_bytes(bucket)), limit("l4"));
    EXPECT_LE(uint64_t(mem_efficient::f32_shared_bytes(bucket)), limit("a100"));
    EXPECT_LE(uint64_t(mem_efficient::f32_shared_bytes(bucket)), limit("h100"));
  }
  EXPECT_LE(uint64_t(mem_efficient::f32_shared_bytes(128)), limit("l4"));
  // fp32 on tensor cores (3×TF32, sm80+ only): 99 KiB at 128 is exactly the smallest sm80+ limit.
  EXPECT_EQ(mem_efficient::tf32x3_shared_bytes(128), 99 * 1024);
  for (const char* gpu : {"a100", "l4", "h100"})
    EXPECT_LE(uint64_t(mem_efficient::tf32x3_shared_bytes(128)), limit(gpu)) << gpu;
  // Turing (64 KiB): 16-bit up to head_dim 128 and fp32 up to 64; the rules refuse the rest.
  EXPECT_LE(uint64_t(mem_efficient::tc_shared_bytes(128)), limit("t4"));
  EXPECT_GT(uint64_t(mem_efficient::tc_shared_bytes(256)), limit("t4"));
  EXPECT_LE(uint64_t(mem_efficient::f32_shared_bytes(64)), limit("t4"));
  EXPECT_GT(uint64_t(mem_efficient::f32_shared_bytes(128)), limit("t4"));
  EXPECT_EQ(mem_efficient::head_dim_bucket(8), 64);
  EXPECT_EQ(mem_efficient::head_dim_bucket(72), 128);
  EXPECT_EQ(mem_efficient::head_dim_bucket(136), 256);
}

}  // namespace
