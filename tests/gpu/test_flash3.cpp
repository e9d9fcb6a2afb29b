// flash3 on the GPU against the fp64 reference: float16 and bfloat16, head dims 64, 96, 128 and 256 and the
// multiples of 8 between them (padded; 72–88 on the 96 kernel's 64-byte-swizzled tiles), causal and not, both grids and tile orders, GQA/MQA, lengths
// 1, 1000 and 4097 (not multiples of any tile), q_len ≠ kv_len both ways (including rows that see no key), outputs and LSE poisoned before each run; every rung of the
// schedule ladder and every named variant; row maxima that jump late (d=128's softmax against the previous maximum: its
// rescale and its exact recompute of rows that overflowed); and the SASS of every flash3 kernel contains HGMMA (wgmma),
// not only HMMA, and d=128's softmax sits between its two wgmma waits.
// Tolerance: at most twice the error of a plain low-precision computation on the same inputs.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "attnscope/half.hpp"
#include "attnscope/reference.hpp"
#include "attnscope/registry.hpp"
#include "cuda/cuda_util.hpp"
#include "flash3/flash3.hpp"
#include "flash3/flash3_choice.hpp"
#include "gpu_check.hpp"
#include "../builtin_backend.hpp"

namespace attnscope {
namespace {

const Backend& backend() { return testing_support::builtin_backend("flash3"); }

// flash3 runs only on compute capability 9.0 (its kernels are sm_90a only).
std::string not_hopper_reason() {
  int dev = 0, major = 0, minor = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess)
    return "cannot query GPU 0";
  if (major != 9 || minor != 0) return "flash3 needs sm90; GPU 0 is sm" + std::to_string(10 * major + minor);
  return "";
}

#define REQUIRE_HOPPER()                                              \
  do {                                                                \
    ATTNSCOPE_REQUIRE_GPU();                                          \
    const std::string why_ = not_hopper_reason();                     \
    if (!why_.empty()) GTEST_SKIP() << why_;                          \
  } while (0)

Problem make(DType t, int64_t b, int64_t hq, int64_t hkv, int64_t nq, int64_t nk, int64_t d, bool causal) {
  return testing_support::make_problem(t, b, hq, hkv, nq, nk, d, causal);
}

void expect_matches_reference(const Problem& p, int64_t max_heads = 4, uint64_t seed = 7) {
  gputest::expect_matches_reference(backend(), p, max_heads, seed);
}

class Flash3Gpu : public ::testing::TestWithParam<std::tuple<DType, bool>> {};

TEST_P(Flash3Gpu, EveryHeadDimWithGqaAtLength1000) {
  REQUIRE_HOPPER();
  const auto [t, causal] = GetParam();
  for (const flash3::TileShape& s : flash3::kTileShapes)
    if (s.causal == causal) expect_matches_reference(make(t, 2, 4, 2, 1000, 1000, s.head_dim, causal), 2);
}

TEST_P(Flash3Gpu, Length4097CrossesEveryTileBoundary) {
  REQUIRE_HOPPER();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 1, 2, 1, 4097, 4097, 64, causal), 1, 21);   // MQA
  expect_matches_reference(make(t, 1, 2, 2, 4097, 300, 128, causal), 1, 22);   // q_len > kv_len
  expect_matches_reference(make(t, 1, 2, 2, 300, 4097, 128, causal), 2, 23);   // q_len < kv_len
  expect_matches_reference(make(t, 1, 4, 2, 4097, 4097, 96, causal), 2, 24);   // the 64-byte swizzle, GQA
}

TEST_P(Flash3Gpu, LengthOne) {
  REQUIRE_HOPPER();
  const auto [t, causal] = GetParam();
  for (const flash3::TileShape& s : flash3::kTileShapes) {
    if (s.causal != causal) continue;
    expect_matches_reference(make(t, 3, 8, 2, 1, 1, s.head_dim, causal), 8);     // one query, one key
    expect_matches_reference(make(t, 2, 4, 4, 1, 4097, s.head_dim, causal), 4);  // one query, long keys
    expect_matches_reference(make(t, 1, 2, 1, 4097, 1, s.head_dim, causal), 2);  // long queries, one key
  }
}

