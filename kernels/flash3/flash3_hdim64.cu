// flash3 kernels for head dim 64 (float16 and bfloat16, causal and not; ping-pong, each mask's tile from
// kTileShapes, on both grids: ATTNSCOPE_FLASH3_GRID picks the one the table does not). One file per head
// dim so the instantiations compile in parallel.
#include "flash3/flash3_kernel.cuh"

namespace attnscope::flash3 {
namespace {
constexpr TileShape kFull = *tile_shape(64, false), kCausal = *tile_shape(64, true);
}  // namespace
#define ATTNSCOPE_FLASH3_DEFAULT(element, tile, persistent)                                                       \
  template void run<element, 64, tile.block_n, tile.stages, tile.consumers, Schedule::kPingPong, persistent, tile.causal>( \
      const TensorMaps&, const Params&, cudaStream_t)
ATTNSCOPE_FLASH3_DEFAULT(__half, kFull, false);
ATTNSCOPE_FLASH3_DEFAULT(__half, kFull, true);
ATTNSCOPE_FLASH3_DEFAULT(__half, kCausal, false);
ATTNSCOPE_FLASH3_DEFAULT(__half, kCausal, true);
ATTNSCOPE_FLASH3_DEFAULT(__nv_bfloat16, kFull, false);
ATTNSCOPE_FLASH3_DEFAULT(__nv_bfloat16, kFull, true);
ATTNSCOPE_FLASH3_DEFAULT(__nv_bfloat16, kCausal, false);
ATTNSCOPE_FLASH3_DEFAULT(__nv_bfloat16, kCausal, true);
#undef ATTNSCOPE_FLASH3_DEFAULT
}  // namespace attnscope::flash3
