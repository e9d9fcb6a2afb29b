#pragma once
// Compile-time tile decisions of the flash2 kernel: one traits struct per dtype × head dim.
// Everything the kernel's loops and register arrays depend on is derived here, so a kernel is fully
// described by its traits (and the causal flag).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "flash2/flash2.hpp"

namespace attnscope::flash2 {

// kBlockM query rows per block, split over kNWarps warps (each warp owns kWarpRows consecutive rows,
// i.e. kMTiles m16 tiles, and never talks to the other warps: FA2's "split Q"); kBlockN keys per K/V
// tile. kQInRegs keeps the warp's Q fragments in registers for the whole key loop instead of reading
// them from shared memory at every tile (costs kMTiles·kHeadDim/4 registers per thread).
// kStages = 1: one K and one V buffer, double-buffered in time as in FA2 (V(j) is fetched during S(j)
// and the softmax, K(j-1) during P·V(j); two barriers per tile). kStages = 2: two K/V buffer pairs;
// tile j-1 is fetched while tile j is computed (a whole iteration to land; one barrier per tile).
template <class Element_, int kHeadDim_, int kBlockM_, int kBlockN_, int kNWarps_, bool kQInRegs_, int kStages_ = 2>
struct KernelConfig {
  using Element = Element_;
  static constexpr int kHeadDim = kHeadDim_;
  static constexpr int kBlockM = kBlockM_;
  static constexpr int kBlockN = kBlockN_;
  static constexpr int kNWarps = kNWarps_;
  static constexpr bool kQInRegs = kQInRegs_;
  static constexpr int kStages = kStages_;
  static constexpr int kThreads = 32 * kNWarps;

  static constexpr int kWarpRows = kBlockM / kNWarps;  // query rows of one warp
  static constexpr int kMTiles = kWarpRows / 16;       // m16 tiles per warp
  static constexpr int kKStepsS = kHeadDim / 16;       // k16 steps of S = Q·Kᵀ
  static constexpr int kNTilesS = kBlockN / 8;         // n8 tiles of S (keys)
  static constexpr int kKStepsO = kBlockN / 16;        // k16 steps of O += P·V (keys)
  static constexpr int kNTilesO = kHeadDim / 8;        // n8 tiles of O (head dim)

  // Shared memory: sQ [kBlockM × D] (reused for the output tile), then kStages × (sK [kBlockN × D],
  // sV [kBlockN × D]), all row-major, swizzled (sm80::Swizzle<kHeadDim>).
  static constexpr int kTileBytes = kBlockN * kHeadDim * 2;  // one K or V tile
  static constexpr int kSmemBytes = kBlockM * kHeadDim * 2 + 2 * kStages * kTileBytes;

  static_assert(kHeadDim % 32 == 0, "head dim must be a multiple of 32 (swizzle and ldmatrix.x4 pairs)");
  static_assert(kWarpRows % 16 == 0, "each warp owns whole m16 tiles");
  static_assert(kBlockN % 16 == 0, "K/V tiles hold whole k16 steps");
  static_assert(kStages == 1 || kStages == 2, "one K/V buffer pair (FA2) or two");
  static_assert((kBlockM * kHeadDim / 8) % kThreads == 0 && (kBlockN * kHeadDim / 8) % kThreads == 0,
                "every thread copies the same number of 16-byte chunks");
};

// One traits struct per dtype × head dim, from the head dim's row of kTileShapes (flash2.hpp, where the
// choices and their reasons are listed). float16 and bfloat16 share tile shapes: same mma rate, sizes.
template <int kHeadDim>
struct ShapeOf {
  static_assert(tile_shape(kHeadDim) != nullptr, "no row in kTileShapes for this head dim");
  static constexpr TileShape value = *tile_shape(kHeadDim);
};

template <class Element, int kHeadDim, class S = ShapeOf<kHeadDim>>
struct Traits : KernelConfig<Element, kHeadDim, S::value.block_m, S::value.block_n, S::value.warps, S::value.q_in_regs,
                             S::value.stages> {
  static_assert(Traits::kSmemBytes == S::value.shared_memory_bytes(), "rules and kernel agree on shared memory");
};

}  // namespace attnscope::flash2
