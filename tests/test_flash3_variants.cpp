// Which flash3 kernel runs (flash3_choice.hpp), judged without a GPU: the table's row, the length tiles at both
// sides of their ranges, alternatives and rungs by override; the ATTNSCOPE_FLASH3_* switches and their refusals; the
// named variants per problem (ladder order, unique id-safe names) and the backend's variant API.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "attnscope/registry.hpp"
#include "builtin_backend.hpp"
#include "flash3/flash3_choice.hpp"

using namespace attnscope;
using flash3::Choice;
using flash3::Overrides;
using flash3::Schedule;
using flash3::Shape;

namespace {

Shape shape(int64_t d, bool causal, int64_t kv_len, bool bf16 = true, int64_t q_len = 1024) {
  return {d, causal, q_len, kv_len, bf16};
}

std::vector<std::string> names(const Shape& s) {
  std::vector<std::string> out;
  for (const flash3::Variant& v : flash3::variants(s)) out.push_back(v.name);
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// The error text choose() or overrides_from_env() gives; empty if neither throws.
std::string refusal(const Shape& s) {
  try {
    flash3::choose(s, flash3::overrides_from_env());
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// Sets ATTNSCOPE_FLASH3_<name> for one test and unsets every switch afterwards.
class Flash3Env : public ::testing::Test {
 protected:
  static constexpr const char* kSwitches[] = {"SCHEDULE", "TILE", "GRID", "CLUSTER", "EXP2", "LENGTH", "ORDER", "SPLIT"};
  void SetUp() override { clear(); }
  void TearDown() override { clear(); }
  static void set(const char* name, const char* value) {
    ASSERT_EQ(setenv((std::string("ATTNSCOPE_FLASH3_") + name).c_str(), value, 1), 0);
  }
  static void clear() {
    for (const char* s : kSwitches) unsetenv((std::string("ATTNSCOPE_FLASH3_") + s).c_str());
  }
};

const flash3::LengthTile& length_tile(int64_t d, bool causal) {
  for (const flash3::LengthTile& l : flash3::kLengthTiles)
    if (l.tile.head_dim == d && l.tile.causal == causal) return l;
  throw std::runtime_error("no length tile for this head dim and mask");
}

TEST(Flash3Choice, TheTableRowRunsByDefault) {
  for (const flash3::TileShape& row : flash3::kTileShapes) {
    const Choice c = flash3::choose(shape(row.head_dim, row.causal, 8192), {});
    SCOPED_TRACE(row.name());
    if (c.source == Choice::Source::kLength) continue;  // d=96 causal from 8k keys: the next test
    EXPECT_EQ(c.source, Choice::Source::kRow);
    EXPECT_EQ(c.tile.name(), row.name());
    EXPECT_EQ(c.schedule, Schedule::kPingPong);
    EXPECT_EQ(c.exp2_on_fma, 0);
  }
  // A head dim without its own kernel runs on the next one up.
  EXPECT_EQ(flash3::choose(shape(80, false, 8192), {}).tile.name(), flash3::tile_shape(96, false)->name());
  EXPECT_THROW(flash3::choose(shape(100, false, 8192), {}), std::runtime_error);
}

// The tail split's plan (flash3.hpp): whole rounds first, then every remaining key step in exactly one unit's range of
// at least kMinTailSteps, never more units than blocks.
TEST(Flash3TailSplit, EveryKeyStepOfTheLastRoundBelongsToExactlyOneUnit) {
  struct Case { int64_t tiles; int blocks; int64_t key_blocks; };
  for (const Case& k : {Case{2048, 132, 24}, Case{2048, 132, 94}, Case{24, 132, 6}, Case{160, 132, 24}, Case{3072, 132, 8},
                        Case{5, 132, 64}}) {
    SCOPED_TRACE(std::to_string(k.tiles) + " tiles, " + std::to_string(k.key_blocks) + " key steps");
    const flash3::TailSplit t = flash3::plan_tail_split(k.tiles, k.blocks, k.key_blocks);
    ASSERT_GT(t.units, 0);
    EXPECT_LE(t.units, k.blocks);
    EXPECT_EQ(t.dp_tiles % k.blocks, 0);
    EXPECT_EQ(t.dp_tiles, k.tiles / k.blocks * k.blocks);
    EXPECT_EQ(t.iters, (k.tiles - t.dp_tiles) * k.key_blocks);
    std::vector<int> owner(size_t(t.iters), -1);
    for (int u = 0; u < t.units; ++u) {
      EXPECT_GE(t.begin(u + 1) - t.begin(u), flash3::kMinTailSteps);
      for (int64_t i = t.begin(u); i < t.begin(u + 1); ++i) {
        EXPECT_EQ(owner[size_t(i)], -1);
        owner[size_t(i)] = u;
        EXPECT_EQ(t.unit_of(i), u);  // the finisher finds a tile's other pieces by it
      }
    }
    EXPECT_EQ(std::count(owner.begin(), owner.end(), -1), 0);
    // The workspace: one slot per unit and consumer warpgroup (O's d/2 floats, 2 maxima, 2 sums per thread) + flags.
    const flash3::TileShape& row = *flash3::tile_shape(128, false);
    EXPECT_EQ(flash3::tail_split_workspace_bytes(t, row), int64_t(t.units) * row.consumers * ((64 + 4) * 128 * 4 + 4));
  }
  // Whole rounds, one key step per tile, or too few steps to give every unit more than a whole tile: nothing split.
  EXPECT_EQ(flash3::plan_tail_split(2112, 132, 24).units, 0);
  EXPECT_EQ(flash3::plan_tail_split(2048, 132, 1).units, 0);
  EXPECT_EQ(flash3::plan_tail_split(2048, 132, 4).units, 0);  // 68 tiles · 4 steps = 68 units of one tile each
  EXPECT_EQ(flash3::plan_tail_split(2048, 132, 4).dp_tiles, 2048);
}

// A launch splits only where the choice runs the persistent grid without a mask and the split is not switched off.
TEST(Flash3TailSplit, OnlyThePersistentGridWithoutAMaskSplits) {
  const Shape nc = shape(128, false, 4096), causal = shape(128, true, 4096);
  Overrides persistent;
  persistent.persistent = true;
  const Choice on = flash3::choose(nc, persistent);
  EXPECT_GT(flash3::tail_split(on, nc, 64, 132).units, 0);  // 2048 tiles
  EXPECT_GT(flash3::workspace_bytes(on, nc, 64, 132), 0);
  EXPECT_EQ(flash3::tail_split(on, nc, 66, 132).units, 0);  // 2112 tiles: 16 whole rounds
  Overrides off = persistent;
  off.tail_split = false;
  EXPECT_EQ(flash3::tail_split(flash3::choose(nc, off), nc, 64, 132).units, 0);
  EXPECT_EQ(flash3::workspace_bytes(flash3::choose(nc, off), nc, 64, 132), 0);
  Overrides blocks;
  blocks.persistent = false;
  EXPECT_EQ(flash3::tail_split(flash3::choose(nc, blocks), nc, 64, 132).units, 0);
  EXPECT_EQ(flash3::tail_split(flash3::choose(causal, persistent), causal, 64, 132).units, 0);
  EXPECT_NE(flash3::describe(on, nc).find("last round split"), std::string::npos);
  EXPECT_NE(flash3::describe(flash3::choose(nc, off), nc).find("last round whole"), std::string::npos);
}

// d=256 causal's length row is its table row on the persistent grid (compiled with the row, both grids are); the others
// are tiles of their own, each compiled by ATTNSCOPE_FLASH3_LENGTH_TILE (the SASS test counts them so).
TEST(Flash3Choice, ALengthRowOnTheRowsOtherGridIsRecognised) {
  EXPECT_TRUE(flash3::is_row_on_other_grid(length_tile(256, true)));
  EXPECT_FALSE(flash3::is_row_on_other_grid(length_tile(128, false)));
  EXPECT_FALSE(flash3::is_row_on_other_grid(length_tile(96, true)));
  EXPECT_FALSE(flash3::tile_shape(256, true)->persistent);
  EXPECT_TRUE(length_tile(256, true).tile.persistent);
}

TEST(Flash3Choice, LengthTilesApplyInsideTheirRangeOnly) {
  for (const flash3::LengthTile& l : flash3::kLengthTiles) {
    SCOPED_TRACE(l.tile.name());
    const flash3::TileShape& row = *flash3::tile_shape(l.tile.head_dim, l.tile.causal);
    for (bool bf16 : {false, true}) {
      const int64_t first = l.min_keys, last = l.max_keys == INT64_MAX ? l.min_keys + 100000 : l.max_keys - 1;
      for (int64_t inside : {first, last}) {
        const Choice c = flash3::choose(shape(l.tile.head_dim, l.tile.causal, inside, bf16), {});
        EXPECT_EQ(c.source, Choice::Source::kLength) << inside;
        EXPECT_EQ(c.tile.name(), l.tile.name()) << inside;
      }
      const int64_t outside = l.min_keys > 0 ? l.min_keys - 1 : l.max_keys;
      EXPECT_EQ(flash3::choose(shape(l.tile.head_dim, l.tile.causal, outside, bf16), {}).tile.name(), row.name()) << outside;
      Overrides off, always;
      off.length = flash3::Length::kOff, always.length = flash3::Length::kAlways;
      EXPECT_EQ(flash3::choose(shape(l.tile.head_dim, l.tile.causal, first, bf16), off).source, Choice::Source::kRow);
      EXPECT_EQ(flash3::choose(shape(l.tile.head_dim, l.tile.causal, outside, bf16), always).tile.name(), l.tile.name());
    }
  }
}

TEST(Flash3Choice, OverridesPickTheirKernel) {
  const flash3::TileShape& row = *flash3::tile_shape(128, false);
  Overrides serial;
  serial.schedule = Schedule::kSerial;
  Choice c = flash3::choose(shape(128, false, 1024), serial);  // inside the short-sequence tile's range: the row runs
  EXPECT_EQ(c.source, Choice::Source::kRow);
  EXPECT_EQ(c.schedule, Schedule::kSerial);
  const flash3::TileShape on_blocks{row.head_dim, false, row.block_n, row.stages};
  EXPECT_EQ(c.tile.name(), on_blocks.name());  // the lower rungs run one block per tile
  EXPECT_EQ(flash3::choose(shape(128, false, 1024, /*bf16=*/false), serial).schedule, Schedule::kPingPong);  // not compiled

  Overrides tile;
  tile.tile = "128x192x2";
  c = flash3::choose(shape(128, false, 8192), tile);
  EXPECT_EQ(c.source, Choice::Source::kAlternative);
  EXPECT_EQ(c.tile.name(), "128x192x2");
  EXPECT_EQ(flash3::kAlternativeTiles[size_t(c.index)].name(), "128x192x2");

  Overrides blocks;
  blocks.persistent = false;
  c = flash3::choose(shape(128, true, 32768), blocks);  // an asked-for grid names the row, not the long tile
  EXPECT_EQ(c.source, Choice::Source::kRow);
  EXPECT_FALSE(c.tile.persistent);
  EXPECT_EQ(c.tile.block_n, flash3::tile_shape(128, true)->block_n);

  Overrides clusters;
  clusters.cluster = 2;
  c = flash3::choose(shape(128, false, 1024, false), clusters);
  EXPECT_EQ(c.tile.cluster, 2);
  EXPECT_FALSE(c.tile.persistent);
  EXPECT_THROW(flash3::choose(shape(128, true, 1024), clusters), std::runtime_error);
}

TEST(Flash3Choice, DescribeNamesWhatRuns) {
  const Shape long_causal = shape(96, true, 20000);
  const std::string text = flash3::describe(flash3::choose(long_causal, {}), long_causal);
  EXPECT_EQ(text.rfind(length_tile(96, true).tile.name() + " ping-pong, persistent (length tile: kv_len >= ", 0), 0u) << text;
  const Shape row = shape(128, false, 8192);
  // d=128 non-causal runs its length tile at every length; with it off, the row.
  EXPECT_EQ(flash3::describe(flash3::choose(row, {}), row),
            length_tile(128, false).tile.name() + " ping-pong, persistent (length tile: every kv_len), last round split");
  Overrides no_length;
  no_length.length = flash3::Length::kOff;
  EXPECT_EQ(flash3::describe(flash3::choose(row, no_length), row),
            flash3::tile_shape(128, false)->name() + " ping-pong, persistent, last round split");
  Overrides blocks;
  blocks.persistent = false;
  EXPECT_EQ(flash3::describe(flash3::choose(row, blocks), row), "128x176x2 ping-pong, blocks");
  Overrides fma;
  fma.exp2_on_fma = 1;
  EXPECT_NE(flash3::describe(flash3::choose(row, fma), row).find("2^x fma1"), std::string::npos);
  const Shape padded = shape(80, true, 1000);
  Overrides heads;
  heads.heads_order = true;
  const std::string p = flash3::describe(flash3::choose(padded, heads), padded);
  EXPECT_NE(p.find("tiles head by head"), std::string::npos) << p;
  EXPECT_NE(p.find("d=80 padded to 96"), std::string::npos) << p;
}

TEST_F(Flash3Env, TheSwitchesOverrideTheTable) {
  set("SCHEDULE", "overlap");
  Choice c = flash3::choose(shape(128, true, 8192), flash3::overrides_from_env());
  EXPECT_EQ(c.schedule, Schedule::kOverlap);
  EXPECT_FALSE(c.tile.persistent);
  EXPECT_NE(flash3::describe(c, shape(128, true, 8192)).find("; env SCHEDULE=overlap"), std::string::npos);
  clear();
  set("TILE", "128x176x2");
  EXPECT_EQ(flash3::choose(shape(128, true, 8192), flash3::overrides_from_env()).source, Choice::Source::kAlternative);
  clear();
  set("LENGTH", "always");
  set("ORDER", "heads");
  c = flash3::choose(shape(96, true, 1024), flash3::overrides_from_env());
  EXPECT_EQ(c.source, Choice::Source::kLength);
  EXPECT_TRUE(c.heads_order);
  // d=128 causal has no length tile: "always" leaves its row.
  EXPECT_EQ(flash3::choose(shape(128, true, 1024), flash3::overrides_from_env()).source, Choice::Source::kRow);
  clear();
  set("GRID", "persistent");
  set("EXP2", "mufu");
  set("SCHEDULE", "pingpong");
  c = flash3::choose(shape(128, false, 8192), flash3::overrides_from_env());
  EXPECT_TRUE(c.tile.persistent);
  EXPECT_EQ(c.schedule, Schedule::kPingPong);
}

TEST_F(Flash3Env, BadValuesAreRefusedWithTheSwitchAndItsValues) {
  const Shape bf16_128 = shape(128, false, 8192);
  std::string alternatives;
  for (const flash3::TileShape& t : flash3::kAlternativeTiles)
    if (t.head_dim == 128 && !t.causal) alternatives += " " + t.name();
  const std::vector<std::vector<std::string>> cases = {
      {"SCHEDULE", "fast", "flash3: ATTNSCOPE_FLASH3_SCHEDULE=fast is not unspecialized, serial, overlap or pingpong"},
      {"GRID", "rings", "flash3: ATTNSCOPE_FLASH3_GRID=rings is not persistent or blocks"},
      {"CLUSTER", "3", "flash3: ATTNSCOPE_FLASH3_CLUSTER=3 is not 1, or 2 (compiled for head dim 128 without a causal mask only)"},
      {"EXP2", "fma3", "flash3: ATTNSCOPE_FLASH3_EXP2=fma3 is not mufu, or fma1 / fma2 (compiled for bfloat16 with head dim 128 only)"},
      {"LENGTH", "sometimes", "flash3: ATTNSCOPE_FLASH3_LENGTH=sometimes is not on, off or always"},
      {"ORDER", "random", "flash3: ATTNSCOPE_FLASH3_ORDER=random is not lpt or heads"},
      {"TILE", "128x48x9", "flash3: ATTNSCOPE_FLASH3_TILE=128x48x9 is not compiled for this problem (default " +
                               flash3::tile_shape(128, false)->name() + "; bfloat16 alternatives:" + alternatives + ")"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c[0]);
    set(c[0].c_str(), c[1].c_str());
    EXPECT_EQ(refusal(bf16_128), c[2]);
    clear();
  }
  // Values a switch has, asked where they are not compiled.
  set("CLUSTER", "2");
  EXPECT_EQ(refusal(shape(128, true, 1024)),
            "flash3: ATTNSCOPE_FLASH3_CLUSTER=2 is not 1, or 2 (compiled for head dim 128 without a causal mask only)");
  EXPECT_EQ(refusal(shape(96, false, 1024)), refusal(shape(128, true, 1024)));
  clear();
  set("EXP2", "fma1");
  EXPECT_EQ(refusal(shape(128, false, 1024, false)),
            "flash3: ATTNSCOPE_FLASH3_EXP2=fma1 is not mufu, or fma1 / fma2 (compiled for bfloat16 with head dim 128 only)");
  set("SCHEDULE", "serial");
  EXPECT_EQ(refusal(bf16_128), "flash3: ATTNSCOPE_FLASH3_EXP2 is compiled with the ping-pong schedule only");
  clear();
  set("TILE", "128x192x2");
  EXPECT_NE(refusal(shape(128, false, 8192, false)).find("is not compiled for this problem"), std::string::npos);  // float16
  set("SCHEDULE", "serial");
  EXPECT_EQ(refusal(bf16_128), "flash3: ATTNSCOPE_FLASH3_TILE's alternatives are compiled with the ping-pong schedule and MUFU's 2^x only");
  clear();
  EXPECT_EQ(refusal(bf16_128), "");
}

TEST(Flash3Variants, Bfloat16HeadDim128ListsTheLadderThenGridsClustersSplitsAndTiles) {
  const std::vector<std::string> full = names(shape(128, false, 8192));
  const std::vector<std::string> head = {"unspecialized", "serial", "overlap", "pingpong-blocks", "pingpong-persistent",
                                         "cluster2", "last-round-whole", "fma1", "fma2"};
  ASSERT_GE(full.size(), head.size());
  EXPECT_EQ(std::vector<std::string>(full.begin(), full.begin() + long(head.size())), head);
  // Then each alternative tile of this head dim and mask (a name says no head dim: 128x128x3 exists with both masks),
  // then the length tile.
  std::vector<std::string> tiles;
  for (const flash3::TileShape& t : flash3::kAlternativeTiles)
    if (t.head_dim == 128 && !t.causal) tiles.push_back("tile-" + t.name());
  tiles.push_back("tile-" + length_tile(128, false).tile.name());
  EXPECT_EQ(std::vector<std::string>(full.begin() + long(head.size()), full.end()), tiles);
  EXPECT_FALSE(has(full, "order-heads"));

  const std::vector<std::string> causal = names(shape(128, true, 8192));
  EXPECT_EQ(std::vector<std::string>(causal.begin(), causal.begin() + 5),
            std::vector<std::string>(head.begin(), head.begin() + 5));
  EXPECT_FALSE(has(causal, "cluster2"));
  EXPECT_TRUE(has(causal, "fma1"));
  EXPECT_TRUE(has(causal, "tile-128x176x2"));
  EXPECT_EQ(causal.back(), "order-heads");
}

TEST(Flash3Variants, OtherProblemsListWhatIsCompiledForThem) {
  // float16 d=64: no rungs, splits or alternatives; the grids, the last round whole (non-causal) or the order (causal).
  EXPECT_EQ(names(shape(64, false, 8192, false)),
            (std::vector<std::string>{"pingpong-blocks", "pingpong-persistent", "last-round-whole"}));
  EXPECT_EQ(names(shape(64, true, 8192, false)), (std::vector<std::string>{"pingpong-blocks", "pingpong-persistent", "order-heads"}));
  const std::vector<std::string> d96 = names(shape(96, true, 1024));
  EXPECT_TRUE(has(d96, "tile-192x112x3"));
  EXPECT_TRUE(has(d96, "tile-" + length_tile(96, true).tile.name()));
  EXPECT_FALSE(has(d96, "serial"));
  EXPECT_EQ(names(shape(96, false, 1024)),
            (std::vector<std::string>{"pingpong-blocks", "pingpong-persistent", "last-round-whole", "tile-128x176x2"}));
  EXPECT_EQ(names(shape(256, true, 1024)), (std::vector<std::string>{"pingpong-blocks", "pingpong-persistent", "order-heads"}));
  EXPECT_TRUE(names(shape(100, false, 1024)).empty());
}

TEST(Flash3Variants, NamesAreUniqueIdSafeAndEachRunsWhatItSays) {
  for (bool bf16 : {false, true})
    for (const flash3::TileShape& row : flash3::kTileShapes)
      for (int64_t kv_len : {1000, 8192, 20000}) {
        const Shape s = shape(row.head_dim, row.causal, kv_len, bf16);
        const std::vector<flash3::Variant> vs = flash3::variants(s);
        std::set<std::string> seen, kernels;
        for (const flash3::Variant& v : vs) {
          SCOPED_TRACE(v.name);
          EXPECT_TRUE(seen.insert(v.name).second);
          EXPECT_TRUE(std::all_of(v.name.begin(), v.name.end(), [](char ch) { return std::islower(ch) || std::isdigit(ch) || ch == '-'; }));
          EXPECT_TRUE(has(flash3::all_variant_names(), v.name));
          const Choice c = flash3::choose(s, v.overrides);  // compiled: no refusal
          if (v.name.rfind("tile-", 0) == 0) EXPECT_EQ("tile-" + c.tile.name(), v.name);
          kernels.insert(flash3::describe(c, s));
        }
        EXPECT_EQ(kernels.size(), vs.size()) << "two variants of one problem run the same kernel";
      }
}

TEST(Flash3Variants, TheBackendNamesItsVariantsAndRefusesUnknownOnes) {
  const Backend& b = testing_support::builtin_backend("flash3");
  const Problem p = testing_support::make_problem(DType::BF16, 1, 16, 16, 8192, 8192, 128, true);
  const std::vector<std::string> listed = b.variants(p, *find_profile("h100"));
  EXPECT_EQ(listed, names(shape(128, true, 8192, true, 8192)));
  EXPECT_FALSE(b.with_variant("warp-drive"));
  EXPECT_FALSE(b.with_variant(""));
  const auto serial = b.with_variant("serial");
  ASSERT_NE(serial, nullptr);
  EXPECT_EQ(serial->info().id, "flash3[serial]");
  EXPECT_TRUE(serial->variants(p, *find_profile("h100")).empty());
  EXPECT_TRUE(testing_support::rule_named(serial->check(p, *find_profile("h100")), "flash3_variant").met);
  // float16 has no serial rung: greyed with the ones it has, not run.
  const Problem f16 = testing_support::make_problem(DType::F16, 1, 16, 16, 8192, 8192, 128, true);
  const RuleResult r = testing_support::rule_named(serial->check(f16, *find_profile("h100")), "flash3_variant");
  EXPECT_FALSE(r.met);
  EXPECT_NE(r.reason.find("pingpong-blocks"), std::string::npos) << r.reason;
  // variant_used: the length tile by name, and a variant's kernel whatever the switches say.
  const Problem long_causal = testing_support::make_problem(DType::BF16, 1, 16, 16, 20000, 20000, 96, true);
  EXPECT_NE(b.variant_used(long_causal).find(length_tile(96, true).tile.name() + " ping-pong, persistent (length tile"),
            std::string::npos)
      << b.variant_used(long_causal);
  ASSERT_EQ(setenv("ATTNSCOPE_FLASH3_SCHEDULE", "overlap", 1), 0);
  flash3::TileShape on_blocks = *flash3::tile_shape(128, true);
  on_blocks.persistent = false;
  EXPECT_EQ(serial->variant_used(p), on_blocks.name() + " serial, blocks");
  EXPECT_NE(b.variant_used(p).find("overlap"), std::string::npos) << b.variant_used(p);
  unsetenv("ATTNSCOPE_FLASH3_SCHEDULE");
}

// flash3::query_tile_start: without a mask the query tiles partition the rows from the top; causal tiles are laid
// from the last row up, so a ragged tile is the first (it sees the fewest keys) and starts at row 0, overlapping the
// second; every other tile is whole and the last one ends at q_len.
TEST(Flash3Tiles, CausalTilesAreLaidFromTheLastRowUpAndCoverEveryRow) {
  for (int block_m : {128, 192})
    for (int q_len : {1, 64, 100, 128, 192, 1000, 1024, 4097, 8192}) {
      SCOPED_TRACE("block_m " + std::to_string(block_m) + ", q_len " + std::to_string(q_len));
      const int tiles = (q_len + block_m - 1) / block_m;
      for (bool causal : {false, true}) {
        std::vector<int> covered(std::size_t(q_len), 0);
        for (int m = 0; m < tiles; ++m) {
          const int start = flash3::query_tile_start(m, tiles, q_len, block_m, causal);
          ASSERT_GE(start, 0);
          ASSERT_LT(start, q_len);
          for (int row = start; row < std::min(q_len, start + block_m); ++row) ++covered[std::size_t(row)];
          if (causal && m > 0) EXPECT_LE(start + block_m, q_len) << "tile " << m << " is whole";
        }
        EXPECT_EQ(flash3::query_tile_start(0, tiles, q_len, block_m, causal), 0);
        if (!causal) {
          EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](int c) { return c == 1; }));
          continue;
        }
        if (tiles > 1) EXPECT_EQ(flash3::query_tile_start(tiles - 1, tiles, q_len, block_m, true) + block_m, q_len);
        // Rows are covered once, except those the first tile shares with the second.
        const int second = tiles > 1 ? flash3::query_tile_start(1, tiles, q_len, block_m, true) : q_len;
        for (int row = 0; row < q_len; ++row)
          EXPECT_EQ(covered[std::size_t(row)], row >= second && row < block_m ? 2 : 1) << "row " << row;
        // The first tile stores (and walks keys for) its own rows, in whole warpgroups of 64: none is left unstored,
        // and it stores no row of the second tile's beyond the warpgroup that holds its own last row.
        const int stored = flash3::first_tile_rows(q_len, block_m);
        EXPECT_EQ(stored % 64 == 0 || stored == block_m, true) << stored;
        EXPECT_GE(stored, std::min(second, block_m));
        EXPECT_LT(stored, std::min(second, block_m) + 64);
        EXPECT_LE(stored, block_m);
      }
    }
  // d=64's 192 rows at 1k: the 64-row remainder is the first tile (0..191, the second from row 64), not the last.
  EXPECT_EQ(flash3::query_tile_start(1, 6, 1024, 192, true), 64);
  EXPECT_EQ(flash3::query_tile_start(5, 6, 1024, 192, true), 832);
  EXPECT_EQ(flash3::query_tile_start(5, 6, 1024, 192, false), 960);
  EXPECT_EQ(flash3::first_tile_rows(1024, 192), 64);   // one key step of 128 instead of two
  EXPECT_EQ(flash3::first_tile_rows(1000, 192), 64);   // its own 40 rows, rounded up to a warpgroup
  EXPECT_EQ(flash3::first_tile_rows(4097, 192), 128);  // 65 rows
  EXPECT_EQ(flash3::first_tile_rows(1152, 192), 192);  // no ragged tile
  EXPECT_EQ(flash3::first_tile_rows(100, 192), 128);   // the only tile: past q_len nothing is stored anyway
}

// A consumer of a causal 192-row tile skips the key steps at the start of its walk (the diagonal's end) that its 64 rows
// do not see: every key of a skipped step is past each of its rows' diagonal, and its first walked step holds a key one
// of its rows sees (a consumer without rows, or whose rows see no key, skips them all). Tiles and steps as the kernel
// lays them (d=64's 128-key and d=96's 96-key steps); q_len = kv_len and both ways unequal.
TEST(Flash3Tiles, ConsumersSkipExactlyTheKeyStepsTheirRowsDoNotSee) {
  constexpr int kBlockM = 192;
  for (const int block_n : {128, 96})
  for (const auto [q_len, kv_len] : {std::pair{1024, 1024}, {1000, 1000}, {193, 193}, {4097, 4097}, {700, 1500},
                                     {1000, 330}, {300, 40}, {1, 4097}}) {
    SCOPED_TRACE(std::to_string(q_len) + " x " + std::to_string(kv_len) + ", " + std::to_string(block_n) + "-key steps");
    const int kBlockN = block_n;
    const int shift = kv_len - q_len, tiles = (q_len + kBlockM - 1) / kBlockM;
    for (int m = 0; m < tiles; ++m) {
      const int start = flash3::query_tile_start(m, tiles, q_len, kBlockM, true);
      const int rows = m == 0 ? std::min(q_len - start, flash3::first_tile_rows(q_len, kBlockM)) : std::min(kBlockM, q_len - start);
      const int n_blocks = (std::min(kv_len, std::max(0, start + rows + shift)) + kBlockN - 1) / kBlockN;
      for (int c = 0; c < 3; ++c) {
        const int idle = flash3::causal_idle_key_steps(start, rows, c, kv_len, shift, n_blocks, kBlockN);
        ASSERT_GE(idle, 0);
        ASSERT_LE(idle, n_blocks);
        const int row_begin = start + 64 * c, row_end = std::min(start + rows, row_begin + 64);
        // The last key any of its rows sees, or -1.
        const int last_key = row_end <= row_begin ? -1 : std::min(kv_len - 1, row_end - 1 + shift);
        EXPECT_LT(last_key, (n_blocks - idle) * kBlockN) << "tile " << m << ", consumer " << c << " skips a key it sees";
        if (idle < n_blocks) EXPECT_GE(last_key, (n_blocks - idle - 1) * kBlockN) << "tile " << m << ", consumer " << c;
      }
    }
  }
  // d=64 at 1k: 81 consumer steps of 64×128 per head, 9 of them skipped (cudnn's 36 of 128×128 are 72 of ours).
  constexpr int kBlockN = 128;
  int walked = 0;
  for (int m = 0; m < 6; ++m) {
    const int start = flash3::query_tile_start(m, 6, 1024, kBlockM, true);
    const int rows = m == 0 ? flash3::first_tile_rows(1024, kBlockM) : kBlockM;
    const int n_blocks = (start + rows + kBlockN - 1) / kBlockN;
    for (int c = 0; c < 3; ++c) walked += n_blocks - flash3::causal_idle_key_steps(start, rows, c, 1024, 0, n_blocks, kBlockN);
  }
  EXPECT_EQ(walked, 72);
}

}  // namespace
