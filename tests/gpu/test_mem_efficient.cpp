// mem-efficient on the GPU against the fp64 reference: every dtype, causal and not, GQA, ragged
// lengths (including causal rows that see no key), head dims through every bucket and at the limit,
// outputs poisoned before each run. float32 runs 3×TF32 on tensor cores up to head_dim 128 (on sm80+)
// and the FMA kernel above, both held to the fp32 bound; a test checks which kernel ran. Problems past
// the limits must be refused by run(), not computed.
#include <cuda_runtime.h>
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
  // fp32: 3×TF32 and FMA both land near 1e-6; single-pass TF32 (≈1e-3), or 3×TF32 chaining every key's
  // MMAs into one truncating tensor-core accumulator (2.8e-5 at 4097 keys), would fail this bound.
  gputest::expect_matches_reference(backend(), p, max_heads, seed, 1e-5, "fp32 (3×TF32 or FMA) should be near 1e-6");
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

TEST(MemEfficientGpuFp32, LongKeyRangesKeepFp32Accuracy) {
  ATTNSCOPE_REQUIRE_GPU();
  for (bool causal : {false, true}) {
    expect_matches_reference(make(DType::F32, 1, 2, 1, 4097, 4097, 64, causal), 2, 13);  // one row past whole tiles
    expect_matches_reference(make(DType::F32, 1, 2, 2, 1000, 4097, 128, causal), 2, 14);
    expect_matches_reference(make(DType::F32, 1, 2, 2, 1000, 4097, 256, causal), 2, 15);
  }
}

// Which float32 kernel ran: mem-efficient-fma always runs the FMA kernel, so on the same inputs the two
// backends give bit-identical outputs (the same error) exactly where mem-efficient runs FMA too —
// head_dim > 128, or a GPU below sm80 — and different ones where it runs 3×TF32.
TEST(MemEfficientGpuFp32, TensorCoresUpTo128FmaAbove) {
  ATTNSCOPE_REQUIRE_GPU();
  int major = 0;
  ASSERT_EQ(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0), cudaSuccess);
  const Backend& fma = testing_support::builtin_backend("mem-efficient-fma");
  for (bool causal : {false, true})
    for (int64_t d : {32, 64, 96, 128, 136, 256}) {
      const Problem p = make(DType::F32, 1, 4, 2, 200, 333, d, causal);
      const auto a = gputest::run_against_reference(backend(), p, 4, 5);
      const auto f = gputest::run_against_reference(fma, p, 4, 5);
      ASSERT_TRUE(a.error.empty() && f.error.empty()) << a.error << f.error;
      if (major >= 8 && d <= 128)
        EXPECT_NE(a.err.rel_l2, f.err.rel_l2) << "head_dim " << d << ": expected 3×TF32, got the FMA kernel";
      else
        EXPECT_EQ(a.err.rel_l2, f.err.rel_l2) << "head_dim " << d << ": expected the FMA kernel";
    }
}

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
