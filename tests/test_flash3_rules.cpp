// flash3's eligibility rules, judged on the CPU with what-if profiles (no GPU needed): compute
// capability exactly 9.0 with flash2 as the fallback, dtype, the compiled head-dim set, the teaching
// text naming what each Hopper feature buys, and the memory prediction.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "attnscope/build_info.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/registry.hpp"
#include "flash3/flash3.hpp"
#include "builtin_backend.hpp"

using namespace attnscope;

namespace {

const Backend& backend() { return testing_support::builtin_backend("flash3"); }

Problem problem(DType t, int64_t d, bool causal = false) {
  return testing_support::make_problem(t, 2, 8, 2, 1000, 3000, d, causal);
}

RuleResult must_have(const std::vector<RuleResult>& rs, const std::string& id) {
  for (const auto& r : rs)
    if (r.rule == id) return r;
  throw std::runtime_error("no rule " + id);
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const DeviceInfo& profile(const char* name) { return *find_profile(name); }

TEST(Flash3Rules, H100AcceptsBothHeadDimsInBothSixteenBitTypes) {
  for (DType t : {DType::F16, DType::BF16})
    for (const flash3::TileShape& s : flash3::kTileShapes)
      for (bool causal : {false, true}) {
        const auto rs = backend().check(problem(t, s.head_dim, causal), profile("h100"));
        for (const char* id : {"device_kind", "compute_capability", "dtype", "head_dim_max", "head_dim_multiple"})
          EXPECT_TRUE(must_have(rs, id).met) << id << ": " << must_have(rs, id).reason;
      }
}

TEST(Flash3Rules, EveryNonHopperGpuIsGreyedWithTheSm90ReasonAndPointsToFlash2) {
  for (const char* dev : {"a100", "l4"}) {
    SCOPED_TRACE(dev);
    const RuleResult cc = must_have(backend().check(problem(DType::BF16, 128), profile(dev)), "compute_capability");
    EXPECT_FALSE(cc.met);
    EXPECT_EQ(cc.kind, RuleKind::Environment);
    EXPECT_EQ(cc.required, "sm90 (exactly)");
    EXPECT_TRUE(contains(cc.reason, "needs sm90 exactly")) << cc.reason;
    EXPECT_TRUE(contains(cc.reason, "wgmma")) << cc.reason;
    EXPECT_TRUE(contains(cc.hint, "flash2")) << cc.hint;
  }
}

TEST(Flash3Rules, OnTuringTheHintSkipsFlash2WhichNeedsSm80) {
  const RuleResult cc = must_have(backend().check(problem(DType::F16, 64), profile("t4")), "compute_capability");
  EXPECT_FALSE(cc.met);
  EXPECT_TRUE(contains(cc.hint, "mem-efficient")) << cc.hint;
}

TEST(Flash3Rules, NewerThanHopperIsGreyedToo) {
  DeviceInfo blackwell = profile("h100");
  blackwell.cc_major = 10, blackwell.cc_minor = 0, blackwell.name = "What-if: sm100";
  const RuleResult cc = must_have(backend().check(problem(DType::F16, 64), blackwell), "compute_capability");
  EXPECT_FALSE(cc.met);
  EXPECT_EQ(cc.observed, "sm100");
}

TEST(Flash3Rules, TheCpuIsTheWrongKindOfDevice) {
  const RuleResult r = must_have(backend().check(problem(DType::F16, 64), cpu_device()), "device_kind");
  EXPECT_FALSE(r.met);
  EXPECT_TRUE(contains(r.reason, "CUDA GPU")) << r.reason;
}

TEST(Flash3Rules, Float32AndUncompiledHeadDimsAreInputProblems) {
  const RuleResult dt = must_have(backend().check(problem(DType::F32, 128), profile("h100")), "dtype");
  EXPECT_FALSE(dt.met);
  EXPECT_EQ(dt.kind, RuleKind::Input);
  EXPECT_TRUE(contains(dt.hint, "float16 or bfloat16")) << dt.hint;
  // Every multiple of 8 up to 256 runs (uncompiled ones on the next compiled head dim); nothing else.
  for (int64_t d = 1; d <= 300; ++d) {
    const auto rs = backend().check(problem(DType::F16, d), profile("h100"));
    const bool accepted = must_have(rs, "head_dim_max").met && must_have(rs, "head_dim_multiple").met;
    EXPECT_EQ(accepted, d % 8 == 0 && d <= 256) << d;
    EXPECT_EQ(accepted, flash3::tile_shape(d) != nullptr) << d;
    if (accepted) EXPECT_GE(flash3::tile_shape(d)->head_dim, d) << d;
  }
  EXPECT_EQ(flash3::compiled_head_dim(104), 128);
  EXPECT_EQ(flash3::compiled_head_dim(8), 64);
  EXPECT_EQ(flash3::compiled_head_dim(136), 256);
  const RuleResult d264 = must_have(backend().check(problem(DType::F16, 264), profile("h100")), "head_dim_max");
  EXPECT_FALSE(d264.met);
  EXPECT_TRUE(contains(d264.reason, "next one up")) << d264.reason;
}

// d=96 has its own kernel (64-byte swizzle, three 32-column blocks); 72–88 run on it, padded, instead of on 128.
TEST(Flash3Rules, HeadDims72To96RunOnTheNinetySixKernel) {
  for (int64_t d = 72; d <= 96; d += 8) {
    EXPECT_EQ(flash3::compiled_head_dim(d), 96) << d;
    for (bool causal : {false, true}) {
      const flash3::TileShape* t = flash3::tile_shape(d, causal);
      ASSERT_NE(t, nullptr) << d;
      EXPECT_EQ(t->head_dim, 96) << d;
      EXPECT_EQ(t->causal, causal) << d;
    }
  }
  EXPECT_EQ(flash3::compiled_head_dim(64), 64);
  EXPECT_EQ(flash3::compiled_head_dim(65), 0);  // not a multiple of 8
  EXPECT_EQ(flash3::swizzle_row_bytes(96), 64);
  EXPECT_EQ(flash3::block_columns(96), 32);
  for (int64_t d : {64, 128, 256}) EXPECT_EQ(flash3::swizzle_row_bytes(d), 128) << d;
  // The rule's reason names every compiled head dim.
  const RuleResult r = must_have(backend().check(problem(DType::F16, 264), profile("h100")), "head_dim_max");
  EXPECT_TRUE(contains(r.reason, "64, 96, 128 and 256")) << r.reason;
}

TEST(Flash3Rules, WithoutCudaInTheBuildItIsGreyedWithThatReason) {
  const auto rs = backend().check(problem(DType::F16, 64), profile("h100"));
  EXPECT_EQ(must_have(rs, "cuda_build").met, build::with_cuda());
}

TEST(Flash3Rules, TeachingTextSaysWhatEachHopperFeatureBuys) {
  const std::string& text = backend().info().algorithm;
  for (const char* feature : {"TMA", "mbarrier", "wgmma", "setmaxnreg", "warp specialization", "ping-pong",
                              "intra-warpgroup overlap", "exp2", "bottom-right"})
    EXPECT_TRUE(contains(text, feature)) << feature;
  EXPECT_TRUE(backend().writes_lse());
  const Problem p = problem(DType::BF16, 128);
  EXPECT_EQ(backend().predict_memory(p, profile("h100")).output_bytes, p.output_bytes() + p.lse_bytes());
}

TEST(Flash3Rules, SharedMemoryOfEveryTileShapeFitsHopper) {
  for (const flash3::TileShape& s : flash3::kTileShapes) EXPECT_LE(s.kernel_shared_memory_bytes(), 227 * 1024) << s.head_dim;
  for (const flash3::TileShape& s : flash3::kAlternativeTiles) EXPECT_LE(s.kernel_shared_memory_bytes(), 227 * 1024) << s.name();
}

// Q is a ring of two slots on the causal persistent tiles with their own output tile where a second Q tile fits too
// (d=128's 128×128: 193.25 KiB + 32 KiB + 768 bytes of alignment; d=64's 192×128×4); the same tiles without a mask keep
// one slot (call 21 measured them slower with two), as do the block grid and the tiles without an output tile.
TEST(Flash3Rules, QRingHasTwoSlotsOnCausalTilesWithRoomForThem) {
  const flash3::TileShape d128_causal{128, true, 128, 2, 2, true}, d128_full{128, false, 128, 2, 2, true};
  EXPECT_EQ(d128_causal.q_slots(), 2);
  EXPECT_EQ(d128_full.q_slots(), 1);
  EXPECT_EQ(d128_causal.kernel_shared_memory_bytes(), d128_full.kernel_shared_memory_bytes() + 32 * 1024 + 768);
  EXPECT_EQ(d128_causal.kernel_shared_memory_bytes(), 231424);
  EXPECT_EQ((flash3::TileShape{64, true, 128, 4, 3, true}.q_slots()), 2);
  EXPECT_EQ((flash3::TileShape{64, false, 128, 4, 3, true}.q_slots()), 1);
  EXPECT_EQ((flash3::TileShape{128, true, 128, 2, 2, false}.q_slots()), 1);  // one block per tile: no next tile
  EXPECT_EQ((flash3::TileShape{128, true, 176, 2, 2, true}.q_slots()), 1);   // no output tile of its own
  EXPECT_EQ((flash3::TileShape{96, true, 96, 4, 3, true}.q_slots()), 1);     // would need 254 KiB
}

// The ragged tile's split (a last query tile of one warpgroup's rows or fewer, split by key steps over the consumers)
// needs three consumers, no mask, the persistent grid and room for the others' partial results: d=64's 192×128×4
// (+ 2 · 36 floats · 128 threads = 36 KiB), not d=96's 192×112×3 (+ 52 KiB would pass 227 KiB).
TEST(Flash3Rules, RaggedTilesSplitWhereThreeConsumersHaveRoomToMerge) {
  const flash3::TileShape d64{64, false, 128, 4, 3, true};
  EXPECT_TRUE(d64.splits_ragged_tile());
  EXPECT_EQ(d64.ragged_merge_bytes(), 2 * 36 * 128 * 4);
  EXPECT_EQ(d64.kernel_shared_memory_bytes(), d64.shared_memory_bytes() + d64.q_bytes() + d64.ragged_merge_bytes() + 768);
  EXPECT_LE(d64.kernel_shared_memory_bytes(), 227 * 1024);
  EXPECT_FALSE((flash3::TileShape{64, true, 128, 4, 3, true}.splits_ragged_tile()));    // causal: rows see different keys
  EXPECT_FALSE((flash3::TileShape{64, false, 128, 4, 3, false}.splits_ragged_tile()));  // one block per tile
  EXPECT_FALSE((flash3::TileShape{64, false, 128, 4, 2, true}.splits_ragged_tile()));   // two consumers
  EXPECT_FALSE((flash3::TileShape{96, false, 112, 3, 3, true}.splits_ragged_tile()));   // no room
  for (const flash3::TileShape& t : flash3::kTileShapes) EXPECT_LE(t.kernel_shared_memory_bytes(), 227 * 1024) << t.name();
}

}  // namespace
