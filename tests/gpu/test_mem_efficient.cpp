// mem-efficient on the GPU against the fp64 reference: every dtype, causal and not, GQA, ragged
// lengths (including causal rows that see no key), head dims through every bucket and at the limit,
// outputs poisoned before each run. Problems past the limits must be refused by run(), not computed.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "attnscope/registry.hpp"
#include "gpu_check.hpp"
#include "../builtin_backend.hpp"

namespace attnscope {
namespace {

const Backend& backend() { return testing_support::builtin_backend("mem-efficient"); }

Problem make(DType t, int64_t b, int64_t hq, int64_t hkv, int64_t nq, int64_t nk, int64_t d, bool causal) {
  return testing_support::make_problem(t, b, hq, hkv, nq, nk, d, causal);
}

// The kernel may be at most twice as wrong as a plain low-precision computation on the same inputs
// (FlashAttention's test rule), and within the dtype's absolute budget.
void expect_matches_reference(const Problem& p, int64_t max_heads = 4, uint64_t seed = 7) {
  gputest::expect_matches_reference(backend(), p, max_heads, seed, 1e-5, "fp32 FFMA without TF32 should be near 1e-6");
}

class MemEfficientGpu : public ::testing::TestWithParam<std::tuple<DType, bool>> {};

TEST_P(MemEfficientGpu, SquareEveryBucket) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  for (int64_t d : {64, 128, 256}) expect_matches_reference(make(t, 2, 4, 4, 256, 256, d, causal));
}

TEST_P(MemEfficientGpu, HeadDimsBelowTheirBucket) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  for (int64_t d : {8, 40, 72, 80, 96, 136, 200, 248}) expect_matches_reference(make(t, 1, 2, 2, 100, 130, d, causal));
}

TEST_P(MemEfficientGpu, RaggedLengthsWithGqa) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 2, 8, 2, 77, 203, 128, causal), 8);   // kv_len > q_len, 4 q heads per kv head
  expect_matches_reference(make(t, 1, 6, 1, 130, 65, 64, causal), 6);    // MQA, q_len > kv_len
  expect_matches_reference(make(t, 3, 4, 2, 1, 1000, 128, causal), 8);   // one query row, long keys
  expect_matches_reference(make(t, 1, 2, 2, 63, 1, 64, causal));         // a single key
}

TEST(MemEfficientGpuCausal, RowsThatSeeNoKeyAreZeroWithMinusInfLse) {
  ATTNSCOPE_REQUIRE_GPU();
  // q_len − kv_len = 110: the first 110 rows see nothing (whole blocks and part of one).
  for (DType t : all_dtypes()) expect_matches_reference(make(t, 1, 2, 2, 150, 40, 64, true));
}

TEST_P(MemEfficientGpu, ManyTiles) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 1, 4, 4, 1024, 1024, 128, causal), 2, 11);
  expect_matches_reference(make(t, 1, 2, 1, 700, 1500, 64, causal), 2, 12);
}

INSTANTIATE_TEST_SUITE_P(AllDtypes, MemEfficientGpu,
                         ::testing::Combine(::testing::Values(DType::F32, DType::F16, DType::BF16), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) +
                                  (std::get<1>(info.param) ? "_causal" : "_full");
                         });

TEST(MemEfficientGpuLimits, HeadDimPastTheLimitIsRefusedNotComputed) {
  ATTNSCOPE_REQUIRE_GPU();
  for (DType t : {DType::F32, DType::F16}) {
    const auto too_big = gputest::run_against_reference(backend(), make(t, 1, 1, 1, 16, 16, 264, false));
    EXPECT_NE(too_big.error.find("head_dim 264"), std::string::npos) << too_big.error;
    const auto misaligned = gputest::run_against_reference(backend(), make(t, 1, 1, 1, 16, 16, 60, false));
    EXPECT_NE(misaligned.error.find("head_dim 60"), std::string::npos) << misaligned.error;
  }
}

TEST(MemEfficientGpuLimits, SeedsChangeTheInputsNotTheVerdict) {
  ATTNSCOPE_REQUIRE_GPU();
  for (uint64_t seed : {1u, 2u, 3u}) expect_matches_reference(make(DType::F16, 1, 2, 2, 129, 257, 96, true), 2, seed);
}

}  // namespace
}  // namespace attnscope
