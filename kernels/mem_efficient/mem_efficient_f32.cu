// mem-efficient, fp32 path: register-tiled SIMT FMA (no tensor cores, no TF32 — every product is a
// full fp32 FFMA, so the result has fp32 accuracy).
//
// Block: 64 query rows × one (batch, head), 128 threads = 8 row groups × 16 lanes.
//   thread (rg, lc) owns rows rg, rg+8, …, rg+56 (interleaved: the two row groups of a warp then read
//   Q rows 132 floats apart, in different banks, instead of 8 rows = 1056 floats ≡ 0 banks apart) and
//     in S = Q·Kᵀ (64 × 64 per tile): keys lc, lc+16, lc+32, lc+48     → 8 × 4 scores in registers
//     in O (64 × D):                  columns c·64 + lc·4 … +3, c < D/64 → 8 × D/16 outputs in registers
//   The 16 lanes of a row group are one half-warp, so the row max is a 4-step shuffle.
// Shared memory: Q [64][D+4], one K/V buffer [64][D+4] (K, then V of the same tile), P [64 keys][64+4].
//   Rows are padded by 16 bytes: lanes reading float4 from 16 consecutive rows then land on 8 distinct
//   16-byte bank groups per 128 bytes (no conflicts beyond the 2 wavefronts 256 bytes need); lanes of
//   the two row groups of a warp read the same K/V addresses (broadcast).
// Inner loops: QKᵀ does 128 FFMA per 12 LDS.128, PV does 8·D/16 FFMA per 2 + D/64 LDS.128.
// K and V share one buffer so the block fits 83 KiB at D = 128: two blocks per SM on sm90 overlap one
// block's tile loads with the other's arithmetic.
// Measured on an H100 (SM clock 1980 MHz throughout, so the FFMA peak is 66.9 TFLOP/s): 32–37 TFLOP/s
// at d = 64 and 37–41 at d = 128 on the standard grid, i.e. ~60 % of the FFMA peak. PyTorch's
// efficient backend reaches 45–47 at d = 128 because its fp32 path is not FFMA: CUTLASS's
// OpMultiplyAddFastF32 (3 × TF32 tensor-core MMAs per product); see NOTES.md beside this file.
// Two variants of one template (common/arch_policy.cuh): Sm80 copies tiles with cp.async, Sm75
// (Turing) with 16-byte loads + st.shared after prefetching V(t) and K(t+1) into L2 at the top of each
// iteration. On a T4 only D = 64 fits (51 KiB of its 64 KiB; the backend refuses 128 and 256).
#include <cuda_runtime.h>

#include "common/arch_policy.cuh"
#include "common/launch_check.hpp"
#include "common/softmax.cuh"
#include "mem_efficient/block_plan.cuh"

