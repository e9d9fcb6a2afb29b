// mem-efficient's float32 path on tensor cores (compute capability ≥ 8.0, head_dim ≤ 128): each fp32
// product done as three TF32 MMAs (mma.sync m16n8k8, fp32 accumulation; see common/mma_tf32_sm80.cuh),
// with mem-efficient's block plan. Single-pass TF32 is never used. Design notes and measurements:
// NOTES.md ("float32 on tensor cores: 3×TF32").
//
// Block: 64 query rows × one (batch, head), four warps of 16 rows; a warp owns its rows for the whole
// pass, so the online softmax needs no cross-warp reduction (the 4 lanes of a quad share a row).
// Per 64-key tile:  S (16 × 64 per warp) = Q·Kᵀ — Q and K read from shared memory as fp32 and split
//                   into tf32 big/small parts in registers;
//                   softmax in registers (exp2 domain, scale folded in);
//                   O (16 × D per warp) += P·V — P's A fragment is one S accumulator tile as it stands
//                   (the k order is permuted to make it so), split the same way.
// Operands stay fp32 in shared memory (the split happens after the load, so nothing is rounded before
// the product), with rows padded by 4 floats. Every shared-memory read is a 16-byte vector:
//   Q·Kᵀ: within a group of 32 columns, lane t reads columns 8t..8t+7 of its row (two float4); k-step
//         s of the group uses columns 8t+2s and 8t+2s+1 as logical k = t and t+4, for Q and K alike.
//         Two rows of a quarter-warp are one 16-byte bank group apart (padding), t steps by two.
//   P·V:  keys 2t and 2t+1 of each 8-key tile are logical k = t and t+4 (= S accumulator c0/c1, c2/c3);
//         output n-tile j of a 32-column group holds columns 4·n + j, so lane g reads V columns
//         4g..4g+3 as one float4 and feeds four n-tiles, and the accumulators of a lane end up holding
//         8 contiguous output columns (8t..8t+7), stored straight to global memory.
// K and V have one buffer each, double-buffered in time as in mem_efficient_tc.cu: the next K tile
// streams in during P·V, the next V tile during Q·Kᵀ and the softmax.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "common/fragment_softmax.cuh"
#include "common/launch_check.hpp"
#include "common/mma_sm80.cuh"
#include "common/mma_tf32_sm80.cuh"
#include "mem_efficient/block_plan.cuh"
#include "mem_efficient/mem_efficient.hpp"

namespace attnscope::mem_efficient {
namespace {

constexpr int kWarps = kRowsPerBlock / 16;
constexpr int kThreads = 32 * kWarps;

// rows × head_dim floats (row-major, global) → [64][D + 4] (shared); missing rows and columns past
// head_dim are zero-filled (0 · anything stays finite in P·V). Does not commit. One running pointer
// per thread, as in the tensor-core path.
template <int D>
__device__ __forceinline__ void load_tile(uint32_t dst, const float* src, int valid_rows, int head_dim) {
  constexpr int kChunksPerRow = D / 4;
  constexpr int kRowsPerPass = kThreads / kChunksPerRow;
  static_assert(kThreads % kChunksPerRow == 0 && kRowsPerBlock == kKeysPerTile);
  const int chunk = threadIdx.x % kChunksPerRow;
  const int first_row = threadIdx.x / kChunksPerRow;
  const bool column_valid = chunk * 4 < head_dim;
  const float* from = src + int64_t(first_row) * head_dim + chunk * 4;
  uint32_t to = dst + uint32_t((first_row * (D + 4) + chunk * 4) * 4);
#pragma unroll
  for (int it = 0; it < kKeysPerTile / kRowsPerPass; ++it) {
    const bool valid = column_valid && first_row + it * kRowsPerPass < valid_rows;
    sm80::cp_async_16(to, valid ? from : src, valid);
    from += int64_t(kRowsPerPass) * head_dim;
    to += kRowsPerPass * (D + 4) * 4;
  }
}

[[maybe_unused]] __device__ __forceinline__ void load8(float (&r)[8], const float* s) {
  const float4 lo = *reinterpret_cast<const float4*>(s), hi = *reinterpret_cast<const float4*>(s + 4);
  r[0] = lo.x, r[1] = lo.y, r[2] = lo.z, r[3] = lo.w, r[4] = hi.x, r[5] = hi.y, r[6] = hi.z, r[7] = hi.w;
}

// Blocks per SM the registers must allow: 3 at D = 64 (51 KiB of shared memory each), 2 at D = 128
// (99 KiB each; shared memory allows no more).
template <int D>
__global__ void __launch_bounds__(kThreads, D <= 64 ? 3 : 2)
    forward_3xtf32(const Params p, const float scale_log2, const int64_t heads_per_group) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  // The build adds sm_75 code to this folder's sources (for the Turing variants of the other kernels);
  // this kernel needs sm80 instructions, and forward() never launches it below compute capability 8.0.
  __trap();
#else
  constexpr int kStride = D + 4;  // floats per shared-memory row
  constexpr int kGroups = D / 32; // 32-column groups
  extern __shared__ float4 smem_f4[];
  float* sQ = reinterpret_cast<float*>(smem_f4);  // [64 rows][D + 4]
  float* sK = sQ + kRowsPerBlock * kStride;       // [64 keys][D + 4]
  float* sV = sK + kKeysPerTile * kStride;        // [64 keys][D + 4]

