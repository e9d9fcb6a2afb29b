#pragma once
// The tensor-core split kernel of split-kv-decode.
//
// Why: on the CUDA cores every K and V element costs a multiply-add per query row plus its share of
// the shuffles that sum a dot product across lanes; for one sequence of 8k keys that is ~8 M warp
// instructions, and with only ~2.6 blocks per SM the kernel was issue-bound (21 µs for 34 MB on an
// H100, ncu). Here the block's ≤ 16 query rows (GQA group × q_len) are the 16-row A operand of
// mma.sync m16n8k16: rows past the group are zeros and cost nothing extra, a 16-key slice of a tile is
// 2 (Q·Kᵀ) + d/8 (P·V) MMAs per k-step, and P never leaves registers (the C fragment of S is the A
// fragment of P·V). The kernel is left with moving bytes.
//
// Block = one (batch, KV head, key range); 4 warps; each 64-key K/V tile (swizzled, 3 cp.async
// stages) gives every warp its own 16 keys; a warp keeps its own running max / sum / 16 × d output;
// the 4 warps merge through shared memory at the end.
#include <cuda_runtime.h>

#include "common/fragment_softmax.cuh"
#include "common/mma_sm80.cuh"
#include "split_kv_decode/split_args.cuh"
#include "split_kv_decode/split_kv_decode.hpp"

namespace attnscope::split_kv::detail {

template <class T, int D>
__global__ void __launch_bounds__(kThreads) split_kernel_tc(const SplitArgs a) {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");  // see split_kernel
#endif
  constexpr int KT = int(kTcKeysPerTile);
  constexpr int kTile = KT * D;        // elements of one K (or V) tile
  constexpr int kSteps = D / 16;       // k16 steps of Q·Kᵀ
  constexpr int kDTiles = D / 8;       // n8 tiles of the output
  using Sw = sm80::Swizzle<D>;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* smem = reinterpret_cast<T*>(smem_raw);

  const BlockWork work = block_work(a, 1);  // one row chunk: the group's ≤ 16 rows
  const int64_t split = work.split, kv_unit = work.kv_unit, b = work.b, hkv = work.hkv;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, tq = lane % 4;  // fragment row group, thread in quad

  const KvStream<T, D, KT> kv(a, kv_unit, split);
  const int64_t key_begin = kv.key_begin, key_end = kv.key_end;
  const int ntiles = kv.ntiles;

  auto load_tile = [&](int t) {
    T* ks = smem + (t % kTcStages) * 2 * kTile;
    kv.template copy_tile<kThreads>(t, ks, ks + kTile, [](int key, int chunk) { return Sw::offset(key, chunk); });
  };
#pragma unroll
  for (int t = 0; t < kTcStages - 1; ++t) {
    if (t < ntiles) load_tile(t);
    sm80::cp_async_commit();
  }

  // Q as A fragments, rows g and g + 8 of the block's 16 (rows ≥ a.rows are zero: scores 0, finite,
  // never stored). qa[k][0..3] = Q[g][16k+2tq..+1], Q[g+8][..], Q[g][16k+8+2tq..+1], Q[g+8][..+8].
  uint32_t qa[kSteps][4];
  int64_t row_limit[2];  // last key each of the thread's two rows may see
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int row = g + 8 * h;
    const bool valid = row < a.rows;
    const T* qp = static_cast<const T*>(a.q) + output_row(a, b, hkv, valid ? row : 0) * D + 2 * tq;
    row_limit[h] = a.causal && valid ? row % int(a.q_len) + a.kv_len - a.q_len : a.kv_len - 1;
#pragma unroll
    for (int k = 0; k < kSteps; ++k) {
      qa[k][h] = valid ? *reinterpret_cast<const uint32_t*>(qp + 16 * k) : 0u;
      qa[k][2 + h] = valid ? *reinterpret_cast<const uint32_t*>(qp + 16 * k + 8) : 0u;
    }
  }
  const int64_t min_limit = min(row_limit[0], row_limit[1]);

