#pragma once
// The flash3 kernels' host entry point. CUDA-free on purpose: flash3_backend.cpp includes it in every
// build (the launcher itself exists only when ATTNSCOPE_HAVE_CUDA).
#include <array>
#include <cstdint>
#include <string>

#include "flash2/flash2.hpp"

namespace attnscope::flash3 {

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
  constexpr int block_m() const { return 64 * consumers; }
  // Q tile (reused for the output), `stages` K and V tiles, the mbarriers, and 1 KiB so the tiles can
  // start on the 1024-byte boundary the 128-byte swizzle needs.
  constexpr int shared_memory_bytes() const {
    return (block_m() + 2 * stages * block_n) * head_dim * 2 + 1024 + 256;
  }
  // How ATTNSCOPE_FLASH3_TILE names it: <block_m>x<block_n>x<stages>.
  std::string name() const {
    return std::to_string(block_m()) + "x" + std::to_string(block_n) + "x" + std::to_string(stages);
  }
};

// Chosen by measurement on an H100 (bfloat16, B·N = 16k, NOTES.md, docs/performance.md), among the
// spill-free candidates: d=128 non-causal takes 128×176 (S 88 + P 44 + O 64 registers per consumer
// thread; 2 stages = 208 KiB; 684 vs 661 TFLOP/s for 128×128 at N = 8k), causal keeps 128×128 (128×176
// was 3 % faster but spills 56 bytes with the mask code); d=64 non-causal takes FA3's three consumers,
// 192×128 with 4 stages (160 registers each; 529–540 vs 429 TFLOP/s at N = 8k: its GEMMs are short next to
// its softmax, so two softmaxes must hide under one GEMM), causal keeps two (three spill 120 bytes).
inline constexpr std::array<TileShape, 4> kTileShapes = {{
    {64, false, 128, 4, 3},
    {64, true, 128, 4},
    {128, false, 176, 2},
    {128, true, 128, 2},
}};

// Other tiles, compiled for bfloat16 ping-pong only and picked with ATTNSCOPE_FLASH3_TILE=<name()>
// (flash3.cu): the ladder's "before tile tuning" rungs (d=128 non-causal on 128×128, d=64 non-causal
// with two consumers: the first version's tiles) and the alternatives the rows above were measured
// against.
inline constexpr std::array<TileShape, 8> kAlternativeTiles = {{
    {128, false, 128, 2},
    {128, false, 128, 3},
    {128, false, 192, 2},
    {128, true, 128, 3},
    {128, true, 176, 2},
    {64, false, 128, 4},
    {64, false, 192, 4},
    {64, true, 128, 4, 3},
}};

constexpr const TileShape* tile_shape(int64_t head_dim, bool causal) {
  for (const TileShape& t : kTileShapes)
    if (t.head_dim == head_dim && t.causal == causal) return &t;
  return nullptr;
}
// Whether any kernel exists for this head dim (the rules' question).
constexpr const TileShape* tile_shape(int64_t head_dim) { return tile_shape(head_dim, false); }

// The same problem description as flash2's (pointers, shape, dtype, mask, scale): one definition.
using Params = flash2::Params;

#if ATTNSCOPE_HAVE_CUDA
// Launches the forward kernel on `stream` (a cudaStream_t). Throws std::runtime_error for a head dim
// without a kernel, a device that is not sm90, or a failed launch.
void forward(const Params& p, void* stream);
#endif

}  // namespace attnscope::flash3
