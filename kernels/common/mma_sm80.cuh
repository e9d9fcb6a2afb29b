#pragma once
// Tensor-core tile primitives for sm80+ (Ampere-style: also run on Hopper and later), shared by every
// backend that uses mma.sync: 16-byte cp.async into shared memory, ldmatrix (plain and transposed),
// mma.sync m16n8k16 with fp32 accumulation for float16 and bfloat16, an XOR swizzle for bank-conflict
// free row-major tiles, and packing of fp32 accumulators into 16-bit operand registers.
//
// Fragment layouts of mma.sync.m16n8k16 (PTX ISA, "Matrix Fragments for mma.m16n8k16"), with
// lane = threadIdx.x % 32, g = lane / 4 (the "group", a row), t = lane % 4 (the thread in the quad):
//   A (16×16, row-major)  4 regs × 2 halves:  a0 = A[g][2t..2t+1]    a1 = A[g+8][2t..2t+1]
//                                              a2 = A[g][2t+8..+9]    a3 = A[g+8][2t+8..+9]
//   B (16×8,  "col")      2 regs × 2 halves:  b0 = B[2t..2t+1][g]    b1 = B[2t+8..+9][g]
//   C/D (16×8, fp32)      4 floats:           c0,c1 = C[g][2t..2t+1] c2,c3 = C[g+8][2t..2t+1]
// A C fragment of two neighbouring n8 tiles is exactly the A fragment of one k16 step of the next GEMM
// (pack_c_to_a below), which is how FlashAttention keeps P in registers.
// cp.async and m16n8k16 exist from sm80: in a device pass for an older GPU (mem-efficient's sources
// are also built for sm_75) they compile to a trap, reached only by kernel variants that return before
// using them (common/arch_policy.cuh). ldmatrix, the swizzle and the packing helpers are sm75-valid.
#include <cstdint>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
#define ATTNSCOPE_SM80_ASM(...) asm volatile(__VA_ARGS__)
#else
#define ATTNSCOPE_SM80_ASM(...) __trap()
#endif

namespace attnscope::sm80 {

// ---- global → shared: 16-byte cp.async ------------------------------------------------------------

// Shared-memory address in the form PTX wants (32-bit offset in the shared window).
__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// Copy 16 bytes global → shared without passing through registers; L1 is bypassed (.cg), which suits
// tiles that every block reads once. When `valid` is false nothing is read and the 16 bytes are zero
// (src-size 0): rows past the end of a sequence must be zeros, never stale data (0 · NaN = NaN in P·V).
__device__ __forceinline__ void cp_async_16(uint32_t dst_smem, const void* src_gmem, bool valid = true) {
  ATTNSCOPE_SM80_ASM("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst_smem), "l"(src_gmem),
                     "r"(valid ? 16 : 0));  // src-size
}
// Close the group of cp.async issued so far by this thread.
__device__ __forceinline__ void cp_async_commit() { ATTNSCOPE_SM80_ASM("cp.async.commit_group;\n" ::); }
// Wait until at most `N` of this thread's committed groups are still in flight. Other threads' copies
// become visible only after a barrier (__syncthreads) that follows the wait.
template <int N>
__device__ __forceinline__ void cp_async_wait() { ATTNSCOPE_SM80_ASM("cp.async.wait_group %0;\n" ::"n"(N)); }

// ---- shared → registers: ldmatrix -----------------------------------------------------------------

// Four 8×8 16-bit matrices. Lane l supplies the address of row (l % 8) of matrix (l / 8); register r[i]
// receives, for matrix i, the two elements [lane / 4][2·(lane % 4) .. +1].
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t smem) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem));
}
// Same, each matrix transposed on the way: r[i] receives elements [2·(lane % 4) .. +1][lane / 4] of
// matrix i. Loads the B operand of P·V from V stored row-major [key][d].
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t smem) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem));
}

// ---- the tensor-core instruction -----------------------------------------------------------------

// d[16×8] += a[16×16] · b[16×8] with fp32 accumulation; Element is __half or __nv_bfloat16.
template <class Element>
__device__ __forceinline__ void mma_16816(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);