  float o[kDTiles][4];
#pragma unroll
  for (int n = 0; n < kDTiles; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  attn::FragmentSoftmax<1> softmax;  // running max and sum of rows g and g + 8

  // ldmatrix rows of this lane inside the warp's 16 keys: for K (B of Q·Kᵀ, not transposed) matrices
  // are {keys 0-7, keys 8-15} × {chunk 2k, 2k+1}; for V (B of P·V, transposed) {keys 0-7, 8-15} ×
  // {chunk c, c+1} in the other order.
  const int wkey = warp * 16;
  const int k_row = wkey + (lane / 16) * 8 + lane % 8, k_chunk = (lane / 8) % 2;
  const int v_row = wkey + ((lane / 8) % 2) * 8 + lane % 8, v_chunk = lane / 16;
  const int lane_key = wkey + 2 * tq;  // the lane's first key in a tile (fragment element 0)

  for (int t = 0; t < ntiles; ++t) {
    sm80::cp_async_wait<kTcStages - 2>();
    __syncthreads();  // tile t visible to all; every warp is done with the stage about to be refilled
    if (t + kTcStages - 1 < ntiles) load_tile(t + kTcStages - 1);
    sm80::cp_async_commit();

    const T* ks = smem + (t % kTcStages) * 2 * kTile;
    const T* vs = ks + kTile;
    const int64_t t0 = key_begin + int64_t(t) * KT;

    // S[16 rows × 16 keys] = Q · K_wᵀ: s[0][j] is n8 tile j (keys wkey + 8j ..).
    float s[1][2][4] = {{{0.f, 0.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}}};
#pragma unroll
    for (int k = 0; k < kSteps; ++k) {
      uint32_t kb[4];
      sm80::ldmatrix_x4(kb, sm80::smem_addr(ks + Sw::offset(k_row, 2 * k + k_chunk)));
      const uint32_t b0[2] = {kb[0], kb[1]}, b1[2] = {kb[2], kb[3]};
      sm80::mma_16816<T>(s[0][0], qa[k], b0);
      sm80::mma_16816<T>(s[0][1], qa[k], b1);
    }
    if (t0 + wkey + 15 >= key_end || t0 + wkey + 15 > min_limit)
      attn::mask_scores(s, t0 + lane_key,
                        [&](int slot, int64_t key) { return key < key_end && key <= row_limit[slot]; });
    softmax.template step<false>(s, a.scale_log2,
                                 [&](const float (&alpha)[2]) { attn::scale_rows(o, alpha[0], alpha[1]); });

    // O[16 × D] += P[16 × 16 keys] · V_w[16 keys × D], two n8 tiles of D per ldmatrix.
    uint32_t pa[4];
    sm80::pack_c_to_a<T>(pa, s[0][0], s[0][1]);
#pragma unroll
    for (int c = 0; c < kDTiles; c += 2) {
      uint32_t vb[4];
      sm80::ldmatrix_x4_trans(vb, sm80::smem_addr(vs + Sw::offset(v_row, c + v_chunk)));
      const uint32_t b0[2] = {vb[0], vb[1]}, b1[2] = {vb[2], vb[3]};
      sm80::mma_16816<T>(o[c], pa, b0);
      sm80::mma_16816<T>(o[c + 1], pa, b1);
    }
  }

  // Merge the 4 warps (each saw a different quarter of every tile) through shared memory, which the
  // drained pipeline no longer needs: per warp O [16][D], then m [16], then l [16].
  sm80::cp_async_wait<0>();
  __syncthreads();
  constexpr int kWarpFloats = 16 * (D + 2);
  float* red = reinterpret_cast<float*>(smem_raw);
  float* mine = red + warp * kWarpFloats;
  softmax.finish();
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int row = g + 8 * h;
#pragma unroll
    for (int n = 0; n < kDTiles; ++n)
      *reinterpret_cast<float2*>(mine + row * D + 8 * n + 2 * tq) = make_float2(o[n][2 * h], o[n][2 * h + 1]);
    if (tq == 0) mine[16 * D + row] = softmax.m[h], mine[16 * D + 16 + row] = softmax.l[h];
  }
  __syncthreads();

  const int rows = a.rows < 16 ? int(a.rows) : 16;
  for (int idx = threadIdx.x; idx < rows * (D / 2); idx += kThreads) {
    const int row = idx / (D / 2), col = 2 * (idx % (D / 2));
    float mmax = -INFINITY;
#pragma unroll
    for (int w = 0; w < kThreads / 32; ++w) mmax = fmaxf(mmax, red[w * kWarpFloats + 16 * D + row]);
    const float ms = attn::usable_max(mmax);
    float lsum = 0.f, x0 = 0.f, x1 = 0.f;
#pragma unroll
    for (int w = 0; w < kThreads / 32; ++w) {
      const float* src = red + w * kWarpFloats;
      const float sc = attn::exp2_fast(src[16 * D + row] - ms);
      lsum += src[16 * D + 16 + row] * sc;
      x0 += src[row * D + col] * sc;
      x1 += src[row * D + col + 1] * sc;
    }
    const float inv = attn::inverse_sum(lsum);
    const float lse = attn::log_sum_exp(mmax, lsum);
    const int64_t orow = output_row(a, b, hkv, row);
    if (a.splits == 1) {
      *reinterpret_cast<uint32_t*>(static_cast<T*>(a.o) + orow * D + col) = sm80::pack2<T>(x0 * inv, x1 * inv);
      if (a.lse && col == 0) a.lse[orow] = lse;
    } else {
      *reinterpret_cast<float2*>(a.o_part + (split * a.rows_total + orow) * D + col) = make_float2(x0 * inv, x1 * inv);
      if (col == 0) a.lse_part[split * a.rows_total + orow] = lse;
    }
  }
}

}  // namespace attnscope::split_kv::detail
