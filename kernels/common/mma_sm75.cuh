#pragma once
// Turing (sm75) counterparts of the sm80 primitives in mma_sm80.cuh, for kernels that also run on a
// T4: 16-byte global → register → shared copies (Turing has no cp.async), an L2 prefetch that starts a
// tile's DRAM reads before they are needed, and mma.sync m16n8k8 for float16 (Turing's tensor cores
// have no bfloat16 and no k16 shape). ldmatrix, the swizzle and the packing helpers of mma_sm80.cuh
// are sm75 instructions already and are used as they are.
//
// Fragment layout of mma.sync.m16n8k8 (PTX ISA, "Matrix Fragments for mma.m16n8k8", .f16), with
// g = lane / 4 and t = lane % 4:
//   A (16×8)  2 regs:  a0 = A[g][2t..2t+1]   a1 = A[g+8][2t..2t+1]
//   B (8×8)   1 reg:   b0 = B[2t..2t+1][g]
//   C/D       as m16n8k16.
// These are exactly the k-low (a0, a1, b0) and k-high (a2, a3, b1) halves of the m16n8k16 fragments,
// so a k16 step is two k8 MMAs on the same registers (no re-layout).
#include <cstdint>

#include <cuda_fp16.h>

namespace attnscope::sm75 {

// 16 bytes of global memory into registers (zeros when !valid, without touching memory). .nc: the
// tiles are read-only for the kernel's lifetime.
__device__ __forceinline__ uint4 load_16(const void* src, bool valid) {
  uint4 v = make_uint4(0, 0, 0, 0);
  if (valid) v = __ldg(static_cast<const uint4*>(src));
  return v;
}

__device__ __forceinline__ void store_shared_16(uint32_t dst_smem, const uint4& v) {
  asm volatile("st.shared.v4.b32 [%0], {%1, %2, %3, %4};\n" ::"r"(dst_smem), "r"(v.x), "r"(v.y), "r"(v.z), "r"(v.w));
}

// Ask L2 for the 128-byte line holding `p` (no registers, no wait).
__device__ __forceinline__ void prefetch_l2(const void* p) { asm volatile("prefetch.global.L2 [%0];\n" ::"l"(p)); }

// d[16×8] += a[16×8] · b[8×8], float16 inputs, fp32 accumulation.
__device__ __forceinline__ void mma_1688_f16(float (&d)[4], uint32_t a0, uint32_t a1, uint32_t b0) {
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5}, {%6}, {%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a0), "r"(a1), "r"(b0));
}

}  // namespace attnscope::sm75