TEST_P(Flash3Gpu, RaggedLengthsWithGqa) {
  REQUIRE_HOPPER();
  const auto [t, causal] = GetParam();
  expect_matches_reference(make(t, 2, 8, 2, 77, 203, 128, causal), 8);  // kv_len > q_len, 4 q heads per kv head
  expect_matches_reference(make(t, 1, 6, 1, 130, 65, 64, causal), 6);   // MQA, q_len > kv_len
  expect_matches_reference(make(t, 2, 2, 1, 129, 1000, 64, causal), 4);
}

TEST(Flash3GpuCausal, RowsThatSeeNoKeyAreZeroWithMinusInfLse) {
  REQUIRE_HOPPER();
  // q_len − kv_len = 260: the first 260 rows see nothing (two whole 128-row tiles and part of a third).
  for (DType t : {DType::F16, DType::BF16})
    for (int64_t d : {64, 96, 128, 256}) expect_matches_reference(make(t, 1, 2, 2, 300, 40, d, true));
}

// The causal 192-row tiles of d=64 and d=96: a consumer skips the key tiles its 64 rows do not see (empty turns; the
// first consumer's rows end 128 keys before the third's). Lengths where one, two or all three consumers skip a step at a
// tile's diagonal (1024: tiles ending on and between key tiles; a first tile of 1 or 64 rows), q_len < kv_len (the
// diagonal shifted right), q_len > kv_len (consumers whose rows see no key beside ones that do), GQA and MQA, every
// head compared.
TEST(Flash3GpuCausal, ConsumersSkipKeyTilesTheirRowsDoNotSee) {
  REQUIRE_HOPPER();
  for (DType t : {DType::F16, DType::BF16})
    for (int64_t d : {64, 96}) {
      SCOPED_TRACE(d);
      expect_matches_reference(make(t, 2, 4, 2, 1024, 1024, d, true), 0, 111);
      expect_matches_reference(make(t, 1, 4, 1, 193, 193, d, true), 0, 112);   // a first tile of 1 row
      expect_matches_reference(make(t, 1, 4, 2, 448, 448, d, true), 0, 113);   // of 64 rows
      expect_matches_reference(make(t, 1, 4, 2, 700, 1500, d, true), 0, 114);  // q_len < kv_len
      expect_matches_reference(make(t, 1, 4, 2, 1000, 330, d, true), 0, 115);  // q_len > kv_len: 670 rows see nothing
    }
}

// Head dims without their own kernel run on the next compiled one (zero-filled columns): every one
// lands on a different tile and on the ragged column block of its kernel (72, 80 and 88 on the 96
// kernel's third 32-column block).
TEST_P(Flash3Gpu, UncompiledHeadDimsRunOnTheNextKernel) {
  REQUIRE_HOPPER();
  const auto [t, causal] = GetParam();
  for (int64_t d : {8, 32, 40, 72, 80, 88, 112, 136, 192, 248}) {
    SCOPED_TRACE(d);
    expect_matches_reference(make(t, 1, 4, 2, 300, 517, d, causal), 4, 50 + uint64_t(d));
  }
}

// Both grids (one block per tile, or a persistent block per SM taking tiles from a counter) and both
// causal tile orders compute the same function, whatever the table's default is: several tiles per
// block, rows that see no key, GQA, lengths that are not multiples of any tile.
TEST(Flash3GpuGrid, PersistentAndBlockGridsAndBothOrdersMatchTheReference) {
  REQUIRE_HOPPER();
  for (const char* grid : {"persistent", "blocks"})
    for (const char* order : {"lpt", "heads"}) {
      SCOPED_TRACE(std::string(grid) + " " + order);
      ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_GRID", grid, 1), 0);
      ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_ORDER", order, 1), 0);
      for (const flash3::TileShape& s : flash3::kTileShapes) {
        if (std::string(order) == "heads" && !s.causal) continue;  // the order only applies to causal tiles
        SCOPED_TRACE(std::to_string(s.head_dim) + (s.causal ? " causal" : " full"));
        // 2·16 heads × 8–11 query tiles: more tiles than SMs, so persistent blocks take several each.
        expect_matches_reference(make(DType::BF16, 2, 16, 4, 1100, 1100, s.head_dim, s.causal), 1, 61);
        expect_matches_reference(make(DType::F16, 1, 6, 2, 700, 150, s.head_dim, s.causal), 3, 62);  // rows with no key
      }
    }
  unsetenv("ATTNSCOPE_FLASH3_ORDER");
  ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_GRID", "rings", 1), 0);
  const auto refused = gputest::run_against_reference(backend(), make(DType::BF16, 1, 1, 1, 16, 16, 128, false));
  EXPECT_NE(refused.error.find("ATTNSCOPE_FLASH3_GRID=rings"), std::string::npos) << refused.error;
  unsetenv("ATTNSCOPE_FLASH3_GRID");
}