template <>
__device__ __forceinline__ void mma_16816<__half>(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  ATTNSCOPE_SM80_ASM(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

template <>
__device__ __forceinline__ void mma_16816<__nv_bfloat16>(float (&d)[4], const uint32_t (&a)[4],
                                                         const uint32_t (&b)[2]) {
  ATTNSCOPE_SM80_ASM(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// ---- fp32 ↔ packed 16-bit ----------------------------------------------------------------------

// Two floats → one register holding {lo, hi} as Element (round to nearest even).
template <class Element>
__device__ __forceinline__ uint32_t pack2(float lo, float hi);

template <>
__device__ __forceinline__ uint32_t pack2<__half>(float lo, float hi) {
  __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&h);
}

template <>
__device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&h);
}

// C fragments of n8 tiles 2k and 2k+1 (fp32, 16×16 together) → A fragment of k16 step k (16-bit).
template <class Element>
__device__ __forceinline__ void pack_c_to_a(uint32_t (&a)[4], const float (&c_lo)[4], const float (&c_hi)[4]) {
  a[0] = pack2<Element>(c_lo[0], c_lo[1]);  // row g,   k 2t..2t+1
  a[1] = pack2<Element>(c_lo[2], c_lo[3]);  // row g+8, k 2t..2t+1
  a[2] = pack2<Element>(c_hi[0], c_hi[1]);  // row g,   k 2t+8..+9
  a[3] = pack2<Element>(c_hi[2], c_hi[3]);  // row g+8, k 2t+8..+9
}

// ---- XOR swizzle for row-major [rows × kCols] tiles of 16-bit elements -------------------------
//
// A tile row is kCols / 8 chunks of 16 bytes. ldmatrix and cp.async touch one chunk column in 8
// consecutive rows at a time; with rows a multiple of 128 bytes apart those 8 chunks would share the
// same 4 banks (8-way conflict). Storing logical chunk c of row r at chunk c ^ f(r), where f permutes
// within a group of G chunks, spreads the 8 rows over all 32 banks:
//   kCols % 64 == 0 (rows of 128·k bytes):  G = 8, f(r) = r % 8
//   kCols % 32 == 0 otherwise (32: 64-byte rows; 96: 192-byte rows): G = 4, f(r) = (r / 2) % 4
//     (two rows of 64 bytes share a 128-byte line, and 192-byte rows alternate between the line's two
//      halves, so rows of equal parity are the ones that must differ).
// f depends only on r % 8, so a lane whose row is "tile base (a multiple of 8) + lane % 8" can compute
// its XOR mask once (swizzle_mask) and reuse it for every tile.
template <int kCols>
struct Swizzle {
  static_assert(kCols % 32 == 0, "swizzled tiles need a multiple of 32 columns (64-byte rows)");
  static constexpr int kChunks = kCols / 8;         // 16-byte chunks per row
  static constexpr int kGroup = kCols % 64 == 0 ? 8 : 4;

  __device__ __forceinline__ static int mask(int row) { return kGroup == 8 ? (row & 7) : ((row >> 1) & 3); }
  // Element offset of the start of logical chunk `chunk` in row `row`.
  __device__ __forceinline__ static int offset(int row, int chunk) {
    return row * kCols + ((chunk ^ mask(row)) << 3);
  }
  // Byte offset, with the row's mask supplied by the caller (for lanes whose row % 8 is fixed).
  __device__ __forceinline__ static uint32_t byte_offset(int row, int chunk, int row_mask) {
    return static_cast<uint32_t>((row * kCols + ((chunk ^ row_mask) << 3)) * 2);
  }
  // Address of (lane_row + kRow, lane_chunk + kChunk) from a lane's precomputed address of
  // (lane_row, lane_chunk), where kRow is a multiple of 8, kChunk is even, lane_chunk is 0 or 1 and
  // the tile starts 128-byte aligned. The chunk bits of an address are (chunk ^ mask), and kChunk's
  // low bits are disjoint from lane_chunk's, so moving by kChunk is one XOR plus an immediate offset
  // (no per-access swizzle arithmetic, and no register per (row, chunk) pair).
  template <int kRow, int kChunk>
  __device__ __forceinline__ static uint32_t step(uint32_t lane_addr) {
    static_assert(kRow % 8 == 0 && kChunk % 2 == 0, "steps keep the row's mask and the lane's chunk bit");
    constexpr uint32_t kFlip = (kChunk % kGroup) << 4;
    constexpr uint32_t kAdd = (kRow * kCols + (kChunk / kGroup) * kGroup * 8) * 2;
    return (lane_addr ^ kFlip) + kAdd;
  }
};

// ---- small helpers --------------------------------------------------------------------------------

// Reduce over the 4 lanes of a quad (the lanes that hold one accumulator row).
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

}  // namespace attnscope::sm80

#undef ATTNSCOPE_SM80_ASM
