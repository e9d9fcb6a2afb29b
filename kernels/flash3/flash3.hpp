#pragma once
// The flash3 kernels' host entry point. CUDA-free on purpose: flash3_backend.cpp includes it in every
// build (the launcher itself exists only when ATTNSCOPE_HAVE_CUDA).
#include <array>
#include <cstdint>

#include "flash2/flash2.hpp"

namespace attnscope::flash3 {

// One block = one producer warpgroup (TMA) + kConsumers consumer warpgroups of 64 query rows each;
// block_n keys per K/V tile, `stages` K/V tiles in flight in the shared-memory ring. The rules read
// the same rows as the kernels (flash3_traits.cuh), so they cannot drift apart.
struct TileShape {
  int head_dim, block_n, stages;
  static constexpr int kConsumers = 2;
  static constexpr int kBlockM = 64 * kConsumers;
  // Q tile (reused for the output), `stages` K and V tiles, the mbarriers, and 1 KiB so the tiles can
  // start on the 1024-byte boundary the 128-byte swizzle needs.
  constexpr int shared_memory_bytes() const {
    return (kBlockM + 2 * stages * block_n) * head_dim * 2 + 1024 + 256;
  }
};

inline constexpr std::array<TileShape, 2> kTileShapes = {{
    {64, 128, 4},   // S 64 + O 32 floats per consumer thread; 4 stages = 144 KiB of shared memory
    {128, 128, 2},  // S 64 + O 64 floats per consumer thread; 2 stages = 160 KiB
}};

constexpr const TileShape* tile_shape(int64_t head_dim) {
  for (const TileShape& t : kTileShapes)
    if (t.head_dim == head_dim) return &t;
  return nullptr;
}

// The same problem description as flash2's (pointers, shape, dtype, mask, scale): one definition.
using Params = flash2::Params;

#if ATTNSCOPE_HAVE_CUDA
// Launches the forward kernel on `stream` (a cudaStream_t). Throws std::runtime_error for a head dim
// without a kernel, a device that is not sm90, or a failed launch.
void forward(const Params& p, void* stream);
#endif

}  // namespace attnscope::flash3