// Clusters of two blocks sharing each K/V tile by TMA multicast (ATTNSCOPE_FLASH3_CLUSTER=2, d=128 without
// a mask) compute the same function: an even number of query tiles per head (1000 rows: 8 tiles) runs
// clustered, an odd one (4097: 33) falls back to single blocks; GQA, ragged key lengths, both dtypes.
// A cluster where it is not compiled (causal) is refused.
TEST(Flash3GpuGrid, ClustersOfTwoMatchTheReference) {
  REQUIRE_HOPPER();
  ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_CLUSTER", "2", 1), 0);
  for (DType t : {DType::F16, DType::BF16}) {
    SCOPED_TRACE(to_string(t));
    expect_matches_reference(make(t, 2, 8, 2, 1000, 1000, 128, false), 2, 71);
    expect_matches_reference(make(t, 1, 4, 1, 1000, 517, 128, false), 2, 72);
    expect_matches_reference(make(t, 1, 2, 2, 4097, 300, 128, false), 1, 73);
    expect_matches_reference(make(t, 1, 2, 1, 256, 4097, 112, false), 2, 74);  // padded head dim, one pair
  }
  const auto refused = gputest::run_against_reference(backend(), make(DType::BF16, 1, 1, 1, 16, 16, 128, true));
  EXPECT_NE(refused.error.find("ATTNSCOPE_FLASH3_CLUSTER=2"), std::string::npos) << refused.error;
  // d=96's three 32-column blocks cannot be split between two blocks: not compiled, refused.
  const auto d96 = gputest::run_against_reference(backend(), make(DType::BF16, 1, 1, 1, 16, 16, 96, false));
  EXPECT_NE(d96.error.find("ATTNSCOPE_FLASH3_CLUSTER=2"), std::string::npos) << d96.error;
  unsetenv("ATTNSCOPE_FLASH3_CLUSTER");
}

// The length tiles (kLengthTiles: d=96 causal on 128×128 for long sequences, d=256 causal
// on the persistent grid for short ones, d=128 non-causal on 128×128 persistent at every length) compute the same
// function, both dtypes: at every length ("always"), by their range ("on": one kv_len inside it, one outside where
// there is one), and off.
TEST(Flash3GpuGrid, LengthTilesMatchTheReference) {
  REQUIRE_HOPPER();
  for (const flash3::LengthTile& l : flash3::kLengthTiles) {
    SCOPED_TRACE("head dim " + std::to_string(l.tile.head_dim) + " " + l.tile.name());
    const bool open_ended = l.max_keys == INT64_MAX;
    const int64_t inside = open_ended ? l.min_keys + 5 : l.max_keys - 3, outside = open_ended ? l.min_keys - 5 : l.max_keys + 5;
    const bool has_outside = outside > 0;  // a tile for every length has none
    for (const char* mode : {"always", "on", "off"}) {
      SCOPED_TRACE(mode);
      ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_LENGTH", mode, 1), 0);
      for (DType t : {DType::F16, DType::BF16}) {
        expect_matches_reference(make(t, 2, 4, 2, 1000, 1000, l.tile.head_dim, l.tile.causal), 2, 81);
        expect_matches_reference(make(t, 1, 2, 1, 300, inside, l.tile.head_dim, l.tile.causal), 2, 82);
        if (has_outside) expect_matches_reference(make(t, 1, 2, 1, 300, outside, l.tile.head_dim, l.tile.causal), 2, 83);
      }
    }
  }
  ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_LENGTH", "sometimes", 1), 0);
  const auto refused = gputest::run_against_reference(backend(), make(DType::BF16, 1, 1, 1, 16, 16, 128, true));
  EXPECT_NE(refused.error.find("ATTNSCOPE_FLASH3_LENGTH=sometimes"), std::string::npos) << refused.error;
  unsetenv("ATTNSCOPE_FLASH3_LENGTH");
}

