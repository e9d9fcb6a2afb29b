#include <gtest/gtest.h>

#include "attnscope/registry.hpp"
#include "attnscope/rules.hpp"

using namespace attnscope;

namespace {

const DeviceInfo& profile(const char* name) { return *find_profile(name); }

DeviceInfo cpu() {
  DeviceInfo d;
  d.id = "cpu";
  d.name = "test cpu";
  d.memory_total = d.memory_free = uint64_t(8) << 30;
  return d;
}

const RuleResult* find_rule(const std::vector<RuleResult>& rs, const std::string& id) {
  for (const auto& r : rs)
    if (r.rule == id) return &r;
  return nullptr;
}

// A GPU backend for tests: fp16/bf16 only, head dims {64,128}, sm80+, workspace = bytes_per_pair·Nq·Nk.
class FakeGpuBackend : public Backend {
 public:
  explicit FakeGpuBackend(std::string id, uint64_t bytes_per_pair = 0) : bytes_per_pair_(bytes_per_pair) {
    info_.id = std::move(id);
    info_.name = "fake";
    info_.target = Target::Cuda;
  }
  const BackendInfo& info() const override { return info_; }
  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    return RuleSet(p, d)
        .target(Target::Cuda)
        .min_compute_capability(80, "mem-efficient")
        .kernel_image_for({80, 90})
        .dtype_in({DType::F16, DType::BF16})
        .head_dim_in({64, 128})
        .take();
  }
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    return {p.output_bytes(), bytes_per_pair_ * uint64_t(p.batch * p.q_heads) * uint64_t(p.q_len) * uint64_t(p.kv_len)};
  }
  void run(const Problem&, const Tensors&, ExecContext&) const override {}
  std::vector<std::string> variants(const Problem& p, const DeviceInfo&) const override {
    ++variant_calls;
    return {"plan-a-d" + std::to_string(p.head_dim), "plan-b"};
  }
  mutable int variant_calls = 0;

 private:
  BackendInfo info_;
  uint64_t bytes_per_pair_;
};

}  // namespace

TEST(Rules, DtypeReasonStatesObservedRequiredAndHint) {
  Problem p;
  p.dtype = DType::F32;
  const auto rules = RuleSet(p, profile("h100")).dtype_in({DType::F16, DType::BF16}).take();
  ASSERT_EQ(rules.size(), 1u);
  const RuleResult& r = rules[0];
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.kind, RuleKind::Input);
  EXPECT_EQ(r.observed, "float32");
  EXPECT_EQ(r.reason, "dtype is float32; this backend supports float16, bfloat16");
  EXPECT_EQ(r.hint, "choose float16 or bfloat16");
}

TEST(Rules, HeadDimNearestAllowedAndPadding) {
  Problem p;
  p.head_dim = 80;
  auto r = RuleSet(p, profile("h100")).head_dim_in({32, 64, 96, 128, 256}).take()[0];
  EXPECT_FALSE(r.met);
  EXPECT_NE(r.hint.find("head_dim 96"), std::string::npos) << r.hint;  // |80-96| = 16 = |80-64|: ties go up
  EXPECT_NE(r.hint.find("pad the head dimension with zeros to 96"), std::string::npos) << r.hint;
  p.head_dim = 300;
  r = RuleSet(p, profile("h100")).head_dim_in({32, 64, 96, 128, 256}).take()[0];
  EXPECT_NE(r.hint.find("256"), std::string::npos);
  EXPECT_EQ(r.hint.find("pad"), std::string::npos);  // cannot pad downwards
  p.head_dim = 100;
  r = RuleSet(p, profile("h100")).head_dim_multiple_of(8, {.reason = "16-byte vector loads"}).take()[0];
  EXPECT_FALSE(r.met);
  EXPECT_NE(r.reason.find("16-byte vector loads"), std::string::npos);
  EXPECT_NE(r.hint.find("104"), std::string::npos);
  EXPECT_EQ(nearest_allowed(33, {32, 64}), 32);
}

