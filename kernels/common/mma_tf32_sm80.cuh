#pragma once
// TF32 tensor-core primitives for sm80+ (also Hopper and later): mma.sync m16n8k8 with tf32 inputs and
// fp32 accumulation, and the big/small split that lets three such MMAs stand in for one fp32 product
// ("3×TF32", CUTLASS's OpMultiplyAddFastF32).
//
// Fragment layouts of mma.sync.m16n8k8 .tf32 (PTX ISA, "Matrix Fragments for mma.m16n8k8"), one
// 32-bit register per element, lane = threadIdx.x % 32, g = lane / 4 (a row), t = lane % 4:
//   A (16×8, row-major)  4 regs:  a0 = A[g][t]    a1 = A[g+8][t]    a2 = A[g][t+4]    a3 = A[g+8][t+4]
//   B (8×8,  "col")      2 regs:  b0 = B[t][g]    b1 = B[t+4][g]
//   C/D (16×8, fp32)     4 regs:  c0,c1 = C[g][2t..2t+1]            c2,c3 = C[g+8][2t..2t+1]
// The order of the k index inside one MMA is free as long as A and B agree, so callers may map
// logical k = t / t+4 to any two physical columns (e.g. adjacent ones, loaded as one vector).
//
// 3×TF32: x = big + small with big = tf32(x) (round to nearest, 10 explicit mantissa bits) and
// small = x − big (exact subtraction: big shares x's leading bits; read by the MMA as tf32). Then
//   a·b ≈ big_a·big_b + big_a·small_b + small_a·big_b
// drops only small_a·small_b (≈ 2⁻²² relative) and the low bits of small (≈ 2⁻²¹ relative), so the
// result is close to fp32 FFMA (≈ 1e-6 relative error on attention outputs), not TF32's ≈ 1e-3.
#include <cstdint>

namespace attnscope::sm80 {

// fp32 → tf32 bit pattern (the low 13 mantissa bits zero), rounded to nearest, ties away from zero.
__device__ __forceinline__ uint32_t to_tf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return r;
}

// x → (big, small) with x ≈ big + small. big is a proper tf32 value (so x − big is exact in fp32);
// small is passed as plain fp32 bits: the tensor core reads only a tf32 operand's top 19 bits, i.e.
// truncates small, which costs ≈ 2⁻²¹ of x at most and saves a conversion per operand (CUTLASS's
// fast-fp32 path rounds small toward zero the same way).
__device__ __forceinline__ void split_tf32(float x, uint32_t& big, uint32_t& small) {
  big = to_tf32(x);
  small = __float_as_uint(x - __uint_as_float(big));
}

// d[16×8] += a[16×8] · b[8×8], tf32 inputs, fp32 accumulation.
__device__ __forceinline__ void mma_1688_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// d += a·b in 3×TF32: the two correction terms first, so the large term is added to an accumulator
// that already holds the small ones.
__device__ __forceinline__ void mma_1688_3xtf32(float (&d)[4], const uint32_t (&a_big)[4], const uint32_t (&a_small)[4],
                                                const uint32_t (&b_big)[2], const uint32_t (&b_small)[2]) {
  mma_1688_tf32(d, a_small, b_big);
  mma_1688_tf32(d, a_big, b_small);
  mma_1688_tf32(d, a_big, b_big);
}

}  // namespace attnscope::sm80
