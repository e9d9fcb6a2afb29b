// split-kv-decode on the GPU against the fp64 reference: float16 and bfloat16, every compiled head
// dim, q_len 1…16, GQA groups from 1 to 16 (row chunks included), causal and not (rows that see no
// key), ragged and long KV lengths, both the split+combine path and the single-range path, both split
// kernels (tensor cores for ≤ 16 rows at head dim ≤ 128, CUDA cores otherwise), outputs and LSE
// poisoned before each run. Problems past the limits must be refused by run().
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "../builtin_backend.hpp"
#include "gpu_check.hpp"
#include "split_kv_decode/split_kv_decode.hpp"

namespace attnscope {
namespace {

using testing_support::make_problem;
const Backend& backend() { return testing_support::builtin_backend("split-kv-decode"); }
Problem make(DType t, int64_t b, int64_t hq, int64_t hkv, int64_t nq, int64_t nk, int64_t d, bool causal) {
  return make_problem(t, b, hq, hkv, nq, nk, d, causal);
}

split_kv::Plan plan_on_gpu(const Problem& p) {
  return split_kv::plan(p, split_kv::device_slots(int(p.head_dim), p.dtype == DType::BF16));
}

// At most twice as wrong as a plain low-precision computation on the same inputs, and within the
// dtype's budget; every output and LSE element written.
void expect_matches_reference(const Problem& p, int64_t max_heads = 8, uint64_t seed = 7) {
  gputest::expect_matches_reference(backend(), p, max_heads, seed);
}

class SplitKvGpu : public ::testing::TestWithParam<std::tuple<DType, bool>> {};

TEST_P(SplitKvGpu, EveryHeadDimOneQueryGqa) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  for (int64_t d : split_kv::kHeadDims) {
    const Problem p = make(t, 2, 32, 8, 1, 5003, d, causal);
    EXPECT_EQ(plan_on_gpu(p).tensor_cores, d <= 128) << "4 rows: tensor cores up to head dim 128";
    expect_matches_reference(p);
  }
}

TEST_P(SplitKvGpu, QueryLengthsUpToTheLimit) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  for (int64_t nq : {2, 3, 5, 8, 16}) expect_matches_reference(make(t, 2, 8, 2, nq, 1000, 128, causal));
}

TEST_P(SplitKvGpu, GroupRowsAcrossWarpsAndChunks) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  // group × q_len = 1 (MHA), 12 (two row groups), 24 (four), 128 (four chunks of 32 rows), 16 (MQA).
  expect_matches_reference(make(t, 2, 4, 4, 1, 777, 64, causal));
  expect_matches_reference(make(t, 1, 12, 4, 4, 1500, 128, causal), 12);
  expect_matches_reference(make(t, 1, 8, 1, 3, 900, 256, causal), 8);
  expect_matches_reference(make(t, 1, 16, 2, 16, 2100, 128, causal), 16);
  expect_matches_reference(make(t, 3, 16, 1, 1, 4097, 64, causal), 16);
}

TEST_P(SplitKvGpu, LongCacheManySplits) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  const Problem p = make(t, 1, 32, 8, 1, 40000, 128, causal);
  EXPECT_GT(plan_on_gpu(p).splits, 8) << "a single long sequence must be split across many blocks";
  expect_matches_reference(p, 4);
}

TEST_P(SplitKvGpu, SingleRangeSkipsTheCombine) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  // A cache of one tile cannot be split: the split kernel writes O and LSE itself.
  for (const Problem& p : {make(t, 4, 8, 2, 3, 60, 64, causal), make(t, 4, 8, 8, 1, 31, 128, causal)}) {
    ASSERT_EQ(plan_on_gpu(p).splits, 1) << p.describe();
    expect_matches_reference(p, 8);
  }
}

TEST_P(SplitKvGpu, ShortAndRaggedCaches) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 2, 4, 2, 1, 1, 128, causal));     // a single key
  expect_matches_reference(make(t, 2, 4, 2, 7, 33, 64, causal));     // partial tile
  expect_matches_reference(make(t, 1, 2, 1, 16, 257, 256, causal));  // tile + 1
}

TEST(SplitKvGpu, CausalRowsThatSeeNoKeyAreZeroWithMinusInfLse) {
  ATTNSCOPE_REQUIRE_GPU();
  // q_len − kv_len = 11: the first 11 query rows of every head see nothing.
  for (DType t : {DType::F16, DType::BF16}) expect_matches_reference(make(t, 2, 8, 2, 16, 5, 128, true));
}

TEST(SplitKvGpu, CustomScale) {
  ATTNSCOPE_REQUIRE_GPU();
  Problem p = make(DType::BF16, 1, 8, 8, 2, 3000, 128, false);
  p.scale = 0.3;
  expect_matches_reference(p);
}

TEST(SplitKvGpu, RefusesProblemsPastItsLimits) {
  ATTNSCOPE_REQUIRE_GPU();
  // The registry never runs these (check() marks them ineligible); run() must refuse, not compute.
  for (const Problem& p : {make(DType::F16, 1, 4, 4, 17, 100, 128, false), make(DType::F32, 1, 4, 4, 1, 100, 128, false),
                           make(DType::BF16, 1, 4, 4, 1, 100, 96, false)}) {
    const gputest::CheckResult r = gputest::run_against_reference(backend(), p, 2);
    EXPECT_FALSE(r.error.empty()) << p.describe() << " ran";
  }
}

INSTANTIATE_TEST_SUITE_P(DtypesCausal, SplitKvGpu,
                         ::testing::Combine(::testing::Values(DType::F16, DType::BF16), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) +
                                  (std::get<1>(info.param) ? "_causal" : "_full");
                         });

}  // namespace
}  // namespace attnscope
