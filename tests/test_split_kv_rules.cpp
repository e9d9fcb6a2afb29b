// split-kv-decode's eligibility rules and its split plan, without a GPU: q_len bound, dtype, head dim
// set (nearest allowed value in the hint), compute capability on what-if profiles; the plan's split
// count from SM count and length, row chunking for large GQA groups, and the workspace it implies.
#include <gtest/gtest.h>

#include <string>

#include "attnscope/build_info.hpp"
#include "attnscope/platform.hpp"
#include "builtin_backend.hpp"
#include "split_kv_decode/split_kv_decode.hpp"

using namespace attnscope;

namespace {

const Backend& backend() { return testing_support::builtin_backend("split-kv-decode"); }

// The performance target's shape: 32 query heads over 8 KV heads.
Problem decode(DType t = DType::BF16, int64_t d = 128, int64_t nq = 1, int64_t nk = 8192, int64_t b = 1) {
  return testing_support::make_problem(t, b, 32, 8, nq, nk, d);
}

RuleResult must_have(const std::vector<RuleResult>& rs, const std::string& id) {
  return testing_support::rule_named(rs, id);
}

const DeviceInfo& profile(const char* name) { return *find_profile(name); }

TEST(SplitKvRules, DecodeShapesPassTheInputRules) {
  for (DType t : {DType::F16, DType::BF16})
    for (int64_t d : split_kv::kHeadDims)
      for (int64_t nq : {1, 16}) {
        const auto rs = backend().check(decode(t, d, nq), profile("h100"));
        EXPECT_TRUE(must_have(rs, "dtype").met);
        EXPECT_TRUE(must_have(rs, "head_dim_set").met) << d;
        EXPECT_TRUE(must_have(rs, "q_len_max").met) << nq;
        EXPECT_TRUE(must_have(rs, "compute_capability").met);
      }
}

TEST(SplitKvRules, QueryLengthPastSixteenPointsToPrefillBackends) {
  const RuleResult r = must_have(backend().check(decode(DType::BF16, 128, 17), profile("h100")), "q_len_max");
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.observed, "17");
  EXPECT_NE(r.required.find("16"), std::string::npos);
  EXPECT_NE(r.hint.find("q_len 16"), std::string::npos) << r.hint;
  EXPECT_NE(r.hint.find("flash2"), std::string::npos) << r.hint;
}

TEST(SplitKvRules, Float32IsRefusedWithAnAlternative) {
  const RuleResult r = must_have(backend().check(decode(DType::F32), profile("h100")), "dtype");
  EXPECT_FALSE(r.met);
  EXPECT_EQ(r.observed, "float32");
  EXPECT_NE(r.hint.find("bfloat16"), std::string::npos) << r.hint;
  EXPECT_NE(r.hint.find("mem-efficient"), std::string::npos) << r.hint;
}

TEST(SplitKvRules, HeadDimOutsideTheSetNamesTheNearest) {
  const std::pair<int64_t, int64_t> cases[] = {{32, 64}, {80, 64}, {96, 128}, {112, 128}, {192, 256}, {512, 256}};
  for (auto [d, nearest] : cases) {
    const RuleResult r = must_have(backend().check(decode(DType::F16, d), profile("h100")), "head_dim_set");
    EXPECT_FALSE(r.met) << d;
    EXPECT_EQ(r.observed, std::to_string(d));
    EXPECT_NE(r.hint.find("head_dim " + std::to_string(nearest)), std::string::npos) << d << ": " << r.hint;
  }
}

TEST(SplitKvRules, NeedsAmpereOrNewer) {
  const RuleResult t4 = must_have(backend().check(decode(DType::F16), profile("t4")), "compute_capability");
  EXPECT_FALSE(t4.met);
  EXPECT_EQ(t4.kind, RuleKind::Environment);
  EXPECT_NE(t4.hint.find("cublas-math or naive"), std::string::npos) << t4.hint;
  EXPECT_NE(t4.hint.find("mem-efficient (float16"), std::string::npos) << t4.hint;  // it runs on Turing
  EXPECT_TRUE(must_have(backend().check(decode(DType::F16), profile("a100")), "compute_capability").met);
}

TEST(SplitKvRules, CausalIsAccepted) {
  Problem p = decode(DType::BF16, 128, 16);
  p.causal = true;
  for (const auto& r : backend().check(p, profile("h100")))
    if (r.kind == RuleKind::Input) EXPECT_TRUE(r.met) << r.rule << ": " << r.reason;
}

// ---- the split plan ----

const split_kv::DeviceSlots kH100{132, 3};

