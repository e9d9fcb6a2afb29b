#pragma once
// small-k: fp32 attention for head dims up to 32 on the CUDA cores. CUDA-free on purpose: the backend
// (rules, teaching text) includes it in every build; the launcher exists only when ATTNSCOPE_HAVE_CUDA.
#include <cstdint>

namespace attnscope::small_k {

// Largest head dim: each thread keeps its query rows and output rows in registers (see small_k.cu).
inline constexpr int64_t kMaxHeadDim = 32;
// Threads per block. Causal blocks are half as large: a block runs as long as its last row's keys, and
// the rows before it see fewer keys (masked work, and warps waiting at the block's barriers), so the
// shorter a block's row range, the less of that triangle each block pays for. Without a mask the
// larger block shares each K/V tile among more rows.
inline constexpr int kThreads = 128;
inline constexpr int kCausalThreads = 64;

struct Params {
  const float* q = nullptr;  // [B, Hq, Nq, D]
  const float* k = nullptr;  // [B, Hkv, Nk, D]
  const float* v = nullptr;  // [B, Hkv, Nk, D]
  float* o = nullptr;        // [B, Hq, Nq, D]
  float* lse = nullptr;      // [B, Hq, Nq] natural log, or null
  int64_t batch = 0, q_heads = 0, kv_heads = 0, q_len = 0, kv_len = 0;
  int head_dim = 0;
  bool causal = false;       // bottom-right aligned: query i sees key j iff j <= i + kv_len - q_len
  float scale = 0;
};

// The kernel instantiation serving a head dim pads it to 8, 16 or 32; each thread owns 64 / padded
// query rows, so a thread always holds 64 query values and 64 output accumulators in registers.
inline constexpr int padded_head_dim(int64_t head_dim) { return head_dim <= 8 ? 8 : head_dim <= 16 ? 16 : 32; }
inline constexpr int rows_per_thread(int64_t head_dim) { return 64 / padded_head_dim(head_dim); }
inline constexpr int64_t rows_per_block(int64_t head_dim, bool causal) {
  return int64_t(causal ? kCausalThreads : kThreads) * rows_per_thread(head_dim);
}

#if ATTNSCOPE_HAVE_CUDA
// Launches the kernel on `stream` (a cudaStream_t). Throws std::runtime_error.
void forward(const Params& p, void* stream);
#endif

}  // namespace attnscope::small_k