// The tail split (flash3.hpp, TailSplit): on the persistent grid without a mask the last round's query tiles are cut
// by key steps over every SM, finished by the block holding each tile's first key step. Problems whose tiles do not
// fill whole rounds (an H100 has 132 SMs): 20 heads of 1000 queries are 160 tiles of 128 rows (28 split, each over
// about five blocks, so a finisher merges several pieces) or 120 of 192 rows (all split); 4097 keys end on a ragged
// key tile; GQA. Every head is compared, so every split tile is; then the same with the split off.
TEST(Flash3GpuGrid, TailSplitMatchesTheReference) {
  REQUIRE_HOPPER();
  ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_GRID", "persistent", 1), 0);
  for (const char* split : {"on", "off"}) {
    SCOPED_TRACE(std::string("split ") + split);
    ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_SPLIT", split, 1), 0);
    for (const flash3::TileShape& s : flash3::kTileShapes) {
      if (s.causal) continue;
      SCOPED_TRACE("head dim " + std::to_string(s.head_dim));
      expect_matches_reference(make(DType::BF16, 1, 20, 10, 1000, 1500, s.head_dim, false), 0, 91);
      expect_matches_reference(make(DType::F16, 2, 4, 2, 300, 4097, s.head_dim, false), 0, 92);
    }
  }
  unsetenv("ATTNSCOPE_FLASH3_SPLIT");
  unsetenv("ATTNSCOPE_FLASH3_GRID");
}

// The ragged tile's split (TileShape::splits_ragged_tile, d=64 without a mask on the persistent grid): a last query tile
// of 1 or 64 rows (192·k + 1, 192·k + 64) is split by key steps over the three consumers and merged; 65 rows (not split)
// and two key tiles (too few to split) beside them; ragged key counts, GQA/MQA, more tiles than blocks (the rotated tile
// order), both dtypes, every head compared; then the same on the one-block-per-tile grid, which never splits.
TEST(Flash3GpuGrid, RaggedTilesSplitByKeyStepsMatchTheReference) {
  REQUIRE_HOPPER();
  const flash3::TileShape* row = flash3::tile_shape(64, false);
  ASSERT_NE(row, nullptr);
  ASSERT_TRUE(row->splits_ragged_tile()) << row->name();
  for (const char* grid : {"persistent", "blocks"}) {
    SCOPED_TRACE(grid);
    ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_GRID", grid, 1), 0);
    for (DType t : {DType::F16, DType::BF16}) {
      expect_matches_reference(make(t, 2, 4, 2, 193, 1000, 64, false), 0, 101);  // 1 row, 8 key tiles (the last ragged)
      expect_matches_reference(make(t, 1, 6, 1, 448, 257, 64, false), 0, 102);   // 64 rows, 3 key tiles: one each
      expect_matches_reference(make(t, 1, 2, 1, 1024, 4097, 64, false), 0, 103); // the standard grid's 64 rows
      expect_matches_reference(make(t, 1, 4, 2, 449, 1000, 64, false), 0, 104);  // 65 rows: not split
      expect_matches_reference(make(t, 1, 4, 2, 193, 200, 64, false), 0, 105);   // two key tiles: not split
      // 400 query tiles on at most 132 blocks: the persistent grid's rounds rotate each head's tiles (tile_coords)
      expect_matches_reference(make(t, 1, 200, 50, 193, 300, 64, false), 0, 106);
    }
  }
  unsetenv("ATTNSCOPE_FLASH3_GRID");
}

