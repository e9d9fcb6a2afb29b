#pragma once
// Compile-time decisions of the flash3 kernel: one traits struct per dtype × head dim × schedule.
#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "flash3/flash3_choice.hpp"

namespace attnscope::flash3 {

// Schedule (the rungs of FA3's ablation) lives in flash3_choice.hpp, with the host's choice of kernel.

template <class Element_, int kHeadDim_, int kBlockN_, int kStages_, int kConsumers_, Schedule kSchedule_, bool kPersistent_,
          int kCluster_ = 1, int kExp2OnFma_ = 0>
struct KernelConfig {
  static constexpr bool kPersistent = kPersistent_;
  // Of every four 8-key column blocks of a row, how many take their 2^x on the FMA pipes (attn::exp2_fma)
  // instead of MUFU.EX2 (ATTNSCOPE_FLASH3_EXP2): the softmax's exponentials split over two units.
  static constexpr int kExp2OnFma = kExp2OnFma_;
  static_assert(kExp2OnFma >= 0 && kExp2OnFma <= 4, "a number of column blocks out of four");
  // Blocks per cluster sharing each K/V tile by TMA multicast (TileShape::cluster); block r of a cluster
  // loads column blocks [r·kColBlocks/kCluster, (r+1)·kColBlocks/kCluster) of every K and V tile.
  static constexpr int kCluster = kCluster_;
  using Element = Element_;
  static constexpr int kHeadDim = kHeadDim_;
  static constexpr int kBlockN = kBlockN_;
  static constexpr int kStages = kStages_;
  static constexpr Schedule kSchedule = kSchedule_;
  static constexpr int kConsumers = kConsumers_;
  static constexpr int kBlockM = 64 * kConsumers;
  // Warp specialization: warpgroup 0 produces, the others consume. Without it every warpgroup consumes.
  static constexpr bool kSpecialized = kSchedule != Schedule::kUnspecialized;
  static constexpr int kThreads = 128 * (kConsumers + (kSpecialized ? 1 : 0));

  // Registers per thread after setmaxnreg: the producer keeps a few, the consumers take the rest
  // (two consumers: 128·24 + 256·240 = 64 512; three: 128·24 + 384·160 = 64 512; of 65 536).
  // Unspecialized there is no setmaxnreg: 256 threads get up to 255 registers each from the launch bounds.
  static constexpr int kProducerRegs = 24;
  static constexpr int kConsumerRegs = kConsumers == 2 ? 240 : 160;
  static_assert(kConsumers == 2 || kConsumers == 3, "register split written for two or three consumers");
  // Named barriers: 0 is __syncthreads, 1..kConsumers each consumer's epilogue, then one per consumer
  // for the ping-pong turns.
  static constexpr int kEpilogueBarrier = 1, kTurnBarrier = 1 + kConsumers;

  // Shared memory. Every tile is stored as kColBlocks column blocks of [rows × kBlockCols] elements, each
  // row kRowBytes long and swizzled across 8-row atoms (swizzle_row_bytes: 128 bytes = 64 columns, or 64
  // bytes = 32 columns for head dims that are not a multiple of 64): the layout TMA writes with
  // CU_TENSOR_MAP_SWIZZLE_128B / _64B and the one wgmma's descriptors read without bank conflicts.
  static constexpr int kRowBytes = swizzle_row_bytes(kHeadDim);
  static constexpr int kBlockCols = block_columns(kHeadDim);
  static constexpr int kColBlocks = kHeadDim / kBlockCols;
  static constexpr int kAtomBytes = 8 * kRowBytes;  // one swizzle atom: the descriptors' 8-row stride (SBO)
  static constexpr int kQBytes = kBlockM * kHeadDim * 2;
  static constexpr int kTileBytes = kBlockN * kHeadDim * 2;  // one K or V tile
  static constexpr int kOffK = kQBytes;
  static constexpr int kOffV = kOffK + kStages * kTileBytes;
  // The persistent grid's output tile (1 KiB aligned like the others), when it fits
  // (TileShape::separate_output); otherwise O goes out through the Q tile.
  static constexpr bool kSeparateO =
      TileShape{kHeadDim, false, kBlockN, kStages, kConsumers, kPersistent}.separate_output();
  static constexpr int kOffO = kOffV + kStages * kTileBytes;
  static constexpr int kOffBarriers = kOffO + (kSeparateO ? kQBytes : 0);
  static constexpr int kSmemBytes = kOffBarriers + 256 + 1024;  // + room to align the base to 1024
  // The causal kernels' second Q slot (TileShape::q_slots), after the barriers where it fits: the other kernels' layout
  // stays as it was.
  static constexpr bool kQRingFits = TileShape{kHeadDim, true, kBlockN, kStages, kConsumers, kPersistent}.q_slots() == 2;
  static constexpr int kOffQ1 = kOffBarriers + 1024;
  static constexpr int kSmemBytesQRing = kOffQ1 + kQBytes + 1024;
  // The ragged tile's split (TileShape::splits_ragged_tile): the other consumers' partial results, after the barriers.
  static constexpr bool kSplitsRaggedTile = TileShape{kHeadDim, false, kBlockN, kStages, kConsumers, kPersistent}.splits_ragged_tile();
  static constexpr int kOffMerge = kOffBarriers + 1024;
  static constexpr int kSmemBytesMerge =
      kOffMerge + TileShape{kHeadDim, false, kBlockN, kStages, kConsumers, kPersistent}.ragged_merge_bytes() + 1024;