TEST(Rules, EnvironmentRulesOnProfiles) {
  Problem p;
  p.dtype = DType::F16;
  p.head_dim = 64;
  FakeGpuBackend b("fake");
  const auto t4 = b.requirements(p, profile("t4"));
  const RuleResult* cc = find_rule(t4, "compute_capability");
  ASSERT_NE(cc, nullptr);
  EXPECT_EQ(cc->kind, RuleKind::Environment);
  EXPECT_NE(cc->reason.find("sm75"), std::string::npos) << cc->reason;
  EXPECT_NE(cc->reason.find("needs sm80 or newer"), std::string::npos);
  EXPECT_NE(cc->hint.find("mem-efficient"), std::string::npos);
  const RuleResult* img = find_rule(t4, "kernel_image");
  ASSERT_NE(img, nullptr);
  // sm80 instructions cannot be built for sm75: the hint must not send the user to rebuild.
  EXPECT_NE(img->hint.find("no rebuild"), std::string::npos) << img->hint;
  EXPECT_EQ(img->hint.find("75-real"), std::string::npos) << img->hint;
  // Where the GPU is new enough and only the image is missing, the rebuild is the fix.
  const auto h100_sm80_only = RuleSet(p, profile("h100")).min_compute_capability(80, "x").kernel_image_for({80}).take();
  const RuleResult* rebuild = find_rule(h100_sm80_only, "kernel_image");
  ASSERT_NE(rebuild, nullptr);
  EXPECT_FALSE(rebuild->met);
  EXPECT_NE(rebuild->hint.find("90-real"), std::string::npos) << rebuild->hint;
  EXPECT_TRUE(b.requirements(p, profile("h100")).empty());
  EXPECT_TRUE(b.requirements(p, profile("l4")).empty());  // sm80 image runs on sm89

  // On the CPU only the device kind is unmet among environment rules; input rules are still judged.
  p.dtype = DType::F32;
  const auto on_cpu = b.requirements(p, cpu());
  ASSERT_EQ(on_cpu.size(), 2u);
  EXPECT_EQ(on_cpu[0].rule, "device_kind");
  EXPECT_EQ(on_cpu[0].kind, RuleKind::Environment);
  EXPECT_EQ(on_cpu[1].rule, "dtype");
}

TEST(Registry, AllUnmetRulesAndAcceptedBy) {
  Registry reg;
  reg.add(std::make_unique<FakeGpuBackend>("a"));
  reg.add(std::make_unique<FakeGpuBackend>("b"));
  EXPECT_THROW(reg.add(std::make_unique<FakeGpuBackend>("a")), std::invalid_argument);
  Problem p;
  p.dtype = DType::F32;
  p.head_dim = 80;
  auto verdicts = reg.evaluate_all(p, profile("t4"));
  ASSERT_EQ(verdicts.size(), 2u);
  EXPECT_FALSE(verdicts[0].eligible());
  EXPECT_EQ(verdicts[0].unmet().size(), 4u);  // cc, image, dtype, head dim — all shown, not just the first
  EXPECT_TRUE(verdicts[0].accepted_by.empty());
  p.dtype = DType::F16;
  p.head_dim = 64;
  verdicts = reg.evaluate_all(p, profile("h100"));
  EXPECT_TRUE(verdicts[0].eligible());
  EXPECT_EQ(verdicts[0].accepted_by, (std::vector<std::string>{"a", "b"}));
}

TEST(Registry, VariantsAreListedOnlyWhenAskedAndOnlyForEligibleBackends) {
  Registry reg;
  reg.add(std::make_unique<FakeGpuBackend>("a"));
  const auto& fake = static_cast<const FakeGpuBackend&>(*reg.find("a"));
  Problem p;
  p.dtype = DType::F16;
  p.head_dim = 128;
  EXPECT_TRUE(reg.evaluate_all(p, profile("h100")).at(0).variants.empty());
  EXPECT_EQ(fake.variant_calls, 0);  // listing may build plans on a GPU: never without being asked
  EXPECT_EQ(reg.evaluate_all(p, profile("h100"), true).at(0).variants,
            (std::vector<std::string>{"plan-a-d128", "plan-b"}));
  p.dtype = DType::F32;  // ineligible: no plans to offer, and none asked for
  EXPECT_TRUE(reg.evaluate_all(p, profile("h100"), true).at(0).variants.empty());
  EXPECT_EQ(fake.variant_calls, 1);
}

TEST(Registry, MemoryFitRefusesAndSuggestsAFittingLength) {
  Registry reg;
  reg.add(std::make_unique<FakeGpuBackend>("quadratic", 4));  // like a materialized fp32 score matrix
  const Backend& b = *reg.find("quadratic");
  Problem p;
  p.dtype = DType::F16;
  p.head_dim = 64;
  p.batch = 8;
  p.q_heads = p.kv_heads = 32;
  p.q_len = p.kv_len = 16384;  // 8·32·16384²·4 B = 256 GiB of scores
  const Verdict v = reg.evaluate(b, p, profile("l4"));
  EXPECT_FALSE(v.eligible());
  const RuleResult* fit = find_rule(v.rules, "memory_fit");
  ASSERT_NE(fit, nullptr);
  EXPECT_EQ(fit->kind, RuleKind::Memory);
  EXPECT_NE(fit->reason.find("workspace 256 GiB"), std::string::npos) << fit->reason;
  // The suggested length fits and one more does not.
  const auto pos = fit->hint.find("to ");
  ASSERT_NE(pos, std::string::npos) << fit->hint;
  const int64_t n = std::stoll(fit->hint.substr(pos + 3));
  Problem q = p;
  q.q_len = q.kv_len = n;
  EXPECT_TRUE(reg.evaluate(b, q, profile("l4")).eligible());
  q.q_len = q.kv_len = n + 1;
  EXPECT_FALSE(reg.evaluate(b, q, profile("l4")).eligible());
  EXPECT_TRUE(reg.evaluate(b, p, profile("h100")).eligible() == false);
}

TEST(Rules, FormatBytes) {
  EXPECT_EQ(format_bytes(100), "100 B");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(uint64_t(256) << 30), "256 GiB");
}
