// small-k on the GPU against the fp64 reference: float32 head dims 1…32 (every padded instantiation,
// its edges and odd sizes), causal and not (rows that see no key), GQA, ragged lengths, outputs and
// LSE poisoned before each run. Problems past the limits must be refused by run().
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "../builtin_backend.hpp"
#include "gpu_check.hpp"

namespace attnscope {
namespace {

const Backend& backend() { return testing_support::builtin_backend("small-k"); }
Problem make(int64_t b, int64_t hq, int64_t hkv, int64_t nq, int64_t nk, int64_t d, bool causal) {
  return testing_support::make_problem(DType::F32, b, hq, hkv, nq, nk, d, causal);
}

// fp32 FFMA without TF32: errors near 1e-6.
void expect_matches_reference(const Problem& p, int64_t max_heads = 4, uint64_t seed = 7) {
  SCOPED_TRACE(p.describe());
  const gputest::CheckResult r = gputest::run_against_reference(backend(), p, max_heads, seed);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.unwritten, 0) << "poisoned outputs left unwritten";
  EXPECT_EQ(r.err.non_finite, 0);
  EXPECT_TRUE(r.lse_ok) << "log-sum-exp differs from the reference";
  EXPECT_LE(r.err.rel_l2, 1e-5);
}

class SmallKGpu : public ::testing::TestWithParam<bool> {};

TEST_P(SmallKGpu, EveryHeadDimUpToTheLimit) {
  ATTNSCOPE_REQUIRE_GPU();
  for (int64_t d : {1, 4, 7, 8, 9, 12, 16, 17, 20, 24, 31, 32})
    expect_matches_reference(make(2, 2, 2, 300, 300, d, GetParam()));
}

TEST_P(SmallKGpu, RaggedLengthsWithGqa) {
  ATTNSCOPE_REQUIRE_GPU();
  const bool causal = GetParam();
  expect_matches_reference(make(2, 8, 2, 77, 203, 32, causal), 8);    // kv_len > q_len, groups of 4
  expect_matches_reference(make(1, 6, 1, 130, 65, 16, causal), 6);    // MQA, q_len > kv_len
  expect_matches_reference(make(3, 4, 2, 1, 1000, 16, causal), 8);    // one query row
  expect_matches_reference(make(1, 2, 2, 63, 1, 8, causal));          // a single key
  expect_matches_reference(make(1, 2, 1, 1100, 2500, 32, causal), 2); // several row blocks and tiles
}

TEST(SmallKGpu, CausalRowsThatSeeNoKeyAreZeroWithMinusInfLse) {
  ATTNSCOPE_REQUIRE_GPU();
  // q_len − kv_len = 600: the first 600 rows (whole row blocks and part of one) see nothing.
  expect_matches_reference(make(1, 2, 2, 640, 40, 16, true));
  expect_matches_reference(make(1, 2, 2, 640, 40, 32, true));
}

TEST(SmallKGpu, CustomScale) {
  ATTNSCOPE_REQUIRE_GPU();
  Problem p = make(1, 4, 4, 200, 333, 24, false);
  p.scale = 0.05;
  expect_matches_reference(p);
}

TEST(SmallKGpu, LargeScalesMoveTheReferenceMaximumOften) {
  ATTNSCOPE_REQUIRE_GPU();
  // With scale 4 a row's scores spread over tens of log2 units, so a chunk's maximum often exceeds
  // the reference by more than the 2^8 margin: the lazy rescale runs several times per row, across
  // chunks and tiles, causal and not (at 1/sqrt(d) it is rarely taken after a row's first chunk).
  for (bool causal : {false, true})
    for (int64_t d : {8, 16, 32}) {
      Problem p = make(1, 2, 2, 300, 700, d, causal);
      p.scale = 4.0;
      expect_matches_reference(p);
    }
}

TEST(SmallKGpu, RefusesProblemsPastItsLimits) {
  ATTNSCOPE_REQUIRE_GPU();
  Problem too_wide = make(1, 2, 2, 64, 64, 33, false);
  Problem half = make(1, 2, 2, 64, 64, 16, false);
  half.dtype = DType::F16;
  for (const Problem& p : {too_wide, half}) {
    const gputest::CheckResult r = gputest::run_against_reference(backend(), p, 2);
    EXPECT_FALSE(r.error.empty()) << p.describe() << " ran";
  }
}

INSTANTIATE_TEST_SUITE_P(Causal, SmallKGpu, ::testing::Bool(),
                         [](const auto& info) { return info.param ? std::string("causal") : std::string("full"); });

}  // namespace
}  // namespace attnscope