TEST(SplitKvPlan, OneLongSequenceIsSplitToFillTheGpu) {
  // d = 128 runs the tensor-core kernel (64-key tiles, one block per SM is enough), d = 256 the
  // CUDA-core one (3 blocks per SM).
  for (int64_t d : {128, 256})
    for (int64_t nk : {8192, 32768, 131072}) {
      const split_kv::Plan pl = split_kv::plan(decode(DType::BF16, d, 1, nk), kH100);
      ASSERT_EQ(pl.tensor_cores, d == 128);
      const int64_t slots = 132 * (pl.tensor_cores ? 1 : 3);
      EXPECT_GT(pl.blocks(), slots * 8 / 10) << nk;  // at least 80 % of the block slots busy
      EXPECT_LE(pl.blocks(), slots) << nk;           // in one wave
      const int64_t keys = pl.tensor_cores ? split_kv::kTcKeysPerTile : split_kv::keys_per_tile(d);
      const int64_t tiles = (nk + keys - 1) / keys;
      EXPECT_GE(pl.splits * pl.tiles_per_split, tiles);          // every key covered
      EXPECT_LT((pl.splits - 1) * pl.tiles_per_split, tiles);    // no empty range
    }
}

TEST(SplitKvPlan, TensorCoresServeUpToSixteenRowsAndHeadDim128) {
  // (query heads, KV heads, q_len, head dim) → tensor-core kernel?
  struct Case { int64_t hq, hkv, nq, d; bool tc; };
  const Case cases[] = {{32, 8, 1, 128, true},  {32, 8, 4, 64, true},   {8, 8, 16, 128, true}, {16, 1, 1, 128, true},
                        {32, 8, 5, 128, false}, {32, 1, 1, 128, false}, {32, 8, 1, 256, false}};
  for (const Case& c : cases) {
    Problem p = decode(DType::F16, c.d, c.nq);
    p.q_heads = c.hq, p.kv_heads = c.hkv;
    const split_kv::Plan pl = split_kv::plan(p, kH100);
    EXPECT_EQ(pl.tensor_cores, c.tc) << p.describe();
    if (pl.tensor_cores) EXPECT_EQ(pl.row_chunks, 1) << p.describe();
  }
}

TEST(SplitKvPlan, SplitsFollowTheSmCount) {
  const Problem p = decode(DType::BF16, 128, 1, 65536);
  EXPECT_GT(split_kv::plan(p, {132, 3}).splits, split_kv::plan(p, {46, 3}).splits);
}

TEST(SplitKvPlan, ABatchThatFillsTheGpuIsNotSplit) {
  const Problem p = decode(DType::BF16, 128, 1, 4096, 2048);  // 16384 (batch, KV head) blocks
  const split_kv::Plan pl = split_kv::plan(p, kH100);
  EXPECT_EQ(pl.splits, 1);
  EXPECT_EQ(split_kv::workspace_bytes(p, pl), 0u);
}

TEST(SplitKvPlan, RowsOfAGroupShareABlockUpToThirtyTwo) {
  // CUDA-core kernel (head dim 256): (group × q_len) → rows per warp, row groups, row chunks.
  struct Case { int64_t hq, hkv, nq; int rpw, groups; int64_t chunks; };
  const Case cases[] = {{32, 8, 1, 4, 1, 1}, {8, 8, 1, 1, 1, 1}, {8, 8, 3, 4, 1, 1}, {32, 8, 3, 8, 2, 1},
                        {32, 8, 8, 8, 4, 1}, {8, 2, 5, 8, 4, 1}, {32, 8, 16, 8, 4, 2}, {64, 1, 16, 8, 4, 32}};
  for (const Case& c : cases) {
    Problem p = decode(DType::BF16, 256);
    p.q_heads = c.hq, p.kv_heads = c.hkv, p.q_len = c.nq;
    const split_kv::Plan pl = split_kv::plan(p, kH100);
    EXPECT_EQ(pl.rows_per_warp, c.rpw) << p.describe();
    EXPECT_EQ(pl.row_groups, c.groups) << p.describe();
    EXPECT_EQ(pl.row_chunks, c.chunks) << p.describe();
  }
}

TEST(SplitKvPlan, WorkspaceIsPartialOutputsAndLse) {
  const Problem p = decode(DType::F16, 256, 4, 100000, 2);
  const split_kv::Plan pl = split_kv::plan(p, kH100);
  ASSERT_GT(pl.splits, 1);
  EXPECT_EQ(split_kv::workspace_bytes(p, pl), uint64_t(pl.splits) * 2 * 32 * 4 * (256 + 1) * 4);
  // The backend's prediction for the H100 profile uses the same plan (its 132 SMs), in every build.
  EXPECT_EQ(backend().predict_memory(p, profile("h100")).workspace_bytes, split_kv::workspace_bytes(p, pl));
  EXPECT_EQ(backend().predict_memory(p, profile("h100")).output_bytes, p.output_bytes() + p.lse_bytes());
}

// The workspace follows the device being judged, not whatever GPU the worker has: a T4's 40 SMs give
// another split count than an H100's 132.
TEST(SplitKvPlan, PredictedWorkspaceFollowsTheJudgedDevice) {
  const Problem p = decode(DType::F16, 128, 1, 16384, 1);
  const uint64_t h100 = backend().predict_memory(p, profile("h100")).workspace_bytes;
  const uint64_t t4 = backend().predict_memory(p, profile("t4")).workspace_bytes;
  split_kv::DeviceSlots t4_slots;
  t4_slots.sm_count = profile("t4").sm_count;
  EXPECT_EQ(t4, split_kv::workspace_bytes(p, split_kv::plan(p, t4_slots)));
  EXPECT_NE(h100, t4);
}

}  // namespace
