#pragma once
// The flash2 kernels' host entry point. CUDA-free on purpose: flash2_backend.cpp includes it in every
// build (the launcher itself exists only when ATTNSCOPE_HAVE_CUDA).
#include <array>
#include <cstdint>

namespace attnscope::flash2 {

// The tile shape of each compiled head dim: kBlockM query rows per block split over `warps` warps,
// kBlockN keys per K/V tile, Q fragments in registers or re-read from shared memory, 1 or 2 K/V
// buffer pairs. flash2_traits.cuh turns a row into the kernel's compile-time traits; the eligibility
// rules (head dim set, shared memory) read the same rows, so rules and kernels cannot drift apart.
// Chosen by timing variants on an H100/H200 (docs/performance.md, "flash2 resources"): each compiles
// to <= 255 registers with no spills for sm_90a.
struct TileShape {
  int head_dim, block_m, block_n, warps;
  bool q_in_regs;
  int stages;
  constexpr int shared_memory_bytes() const { return (block_m + 2 * stages * block_n) * head_dim * 2; }
};

inline constexpr std::array<TileShape, 5> kTileShapes = {{
    {32, 128, 128, 4, true, 2},   // O 32 + S 128 floats per thread, Q 16 registers
    {64, 128, 64, 4, true, 2},    // O 64 + S 64, Q 32; FA2's 128×128 with Q in shared memory spills
    {96, 64, 64, 4, true, 2},     // 16 rows per warp: O 48 + S 32, Q 24
    {128, 128, 48, 4, false, 2},  // O 128 + S 48; 128×64 spills 4-8 bytes on sm_90a, 128×32 is ~6% slower
    {256, 64, 32, 4, false, 2},   // 16 rows per warp: O 128 + S 16
}};

// The row a head dim runs on: its own, or for any other multiple of 8 up to 256 the next compiled one
// (FlashAttention-2's rounding: the missing columns are zero-filled on load and not stored); null
// when there is none.
constexpr const TileShape* tile_shape(int64_t head_dim) {
  if (head_dim <= 0 || head_dim % 8 != 0) return nullptr;
  for (const TileShape& t : kTileShapes)
    if (t.head_dim >= head_dim) return &t;  // the rows are in increasing head dim
  return nullptr;
}

struct Params {
  const void* q = nullptr;  // [B, Hq, Nq, D]
  const void* k = nullptr;  // [B, Hkv, Nk, D]
  const void* v = nullptr;  // [B, Hkv, Nk, D]
  void* o = nullptr;        // [B, Hq, Nq, D]
  float* lse = nullptr;     // [B, Hq, Nq] natural log, or null
  int64_t batch = 0, q_heads = 0, kv_heads = 0, q_len = 0, kv_len = 0;
  int head_dim = 0;
  bool bf16 = false;        // element type: bfloat16 when true, float16 otherwise
  bool causal = false;      // bottom-right aligned: query i sees key j iff j <= i + kv_len - q_len
  float scale = 0;          // softmax scale
};

#if ATTNSCOPE_HAVE_CUDA
// Launches the forward kernel on `stream` (a cudaStream_t). Throws std::runtime_error for a head dim
// without a kernel or a failed launch.
void forward(const Params& p, void* stream);
#endif

}  // namespace attnscope::flash2
