// flash3 kernels for head dim 64 (float16 and bfloat16, causal and not; ping-pong, each mask's tile from
// kTileShapes). One file per head dim so the instantiations compile in parallel.
#include "flash3/flash3_kernel.cuh"

namespace attnscope::flash3 {
namespace {
constexpr TileShape kFull = *tile_shape(64, false), kCausal = *tile_shape(64, true);
}  // namespace
template void run<__half, 64, kFull.block_n, kFull.stages, kFull.consumers, Schedule::kPingPong, false>(const TensorMaps&, const Params&, cudaStream_t);
template void run<__half, 64, kCausal.block_n, kCausal.stages, kCausal.consumers, Schedule::kPingPong, true>(const TensorMaps&, const Params&, cudaStream_t);
template void run<__nv_bfloat16, 64, kFull.block_n, kFull.stages, kFull.consumers, Schedule::kPingPong, false>(const TensorMaps&, const Params&, cudaStream_t);
template void run<__nv_bfloat16, 64, kCausal.block_n, kCausal.stages, kCausal.consumers, Schedule::kPingPong, true>(const TensorMaps&, const Params&, cudaStream_t);
}  // namespace attnscope::flash3