  // The softmax of S(j) runs while this warpgroup's own P·V(j−1) is still on the tensor cores, in program order
  // and in the SASS: left to itself ptxas hoisted the wait for P·V(j−1) above every exp2 of the softmax (to pack
  // P under the exp2s), so the two ran one after the other (Nsight Compute, call 7: 13 % of the stall samples on
  // that wait, the tensor pipe 74 % busy). Measured on an H100 against the same kernels without it (calls 8 and 9):
  // d=128 +2 to +5 % (the tests' Flash3Sass.D128SoftmaxRunsUnderItsOwnPv keeps it); d=64 and d=96 (three
  // consumers, MUFU-bound) −2 to −5 %, d=256 causal −2 %: only d=128 keeps the order, up to 176 keys (the 192-key
  // alternatives spilled 16 bytes with it).
  static constexpr bool kSoftmaxUnderOwnPv = kHeadDim == 128 && kBlockN <= 176;
  // The loop's softmax against the rows' previous maxima, O rescaled only when a maximum grew by more than 2^8
  // (online_softmax_stale_max): the row maximum's FMNMX and quad shuffles run beside the exp2s instead of before them,
  // and O's 64 multiplies leave the path between P·V's end and the next issue on most steps. d=128's two-consumer
  // tiles. Against main's kernels (H100, bf16, A B C C B A, call 25; the tree maximum alone moved d=128 by 0 to +1 %,
  // call 23): non-causal −0.2 / +2.2 / +3.2 /
  // +0.5 / −1.2 % at 1k / 2k / 4k / 8k / 16k, causal +1.5 / +5.5 / +3.8 / +5.1 / +0.9 %. d=64's three consumers gained
  // −0.9 to +1.7 % (call 23), so they keep the plain softmax.
  static constexpr bool kStaleMax = kHeadDim == 128 && kBlockN <= 176 && kConsumers == 2 && kExp2OnFma == 0;

  static constexpr int kSFloats = kBlockN / 2;   // S accumulator floats per consumer thread
  static constexpr int kOFloats = kHeadDim / 2;  // O accumulator floats per consumer thread

  static_assert(kHeadDim % kBlockCols == 0 && kBlockCols % 16 == 0, "tiles are whole swizzle columns of whole k16 steps");
  static_assert(kSpecialized || (!kPersistent && kCluster == 1),
                "unspecialized: one block per tile, unclustered (the rung below warp specialization)");
  static_assert(!kSplitsRaggedTile || (kSchedule == Schedule::kPingPong && kCluster == 1 && kExp2OnFma == 0),
                "the ragged tile's split is written for the ping-pong schedule");
  static_assert(kCluster == 1 || (!kPersistent && kColBlocks % kCluster == 0),
                "clusters: one block per tile, each block loading whole column blocks of K and V");
  static_assert(kBlockN % 16 == 0 && kBlockN <= 256, "wgmma N is a multiple of 16 up to 256 (S) and k16 steps (P·V)");
  static_assert((4 * kStages + 2) * 8 + 8 + 24 <= 256,
                "the barriers (Q full/empty; K full/empty, V full/empty per stage), the tile index, a scratch word and the second Q "
                "slot's barriers and index fit their 256 bytes");
};

// The tensor maps a launch needs (flash3.cu makes them): Q boxes of kBlockCols columns × kBlockM rows, O
// boxes of kBlockCols × 64 (one consumer warpgroup's rows), K and V boxes of kBlockCols × kBlockN; all over
// [B·H, N, D].
struct TensorMaps {
  CUtensorMap q, k, v, o;
};

// A launcher for one compiled configuration (flash3_kernel.cuh's run<>), for tables of alternatives.
// The Choice (flash3_choice.hpp) travels with the launch: the causal tile order is a kernel argument.
using RunFn = void (*)(const TensorMaps&, const flash2::Params&, const Choice&, void*, cudaStream_t);

// The persistent grid's causal tiles are handed out by an atomic counter in global memory (flash3.cu):
// one counter per launch from a pool, so launches on different streams never share one; the kernel
// leaves it at zero again when it ends.
int* tile_counter_for_launch();
// Causal tile order (KernelArgs::section_heads): longest tiles first over sections of query heads whose
// K and V fit in L2 together (FA3's: 32 MiB of K and V per section, a power of two of KV heads, times the
// GQA group), or 0 (head by head) when the launch's Choice asks for the older order (ATTNSCOPE_FLASH3_ORDER=heads,
// flash3[order-heads]).
int causal_section_heads(const flash2::Params& p, bool heads_order);

// One kernel configuration from a row of kTileShapes: the launch picks the row (flash3.cu); the ladder's
// extra rungs pass another row of the same head dim (e.g. the causal 128×128 tile for a non-causal run).
template <class Element, int kHeadDim, int kBlockN, int kStages, int kConsumers, Schedule kSchedule, bool kPersistent,
          int kCluster = 1, int kExp2OnFma = 0>
struct Traits : KernelConfig<Element, kHeadDim, kBlockN, kStages, kConsumers, kSchedule, kPersistent, kCluster, kExp2OnFma> {
  static_assert((Traits::kSplitsRaggedTile ? Traits::kSmemBytesMerge : Traits::kSmemBytes) ==
                    TileShape{kHeadDim, false, kBlockN, kStages, kConsumers, kPersistent}.kernel_shared_memory_bytes(),
                "rules and kernel agree on shared memory");
  static_assert((Traits::kQRingFits ? Traits::kSmemBytesQRing : Traits::kSmemBytes) ==
                    TileShape{kHeadDim, true, kBlockN, kStages, kConsumers, kPersistent}.kernel_shared_memory_bytes(),
                "rules and kernel agree on the causal kernels' shared memory");
  // The same kernel without the cluster: launches whose query tiles do not pair up within a head.
  using Unclustered = Traits<Element, kHeadDim, kBlockN, kStages, kConsumers, kSchedule, kPersistent, 1, kExp2OnFma>;
};

}  // namespace attnscope::flash3
