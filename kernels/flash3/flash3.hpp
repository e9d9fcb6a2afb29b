#pragma once
// The flash3 kernels' tile tables. CUDA-free on purpose: flash3_backend.cpp and the rules include it in every
// build.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "flash2/flash2.hpp"

namespace attnscope::flash3 {

// Shared-memory tiles are stored in column blocks whose rows are one swizzle width long, 8 rows to a
// swizzle atom (the layout TMA writes and wgmma's descriptors read): 128-byte rows (64 columns,
// CU_TENSOR_MAP_SWIZZLE_128B) when the head dim is a multiple of 64, otherwise 64-byte rows (32 columns,
// SWIZZLE_64B) — FA3's choice (cute's shared-memory layout selector) for multiples of 32 such as 96,
// which would be one and a half 128-byte blocks.
constexpr int swizzle_row_bytes(int64_t head_dim) { return head_dim % 64 == 0 ? 128 : 64; }
constexpr int block_columns(int64_t head_dim) { return swizzle_row_bytes(head_dim) / 2; }  // 16-bit elements

// One block = one producer warpgroup (TMA) + `consumers` consumer warpgroups of 64 query rows each;
// block_n keys per K/V tile, `stages` K tiles and `stages` V tiles in flight in the shared-memory rings.
// One row per head dim and mask (FA3 picks the key tile per mask too). The rules read the same rows as
// the kernels (flash3_traits.cuh), so they cannot drift apart.
struct TileShape {
  int head_dim;
  bool causal;
  int block_n, stages;
  // Two consumers take turns on the tensor cores (ping-pong); three (FA3's choice for d=64, whose
  // multiplies are short next to its softmax) go round in a ring, so two softmaxes run under one GEMM.
  int consumers = 2;
  // A persistent grid (one block per SM walking a list of tiles: the next tile's loads run under this
  // one's epilogue; causal tiles handed out longest first through an atomic counter) instead of one
  // block per tile.
  bool persistent = false;
  // Blocks per cluster (one-block-per-tile grid, non-causal only): two blocks take neighbouring query
  // tiles of one head and load each K and V tile half each, multicast into both (TMA multicast), so L2
  // serves every K/V byte once per pair instead of once per block (FA3's choice at d=128 non-causal). Measured
  // on an H100 (call 5): 22–29 % slower than unclustered, so no row uses it (NOTES.md says why).
  int cluster = 1;
  constexpr int block_m() const { return 64 * consumers; }
  // Q tile (reused for the output), `stages` K and V tiles, the mbarriers, and 1 KiB so the tiles can
  // start on the 1024-byte boundary the 128-byte swizzle needs (the 64-byte swizzle's atoms are 512 bytes).
  constexpr int shared_memory_bytes() const {
    return (block_m() + 2 * stages * block_n) * head_dim * 2 + 1024 + 256;
  }
  // The output gets its own shared-memory tile when it fits next to Q and the rings, so the next tile's
  // Q can load while this one's output is stored; otherwise it goes out through the Q tile.
  constexpr int q_bytes() const { return block_m() * head_dim * 2; }
  constexpr bool separate_output() const { return persistent && shared_memory_bytes() + q_bytes() <= 227 * 1024; }
  // Causal tiles with their own output tile keep Q in a ring of two slots where a second Q tile fits as well (after the
  // barriers, 1 KiB aligned): the next tile's Q loads during this one instead of after its last Q·Kᵀ. Against one slot
  // in the same run (H100): causal 1k +1 to +3 % (d=64 and d=128; call 22, standard protocol), 0.98–1.02× from 2k,
  // d=96 causal +1.2 / +1.7 % at 8k / 16k; without a mask −0.3 to −1.3 % (call 21), so those kernels keep one slot.
  constexpr int q_slots() const {
    // + the output tile, the second Q tile, and the barriers' 256 bytes padded to 1 KiB (+ 768)
    return causal && separate_output() && shared_memory_bytes() + q_bytes() + q_bytes() + 768 <= 227 * 1024 ? 2 : 1;
  }
  // Without a mask, a query tile past the last whole one holds fewer rows than the block (d=64's 192 rows at 1k: 64
  // rows in the sixth tile). Where it holds one warpgroup's rows or fewer, its consumers take that warpgroup's rows
  // together, each a third of the key steps, and merge their partial results through shared memory (after the
  // barriers, 1 KiB aligned): each consumer but the first leaves O's (head_dim / 2) floats, two row maxima and two
  // row sums per thread. Three-consumer persistent tiles without a mask, where it fits (d=64's 192×128×4).
  constexpr int ragged_merge_bytes() const { return (consumers - 1) * (head_dim / 2 + 4) * 128 * 4; }
  constexpr bool splits_ragged_tile() const {
    return !causal && consumers == 3 && persistent && separate_output() &&
           shared_memory_bytes() + q_bytes() + ragged_merge_bytes() + 768 <= 227 * 1024;
  }
  constexpr int kernel_shared_memory_bytes() const {
    return shared_memory_bytes() + (separate_output() ? q_bytes() : 0) + (q_slots() == 2 ? q_bytes() + 768 : 0) +
           (splits_ragged_tile() ? ragged_merge_bytes() + 768 : 0);
  }
  // Multicast splits each K/V tile by its column blocks, so the head dim must hold a multiple of
  // `cluster` of them; the two blocks must see the same key tiles (no causal diagonal between them).
  constexpr bool can_cluster(int blocks) const { return !causal && (head_dim / block_columns(head_dim)) % blocks == 0; }
  // How ATTNSCOPE_FLASH3_TILE names it: <block_m>x<block_n>x<stages>, "p" for the persistent grid, "c2" for
  // clusters of two.
  std::string name() const {
    return std::to_string(block_m()) + "x" + std::to_string(block_n) + "x" + std::to_string(stages) + (persistent ? "p" : "") +
           (cluster > 1 ? "c" + std::to_string(cluster) : "");
  }
};

// Chosen by measurement on an H100 (bfloat16, B·N = 16k, NOTES.md, docs/performance.md; "call 3" is
// results/issue15-h100-2026-12-06/call3/), among the spill-free candidates:
//  * d=64: FA3's three consumers, 192×128 with 4 stages (160 registers each: its GEMMs are short next to its
//    softmax, so two softmaxes must hide under one GEMM), both masks, on the persistent grid. Call 3, N = 8k:
//    non-causal 551 (persistent) / 546 (blocks); causal 504 vs 420 for two consumers (128×128×4, blocks) —
//    three consumers spilled 120 bytes with a mask until the mask became a select before the softmax.
//  * d=96 (chosen by arithmetic, NOTES.md; call 5, bf16 N = 8k: 617.7 / 576.8 TFLOP/s, 1.18× / 1.22× cudnn, the
//    two-consumer alternatives 5–12 % below, except causal 128×128×2p +3–5 % from 8k: kLengthTiles): FA3's three
//    consumers (192 query rows), 64-byte swizzle. A consumer holds S (block_n/2 floats), P (block_n/4 registers) and O
//    (48 floats) in its 160 registers: 192×128 (64 + 32 + 48 = 144) spilled 144–156 bytes; 192×112 (56 + 28 + 48 = 132,
//    d=64's 128 fits) is spill-free without a mask and spilled 24 bytes causal on the persistent grid; 192×96 (120) is
//    spill-free with both. Why three: per 64×block_n tile at d=96 the two GEMMs take ~6·block_n tensor-core cycles and
//    the softmax's exp2 ~4·block_n MUFU cycles (+ fixed costs), so with two consumers one softmax barely hides under
//    the other's GEMMs (d=64, ratio 4:4, gained 25 % from a third consumer; d=128 is 8:4). Shared memory: 192×112×3
//    stages 163 KiB, 192×96×4 181 KiB, both + 36 KiB for the separate output tile. kAlternativeTiles has the
//    two-consumer 128×176×2 (S 88 + P 44 + O 48 = 180 of 240); causal 128×128×2p is kLengthTiles' d=96 row (from 8k
//    keys).
//  * d=128 non-causal: 128×176 (S 88 + P 44 + O 64 registers per consumer thread; 2 stages = 208 KiB), on the
//    persistent grid with its last round split (TailSplit). Call 16 (H100, one run), bf16 / fp16 against the same
//    tile on one block per tile: +1.9 / +1.6 % at 8k, +4.6 / +2.2 % at 16k (the split alone: +2.5 / +1.9 % at 8k,
//    +3.2 % bf16 at 16k). Before the split the persistent grid measured within ±2 % of blocks (call 3); 128×192
//    +1 % from 8k and −6 % at 1k; call 5: 128×160 persistent with its own output tile −1 to −1.5 % from 8k,
//    clusters of two −22 to −29 %. Since call 27 kLengthTiles' 128×128 runs at every length (the row still runs with
//    ATTNSCOPE_FLASH3_LENGTH=off, and carries the ladder's rungs, the clusters and the 2^x splits).
//  * d=128 causal: 128×128, persistent (call 3: 639 vs 629 on blocks in the same order, 572 before; 128×176
//    was 0–3 % faster from 8k but 10–20 % slower at 1k–2k, and ran from 16k keys until call 28: kLengthTiles below).
//  * d=256: FA3's 128×80 (Q 64 KiB + two stages of K and V: 224 KiB; O alone is 128 registers). Non-causal
//    persistent (call 3: 731–759 vs 697–736 on blocks from N = 4k; 1k and 2k were measured on blocks only).
//    Causal on blocks (call 15, H100, against the persistent grid in the same run, bf16 / fp16: +6.4 / +6.9 % at
//    4k, +10.0 / +9.8 % at 8k, +11.6 / +9.8 % at 16k, +2.2 / +1.9 % at 2k; at 1k −3.3 / −2.5 %: kLengthTiles keeps
//    the persistent grid below 2k keys).
inline constexpr std::array<TileShape, 8> kTileShapes = {{
    {64, false, 128, 4, 3, true},
    {64, true, 128, 4, 3, true},
    {96, false, 112, 3, 3, true},
    {96, true, 96, 4, 3, true},
    {128, false, 176, 2, 2, true},
    {128, true, 128, 2, 2, true},
    {256, false, 80, 2, 2, true},
    {256, true, 80, 2, 2, false},
}};

// Other tiles, compiled for bfloat16 ping-pong only and picked with ATTNSCOPE_FLASH3_TILE=<name()>
// (flash3.cu): the ladder's "before tile tuning" rungs (d=128 non-causal on 128×128, d=64 non-causal
// with two consumers: the first version's tiles) and the alternatives the rows above were measured
// against, on either grid ("p": persistent; "c2": clusters of two).
inline constexpr std::array<TileShape, 16> kAlternativeTiles = {{
    {128, false, 128, 2},
    {128, false, 160, 2, 2, true},     // persistent with the output in its own tile (224 KiB)
    {128, false, 192, 2, 2, false, 2},  // the widest key tile, clusters of two
    {128, false, 128, 3},
    {128, false, 192, 2},
    {128, false, 192, 2, 2, true},
    {128, true, 128, 3},
    {128, true, 176, 2},
    {64, false, 128, 4},
    {64, false, 192, 4},
    {64, true, 128, 4},
    {64, true, 128, 4, 2, true},
    {96, false, 176, 2},          // two consumers (d=128's non-causal tile)
    {96, true, 112, 3, 3},        // three consumers, the non-causal row's wider key tile (spills on the persistent grid)
    // d=128 on three consumers (192 query rows: a third less K/V traffic per FLOP than 128 rows, two softmaxes under
    // each GEMM) with the narrow key tiles their 160 registers allow, output in its own tile: S 40 + P 20 + O 64 = 124
    // without a mask; causal 192×80 spilled 8 B (the skipped key tiles' path), so S 32 + P 16 + O 64 = 112 there.
    {128, false, 80, 3, 3, true},
    {128, true, 64, 4, 3, true},
}};

// Lengths: a row's problems with min_keys <= kv_len < max_keys run on this other tile instead (both dtypes
// compiled, ping-pong). ATTNSCOPE_FLASH3_LENGTH=off|on|always (flash3.cu) turns them off or applies them at every
// length, so each can be measured against its row in one run.
//  * Long causal sequences at d=96: from 8k keys on two consumers, 128×128×2 persistent (call 5, bf16: 594.9 / 629.0
//    at 8k / 16k against the three-consumer row's 576.8 / 600.8, equal at 4k, −17 % at 1k). (d=128 causal ran
//    128×176×2 persistent from 16k keys until call 28: the softmax against the previous maximum made the row's 128×128
//    faster there too, +2.2 / +3.8 % bf16 / fp16 on an H100 in rotation; 128×176 stays a blocks alternative.)
//  * Non-causal d=128 at every length: 128×128×2 on the persistent grid with the output in its own tile. A 1k-key
//    query tile is only six 176-key steps (the last one 144 keys wide), so the row's prologue (Q and the first K
//    waited for) and epilogue (the output stored through Q) weigh on a block's time; here the next tile's Q loads
//    during the last steps and the store drains under the next tile, and 128 divides the usual lengths. Call 6
//    (H100, against the row in the same run), bf16 / fp16: +10.1 / +10.0 % at 1k, +4.7 / +5.1 % at 2k, +1.5 / +1.2 %
//    at 4k, −2.0 / −2.5 % at 8k, −2.6 / −3.0 % at 16k: then it ran below 8k keys. The softmax against the previous
//    maximum (kStaleMax, calls 23–25) gained more on this tile than on the row's 128×176; call 27 (H200, in rotation)
//    measured it +1.8 / +4.9 % at 8k and +0.8 / +5.9 % at 16k over the row, so it runs at every length.
//  * Short causal sequences at d=256: the row's own tile on the persistent grid below 2k keys (call 15: +3.4 / +2.6 %
//    at 1k over blocks, where a head's longest query tiles are only 13 key steps and the grid's longest-first order
//    evens out the rest). A row that differs from its table row only in the grid is compiled with the row (both
//    grids are: ATTNSCOPE_FLASH3_HEAD_DIM), so it needs no ATTNSCOPE_FLASH3_LENGTH_TILE of its own.
struct LengthTile {
  TileShape tile;
  int64_t min_keys;
  int64_t max_keys = INT64_MAX;
};
inline constexpr std::array<LengthTile, 3> kLengthTiles = {{
    {{96, true, 128, 2, 2, true}, 8192},
    {{128, false, 128, 2, 2, true}, 0},
    {{256, true, 80, 2, 2, true}, 0, 2048},
}};
// Whether a length row is its table row on the other grid (compiled with the row, not by ATTNSCOPE_FLASH3_LENGTH_TILE).
constexpr bool is_row_on_other_grid(const LengthTile& l) {
  for (const TileShape& t : kTileShapes)
    if (t.head_dim == l.tile.head_dim && t.causal == l.tile.causal)
      return t.block_n == l.tile.block_n && t.stages == l.tile.stages && t.consumers == l.tile.consumers &&
             t.cluster == l.tile.cluster && t.persistent != l.tile.persistent;
  return false;
}

// Head dims that are not compiled run on the next compiled one: TMA fills the missing columns of Q, K
// and V with zeros (exact: they add nothing to Q·Kᵀ and give zero output columns) and drops them when
// the output is stored — FlashAttention's rounding up, at the price of the padded columns' work.
inline constexpr int64_t kMaxHeadDim = [] {
  int64_t most = 0;
  for (const TileShape& t : kTileShapes) most = t.head_dim > most ? t.head_dim : most;
  return most;
}();
constexpr int64_t compiled_head_dim(int64_t head_dim) {
  int64_t best = 0;
  for (const TileShape& t : kTileShapes)
    if (t.head_dim >= head_dim && (best == 0 || t.head_dim < best)) best = t.head_dim;
  return head_dim > 0 && head_dim % 8 == 0 ? best : 0;
}

// The row a problem runs on (its head dim rounded up to a compiled one), or null if there is none.
constexpr const TileShape* tile_shape(int64_t head_dim, bool causal) {
  const int64_t compiled = compiled_head_dim(head_dim);
  for (const TileShape& t : kTileShapes)
    if (t.head_dim == compiled && t.causal == causal) return &t;
  return nullptr;
}
// Whether any kernel runs this head dim (the rules' question).
constexpr const TileShape* tile_shape(int64_t head_dim) { return tile_shape(head_dim, false); }

// The first query row of tile m_block (of num_m_blocks = ceil(q_len / block_m)). Without a mask the tiles
// partition the rows from the top. Causal tiles are laid from the last row up, so that a ragged tile (q_len not
// a multiple of block_m) is the first one, which sees the fewest keys, instead of the last, which sees them all
// (d=64's 192 rows at 1k: 5 tiles + 64 rows; the ragged tile cost 8 key steps, now 1). That first tile starts at
// row 0 and overlaps the second; it stores and computes only first_tile_rows of them. (Starting it above row 0, at a
// negative TMA coordinate, ended in an illegal instruction on an H100.)
constexpr int query_tile_start(int m_block, int num_m_blocks, int q_len, int block_m, bool causal) {
  return causal ? std::max(0, q_len - (num_m_blocks - m_block) * block_m) : m_block * block_m;
}
// The rows the first causal query tile stores, from row 0: its own (those before the second tile) rounded up to whole
// consumer warpgroups of 64 rows, at most block_m. It walks only the keys these rows see; the second tile stores the
// rest of the rows they share (d=64 at 1k: 64 rows, one key step instead of two).
constexpr int first_tile_rows(int q_len, int block_m) {
  const int tiles = (q_len + block_m - 1) / block_m;
  return std::min(block_m, (q_len - (tiles - 1) * block_m + 63) / 64 * 64);
}
// A causal tile's key steps are walked from the last (the diagonal's) back to the first. How many at the start of that
// walk hold no key that consumer warpgroup `consumer`'s 64 rows see (all of them when its rows lie past the tile's
// `rows`): a consumer skips them (kSkipsIdleKeys: d=64's and d=96's causal tiles). n_blocks: the tile's key steps, up
// to its last row's diagonal. d=64 at 1k: 9 of a head's 81 consumer steps, which leaves 72 of 64×128, the work of
// cudnn's 36 of 128×128.
constexpr int causal_idle_key_steps(int m_start, int rows, int consumer, int kv_len, int causal_shift, int n_blocks,
                                    int block_n) {
  const int own = std::max(0, std::min(64, rows - 64 * consumer));
  const int key_end = own == 0 ? 0 : std::min(kv_len, std::max(0, m_start + 64 * consumer + own + causal_shift));
  return n_blocks - (key_end + block_n - 1) / block_n;
}

// The tail split of a persistent grid without a mask (Stream-K's "data-parallel + stream-K" hybrid, applied to
// attention's key steps). With T equal query tiles on P blocks the last of ceil(T/P) rounds runs T mod P tiles on P
// blocks: the standard grid's 2048 tiles on an H100's 132 SMs are 15.5 rounds, so 16 tile times for 15.5 tiles of
// work. Here the whole rounds are dealt as before (tiles [0, dp_tiles), block b taking b, b + P, …) and the remaining
// tiles' key steps (key_blocks per tile, `iters` in all) are cut into `units` equal ranges, one per block: block u
// runs steps [begin(u), begin(u + 1)) in order, the end of one tile, whole tiles, the start of another. A tile split
// between blocks is finished by the one holding its first key step (its range's last piece, so it waits last); the
// others (each range's first piece) leave their unnormalized O, row maxima and row sums in a workspace slot and raise
// a flag; the finisher merges them like two halves of an online softmax and stores O and the LSE.
struct TailSplit {
  int dp_tiles = 0;    // tiles [0, dp_tiles) run whole; all of them when nothing is split
  int units = 0;       // blocks sharing the other tiles' key steps (0: none)
  int key_blocks = 0;  // key tiles per query tile
  int64_t iters = 0;   // (tiles − dp_tiles) · key_blocks
  constexpr int64_t begin(int u) const { return int64_t(u) * iters / units; }
  // The unit whose range holds key step i: the largest u with begin(u) <= i.
  constexpr int unit_of(int64_t i) const { return int((i * units + units - 1) / iters); }
};
// Each unit's range is at least this many key steps: a piece pays a Q load, a pipeline fill and (split) a merge.
inline constexpr int kMinTailSteps = 4;
constexpr TailSplit plan_tail_split(int64_t tiles, int blocks, int64_t key_blocks) {
  TailSplit t;
  t.dp_tiles = int(tiles);
  t.key_blocks = int(key_blocks);
  const int64_t rest = blocks > 0 ? tiles % blocks : 0;
  if (rest == 0 || key_blocks < 2) return t;  // whole rounds, or nothing to cut a tile into
  const int64_t iters = rest * key_blocks;
  const int64_t units = std::min<int64_t>(blocks, iters / kMinTailSteps);
  if (units <= rest) return t;  // a unit would hold a whole tile or more: splitting gains nothing
  if (tiles + iters > INT32_MAX) return t;  // job ids (flash3_kernel.cuh) are 32-bit
  t.dp_tiles = int(tiles - rest);
  t.units = int(units);
  t.iters = iters;
  return t;
}
// The workspace of a split: per unit and consumer warpgroup, each thread's O accumulators, two row maxima and two row
// sums (float), then one flag (int) per unit and consumer, which must be zero when the kernel starts (the launch clears
// them).
constexpr int64_t tail_partial_floats(const TileShape& tile) { return (tile.head_dim / 2 + 4) * 128; }
constexpr int64_t tail_split_workspace_bytes(const TailSplit& t, const TileShape& tile) {
  return t.units == 0 ? 0 : int64_t(t.units) * tile.consumers * (tail_partial_floats(tile) * 4 + 4);
}

// The same problem description as flash2's (pointers, shape, dtype, mask, scale): one definition.
using Params = flash2::Params;

// Which kernel runs for a problem, and its launch: flash3_choice.hpp.

}  // namespace attnscope::flash3
