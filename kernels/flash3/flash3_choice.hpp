#pragma once
// Which flash3 kernel runs for a problem: the one decision, CUDA-free, read by the launch (flash3.cu), the
// record's variant text and the backend's variants (flash3_backend.cpp). The tables of flash3.hpp give the
// default; overrides come from the ATTNSCOPE_FLASH3_* switches (measurements from a shell) or from a named
// variant (flash3[serial]: `attnscope-cli run --each-plan`, one series per rung in the app).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flash3/flash3.hpp"

namespace attnscope::flash3 {

// How the consumer warpgroups order their work (the rungs of FA3's ablation, each measurable):
//   kUnspecialized — kSerial without the producer warpgroup: one consumer thread issues the TMA copies
//               itself, kStages − 1 tiles ahead, waiting in line for a free slot (TMA + wgmma alone).
//   kSerial   — per K/V tile: S = Q·Kᵀ, wait, softmax, O += P·V, wait. The tensor cores idle during
//               the softmax; only the producer warp's TMA runs ahead (warp specialization alone).
//   kOverlap  — S(j+1) = Q·K(j+1)ᵀ is issued before O += P(j)·V(j), and the softmax of S(j+1) runs
//               while P(j)·V(j) is still on the tensor cores (FA3's intra-warpgroup pipelining).
//   kPingPong — kOverlap, and the two consumer warpgroups take turns to issue their GEMMs (named
//               barriers), so one warpgroup's softmax runs under the other's GEMMs.
enum class Schedule { kUnspecialized, kSerial, kOverlap, kPingPong };

// What of a problem the decision reads.
struct Shape {
  int64_t head_dim = 0;
  bool causal = false;
  int64_t q_len = 0, kv_len = 0;
  bool bf16 = false;
};
inline Shape shape_of(const Params& p) { return {p.head_dim, p.causal, p.q_len, p.kv_len, p.bf16}; }

// kLengthTiles: on (for kv_len in the row's range), off, or always (at every length).
enum class Length { kOn, kOff, kAlways };

// Departures from the tables' choice; the defaults change nothing.
struct Overrides {
  Schedule schedule = Schedule::kPingPong;  // a lower rung: bfloat16 d=128 only (elsewhere ping-pong runs)
  std::string tile;                         // a row of kAlternativeTiles by name() (bfloat16)
  std::optional<bool> persistent;           // the row's tile on this grid
  int cluster = 1;                          // 2: the row's tile in clusters of two (d=128 non-causal)
  int exp2_on_fma = 0;                      // of every four column blocks, how many take 2^x on the FMA pipes
  Length length = Length::kOn;
  bool heads_order = false;                 // causal tiles head by head instead of longest first in L2 sections
  bool tail_split = true;                   // the persistent grid's last round split by key steps (TailSplit)
  std::vector<std::string> from_env;        // "SCHEDULE=serial", … : the switches that were set, for the record
};

// The ATTNSCOPE_FLASH3_{SCHEDULE,TILE,GRID,CLUSTER,EXP2,LENGTH,ORDER,SPLIT} switches; a value that is not one of a
// switch's own is refused (std::runtime_error naming the switch, the value and the allowed ones).
Overrides overrides_from_env();

// The kernel that runs.
struct Choice {
  enum class Source { kRow, kAlternative, kLength };
  TileShape tile{};  // its grid (persistent) and cluster included
  Source source = Source::kRow;
  int index = -1;  // the row of kAlternativeTiles or kLengthTiles
  Schedule schedule = Schedule::kPingPong;
  int exp2_on_fma = 0;
  bool heads_order = false;
  bool tail_split = true;  // applies on a persistent grid without a mask (tail_split below)
  std::vector<std::string> from_env;
};

// The kernel for `s` under `o`: the table's row, one of kAlternativeTiles (o.tile), or the row's length tile
// (kLengthTiles, unless a rung, 2^x split, grid or cluster is asked for). Throws std::runtime_error for a head
// dim without a kernel and for an override that is not compiled for this problem.
Choice choose(const Shape& s, const Overrides& o);

// One line for the record: "128x176x2 ping-pong, blocks", "128x128x2p ping-pong, persistent (length tile: kv_len
// < 8192)", with the 2^x split, the tile order, padding and the environment's switches when they apply.
std::string describe(const Choice& c, const Shape& s);

// A named variant: a rung, the other grid, clusters, a 2^x split, an alternative or length tile, or the per-head
// order. Names are stable and fit a backend id: "serial", "pingpong-persistent", "tile-128x192x2".
struct Variant {
  std::string name;
  Overrides overrides;
};
// Those compiled for `s`, in ladder order (rungs, grids, clusters, the last round whole, 2^x splits, tiles, order); empty for a
// problem without a kernel. Every one but the tile-… ones runs the table's row (no length tile) or, for the
// order and the last round whole, the default kernel.
std::vector<Variant> variants(const Shape& s);
// Every name variants() can return for some problem (for with_variant, which sees no problem).
const std::vector<std::string>& all_variant_names();

// The tail split a launch of `c` makes for `s` with batch·heads (batch_heads) on `sms` multiprocessors (flash3.hpp,
// TailSplit): none unless c.tail_split and c's grid is persistent and there is no mask. And the workspace it needs.
TailSplit tail_split(const Choice& c, const Shape& s, int64_t batch_heads, int sms);
int64_t workspace_bytes(const Choice& c, const Shape& s, int64_t batch_heads, int sms);

// Streaming multiprocessors of the current device (the persistent grid's size; flash3.cu, CUDA builds only).
int multiprocessors();

#if ATTNSCOPE_HAVE_CUDA
// Launches the forward kernel `c` chose for `p` (choose(shape_of(p), …)) on `stream` (a cudaStream_t), with
// `workspace` (workspace_bytes(c, shape_of(p), p.batch · p.q_heads, multiprocessors()) bytes; null when that is 0).
// Throws std::runtime_error for a device that is not sm90 or a failed launch.
void forward(const Params& p, const Choice& c, void* workspace, void* stream);
#endif

}  // namespace attnscope::flash3
