#pragma once
// mem-efficient-3xtf32: the host entry point and compile-time geometry. CUDA-free on purpose: the
// backend's rules (head-dim limit, shared memory per block) come from the same numbers the kernel is
// built with. The problem description is mem-efficient's Params (element must be F32).
#include <cstdint>

#include "mem_efficient/mem_efficient.hpp"

namespace attnscope::mem_efficient_3xtf32 {

// Largest head dim: each warp keeps 16 rows × head_dim of the output in fp32 registers, and 128 is
// the largest that does so without spilling at two blocks per SM. Head dims are multiples of 8 so
// every 16-byte copy (4 floats) and every output chunk is whole.
inline constexpr int64_t kMaxHeadDim = 128;
inline constexpr int64_t kHeadDimMultiple = 8;

// Two compiled buckets; smaller head dims are zero-padded inside shared memory (exact).
constexpr int head_dim_bucket(int64_t head_dim) { return head_dim <= 64 ? 64 : 128; }

inline constexpr int kRowsPerBlock = mem_efficient::kRowsPerBlock;  // 64 queries per block
inline constexpr int kKeysPerTile = mem_efficient::kKeysPerTile;    // 64 keys per K/V tile

// Q, K and V tiles in fp32, rows padded by 4 floats (16 bytes) so the vector reads of neighbouring
// rows land in different banks. 64 → 51 KiB, 128 → 99 KiB.
constexpr int shared_bytes(int bucket) { return (kRowsPerBlock + 2 * kKeysPerTile) * (bucket + 4) * 4; }

// Launches the kernel on `stream` (a cudaStream_t). Throws std::runtime_error when the problem is
// outside what the kernel was built for or the launch fails. Defined only in CUDA builds.
void forward(const mem_efficient::Params& p, void* stream);

}  // namespace attnscope::mem_efficient_3xtf32
