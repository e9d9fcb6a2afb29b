#pragma once
// split-kv-decode: flash-decoding for short queries over a long KV cache. CUDA-free on purpose: the
// backend (rules, memory prediction) and the CPU tests use the split plan; the launcher exists only
// when ATTNSCOPE_HAVE_CUDA.
#include <array>
#include <cstdint>

#include "attnscope/problem.hpp"

namespace attnscope::split_kv {

// Head dims with a compiled kernel. The eligibility rule reads this list; the dispatch switch in
// split_kv_decode.cu names the same cases, and tests/gpu/test_split_kv_decode.cpp runs every entry.
inline constexpr std::array<int64_t, 3> kHeadDims = {64, 128, 256};
// Longest query per sequence: one block keeps every query row of its KV head in registers.
inline constexpr int64_t kMaxQueryLen = 16;
// Threads per block of the split kernel (4 warps) and cp.async pipeline depth.
inline constexpr int kThreads = 128;
inline constexpr int kStages = 4;
// Query rows one warp keeps in registers, and warps per block: a block serves at most 32 rows
// (group size × q_len); beyond that the rows are cut into chunks of 32 that re-read the tile.
inline constexpr int kMaxRowsPerWarp = 8;
inline constexpr int kMaxRowsPerBlock = kMaxRowsPerWarp * (kThreads / 32);
// Each tile of K (and of V) is 8 KiB: 64 keys at d=64, 32 at d=128, 16 at d=256.
inline constexpr int64_t kTileBytes = 8192;
inline constexpr int64_t keys_per_tile(int64_t head_dim) { return kTileBytes / (2 * head_dim); }
// Shared memory of one block: kStages tiles of K and V.
inline constexpr int64_t shared_memory_bytes() { return kStages * 2 * kTileBytes; }

// The tensor-core split kernel (mma.sync m16n8k16): the block's query rows are one 16-row A operand,
// so it serves GQA groups × q_len ≤ 16 at head dims ≤ 128 (a 16 × d fp32 output per warp in
// registers); other problems use the CUDA-core kernel above. Each of its 4 warps takes 16 keys of a
// 64-key tile; 3 cp.async stages.
inline constexpr int64_t kTcMaxRows = 16;
inline constexpr int64_t kTcMaxHeadDim = 128;
inline constexpr int64_t kTcKeysPerTile = 64;
inline constexpr int kTcStages = 3;
inline constexpr int64_t tc_shared_memory_bytes(int64_t head_dim) { return kTcStages * 2 * kTcKeysPerTile * head_dim * 2; }
inline constexpr bool uses_tensor_cores(int64_t rows, int64_t head_dim) {
  return rows <= kTcMaxRows && head_dim <= kTcMaxHeadDim;
}

// How one problem is cut into blocks.
struct Plan {
  int64_t kv_units = 1;         // batch × KV heads
  int64_t splits = 1;           // KV ranges per (batch, KV head); 1 ⇒ no combine pass, no workspace
  int64_t tiles_per_split = 1;  // tiles of keys_per_tile keys in each range (the last may be shorter)
  int64_t row_chunks = 1;       // blocks per (batch, KV head, split) along the query rows
  int rows_per_warp = 1;        // 1, 2, 4 or 8: the kernel instantiation
  int row_groups = 1;           // warps per block that split the rows (the others split the keys)
  bool tensor_cores = false;    // the mma.sync kernel (tiles of kTcKeysPerTile keys, one row chunk)
  int64_t blocks() const;       // grid size of the split kernel
};

// Block slots the GPU offers at once: SMs × resident blocks per SM of the split kernel.
struct DeviceSlots {
  int sm_count = 132;
  int blocks_per_sm = 3;  // of the CUDA-core kernel
};

// Kernel choice (uses_tensor_cores), then the split count from the SM count and the length. A block
// of the tensor-core kernel keeps two 32 KiB stages in flight, so one block per SM already keeps HBM
// busy (on an H100, B=1, kv 8k–16k: 16 splits = 128 blocks ran 4–8 % faster than 32 splits = 256
// blocks, the combine having half as much to read); its slots are the SMs. For the CUDA-core kernel
// they are SMs × resident blocks. Then: the smallest split count whose wave efficiency
// (blocks / (slots · ⌈blocks / slots⌉)) is within 5 % of the best one reachable with ≤ 128 splits
// — more splits only add partial outputs to write and combine.
Plan plan(const Problem& p, DeviceSlots slots);
// fp32 partial outputs and log-sum-exps: splits × B·Hq·Nq × (d + 1) × 4 bytes (0 when splits == 1).
uint64_t workspace_bytes(const Problem& p, const Plan& plan);

struct Params {
  const void* q = nullptr;  // [B, Hq, Nq, D]
  const void* k = nullptr;  // [B, Hkv, Nk, D]
  const void* v = nullptr;  // [B, Hkv, Nk, D]
  void* o = nullptr;        // [B, Hq, Nq, D]
  float* lse = nullptr;     // [B, Hq, Nq] natural log, or null
  int64_t batch = 0, q_heads = 0, kv_heads = 0, q_len = 0, kv_len = 0;
  int head_dim = 0;
  bool bf16 = false;        // bfloat16 when true, float16 otherwise
  bool causal = false;      // bottom-right aligned: query i sees key j iff j <= i + kv_len - q_len
  float scale = 0;
};

#if ATTNSCOPE_HAVE_CUDA
// Block slots of the current CUDA device for the kernel serving this head dim and dtype
// (cudaOccupancyMaxActiveBlocksPerMultiprocessor), cached per device. Throws std::runtime_error.
DeviceSlots device_slots(int head_dim, bool bf16);
// Launches the split kernel and, when plan.splits > 1, the combine kernel on `stream`. `workspace`
// holds workspace_bytes() bytes (null when splits == 1). Throws std::runtime_error.
void forward(const Params& p, const Plan& plan, void* workspace, void* stream);
#endif

}  // namespace attnscope::split_kv
