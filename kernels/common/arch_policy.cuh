#pragma once
// One kernel template, two architectures: kernels that also run on Turing take `class Arch` (as
// FlashAttention's kernel traits do) and call these policies exactly where the two differ — how a
// tile gets from global to shared memory, and one k16 step of a 16-bit tensor-core multiply. The
// rest of the kernel is the same source for both.
//   Sm80 (sm80 and newer): cp.async (asynchronous; completion through commit/wait groups, so a copy
//        overlaps compute), mma.sync m16n8k16 for float16 and bfloat16.
//   Sm75 (Turing): 16-byte loads into registers then st.shared (synchronous: done once the next
//        barrier passes; commit/wait are no-ops), an L2 prefetch the kernel issues one phase ahead so
//        those loads find their lines in L2, and two mma.sync m16n8k8 per k16 step (float16 only).
// The Sm75 variant is valid on every later GPU too, which is how tests check it on an H100.
#include <cstdint>
#include <type_traits>

#include "common/mma_sm75.cuh"
#include "common/mma_sm80.cuh"

namespace attnscope::arch {

struct Sm80 {
  static constexpr int kMinArch = 800;  // lowest __CUDA_ARCH__ with this variant's instructions

  // A tile copy of kChunks 16-byte chunks per thread, handed over one by one; cp.async holds no
  // registers, so each chunk is issued at once.
  template <int kChunks>
  struct TileCopy {
    __device__ __forceinline__ void add(int, uint32_t dst_smem, const void* src, bool valid) {
      sm80::cp_async_16(dst_smem, src, valid);
    }
  };
  __device__ __forceinline__ static void commit() { sm80::cp_async_commit(); }
  template <int N>
  __device__ __forceinline__ static void wait() { sm80::cp_async_wait<N>(); }
  // Nothing to prefetch: the cp.async copies of the next tile already overlap the current one.
  __device__ __forceinline__ static void prefetch_l2(const void*, int64_t, int) {}

  template <class E>
  __device__ __forceinline__ static void mma_k16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    sm80::mma_16816<E>(d, a, {b0, b1});
  }
};

struct Sm75 {
  static constexpr int kMinArch = 750;

  // Chunks go through registers in batches of 4 per thread: a batch's loads are all in flight before
  // its stores (one memory round trip per batch), and 16 staging registers stay affordable beside
  // the accumulators (a whole tile would take 64 at head_dim 128 and spill).
  template <int kChunks>
  struct TileCopy {
    static constexpr int kBatch = 4;
    static_assert(kChunks % kBatch == 0, "tiles are copied in whole batches");
    uint4 data[kBatch];
    uint32_t to[kBatch];
    // `i` must be a compile-time constant after unrolling (the callers' loops are fully unrolled).
    __device__ __forceinline__ void add(int i, uint32_t dst_smem, const void* src, bool valid) {
      data[i % kBatch] = sm75::load_16(src, valid);
      to[i % kBatch] = dst_smem;
      if (i % kBatch == kBatch - 1)
#pragma unroll
        for (int j = 0; j < kBatch; ++j) sm75::store_shared_16(to[j], data[j]);
    }
  };
  __device__ __forceinline__ static void commit() {}
  template <int N>
  __device__ __forceinline__ static void wait() {}
  // Start the DRAM reads of `bytes` contiguous bytes from `p` (a tile needed one phase later), one
  // 128-byte line per thread and step.
  __device__ __forceinline__ static void prefetch_l2(const void* p, int64_t bytes, int threads) {
    for (int64_t off = int64_t(threadIdx.x) * 128; off < bytes; off += int64_t(threads) * 128)
      sm75::prefetch_l2(static_cast<const char*>(p) + off);
  }

  template <class E>
  __device__ __forceinline__ static void mma_k16(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    static_assert(std::is_same_v<E, __half>, "Turing's tensor cores multiply float16 only (bfloat16 MMA is sm80)");
    sm75::mma_1688_f16(d, a[0], a[1], b0);  // k 0..7 of the step
    sm75::mma_1688_f16(d, a[2], a[3], b1);  // k 8..15
  }
};

// Whether the device pass being compiled has Arch's instructions. A build with sm_75 still
// instantiates the Sm80 variant there (the host code launching it is shared); kernels return at once
// in that copy, which never runs: the host launches the Sm75 variant below sm80.
template <class Arch>
__device__ constexpr bool compiled_for() {
#if defined(__CUDA_ARCH__)
  return __CUDA_ARCH__ >= Arch::kMinArch;
#else
  return true;
#endif
}

// Copies a tile of kRows rows × row_elems elements T (row-major in global memory) into shared memory
// through Arch's TileCopy, 16 bytes per chunk; rows ≥ valid_rows and chunks at or past row_elems
// become zeros (padding must be 0, never stale data: 0 · NaN = NaN in P·V). Each of kThreads threads
// keeps one chunk column and walks down the rows with one running pointer, so no per-row addresses
// stay live across the caller's main loop (they would spill). smem_offset(row, chunk) is the tile's
// layout: the chunk's byte offset from dst (swizzled, or padded rows). Does not commit.
template <class Arch, int kThreads, int kRows, int kChunksPerRow, class T, class Layout>
__device__ __forceinline__ void copy_tile(uint32_t dst, const T* src, int valid_rows, int row_elems,
                                          Layout smem_offset) {
  constexpr int kElems = 16 / int(sizeof(T));
  constexpr int kRowsPerPass = kThreads / kChunksPerRow;
  static_assert(kThreads % kChunksPerRow == 0 && kRows % kRowsPerPass == 0, "whole rows per pass, whole passes");
  constexpr int kPasses = kRows / kRowsPerPass;
  const int chunk = threadIdx.x % kChunksPerRow;
  const int first_row = threadIdx.x / kChunksPerRow;
  const bool column_valid = chunk * kElems < row_elems;
  const T* from = src + int64_t(first_row) * row_elems + chunk * kElems;
  typename Arch::template TileCopy<kPasses> copy;
#pragma unroll
  for (int it = 0; it < kPasses; ++it) {
    const int row = first_row + it * kRowsPerPass;
    const bool valid = column_valid && row < valid_rows;
    copy.add(it, dst + smem_offset(row, chunk), valid ? from : src, valid);
    from += int64_t(kRowsPerPass) * row_elems;
  }
}

}  // namespace attnscope::arch
