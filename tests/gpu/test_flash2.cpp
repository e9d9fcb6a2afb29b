// flash2 on the GPU against the fp64 reference: float16 and bfloat16, every compiled head dim, causal
// and not, GQA/MQA, lengths 1, 1000 and 4097 (not multiples of any tile), causal with q_len ≠ kv_len
// (including rows that see no key), outputs and LSE poisoned before each run. Tolerance: at most twice
// the error of a plain low-precision computation on the same inputs (FlashAttention's test rule).
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "attnscope/registry.hpp"
#include "flash2/flash2.hpp"
#include "gpu_check.hpp"
#include "../builtin_backend.hpp"

namespace attnscope {
namespace {

const Backend& backend() { return testing_support::builtin_backend("flash2"); }

Problem make(DType t, int64_t b, int64_t hq, int64_t hkv, int64_t nq, int64_t nk, int64_t d, bool causal) {
  return testing_support::make_problem(t, b, hq, hkv, nq, nk, d, causal);
}

void expect_matches_reference(const Problem& p, int64_t max_heads = 4, uint64_t seed = 7) {
  gputest::expect_matches_reference(backend(), p, max_heads, seed);
}

class Flash2Gpu : public ::testing::TestWithParam<std::tuple<DType, bool>> {};

TEST_P(Flash2Gpu, EveryHeadDimWithGqaAtLength1000) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  for (const flash2::TileShape& s : flash2::kTileShapes)
    expect_matches_reference(make(t, 2, 4, 2, 1000, 1000, s.head_dim, causal), 2);
}

TEST_P(Flash2Gpu, Length4097CrossesEveryTileBoundary) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 1, 2, 1, 4097, 4097, 64, causal), 1, 21);   // MQA
  expect_matches_reference(make(t, 1, 2, 2, 4097, 300, 128, causal), 1, 22);   // q_len > kv_len
}

TEST_P(Flash2Gpu, LengthOne) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  for (const flash2::TileShape& s : flash2::kTileShapes) {
    expect_matches_reference(make(t, 3, 8, 2, 1, 1, s.head_dim, causal), 8);     // one query, one key
    expect_matches_reference(make(t, 2, 4, 4, 1, 4097, s.head_dim, causal), 4);  // decode-like: one query, long keys
  }
}

TEST_P(Flash2Gpu, RaggedLengthsWithGqa) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 2, 8, 2, 77, 203, 128, causal), 8);  // kv_len > q_len, 4 q heads per kv head
  expect_matches_reference(make(t, 1, 6, 1, 130, 65, 64, causal), 6);   // MQA, q_len > kv_len
  expect_matches_reference(make(t, 1, 2, 2, 63, 1, 96, causal));        // a single key
  expect_matches_reference(make(t, 1, 4, 2, 1000, 129, 256, causal), 2);
  expect_matches_reference(make(t, 2, 2, 1, 129, 1000, 32, causal), 4);
}

// Head dims without their own kernel (FlashAttention-2 accepts them) run on the next compiled one with
// zero-filled columns: 80 and 112, and head dims that land on each of the other compiled kernels.
TEST_P(Flash2Gpu, UncompiledHeadDimsRunOnTheNextKernel) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  for (int64_t d : {8, 24, 40, 80, 112, 136, 248}) {
    SCOPED_TRACE(d);
    expect_matches_reference(make(t, 1, 4, 2, 300, 517, d, causal), 4, 50 + uint64_t(d));
  }
}

TEST(Flash2GpuCausal, RowsThatSeeNoKeyAreZeroWithMinusInfLse) {
  ATTNSCOPE_REQUIRE_GPU();
  // q_len − kv_len = 260: the first 260 rows see nothing (two whole 128-row tiles and part of a third).
  for (DType t : {DType::F16, DType::BF16})
    for (int64_t d : {64, 128}) expect_matches_reference(make(t, 1, 2, 2, 300, 40, d, true));
}

INSTANTIATE_TEST_SUITE_P(SixteenBit, Flash2Gpu, ::testing::Combine(::testing::Values(DType::F16, DType::BF16), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) +
                                  (std::get<1>(info.param) ? "_causal" : "_full");
                         });

TEST(Flash2GpuLimits, HeadDimsWithoutAKernelAndFloat32AreRefusedNotComputed) {
  ATTNSCOPE_REQUIRE_GPU();
  for (int64_t d : {100, 264}) {
    const auto refused = gputest::run_against_reference(backend(), make(DType::F16, 1, 1, 1, 16, 16, d, false));
    EXPECT_NE(refused.error.find("head_dim " + std::to_string(d)), std::string::npos) << refused.error;
  }
  const auto f32 = gputest::run_against_reference(backend(), make(DType::F32, 1, 1, 1, 16, 16, 64, false));
  EXPECT_NE(f32.error.find("float32"), std::string::npos) << f32.error;
}

TEST(Flash2GpuLimits, SeedsChangeTheInputsNotTheVerdict) {
  ATTNSCOPE_REQUIRE_GPU();
  for (uint64_t seed : {1u, 2u, 3u}) expect_matches_reference(make(DType::BF16, 1, 2, 2, 129, 257, 128, true), 2, seed);
}

}  // namespace
}  // namespace attnscope
