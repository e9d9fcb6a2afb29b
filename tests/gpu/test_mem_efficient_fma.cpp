// mem-efficient-fma on the GPU against the fp64 reference: float32 on the CUDA cores (exact FMA, no
// TF32) at every head-dim bucket up to 256, causal and not, GQA, ragged lengths (including causal rows
// that see no key), outputs poisoned before each run. Problems past the limits, and 16-bit inputs, must
// be refused by run(), not computed.
#include <gtest/gtest.h>

#include <string>

#include "attnscope/registry.hpp"
#include "gpu_check.hpp"
#include "../builtin_backend.hpp"

namespace attnscope {
namespace {

const Backend& backend() { return testing_support::builtin_backend("mem-efficient-fma"); }

Problem make(int64_t b, int64_t hq, int64_t hkv, int64_t nq, int64_t nk, int64_t d, bool causal,
             DType t = DType::F32) {
  return testing_support::make_problem(t, b, hq, hkv, nq, nk, d, causal);
}

void expect_matches_reference(const Problem& p, int64_t max_heads = 4, uint64_t seed = 7) {
  gputest::expect_matches_reference(backend(), p, max_heads, seed, 1e-5, "fp32 FMA should be near 1e-6");
}

class MemEfficientFmaGpu : public ::testing::TestWithParam<bool> {};

TEST_P(MemEfficientFmaGpu, SquareEveryBucket) {
  ATTNSCOPE_REQUIRE_GPU();
  for (int64_t d : {64, 128, 256}) expect_matches_reference(make(2, 4, 4, 256, 256, d, GetParam()));
}

TEST_P(MemEfficientFmaGpu, HeadDimsBelowTheirBucket) {
  ATTNSCOPE_REQUIRE_GPU();
  for (int64_t d : {8, 40, 72, 80, 96, 136, 200, 248}) expect_matches_reference(make(1, 2, 2, 100, 130, d, GetParam()));
}

TEST_P(MemEfficientFmaGpu, RaggedLengthsWithGqa) {
  ATTNSCOPE_REQUIRE_GPU();
  const bool causal = GetParam();
  expect_matches_reference(make(2, 8, 2, 77, 203, 128, causal), 8);  // kv_len > q_len, 4 q heads per kv head
  expect_matches_reference(make(1, 6, 1, 130, 65, 64, causal), 6);   // MQA, q_len > kv_len
  expect_matches_reference(make(3, 4, 2, 1, 1000, 256, causal), 8);  // one query row, long keys
  expect_matches_reference(make(1, 2, 2, 63, 1, 64, causal));        // a single key
}

TEST_P(MemEfficientFmaGpu, ManyTiles) {
  ATTNSCOPE_REQUIRE_GPU();
  expect_matches_reference(make(1, 4, 4, 1024, 1024, 128, GetParam()), 2, 11);
  expect_matches_reference(make(1, 2, 1, 700, 1500, 64, GetParam()), 2, 12);
}

INSTANTIATE_TEST_SUITE_P(Fp32, MemEfficientFmaGpu, ::testing::Bool(),
                         [](const auto& info) { return std::string(info.param ? "causal" : "full"); });

TEST(MemEfficientFmaGpuCausal, RowsThatSeeNoKeyAreZeroWithMinusInfLse) {
  ATTNSCOPE_REQUIRE_GPU();
  // q_len − kv_len = 110: the first 110 rows see nothing (whole blocks and part of one).
  expect_matches_reference(make(1, 2, 2, 150, 40, 64, true));
  expect_matches_reference(make(1, 2, 2, 150, 40, 256, true));
}

TEST(MemEfficientFmaGpuLimits, ProblemsOutsideTheKernelAreRefusedNotComputed) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto too_big = gputest::run_against_reference(backend(), make(1, 1, 1, 16, 16, 264, false));
  EXPECT_NE(too_big.error.find("head_dim 264"), std::string::npos) << too_big.error;
  const auto misaligned = gputest::run_against_reference(backend(), make(1, 1, 1, 16, 16, 60, false));
  EXPECT_NE(misaligned.error.find("head_dim 60"), std::string::npos) << misaligned.error;
  const auto half = gputest::run_against_reference(backend(), make(1, 1, 1, 16, 16, 64, false, DType::F16));
  EXPECT_NE(half.error.find("float32"), std::string::npos) << half.error;
}

TEST(MemEfficientFmaGpuLimits, SeedsChangeTheInputsNotTheVerdict) {
  ATTNSCOPE_REQUIRE_GPU();
  for (uint64_t seed : {1u, 2u, 3u}) expect_matches_reference(make(1, 2, 2, 129, 257, 96, true), 2, seed);
}

}  // namespace
}  // namespace attnscope
