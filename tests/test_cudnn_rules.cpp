// cudnn's rules without a GPU: what-if profiles are judged by cuDNN's own validate() (so the reasons
// are cuDNN's sentences), the CPU is refused by device kind alone, and a missing cuDNN — not built in,
// or libcudnn.so.9 not loadable — greys the backend with an environment reason saying how to install it.
// Which of these applies depends on the machine and the build; each test states its case.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "attnscope/build_info.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/registry.hpp"
#include "builtin_backend.hpp"

using namespace attnscope;

namespace {

const Backend& backend() { return testing_support::builtin_backend("cudnn"); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

bool has_rule(const std::vector<RuleResult>& rs, const std::string& id) {
  for (const auto& r : rs)
    if (r.rule == id) return true;
  return false;
}

// cuDNN usable for rule checks in this process: built in and libcudnn.so.9 loaded.
bool cudnn_loaded() {
  const auto libs = backend().library_versions();
  return !libs.empty() && libs.at("cuDNN") != "not loaded";
}

Problem problem(DType t, int64_t d, bool causal = false, int64_t nq = 1000, int64_t nk = 3000) {
  return testing_support::make_problem(t, 2, 8, 2, nq, nk, d, causal);
}

}  // namespace

TEST(CudnnRules, IsAVendorGpuBackendWithLse) {
  EXPECT_EQ(backend().info().family, "vendor");
  EXPECT_EQ(backend().info().target, Target::Cuda);
  EXPECT_TRUE(backend().writes_lse());
  const Problem p = problem(DType::BF16, 128);
  EXPECT_EQ(backend().predict_memory(p, *find_profile("h100")).output_bytes, p.output_bytes() + p.lse_bytes());
}

TEST(CudnnRules, TheCpuIsRefusedByDeviceKindOnly) {
  const auto unmet = backend().requirements(problem(DType::BF16, 128), cpu_device());
  ASSERT_FALSE(unmet.empty());
  EXPECT_EQ(unmet.front().rule, "device_kind");
  EXPECT_FALSE(has_rule(unmet, "cudnn_support"));  // cuDNN's rules need a GPU architecture to judge
}

TEST(CudnnRules, WithoutCudnnTheBackendIsGreyedWithHowToInstallIt) {
  if (cudnn_loaded()) GTEST_SKIP() << "cuDNN is built in and loaded here (the build without it is checked by the CLI test)";
  const auto unmet = backend().requirements(problem(DType::BF16, 128), *find_profile("h100"));
  ASSERT_FALSE(unmet.empty());
  if (!build::with_cuda()) {
    EXPECT_EQ(unmet.front().rule, "cuda_build");
    return;
  }
  const RuleResult& r = unmet.front();
  EXPECT_EQ(r.kind, RuleKind::Environment);
  EXPECT_TRUE(r.rule == "cudnn_build" || r.rule == "cudnn_library") << r.rule;
  EXPECT_TRUE(contains(r.hint, "install cuDNN 9")) << r.hint;
}

TEST(CudnnRules, ProfilesAreJudgedByCudnnItself) {
  if (!cudnn_loaded()) GTEST_SKIP() << "needs cuDNN built in and libcudnn.so.9 loadable";
  const DeviceInfo& h100 = *find_profile("h100");
  const DeviceInfo& a100 = *find_profile("a100");
  for (DType t : {DType::F16, DType::BF16})
    for (int64_t d : {64, 128, 256})
      for (bool causal : {false, true}) {
        SCOPED_TRACE(problem(t, d, causal).describe());
        EXPECT_TRUE(backend().requirements(problem(t, d, causal), h100).empty())
            << backend().requirements(problem(t, d, causal), h100).front().reason;
      }
  EXPECT_TRUE(backend().requirements(problem(DType::F16, 128), a100).empty());
  // On a profile no plan is built (that needs the GPU), so no plan rule is judged.
  EXPECT_FALSE(has_rule(backend().check(problem(DType::F16, 128), h100), "cudnn_plan"));
}

TEST(CudnnRules, RefusalsAreCudnnsOwnSentences) {
  if (!cudnn_loaded()) GTEST_SKIP() << "needs cuDNN built in and libcudnn.so.9 loadable";
  const DeviceInfo& h100 = *find_profile("h100");
  struct Case {
    Problem p;
    const char* hint_part;
  };
  const Case cases[] = {
      {problem(DType::F16, 100), "head dim"},                  // not a multiple of 8
      {problem(DType::BF16, 64, true, 3000, 1000), "q_len"},   // bottom-right causal with q_len > kv_len
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.p.describe());
    const auto unmet = backend().requirements(c.p, h100);
    ASSERT_EQ(unmet.size(), 1u);
    const RuleResult& r = unmet.front();
    EXPECT_EQ(r.rule, "cudnn_support");
    EXPECT_EQ(r.kind, RuleKind::Input);
    EXPECT_TRUE(contains(r.reason, "cuDNN 9.")) << r.reason;
    EXPECT_TRUE(contains(r.reason, "refuses this graph on sm90: ")) << r.reason;
    EXPECT_TRUE(contains(r.hint, c.hint_part)) << r.reason << " → " << r.hint;
  }
  // float32: cuDNN's validate() accepts it, no engine does (see the GPU test), so the dtype rule is ours.
  const auto f32 = backend().requirements(problem(DType::F32, 64), h100);
  ASSERT_EQ(f32.size(), 1u);
  EXPECT_EQ(f32.front().rule, "dtype");
  EXPECT_TRUE(contains(f32.front().reason, "cuDNN's fused attention has float16/bfloat16 engines")) << f32.front().reason;
  // A T4 (sm75) is below what cuDNN's fused attention supports: its words again.
  const auto t4 = backend().requirements(problem(DType::F16, 64), *find_profile("t4"));
  ASSERT_EQ(t4.size(), 1u);
  EXPECT_TRUE(contains(t4.front().reason, "sm75: SDPA FP16/BF16 requires SM80")) << t4.front().reason;
  EXPECT_TRUE(contains(t4.front().hint, "sm80")) << t4.front().hint;
  EXPECT_EQ(t4.front().kind, RuleKind::Environment);
}