  const BlockPlan plan = BlockPlan::make(p, heads_per_group);
  const float* q = static_cast<const float*>(p.q) + plan.q_offset + int64_t(plan.row0) * p.head_dim;
  const float* k = static_cast<const float*>(p.k) + plan.kv_offset;
  const float* v = static_cast<const float*>(p.v) + plan.kv_offset;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int g = lane >> 2, tq = lane & 3;
  const int groups = (p.head_dim + 31) / 32;  // 32-column groups that touch real columns

  auto kv_rows = [&](int t) {
    const int64_t left = p.kv_len - int64_t(t) * kKeysPerTile;
    return int(left < kKeysPerTile ? left : kKeysPerTile);
  };
  const uint32_t q_smem = sm80::smem_addr(sQ), k_smem = sm80::smem_addr(sK), v_smem = sm80::smem_addr(sV);
  load_tile<D>(q_smem, q, plan.rows, p.head_dim);
  if (plan.n_tiles > 0) load_tile<D>(k_smem, k, kv_rows(0), p.head_dim);
  sm80::cp_async_commit();
  if (plan.n_tiles > 0) load_tile<D>(v_smem, v, kv_rows(0), p.head_dim);
  sm80::cp_async_commit();

  // Per-lane shared-memory bases (see the header comment for the layouts).
  const float* q_lane = sQ + (warp * 16 + g) * kStride + 8 * tq;  // row g; row g+8 is 8·kStride further
  const float* k_lane = sK + g * kStride + 8 * tq;                // key g of each 8-key tile
  const float* v_lane = sV + 2 * tq * kStride + 4 * g;            // key 2t of each 8-key tile, columns 4g..

  float acc_o[kGroups][4][4] = {};
  attn::FragmentSoftmax<1> softmax;  // running max and sum of rows g and g+8
  const int my_row = plan.row0 + warp * 16 + g;

