// mem-efficient's Turing variant (sm75: 16-byte loads + st.shared instead of cp.async, two mma.sync
// m16n8k8 per k16 step, float16 and float32 only), forced on the GPU at hand — the variant is compiled
// for every architecture of the build — and checked like the sm80 variant in test_mem_efficient.cpp:
// against the fp64 reference with poisoned outputs, causal and not, GQA, ragged lengths, every bucket.
#include <gtest/gtest.h>

#include <string>

#include "attnscope/registry.hpp"
#include "gpu_check.hpp"
#include "mem_efficient/mem_efficient_params.hpp"
#include "../builtin_backend.hpp"

namespace attnscope {
namespace {

const Backend& mem_efficient_backend() { return testing_support::builtin_backend("mem-efficient"); }

// mem-efficient with the Turing variant forced; rules, memory and teaching text are mem-efficient's.
class TuringVariant final : public Backend {
 public:
  const BackendInfo& info() const override { return mem_efficient_backend().info(); }
  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    return mem_efficient_backend().check(p, d);
  }
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo& d) const override {
    return mem_efficient_backend().predict_memory(p, d);
  }
  bool writes_lse() const override { return true; }
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    mem_efficient::Params k = mem_efficient::params_for(p, t);
    k.variant = mem_efficient::Variant::Sm75;
    mem_efficient::forward(k, ctx.stream());
  }
};

const Backend& turing() {
  static const TuringVariant b;
  return b;
}

constexpr auto make = testing_support::make_problem;

void expect_matches_reference(const Problem& p, int64_t max_heads = 4, uint64_t seed = 7) {
  gputest::expect_matches_reference(turing(), p, max_heads, seed, 1e-5, "fp32 FFMA without TF32 should be near 1e-6");
}

class MemEfficientTuringGpu : public ::testing::TestWithParam<std::tuple<DType, bool>> {};

TEST_P(MemEfficientTuringGpu, HeadDimsThroughEveryBucket) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  // 256 does not fit a T4's shared memory (the rules refuse it there) but the variant's code is the
  // same on a GPU that has room, so it is checked too.
  for (int64_t d : {8, 64, 72, 128, 256}) expect_matches_reference(make(t, 1, 2, 2, 100, 130, d, causal));
}

TEST_P(MemEfficientTuringGpu, RaggedLengthsWithGqa) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 2, 8, 2, 77, 203, 128, causal), 8);  // kv_len > q_len, 4 q heads per kv head
  expect_matches_reference(make(t, 1, 6, 1, 130, 65, 64, causal), 6);   // MQA, q_len > kv_len
  expect_matches_reference(make(t, 3, 4, 2, 1, 1000, 128, causal), 8);  // one query row, long keys
  expect_matches_reference(make(t, 1, 2, 2, 150, 40, 64, causal));      // causal: 110 rows see no key
}

TEST_P(MemEfficientTuringGpu, ManyTilesExerciseThePrefetchedCopies) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 1, 4, 4, 1024, 1024, 128, causal), 2, 11);
  expect_matches_reference(make(t, 1, 2, 1, 700, 1500, 64, causal), 2, 12);  // last tile partly past kv_len
}

INSTANTIATE_TEST_SUITE_P(Float16AndFloat32, MemEfficientTuringGpu,
                         ::testing::Combine(::testing::Values(DType::F16, DType::F32), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) +
                                  (std::get<1>(info.param) ? "_causal" : "_full");
                         });

TEST(MemEfficientTuringGpuLimits, BfloatIsRefusedByTheVariantNotComputed) {
  ATTNSCOPE_REQUIRE_GPU();
  // Proves the forced variant is the one that runs: the sm80 variant would compute this problem.
  const auto r = gputest::run_against_reference(turing(), make(DType::BF16, 1, 2, 2, 64, 64, 64, false));
  EXPECT_NE(r.error.find("bfloat16 needs the sm80 variant"), std::string::npos) << r.error;
  EXPECT_TRUE(gputest::run_against_reference(mem_efficient_backend(), make(DType::BF16, 1, 2, 2, 64, 64, 64, false))
                  .error.empty());
}

}  // namespace
}  // namespace attnscope