INSTANTIATE_TEST_SUITE_P(SixteenBit, Flash3Gpu, ::testing::Combine(::testing::Values(DType::F16, DType::BF16), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) +
                                  (std::get<1>(info.param) ? "_causal" : "_full");
                         });

// The lower rungs of the ladder (bfloat16, d=128) compute the same function as the default.
TEST(Flash3GpuLadder, LowerRungSchedulesMatchTheReference) {
  REQUIRE_HOPPER();
  for (const char* schedule : {"unspecialized", "serial", "overlap", "pingpong"}) {
    SCOPED_TRACE(schedule);
    ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_SCHEDULE", schedule, 1), 0);
    for (bool causal : {false, true}) {
      expect_matches_reference(make(DType::BF16, 2, 4, 2, 1000, 1000, 128, causal), 2, 31);
      expect_matches_reference(make(DType::BF16, 1, 2, 1, 4097, 300, 128, causal), 1, 32);
    }
  }
  unsetenv("ATTNSCOPE_FLASH3_SCHEDULE");
}

// With part of the softmax's 2^x on the FMA pipes (a cubic, ATTNSCOPE_FLASH3_EXP2) the result is the same function
// within the tolerance, and rows that see no key (4097 queries, 300 keys, causal) still output zeros.
TEST(Flash3GpuLadder, Exp2OnTheFmaPipesMatchesTheReference) {
  REQUIRE_HOPPER();
  for (const char* exp2 : {"fma1", "fma2"}) {
    SCOPED_TRACE(exp2);
    ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_EXP2", exp2, 1), 0);
    for (bool causal : {false, true}) {
      expect_matches_reference(make(DType::BF16, 2, 4, 2, 1000, 1000, 128, causal), 2, 35);
      expect_matches_reference(make(DType::BF16, 1, 2, 1, 4097, 300, 128, causal), 1, 36);
    }
  }
  unsetenv("ATTNSCOPE_FLASH3_EXP2");
}

// Every alternative tile (ATTNSCOPE_FLASH3_TILE, bfloat16 ping-pong) computes the same function too,
// including ragged ends that are not multiples of its key tile; a tile that is not compiled is refused.
TEST(Flash3GpuLadder, AlternativeTilesMatchTheReference) {
  REQUIRE_HOPPER();
  for (const flash3::TileShape& t : flash3::kAlternativeTiles) {
    const std::string name = t.name();
    SCOPED_TRACE(std::to_string(t.head_dim) + (t.causal ? " causal " : " full ") + name);
    ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_TILE", name.c_str(), 1), 0);
    expect_matches_reference(make(DType::BF16, 2, 4, 2, 1000, 1000, t.head_dim, t.causal), 2, 41);
    expect_matches_reference(make(DType::BF16, 1, 2, 1, 300, 4097, t.head_dim, t.causal), 1, 42);
  }
  ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_TILE", "128x48x9", 1), 0);
  const auto refused = gputest::run_against_reference(backend(), make(DType::BF16, 1, 1, 1, 16, 16, 128, false));
  EXPECT_NE(refused.error.find("ATTNSCOPE_FLASH3_TILE=128x48x9"), std::string::npos) << refused.error;
  unsetenv("ATTNSCOPE_FLASH3_TILE");
}

// Every named variant (flash3[<name>], what `run --each-plan` measures) of problems that cover them all — the ladder's
// cell in both masks, the three-consumer tiles, the d=96 and d=256 kernels, a float16 problem and a length
// tile's range — computes the same function, whatever the switches say (a variant ignores them).
TEST(Flash3GpuLadder, EveryVariantMatchesTheReference) {
  REQUIRE_HOPPER();
  ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_SCHEDULE", "overlap", 1), 0);  // ignored by every variant
  int measured = 0;
  for (const Problem& p : {make(DType::BF16, 2, 4, 2, 1000, 1000, 128, false), make(DType::BF16, 1, 2, 1, 4097, 300, 128, true),
                           make(DType::BF16, 1, 4, 2, 1100, 1100, 64, true), make(DType::F16, 1, 4, 1, 1000, 517, 64, false),
                           make(DType::BF16, 1, 4, 2, 1000, 1000, 96, true), make(DType::BF16, 1, 2, 1, 300, 4097, 96, false),
                           make(DType::F16, 1, 2, 2, 700, 150, 256, true)}) {
    for (const std::string& name : backend().variants(p, *find_profile("h100"))) {
      SCOPED_TRACE(p.describe() + " " + name);
      const std::unique_ptr<Backend> variant = backend().with_variant(name);
      ASSERT_TRUE(variant);
      gputest::expect_matches_reference(*variant, p, 2, 101);
      ++measured;
    }
  }
  unsetenv("ATTNSCOPE_FLASH3_SCHEDULE");
  EXPECT_GE(measured, 30);
}