TEST(CudnnRules, VersionsOfBothLibrariesAreReported) {
  const auto libs = backend().library_versions();
  if (libs.empty()) GTEST_SKIP() << "this build has no cuDNN backend";
  EXPECT_EQ(libs.at("cudnn-frontend"), "1.32.0");
  EXPECT_TRUE(libs.at("cuDNN") == "not loaded" || libs.at("cuDNN").rfind("9.", 0) == 0) << libs.at("cuDNN");
}

TEST(CudnnRules, ARestrictedPlanIsItsOwnSeries) {
  const auto one = backend().with_variant("eng0_k2=1");
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->info().id, "cudnn[eng0_k2=1]");
  EXPECT_TRUE(backend().variants(problem(DType::BF16, 128), *find_profile("h100")).empty());  // plans need the GPU
}

TEST(CudnnRules, AMissingLibcudnnGreysTheRowInTheCli) {
  if (backend().library_versions().empty()) GTEST_SKIP() << "this build has no cuDNN backend (its own reason is tested above)";
  // A process that cannot open libcudnn: every other backend is unaffected, cudnn names the failure.
  const std::string out = ::testing::TempDir() + "attnscope_cudnn_absent.json";
  const std::string cmd = std::string("ATTNSCOPE_CUDNN_LIBRARY=libcudnn_absent.so.9 '") + ATTNSCOPE_CLI_PATH +
                          "' backends --json --profile h100 --dtype bfloat16 --head-dim 128 > '" + out + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(out);
  const auto j = nlohmann::json::parse(in);
  bool seen = false;
  for (const auto& b : j.at("probes").at(0).at("backends")) {
    if (b.at("id") == "flash2") EXPECT_TRUE(b.at("eligible").get<bool>());
    if (b.at("id") != "cudnn") continue;
    seen = true;
    EXPECT_FALSE(b.at("eligible").get<bool>());
    nlohmann::json rule;
    for (const auto& r : b.at("rules"))
      if (r.at("rule") == "cudnn_library") rule = r;
    ASSERT_FALSE(rule.is_null()) << b.dump();
    EXPECT_FALSE(rule.at("met").get<bool>());
    EXPECT_TRUE(contains(rule.at("reason").get<std::string>(), "libcudnn_absent.so.9")) << rule.dump();
    EXPECT_TRUE(contains(rule.at("hint").get<std::string>(), "install cuDNN 9")) << rule.dump();
  }
  EXPECT_TRUE(seen);
}