namespace attnscope::mem_efficient {
namespace {

constexpr int kThreads = 128;
constexpr int kRowsPerThread = 8;
constexpr int kKeysPerThread = 4;

template <int D>
struct F32Tiles {
  static constexpr int kStride = D + 4;              // floats per Q/K/V row in shared memory
  static constexpr int kPStride = kRowsPerBlock + 4; // floats per P row (one key)
  static constexpr int kColGroups = D / 64;          // float4 output groups per thread
  static constexpr int kQFloats = kRowsPerBlock * kStride;
  static constexpr int kKVFloats = kKeysPerTile * kStride;
  static_assert((kQFloats + kKVFloats + kKeysPerTile * kPStride) * 4 == f32_shared_bytes(D));
};

// rows × head_dim floats (row-major, global) → [64][kStride] (shared); rows ≥ valid_rows and columns
// ≥ head_dim become zeros, so padded keys contribute nothing and padded columns stay 0.
template <class Arch, int D>
__device__ __forceinline__ void load_tile(float* dst, const float* src, int valid_rows, int head_dim) {
  static_assert(kRowsPerBlock == kKeysPerTile, "Q tiles go through the K/V tile loader");
  arch::copy_tile<Arch, kThreads, kKeysPerTile, D / 4>(
      sm80::smem_addr(dst), src, valid_rows, head_dim,
      [](int row, int chunk) { return uint32_t((row * F32Tiles<D>::kStride + chunk * 4) * 4); });
  Arch::commit();
}

__device__ __forceinline__ float half_warp_max(float x) {
#pragma unroll
  for (int m = 8; m >= 1; m >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, m));
  return x;
}
__device__ __forceinline__ float half_warp_sum(float x) {
#pragma unroll
  for (int m = 8; m >= 1; m >>= 1) x += __shfl_xor_sync(0xffffffffu, x, m);
  return x;
}

template <class Arch, int D>
__global__ void __launch_bounds__(kThreads, D <= 128 ? 2 : 1) f32_forward(const Params p, const float scale_log2) {
  if constexpr (!arch::compiled_for<Arch>()) {  // the Sm80 copy in an sm_75 pass: never launched
    __trap();
    return;
  }
  using T = F32Tiles<D>;
  extern __shared__ float4 smem_f4[];
  float* sQ = reinterpret_cast<float*>(smem_f4);  // [64 rows][kStride]
  float* sKV = sQ + T::kQFloats;                  // [64 keys][kStride]: K, then V
  float* sP = sKV + T::kKVFloats;                 // [64 keys][kPStride]: probabilities, transposed

  const BlockPlan plan = BlockPlan::make(p);
  const float* q = static_cast<const float*>(p.q) + plan.q_offset + int64_t(plan.row0) * p.head_dim;
  const float* k = static_cast<const float*>(p.k) + plan.kv_offset;
  const float* v = static_cast<const float*>(p.v) + plan.kv_offset;
  const int rg = threadIdx.x >> 4, lc = threadIdx.x & 15;
  const int my_row0 = plan.row0 + rg;  // this thread's rows: my_row0 + 8·r

  load_tile<Arch, D>(sQ, q, plan.rows, p.head_dim);

  float o[kRowsPerThread][D / 16];
  attn::RunningRow rows[kRowsPerThread];  // exp2 domain; l is this lane's share
#pragma unroll
  for (int r = 0; r < kRowsPerThread; ++r) {
#pragma unroll
    for (int c = 0; c < D / 16; ++c) o[r][c] = 0.f;
  }

  for (int t = 0; t < plan.n_tiles; ++t) {
    const int key0 = t * kKeysPerTile;
    const int keys = int(p.kv_len - key0 < kKeysPerTile ? p.kv_len - key0 : kKeysPerTile);
    // Sm75 only (a no-op for Sm80): V(t), copied after Q·Kᵀ, and K(t+1) start towards L2.
    Arch::prefetch_l2(v + int64_t(key0) * p.head_dim, int64_t(keys) * p.head_dim * 4, kThreads);
    if (t + 1 < plan.n_tiles) {
      const int64_t next_keys = p.kv_len - key0 - kKeysPerTile;
      Arch::prefetch_l2(k + int64_t(key0 + kKeysPerTile) * p.head_dim,
                        (next_keys < kKeysPerTile ? next_keys : kKeysPerTile) * p.head_dim * 4, kThreads);
    }
    __syncthreads();  // the previous tile's P·V is done with sKV and sP
    load_tile<Arch, D>(sKV, k + int64_t(key0) * p.head_dim, keys, p.head_dim);
    Arch::template wait<0>();
    __syncthreads();

    // S = Q·Kᵀ for 8 rows × 4 keys, 4 head-dim columns per step.
    float s[kRowsPerThread][kKeysPerThread] = {};
#pragma unroll(D <= 128 ? 8 : 2)
    for (int c = 0; c < D; c += 4) {
      float4 qv[kRowsPerThread], kv[kKeysPerThread];
#pragma unroll
      for (int r = 0; r < kRowsPerThread; ++r)
        qv[r] = *reinterpret_cast<const float4*>(sQ + (rg + 8 * r) * T::kStride + c);
#pragma unroll
      for (int j = 0; j < kKeysPerThread; ++j)
        kv[j] = *reinterpret_cast<const float4*>(sKV + (lc + 16 * j) * T::kStride + c);
#pragma unroll
      for (int r = 0; r < kRowsPerThread; ++r)
#pragma unroll
        for (int j = 0; j < kKeysPerThread; ++j) {
          s[r][j] = fmaf(qv[r].x, kv[j].x, s[r][j]);
          s[r][j] = fmaf(qv[r].y, kv[j].y, s[r][j]);
          s[r][j] = fmaf(qv[r].z, kv[j].z, s[r][j]);
          s[r][j] = fmaf(qv[r].w, kv[j].w, s[r][j]);
        }
    }

    // Online softmax in the exp2 domain (scale·log2e folded into one multiply).
    const bool masked = plan.tile_needs_mask(p, t);
#pragma unroll
    for (int r = 0; r < kRowsPerThread; ++r) {
      float tile_max = -INFINITY;
#pragma unroll
      for (int j = 0; j < kKeysPerThread; ++j) {
        float x = s[r][j] * scale_log2;
        if (masked && !BlockPlan::visible(p, my_row0 + 8 * r, key0 + lc + 16 * j, plan.diag)) x = -INFINITY;
        s[r][j] = x;
        tile_max = fmaxf(tile_max, x);
      }
      const float alpha = rows[r].raise_max(half_warp_max(tile_max));  // 0 when nothing was seen before
      float sum = 0.f;
#pragma unroll
      for (int j = 0; j < kKeysPerThread; ++j) {
        s[r][j] = rows[r].prob(s[r][j]);
        sum += s[r][j];
      }
      rows[r].add(sum);
#pragma unroll
      for (int c = 0; c < D / 16; ++c) o[r][c] *= alpha;
    }
    // P → shared, transposed to [key][row slot], slot rg·8 + r holding row rg + 8r, so the P·V loop
    // reads this thread's 8 rows of one key as two float4.
#pragma unroll
    for (int j = 0; j < kKeysPerThread; ++j) {
      float* dst = sP + (lc + 16 * j) * T::kPStride + rg * kRowsPerThread;
      *reinterpret_cast<float4*>(dst) = make_float4(s[0][j], s[1][j], s[2][j], s[3][j]);
      *reinterpret_cast<float4*>(dst + 4) = make_float4(s[4][j], s[5][j], s[6][j], s[7][j]);
    }
    __syncthreads();  // K is no longer read; P is complete
    load_tile<Arch, D>(sKV, v + int64_t(key0) * p.head_dim, keys, p.head_dim);
    Arch::template wait<0>();
    __syncthreads();

    // O += P·V: per key, 8 probabilities × D/16 values.
#pragma unroll(D <= 128 ? 4 : 1)
    for (int j = 0; j < kKeysPerTile; ++j) {
      const float4 p_lo = *reinterpret_cast<const float4*>(sP + j * T::kPStride + rg * kRowsPerThread);
      const float4 p_hi = *reinterpret_cast<const float4*>(sP + j * T::kPStride + rg * kRowsPerThread + 4);
      const float pr[kRowsPerThread] = {p_lo.x, p_lo.y, p_lo.z, p_lo.w, p_hi.x, p_hi.y, p_hi.z, p_hi.w};
#pragma unroll
      for (int g = 0; g < T::kColGroups; ++g) {
        const float4 vv = *reinterpret_cast<const float4*>(sKV + j * T::kStride + g * 64 + lc * 4);
#pragma unroll
        for (int r = 0; r < kRowsPerThread; ++r) {
          o[r][g * 4 + 0] = fmaf(pr[r], vv.x, o[r][g * 4 + 0]);
          o[r][g * 4 + 1] = fmaf(pr[r], vv.y, o[r][g * 4 + 1]);
          o[r][g * 4 + 2] = fmaf(pr[r], vv.z, o[r][g * 4 + 2]);
          o[r][g * 4 + 3] = fmaf(pr[r], vv.w, o[r][g * 4 + 3]);
        }
      }
    }
  }
  Arch::template wait<0>();  // a block with no tile still has its Q copy in flight

  // Epilogue: O / l, and lse = ln(Σ exp(scale·s)) = (max + log2 l)·ln 2; rows that saw no key get
  // zeros and -inf.
  float* out = static_cast<float*>(p.o) + plan.q_offset;
#pragma unroll
  for (int r = 0; r < kRowsPerThread; ++r) {
    const float l = half_warp_sum(rows[r].l);
    const int row = my_row0 + 8 * r;
    if (row >= p.q_len) continue;
    const float inv = attn::inverse_sum(l);
#pragma unroll
    for (int g = 0; g < T::kColGroups; ++g) {
      const int col = g * 64 + lc * 4;
      if (col < p.head_dim)
        *reinterpret_cast<float4*>(out + int64_t(row) * p.head_dim + col) =
            make_float4(o[r][g * 4] * inv, o[r][g * 4 + 1] * inv, o[r][g * 4 + 2] * inv, o[r][g * 4 + 3] * inv);
    }
    if (p.lse && lc == 0) p.lse[plan.lse_offset + row] = attn::log_sum_exp(rows[r].m, l);
  }
}

template <class Arch, int D>
void launch_f32(const Params& p, cudaStream_t stream) {
  constexpr int smem = f32_shared_bytes(D);
  kernels::check_cuda(cudaFuncSetAttribute(f32_forward<Arch, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem),
                      "mem-efficient: raising the shared-memory limit of the fp32 kernel");
  const int64_t blocks = grid_blocks(p);
  f32_forward<Arch, D><<<unsigned(blocks), kThreads, smem, stream>>>(p, p.scale * attn::kLog2e);
  kernels::check_launch("mem-efficient: launching the fp32 kernel");
}

template <class Arch>
void launch_f32_bucket(const Params& p, cudaStream_t stream) {
  switch (head_dim_bucket(p.head_dim)) {
    case 64: return launch_f32<Arch, 64>(p, stream);
    case 128: return launch_f32<Arch, 128>(p, stream);
    default: return launch_f32<Arch, 256>(p, stream);
  }
}

}  // namespace

namespace detail {
void forward_f32(const Params& p, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (use_turing_variant(p))
    launch_f32_bucket<arch::Sm75>(p, s);
  else
    launch_f32_bucket<arch::Sm80>(p, s);
}
}  // namespace detail

}  // namespace attnscope::mem_efficient
