// cudnn on the GPU against the fp64 reference: float16 and bfloat16, head dims 64/128/256, causal
// (bottom-right) and not, GQA/MQA, lengths 1, 1000 and 4097, q_len ≠ kv_len, outputs and LSE poisoned
// before each run; every plan cuDNN offers for one problem; and problems cuDNN refuses (head dim 100,
// float32, bottom-right causal with q_len > kv_len) greyed with cuDNN's own sentence, without a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <tuple>

#include "attnscope/platform.hpp"
#include "attnscope/registry.hpp"
#include "cudnn/cudnn_sdpa.hpp"
#include "gpu_check.hpp"
#include "../builtin_backend.hpp"

namespace attnscope {
namespace {

const Backend& backend() { return testing_support::builtin_backend("cudnn"); }

// Empty when cuDNN can be used here; otherwise why not (skipped with that reason).
std::string cudnn_unavailable_reason() {
  const auto libs = backend().library_versions();
  if (libs.empty()) return "this build has no cuDNN backend";
  if (libs.at("cuDNN") == "not loaded") return "libcudnn.so.9 could not be loaded";
  return {};
}

#define REQUIRE_CUDNN()                                                  \
  do {                                                                   \
    ATTNSCOPE_REQUIRE_GPU();                                             \
    if (const std::string why = cudnn_unavailable_reason(); !why.empty()) GTEST_SKIP() << why; \
  } while (0)

DeviceInfo gpu0() {
  for (const auto& d : discover_devices().devices)
    if (d.kind == DeviceKind::Cuda) return d;
  throw std::runtime_error("no CUDA device");
}

Problem make(DType t, int64_t b, int64_t hq, int64_t hkv, int64_t nq, int64_t nk, int64_t d, bool causal) {
  return testing_support::make_problem(t, b, hq, hkv, nq, nk, d, causal);
}

void expect_matches_reference(const Backend& b, const Problem& p, int64_t max_heads = 4, uint64_t seed = 7) {
  gputest::expect_matches_reference(b, p, max_heads, seed);
}
void expect_matches_reference(const Problem& p, int64_t max_heads = 4, uint64_t seed = 7) {
  expect_matches_reference(backend(), p, max_heads, seed);
}

class CudnnGpu : public ::testing::TestWithParam<std::tuple<DType, bool>> {};

TEST_P(CudnnGpu, HeadDims64To256WithGqaAtLength1000) {
  REQUIRE_CUDNN();
  const auto [t, causal] = GetParam();
  for (int64_t d : {64, 128, 256}) expect_matches_reference(make(t, 2, 4, 2, 1000, 1000, d, causal), 2);
}

TEST_P(CudnnGpu, Length4097AndMqa) {
  REQUIRE_CUDNN();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 1, 2, 1, 4097, 4097, 64, causal), 1, 21);
  expect_matches_reference(make(t, 1, 2, 2, 300, 4097, 128, causal), 2, 22);  // q_len < kv_len
}

TEST_P(CudnnGpu, LengthOne) {
  REQUIRE_CUDNN();
  const auto [t, causal] = GetParam();
  for (int64_t d : {64, 128, 256}) {
    expect_matches_reference(make(t, 3, 8, 2, 1, 1, d, causal), 8);
    expect_matches_reference(make(t, 2, 4, 4, 1, 4097, d, causal), 4);  // decode-like: the last row sees every key
  }
}

TEST_P(CudnnGpu, RaggedLengthsWithGqa) {
  REQUIRE_CUDNN();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 2, 8, 2, 77, 203, 128, causal), 8);
  expect_matches_reference(make(t, 1, 4, 2, 1000, 1029, 256, causal), 2);
  if (!causal) expect_matches_reference(make(t, 1, 6, 1, 130, 65, 64, false), 6);  // q_len > kv_len
}

INSTANTIATE_TEST_SUITE_P(SixteenBit, CudnnGpu, ::testing::Combine(::testing::Values(DType::F16, DType::BF16), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) +
                                  (std::get<1>(info.param) ? "_causal" : "_full");
                         });