TEST(Flash3GpuLimits, HeadDimsWithoutAKernelAndFloat32AreRefusedNotComputed) {
  REQUIRE_HOPPER();
  for (int64_t d : {100, 264}) {
    const auto refused = gputest::run_against_reference(backend(), make(DType::F16, 1, 1, 1, 16, 16, d, false));
    EXPECT_NE(refused.error.find("head_dim " + std::to_string(d)), std::string::npos) << refused.error;
  }
  const auto f32 = gputest::run_against_reference(backend(), make(DType::F32, 1, 1, 1, 16, 16, 64, false));
  EXPECT_NE(f32.error.find("float32"), std::string::npos) << f32.error;
}

TEST(Flash3GpuLimits, SeedsChangeTheInputsNotTheVerdict) {
  REQUIRE_HOPPER();
  for (uint64_t seed : {1u, 2u, 3u}) expect_matches_reference(make(DType::BF16, 1, 2, 2, 129, 257, 128, true), 2, seed);
}

// Scores whose row maxima jump late: the first 128 keys (the last key tile each query tile reaches: key tiles run from
// the last down) get a constant K·f, so every row's maximum grows at its last step by about f·sum(q)·scale·log2(e)
// log2 units: ~40 for f = 5 (the rows are rescaled: P, its sum and O to the new maximum) and ~130 for f = 16 (past
// what the exp2s against the previous maximum can hold: the rows are computed again after the key loop). Q is
// positive, so every row's jump is large; the outputs are then the mean of those keys' values, checked against the
// fp64 reference.
TEST(Flash3GpuSoftmax, RowMaximaThatGrowLateMatchTheReference) {
  REQUIRE_HOPPER();
  for (DType t : {DType::BF16, DType::F16})
    for (bool causal : {false, true})
      for (float f : {5.f, 16.f}) {
        const Problem p = make(t, 1, 2, 2, 1024, 1024, 128, causal);
        SCOPED_TRACE(p.describe() + ", K of the first 128 keys = " + std::to_string(f));
        const int64_t n = p.batch * p.q_heads * p.q_len * p.head_dim;
        std::vector<float> q = make_input(p, TensorId::Q, 7), k = make_input(p, TensorId::K, 7), v = make_input(p, TensorId::V, 7);
        for (float& x : q) x = round_to(t, std::fabs(x));
        for (int64_t h = 0; h < p.kv_heads; ++h)
          for (int64_t key = 0; key < 128; ++key)
            for (int64_t d = 0; d < p.head_dim; ++d) k[(h * p.kv_len + key) * p.head_dim + d] = f;
        auto bits = [&](const std::vector<float>& x) {
          std::vector<uint16_t> b(x.size());
          for (size_t i = 0; i < x.size(); ++i) b[i] = t == DType::BF16 ? float_to_bf16_bits(x[i]) : float_to_half_bits(x[i]);
          return b;
        };
        const std::vector<uint16_t> qb = bits(q), kb = bits(k), vb = bits(v);
        const cuda::DeviceBuffer dq(2 * n, "Q"), dk(2 * n, "K"), dv(2 * n, "V"), dout(2 * n, "O"),
            dlse(sizeof(float) * p.q_heads * p.q_len, "LSE");
        cuda::check(cudaMemcpy(dq.get(), qb.data(), 2 * n, cudaMemcpyHostToDevice), "copy Q");
        cuda::check(cudaMemcpy(dk.get(), kb.data(), 2 * n, cudaMemcpyHostToDevice), "copy K");
        cuda::check(cudaMemcpy(dv.get(), vb.data(), 2 * n, cudaMemcpyHostToDevice), "copy V");
        cuda::check(cudaMemset(dout.get(), 0xff, 2 * n), "poison O");  // NaN in both dtypes: every element must be written
        flash3::Params fp;
        fp.q = dq.get(), fp.k = dk.get(), fp.v = dv.get(), fp.o = dout.get(), fp.lse = dlse.as<float>();
        fp.batch = p.batch, fp.q_heads = p.q_heads, fp.kv_heads = p.kv_heads, fp.q_len = p.q_len, fp.kv_len = p.kv_len;
        fp.head_dim = int(p.head_dim), fp.bf16 = t == DType::BF16, fp.causal = causal;
        fp.scale = float(1.0 / std::sqrt(double(p.head_dim)));
        const flash3::Choice c = flash3::choose(flash3::shape_of(fp), {});
        const int64_t ws_bytes = flash3::workspace_bytes(c, flash3::shape_of(fp), p.batch * p.q_heads, flash3::multiprocessors());
        const cuda::DeviceBuffer ws = ws_bytes > 0 ? cuda::DeviceBuffer(ws_bytes, "workspace") : cuda::DeviceBuffer();
        flash3::forward(fp, c, ws.get(), nullptr);
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        std::vector<uint16_t> ob(n);
        std::vector<float> lse(p.q_heads * p.q_len);
        cuda::check(cudaMemcpy(ob.data(), dout.get(), 2 * n, cudaMemcpyDeviceToHost), "copy O back");
        cuda::check(cudaMemcpy(lse.data(), dlse.get(), sizeof(float) * lse.size(), cudaMemcpyDeviceToHost), "copy LSE back");
        ErrorAccumulator err;
        double lse_err = 0;
        for (int64_t h = 0; h < p.q_heads; ++h) {
          std::vector<double> ref(p.q_len * p.head_dim), ref_lse(p.q_len);
          reference_attention_head(p, q.data(), k.data(), v.data(), {0, h}, ref.data(), ref_lse.data());
          for (int64_t i = 0; i < p.q_len * p.head_dim; ++i) {
            const uint16_t o = ob[h * p.q_len * p.head_dim + i];
            err.add(t == DType::BF16 ? bf16_bits_to_float(o) : half_bits_to_float(o), ref[i]);
          }
          for (int64_t i = 0; i < p.q_len; ++i) lse_err = std::max(lse_err, std::fabs(lse[h * p.q_len + i] - ref_lse[i]) / (1 + std::fabs(ref_lse[i])));
        }
        const ErrorStats e = err.result();
        EXPECT_EQ(e.non_finite, 0);
        EXPECT_LE(e.rel_l2, accuracy_tolerance(t));
        EXPECT_LE(lse_err, 1e-3);
      }
}

