#pragma once
// The row softmax of the three-launch backends (naive, cublas-math): one warp per score row held in
// device memory, two passes (statistics, then the rewrite), natural-log domain.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace attnscope::attn {

// fp32 → the element type a kernel writes (round to nearest).
template <class T>
__device__ __forceinline__ T from_float(float f);
template <>
__device__ __forceinline__ float from_float<float>(float f) { return f; }
template <>
__device__ __forceinline__ __half from_float<__half>(float f) { return __float2half_rn(f); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float f) { return __float2bfloat16_rn(f); }

// (m, l) ← the max and the sum of e^(x − max) over the values of both (m, l) pairs.
__device__ __forceinline__ void merge(float& m, float& l, float m2, float l2) {
  const float mx = fmaxf(m, m2);
  if (mx == -INFINITY) return;
  l = l * __expf(m - mx) + l2 * __expf(m2 - mx);
  m = mx;
}

// Calls f(row, visible) for every score row (of `rows`, each nk long) that this warp owns: one warp
// per row, grid-stride, so B·H·N rows keep every SM busy. visible is the number of leading keys the
// row may see: nk, or under the bottom-right causal mask (query i sees key j iff j ≤ i + shift, rows
// cycling through the nq queries of a head) between 0 and nk.
template <int kThreads, class F>
__device__ __forceinline__ void for_each_warp_row(int64_t rows, int64_t nq, int64_t nk, bool causal, int64_t shift,
                                                  F&& f) {
  const int64_t warps = int64_t(gridDim.x) * (kThreads / 32);
  for (int64_t r = int64_t(blockIdx.x) * (kThreads / 32) + threadIdx.x / 32; r < rows; r += warps) {
    const int64_t i = r % nq;
    int64_t visible = nk;
    if (causal) visible = i + shift + 1 < 0 ? 0 : (i + shift + 1 > nk ? nk : i + shift + 1);
    f(r, visible);
  }
}

struct RowStats {
  float max;      // −inf for a row with no visible value
  float inv_sum;  // 1 / Σ e^(x − max), 0 for a row with no visible value
};

// The statistics of row[0, visible), every lane of the warp calling with its lane index; every lane
// gets the result. One pass: each lane merges its strided values, then the lanes merge by shuffles.
__device__ __forceinline__ RowStats warp_row_stats(const float* row, int64_t visible, int lane) {
  float m = -INFINITY, l = 0.f;
  for (int64_t j = lane; j < visible; j += 32) merge(m, l, row[j], 1.f);
#pragma unroll
  for (int off = 16; off > 0; off /= 2) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, off), l2 = __shfl_xor_sync(0xffffffffu, l, off);
    merge(m, l, m2, l2);
  }
  return {m, l > 0.f ? 1.f / l : 0.f};
}

}  // namespace attnscope::attn
