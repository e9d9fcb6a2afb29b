// The naive backend's kernels: three launches with the whole fp32 score matrix in device memory.
//   1. scores:  S = scale · Q·Kᵀ   (tiled fp32 SIMT GEMM; fully masked causal tiles are skipped)
//   2. softmax: in place, one warp per row, masked keys set to 0
//   3. output:  O = P·V            (same GEMM, K-loop cut at the last visible key of the tile)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common/launch_check.hpp"
#include "common/warp_softmax.cuh"
#include "naive/naive.hpp"

namespace attnscope::naive {
namespace {

constexpr int kTile = 64;     // C tile is kTile × kTile
constexpr int kDepth = 16;    // K slice staged per iteration
constexpr int kThreads = 256; // 16 × 16 threads, 4 × 4 outputs each

__device__ __forceinline__ float to_f(float x) { return x; }
__device__ __forceinline__ float to_f(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_f(__nv_bfloat16 x) { return __bfloat162float(x); }

struct Shape {
  int64_t m, n, k;                 // C[m×n] = A[m×k] · B
  int64_t q_heads, kv_heads, group;
  int64_t batches;                 // B·Hq
  float alpha;
  bool causal;
  int64_t shift;                   // kv_len − q_len: row i sees keys j ≤ i + shift
};

// One (batch, query head) per blockIdx.z step. A is row-major [m×k] per z. B is the head's K ([n×k],
// B_IS_NK) or V ([k×n]); GQA maps query head h to KV head h / group. C is row-major [m×n].
template <class TA, class TB, class TC, bool B_IS_NK, bool SCORES>
__global__ void __launch_bounds__(kThreads)
    gemm_kernel(const TA* __restrict__ a, const TB* __restrict__ b, TC* __restrict__ c, Shape sh) {
  __shared__ float as[kDepth][kTile + 4];
  __shared__ float bs[kDepth][kTile + 4];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int64_t row0 = int64_t(blockIdx.x) * kTile, col0 = int64_t(blockIdx.y) * kTile;
  const int64_t last_row = (row0 + kTile - 1 < sh.m ? row0 + kTile - 1 : sh.m - 1);
  int64_t k_end = sh.k;
  if (sh.causal) {
    const int64_t last_visible = last_row + sh.shift;  // largest key index any row of the tile sees
    if (SCORES && col0 > last_visible) return;        // whole tile masked: softmax never reads it
    if (!SCORES) k_end = last_visible + 1 < sh.k ? (last_visible + 1 > 0 ? last_visible + 1 : 0) : sh.k;
  }
  for (int64_t z = blockIdx.z; z < sh.batches; z += gridDim.z) {
    const int64_t kv = (z / sh.q_heads) * sh.kv_heads + (z % sh.q_heads) / sh.group;
    const TA* az = a + z * sh.m * sh.k;
    const TB* bz = b + kv * sh.n * sh.k;
    TC* cz = c + z * sh.m * sh.n;
    float acc[4][4] = {};
    for (int64_t k0 = 0; k0 < k_end; k0 += kDepth) {
      // Stage A[row0..+64, k0..+16] and the matching B slice as fp32, transposed to [k][row].
      for (int i = threadIdx.x; i < kTile * kDepth; i += kThreads) {
        const int r = i / kDepth, kk = i % kDepth;
        const int64_t gr = row0 + r, gk = k0 + kk;
        as[kk][r] = (gr < sh.m && gk < k_end) ? to_f(az[gr * sh.k + gk]) : 0.f;
      }
      if (B_IS_NK) {
        for (int i = threadIdx.x; i < kTile * kDepth; i += kThreads) {
          const int cc = i / kDepth, kk = i % kDepth;
          const int64_t gc = col0 + cc, gk = k0 + kk;
          bs[kk][cc] = (gc < sh.n && gk < k_end) ? to_f(bz[gc * sh.k + gk]) : 0.f;
        }
      } else {
        for (int i = threadIdx.x; i < kTile * kDepth; i += kThreads) {
          const int kk = i / kTile, cc = i % kTile;
          const int64_t gc = col0 + cc, gk = k0 + kk;
          bs[kk][cc] = (gc < sh.n && gk < k_end) ? to_f(bz[gk * sh.n + gc]) : 0.f;
        }
      }
      __syncthreads();
#pragma unroll
      for (int kk = 0; kk < kDepth; ++kk) {
        float ar[4], br[4];
#pragma unroll
        for (int i = 0; i < 4; ++i) ar[i] = as[kk][ty + 16 * i];
#pragma unroll
        for (int j = 0; j < 4; ++j) br[j] = bs[kk][tx + 16 * j];
#pragma unroll
        for (int i = 0; i < 4; ++i)
#pragma unroll
          for (int j = 0; j < 4; ++j) acc[i][j] += ar[i] * br[j];
      }
      __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int64_t gr = row0 + ty + 16 * i;
      if (gr >= sh.m) continue;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        const int64_t gc = col0 + tx + 16 * j;
        if (gc < sh.n) cz[gr * sh.n + gc] = attn::from_float<TC>(sh.alpha * acc[i][j]);
      }
    }
  }
}

// One warp per score row (B·H·N rows keep every SM busy), in place: P = exp(S − max) / Σ over visible
// keys, 0 elsewhere. A row that sees no key becomes all zeros (its output is then zero, as the
// reference defines it).
__global__ void __launch_bounds__(kThreads) softmax_kernel(float* __restrict__ s, int64_t rows, int64_t nq,
                                                          int64_t nk, bool causal, int64_t shift) {
  const int lane = threadIdx.x % 32;
  attn::for_each_warp_row<kThreads>(rows, nq, nk, causal, shift, [&](int64_t r, int64_t visible) {
    float* row = s + r * nk;
    const attn::RowStats st = attn::warp_row_stats(row, visible, lane);
    for (int64_t j = lane; j < nk; j += 32) row[j] = j < visible ? __expf(row[j] - st.max) * st.inv_sum : 0.f;
  });
}

unsigned cap(int64_t v, int64_t limit) { return unsigned(v < limit ? (v > 0 ? v : 1) : limit); }

template <class T>
void launch_typed(const Problem& p, const Tensors& t, float* scores, cudaStream_t st) {
  const int64_t bh = p.batch * p.q_heads, shift = p.kv_len - p.q_len;
  Shape qk{p.q_len, p.kv_len, p.head_dim, p.q_heads, p.kv_heads, p.group_size(), bh, float(p.softmax_scale()),
           p.causal, shift};
  dim3 grid_s(cap((p.q_len + kTile - 1) / kTile, INT32_MAX), cap((p.kv_len + kTile - 1) / kTile, 65535), cap(bh, 65535));
  gemm_kernel<T, T, float, true, true><<<grid_s, kThreads, 0, st>>>(static_cast<const T*>(t.q),
                                                                    static_cast<const T*>(t.k), scores, qk);
  kernels::check_launch("naive: launching scores (Q·Kᵀ)");
  const int64_t rows = bh * p.q_len;
  softmax_kernel<<<cap((rows + kThreads / 32 - 1) / (kThreads / 32), INT32_MAX), kThreads, 0, st>>>(scores, rows, p.q_len, p.kv_len, p.causal, shift);
  kernels::check_launch("naive: launching softmax");
  Shape pv{p.q_len, p.head_dim, p.kv_len, p.q_heads, p.kv_heads, p.group_size(), bh, 1.f, p.causal, shift};
  dim3 grid_o(cap((p.q_len + kTile - 1) / kTile, INT32_MAX), cap((p.head_dim + kTile - 1) / kTile, 65535), cap(bh, 65535));
  gemm_kernel<float, T, T, false, false><<<grid_o, kThreads, 0, st>>>(scores, static_cast<const T*>(t.v),
                                                                     static_cast<T*>(t.o), pv);
  kernels::check_launch("naive: launching output (P·V)");
}

}  // namespace

void launch(const Problem& p, const Tensors& t, float* scores, void* stream) {
  auto st = static_cast<cudaStream_t>(stream);
  switch (p.dtype) {
    case DType::F32: launch_typed<float>(p, t, scores, st); break;
    case DType::F16: launch_typed<__half>(p, t, scores, st); break;
    case DType::BF16: launch_typed<__nv_bfloat16>(p, t, scores, st); break;
  }
}

}  // namespace attnscope::naive