// The SASS of this very binary: every flash3 kernel must use the warpgroup tensor-core instruction
// (HGMMA), the point of the backend; an HMMA-only kernel would be on the sm80 path.
// The SASS of every flash3 forward kernel in this executable (cuobjdump, CUDA_HOME's or the toolkit's): name → its
// instruction lines. Empty with `why` set when there is no cuobjdump.
std::map<std::string, std::vector<std::string>> flash3_sass(std::string& why) {
  std::string tool = "/usr/local/cuda/bin/cuobjdump";
  if (const char* home = std::getenv("CUDA_HOME")) tool = std::string(home) + "/bin/cuobjdump";
  std::map<std::string, std::vector<std::string>> functions;
  if (std::system((tool + " --version > /dev/null 2>&1").c_str()) != 0) {
    why = "no cuobjdump at " + tool;
    return functions;
  }
  // Our own executable by pid (inside popen's shell, /proc/self would be the shell).
  const std::string cmd = tool + " -sass /proc/" + std::to_string(getpid()) + "/exe 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) {
    why = "cannot run " + cmd;
    return functions;
  }
  std::array<char, 4096> buf{};
  std::vector<std::string>* current = nullptr;
  while (fgets(buf.data(), int(buf.size()), pipe.get())) {
    const std::string line(buf.data());
    if (const size_t at = line.find("Function : "); at != std::string::npos) {
      const std::string name = line.substr(at + 11, line.find_last_not_of(" \r\n") + 1 - (at + 11));
      const bool ours = name.find("flash3") != std::string::npos && name.find("forward_kernel") != std::string::npos;
      current = ours ? &functions[name] : nullptr;
    } else if (current != nullptr && line.find("/*") != std::string::npos) {
      current->push_back(line);
    }
  }
  return functions;
}

