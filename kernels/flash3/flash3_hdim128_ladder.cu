// The ladder's other rungs for bfloat16 — the dtype where each Hopper mechanism's gain is measured
// (kernels/flash3/NOTES.md): the unspecialized, serial and overlap schedules on d=128's default tiles
// (ATTNSCOPE_FLASH3_SCHEDULE), and ping-pong on every tile of kAlternativeTiles (ATTNSCOPE_FLASH3_TILE).
#include <utility>

#include "flash3/flash3_kernel.cuh"

namespace attnscope::flash3 {
namespace {
constexpr TileShape kFull = *tile_shape(128, false), kCausal = *tile_shape(128, true);

template <size_t... I>
constexpr std::array<RunFn, sizeof...(I)> alternatives(std::index_sequence<I...>) {
  return {&run<__nv_bfloat16, kAlternativeTiles[I].head_dim, kAlternativeTiles[I].block_n, kAlternativeTiles[I].stages,
               kAlternativeTiles[I].consumers, Schedule::kPingPong, kAlternativeTiles[I].persistent, kAlternativeTiles[I].causal,
               kAlternativeTiles[I].cluster>...};
}
}  // namespace

#define ATTNSCOPE_FLASH3_RUNG(schedule, tile)                                                                  \
  template void run<__nv_bfloat16, 128, tile.block_n, tile.stages, tile.consumers, schedule, false, tile.causal>(      \
      const TensorMaps&, const Params&, const Choice&, void*, cudaStream_t)
ATTNSCOPE_FLASH3_RUNG(Schedule::kUnspecialized, kFull);
ATTNSCOPE_FLASH3_RUNG(Schedule::kUnspecialized, kCausal);
ATTNSCOPE_FLASH3_RUNG(Schedule::kSerial, kFull);
ATTNSCOPE_FLASH3_RUNG(Schedule::kSerial, kCausal);
ATTNSCOPE_FLASH3_RUNG(Schedule::kOverlap, kFull);
ATTNSCOPE_FLASH3_RUNG(Schedule::kOverlap, kCausal);
#undef ATTNSCOPE_FLASH3_RUNG

// The default rows with one or two of every four column blocks' 2^x on the FMA pipes (ATTNSCOPE_FLASH3_EXP2).
#define ATTNSCOPE_FLASH3_EXP2_ON_FMA(tile, blocks)                                                                          \
  template void run<__nv_bfloat16, 128, tile.block_n, tile.stages, tile.consumers, Schedule::kPingPong, tile.persistent, \
                    tile.causal, 1, blocks>(const TensorMaps&, const Params&, const Choice&, void*, cudaStream_t)
ATTNSCOPE_FLASH3_EXP2_ON_FMA(kFull, 1);
ATTNSCOPE_FLASH3_EXP2_ON_FMA(kFull, 2);
ATTNSCOPE_FLASH3_EXP2_ON_FMA(kCausal, 1);
ATTNSCOPE_FLASH3_EXP2_ON_FMA(kCausal, 2);
#undef ATTNSCOPE_FLASH3_EXP2_ON_FMA

// Row i of kAlternativeTiles → its launcher (flash3.cu looks the requested tile up here).
extern const std::array<RunFn, kAlternativeTiles.size()> kAlternativeRuns =
    alternatives(std::make_index_sequence<kAlternativeTiles.size()>{});
}  // namespace attnscope::flash3