TEST(CudnnGpuPlans, EveryOfferedPlanMatchesTheReferenceAndTheDefaultIsNamed) {
  REQUIRE_CUDNN();
  const DeviceInfo d = gpu0();
  const Problem p = make(DType::BF16, 1, 4, 2, 515, 1000, 128, true);
  ASSERT_TRUE(backend().requirements(p, d).empty());
  const auto plans = backend().variants(p, d);
  ASSERT_FALSE(plans.empty());
  const std::string chosen = backend().variant_used(p);
  EXPECT_NE(std::find(plans.begin(), plans.end(), chosen), plans.end()) << chosen;
  for (const auto& name : plans) {
    SCOPED_TRACE(name);
    const auto one = backend().with_variant(name);
    EXPECT_EQ(one->info().id, "cudnn[" + name + "]");
    const auto unmet = one->requirements(p, d);
    if (!unmet.empty()) {
      ADD_FAILURE() << unmet.front().reason;  // offered by the heuristics, so it must be eligible
      continue;
    }
    const auto r = gputest::run_against_reference(*one, p, 2, 9);
    if (r.error.find("could not build plan") != std::string::npos) continue;  // listed, but cuDNN cannot build it here
    expect_matches_reference(*one, p, 2, 9);
  }
}

TEST(CudnnGpuLimits, RefusedProblemsShowCudnnsOwnTextAndDoNotCrash) {
  REQUIRE_CUDNN();
  const DeviceInfo d = gpu0();
  for (const Problem& p : {make(DType::F16, 1, 2, 2, 64, 64, 100, false), make(DType::F32, 1, 2, 2, 64, 64, 64, false),
                           make(DType::BF16, 1, 2, 2, 300, 40, 64, true)}) {
    SCOPED_TRACE(p.describe());
    const auto unmet = backend().requirements(p, d);
    ASSERT_FALSE(unmet.empty());
    const RuleResult& r = unmet.front();
    EXPECT_TRUE(r.rule == "cudnn_support" || r.rule == "dtype") << r.rule;
    EXPECT_NE(r.reason.find("cuDNN"), std::string::npos) << r.reason;
    std::cout << "  refused: " << r.reason << "\n     fix: " << r.hint << "\n";
    // Run anyway (as a caller that ignores the rules would): an exception with cuDNN's text, no crash.
    const auto run = gputest::run_against_reference(backend(), p, 1);
    EXPECT_FALSE(run.error.empty());
  }
}

#if ATTNSCOPE_HAVE_CUDNN
TEST(CudnnGpuLimits, Float32IsRefusedByOurRuleAndNeverLaunched) {
  REQUIRE_CUDNN();
  // Why the dtype rule is ours: cuDNN 9.19 validates float32 and builds a plan for it on sm90 (H100,
  // 2026-12-06), and running that plan faulted the context. run() refuses it before any launch, so
  // the context stays usable: a float16 run right after still matches the reference.
  const Problem p = make(DType::F32, 1, 2, 2, 64, 64, 64, false);
  const auto v = cudnn_sdpa::validate(p, gpu0().compute_capability());
  std::cout << "  validate(float32): " << (v.ok ? "ok" : v.code + ": " + v.message) << "\n";
  const auto refused = gputest::run_against_reference(backend(), p, 1);
  EXPECT_NE(refused.error.find("float16 and bfloat16 only"), std::string::npos) << refused.error;
  const auto after = gputest::run_against_reference(backend(), make(DType::F16, 1, 2, 2, 64, 64, 64, false), 1);
  EXPECT_TRUE(after.error.empty()) << after.error;
}
#endif

TEST(CudnnGpuLimits, VersionsAreReported) {
  REQUIRE_CUDNN();
  const auto libs = backend().library_versions();
  EXPECT_EQ(libs.at("cuDNN").rfind("9.", 0), 0u) << libs.at("cuDNN");
  EXPECT_FALSE(libs.at("cudnn-frontend").empty());
}

}  // namespace
}  // namespace attnscope