bool has(const std::string& line, const char* what) { return line.find(what) != std::string::npos; }

TEST(Flash3Sass, EveryKernelUsesHgmma) {
  std::string why;
  const auto functions = flash3_sass(why);
  if (!why.empty()) GTEST_SKIP() << why;
  int with_hgmma = 0;
  for (const auto& [name, lines] : functions) {
    const bool hgmma = std::any_of(lines.begin(), lines.end(), [](const std::string& l) { return has(l, "HGMMA"); });
    with_hgmma += hgmma;
    EXPECT_TRUE(hgmma) << name << " has no HGMMA";
  }
  // Every table row (d=96's included: flash3_hdim96.cu) × 2 dtypes × 2 grids (ping-pong) + bf16 d128's unspecialized,
  // serial and overlap rungs × 2 masks + its default rows with 2^x partly on the FMA pipes (2 splits × 2 masks) + the
  // alternative tiles (bf16; d=96's two-consumer ones too) + d=128 non-causal in clusters of two × 2 dtypes + the
  // length tiles that are not a row on its other grid × 2 dtypes. Today 8·4 + 6 + 4 + 16 + 2 + 3·2 = 66.
  const int own_length_tiles = int(std::count_if(flash3::kLengthTiles.begin(), flash3::kLengthTiles.end(),
                                                 [](const flash3::LengthTile& l) { return !flash3::is_row_on_other_grid(l); }));
  const int kernels = int(flash3::kTileShapes.size()) * 4 + 6 + 4 + int(flash3::kAlternativeTiles.size()) + 2 +
                      2 * own_length_tiles;
  EXPECT_EQ(int(functions.size()), kernels);
  EXPECT_EQ(with_hgmma, kernels);
}

// KernelConfig::kSoftmaxUnderOwnPv: in every d=128 kernel with the overlapped schedules and key tiles up to 176, the main loop's exponentials come
// between the wait for Q·Kᵀ (gsb0 ≤ 1) and the wait for the warpgroup's own P·V (gsb0 = 0), not after it — the order
// ptxas broke until the row sums were stored before the wait (call 7: every exp2 came after it).
TEST(Flash3Sass, D128SoftmaxRunsUnderItsOwnPv) {
  std::string why;
  const auto functions = flash3_sass(why);
  if (!why.empty()) GTEST_SKIP() << why;
  int checked = 0;
  for (const auto& [name, lines] : functions) {
    const bool d128 = has(name, "16Li128ELi") || has(name, "6__halfLi128ELi");
    const bool overlapped = has(name, "ScheduleE2E") || has(name, "ScheduleE3E");
    const int block_n = d128 ? std::atoi(name.c_str() + name.find("Li128ELi") + 8) : 0;  // the next template argument
    if (!d128 || !overlapped || block_n > 176) continue;  // the 192-key alternatives keep ptxas's order (spills)
    ++checked;
    const auto s_done = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return has(l, "DEPBAR.LE gsb0, 0x1"); });
    ASSERT_NE(s_done, lines.end()) << name;
    const auto pv_done = std::find_if(s_done, lines.end(), [](const std::string& l) { return has(l, "DEPBAR.LE gsb0, 0x0"); });
    const auto under = std::count_if(s_done, pv_done, [](const std::string& l) { return has(l, "MUFU.EX2"); });
    EXPECT_GE(under, 32) << name << ": only " << under << " exp2 before the wait for its own P·V";
  }
  EXPECT_GT(checked, 0) << "no d=128 overlapped kernel found";
}

}  // namespace
}  // namespace attnscope