  for (int t = 0; t < plan.n_tiles; ++t) {
    const int key0 = t * kKeysPerTile;
    sm80::cp_async_wait<1>();  // Q and K(t) have landed (V(t) may still be in flight)
    __syncthreads();

    float acc_s[1][kKeysPerTile / 8][4] = {};  // one m16 tile: rows g, g+8
#pragma unroll
    for (int grp = 0; grp < kGroups; ++grp) {
      if (grp >= groups) break;
      float lo[8], hi[8];
      load8(lo, q_lane + grp * 32);
      load8(hi, q_lane + 8 * kStride + grp * 32);
      uint32_t a_big[4][4], a_small[4][4];  // per k-step s
#pragma unroll
      for (int s = 0; s < 4; ++s) {
        sm80::split_tf32(lo[2 * s], a_big[s][0], a_small[s][0]);
        sm80::split_tf32(hi[2 * s], a_big[s][1], a_small[s][1]);
        sm80::split_tf32(lo[2 * s + 1], a_big[s][2], a_small[s][2]);
        sm80::split_tf32(hi[2 * s + 1], a_big[s][3], a_small[s][3]);
      }
#pragma unroll
      for (int n = 0; n < kKeysPerTile / 8; ++n) {
        float kr[8];
        load8(kr, k_lane + n * 8 * kStride + grp * 32);
#pragma unroll
        for (int s = 0; s < 4; ++s) {
          uint32_t b_big[2], b_small[2];
          sm80::split_tf32(kr[2 * s], b_big[0], b_small[0]);
          sm80::split_tf32(kr[2 * s + 1], b_big[1], b_small[1]);
          sm80::mma_1688_3xtf32(acc_s[0][n], a_big[s], a_small[s], b_big, b_small);
        }
      }
    }

    if (plan.tile_needs_mask(p, t))
      attn::mask_scores(acc_s, key0 + 2 * tq, [&](int slot, int key) {
        return BlockPlan::visible(p, my_row + 8 * slot, key, plan.diag);
      });
    softmax.template step<false>(acc_s, scale_log2, [&](const float (&alpha)[2]) {
#pragma unroll
      for (int grp = 0; grp < kGroups; ++grp) attn::scale_rows(acc_o[grp], alpha[0], alpha[1]);
    });

    __syncthreads();  // every warp is done with K(t): stream K(t+1) in during P·V
    if (t + 1 < plan.n_tiles) load_tile<D>(k_smem, k + int64_t(key0 + kKeysPerTile) * p.head_dim, kv_rows(t + 1), p.head_dim);
    sm80::cp_async_commit();
    sm80::cp_async_wait<1>();  // V(t) has landed
    __syncthreads();

    // Each 32-column group sums this tile's P·V in its own accumulator, added to O with one fp32 add:
    // the tensor core truncates its accumulator (round toward zero), and chaining every key's MMAs
    // into O let that bias grow with kv_len (2.8e-5 rel-L2 at 4097 keys on an H100; 1e-6 is the goal).
    // P is re-split per group rather than kept split for all 8 key tiles (64 registers).
#pragma unroll
    for (int grp = 0; grp < kGroups; ++grp) {
      if (grp >= groups) break;
      float tile_o[4][4] = {};
#pragma unroll
      for (int kn = 0; kn < kKeysPerTile / 8; ++kn) {
        // logical k = t ↔ key 2t (c0 row g, c2 row g+8), k = t+4 ↔ key 2t+1 (c1, c3).
        uint32_t a_big[4], a_small[4];
        sm80::split_tf32(acc_s[0][kn][0], a_big[0], a_small[0]);
        sm80::split_tf32(acc_s[0][kn][2], a_big[1], a_small[1]);
        sm80::split_tf32(acc_s[0][kn][1], a_big[2], a_small[2]);
        sm80::split_tf32(acc_s[0][kn][3], a_big[3], a_small[3]);
        const float* vp = v_lane + kn * 8 * kStride + grp * 32;
        const float4 v0 = *reinterpret_cast<const float4*>(vp);            // key 2t,   columns 4g..4g+3
        const float4 v1 = *reinterpret_cast<const float4*>(vp + kStride);  // key 2t+1
        const float b0[4] = {v0.x, v0.y, v0.z, v0.w}, b1[4] = {v1.x, v1.y, v1.z, v1.w};
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          uint32_t b_big[2], b_small[2];
          sm80::split_tf32(b0[j], b_big[0], b_small[0]);
          sm80::split_tf32(b1[j], b_big[1], b_small[1]);
          sm80::mma_1688_3xtf32(tile_o[j], a_big, a_small, b_big, b_small);
        }
      }
#pragma unroll
      for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc_o[grp][j][e] += tile_o[j][e];
    }

    __syncthreads();  // every warp is done with V(t): stream V(t+1) in during the next Q·Kᵀ
    if (t + 1 < plan.n_tiles) load_tile<D>(v_smem, v + int64_t(key0 + kKeysPerTile) * p.head_dim, kv_rows(t + 1), p.head_dim);
    sm80::cp_async_commit();
  }
  sm80::cp_async_wait<0>();

  // Epilogue: O / l, lse = (max + log2 l)·ln 2 (-inf and O = 0 for a row that sees no key). Lane
  // (g, t) holds columns 32·grp + 8t .. +7 of rows g and g+8: c0 of n-tiles 0..3, then c1 of them.
  float* out = static_cast<float*>(p.o) + plan.q_offset;
  softmax.finish();
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const float inv = softmax.inverse_sum(h);
    const int row = my_row + 8 * h;
    if (row >= p.q_len) continue;
    if (p.lse && tq == 0) p.lse[plan.lse_offset + row] = softmax.log_sum_exp(h);
    float* o_row = out + int64_t(row) * p.head_dim;
#pragma unroll
    for (int grp = 0; grp < kGroups; ++grp) {
      const int col = grp * 32 + 8 * tq;
      if (col >= p.head_dim) break;  // head_dim is a multiple of 8: col < head_dim covers col + 7
      const auto& a = acc_o[grp];
      *reinterpret_cast<float4*>(o_row + col) =
          make_float4(a[0][2 * h] * inv, a[1][2 * h] * inv, a[2][2 * h] * inv, a[3][2 * h] * inv);
      *reinterpret_cast<float4*>(o_row + col + 4) =
          make_float4(a[0][2 * h + 1] * inv, a[1][2 * h + 1] * inv, a[2][2 * h + 1] * inv, a[3][2 * h + 1] * inv);
    }
  }
#endif
}

// Waves of blocks each longest-first group holds under a causal mask (see heads_per_group).
constexpr int64_t kWavesPerGroup = 4;

// Under a causal mask a block's work grows with its row block (1 … row_blocks K/V tiles). With one
// head per longest-first group (block_plan's default) the next head's longest blocks keep arriving
// while the current head's short ones drain, and the last head's longest blocks run alone at the end.
// Measured on an H100, causal d = 128, N = 1k…16k (TFLOP/s; one head per group / 2 waves / 4 waves /
// all heads in one group): 37.7/44.7/48.6/49.1 at 1k, 42.5/47.2/51.3/52.3 at 4k, 46.3/48.5/51.7/50.2
// at 16k. Groups of 4 waves keep the order longest-first across enough blocks to close the tail, and
// the blocks of one head still run within a few waves of each other (their K/V stays in L2). Without
// a mask every block does the same work: one head per group, as before.
template <int D>
int64_t heads_per_group(const Params& p, int smem) {
  const int64_t heads = p.batch * p.q_heads;
  if (!p.causal) return 1;
  int device = 0, sms = 0, per_sm = 0;
  kernels::check_cuda(cudaGetDevice(&device), "mem-efficient: querying the current device");
  kernels::check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device),
                      "mem-efficient: querying the multiprocessor count");
  kernels::check_cuda(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, forward_3xtf32<D>, kThreads, smem),
                      "mem-efficient: querying the 3xTF32 kernel's occupancy");
  const int64_t wave = int64_t(sms) * (per_sm > 0 ? per_sm : 1);
  const int64_t row_blocks = (p.q_len + kRowsPerBlock - 1) / kRowsPerBlock;
  int64_t groups = heads * row_blocks / (kWavesPerGroup * wave);
  if (groups < 1) groups = 1;
  return (heads + groups - 1) / groups;  // near-equal groups; the last one may be a few heads short
}

template <int D>
void launch(const Params& p, cudaStream_t stream) {
  constexpr int smem = tf32x3_shared_bytes(D);
  kernels::check_cuda(cudaFuncSetAttribute(forward_3xtf32<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem),
                      "mem-efficient: raising the shared-memory limit of the 3xTF32 kernel");
  const int64_t blocks = grid_blocks(p);
  const int64_t group = heads_per_group<D>(p, smem);
  forward_3xtf32<D><<<unsigned(blocks), kThreads, smem, stream>>>(p, p.scale * attn::kLog2e, group);
  kernels::check_launch("mem-efficient: launching the 3xTF32 kernel");
}

}  // namespace

namespace detail {
void forward_3xtf32(const Params& p, void* stream) {
  // forward() checked what every kernel needs; these are this kernel's own limits.
  if (p.element != Element::F32) throw std::runtime_error("mem-efficient (3xTF32 kernel): only float32 inputs");
  if (p.head_dim > kMaxHeadDim3xTf32)
    throw std::runtime_error("mem-efficient (3xTF32 kernel): head_dim " + std::to_string(p.head_dim) + " is over " +
                             std::to_string(kMaxHeadDim3xTf32));
  auto s = static_cast<cudaStream_t>(stream);
  if (head_dim_bucket(p.head_dim) == 64)
    launch<64>(p, s);
  else
    launch<128>(p, s);
}
}  // namespace detail

}  // namespace attnscope::mem_efficient
