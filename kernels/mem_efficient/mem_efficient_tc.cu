// mem-efficient, fp16/bf16 path: tensor cores (fp32 accumulation), one kernel template for two
// architectures (common/arch_policy.cuh): Sm80 — cp.async copies, mma.sync m16n8k16, fp16 and bf16;
// Sm75 (Turing, T4) — 16-byte loads + st.shared with the next tiles prefetched into L2, two
// mma.sync m16n8k8 per k16 step, fp16 only. Everything below is shared by both.
//
// Block: 64 query rows × one (batch, head). For D ≤ 128 two warps of 32 rows (two m16 tiles each:
// every K/V fragment loaded from shared memory feeds two MMAs, half the shared-memory traffic per FLOP
// of 16-row warps; the first version, four warps of 16 rows, ran d = 128 bf16 at 165 TFLOP/s on an
// H100 against PyTorch efficient's 180); for D = 256 the output tile would not fit in registers that
// way, so four warps of 16 rows. A warp owns its rows for the whole pass, so
// the online softmax needs no cross-warp reduction (the 4 lanes of a quad share a row).
// Per 64-key tile:  S (rows × 64 per warp) = Q·Kᵀ over D/16 k-steps — Q and K through ldmatrix,
//                   softmax in registers (exp2 domain, scale folded in),
//                   O (rows × D per warp) += P·V — P re-packed from the S accumulators into A
//                   fragments (it never touches shared memory), V through ldmatrix.trans.
// Head dims use buckets 64 / 128 / 256: below the bucket, Q/K/V are zero-padded in shared memory and
// the k-steps and output tiles past head_dim are skipped at run time (uniform branches).
// K and V have one buffer each, double-buffered in time: the next K tile streams in during P·V, the
// next V tile during Q·Kᵀ and softmax. 48 KiB at D = 128, so several blocks share an SM (one on a
// T4, whose 64 KiB per SM is also why D = 256, 96 KiB, does not run there). The Turing variant copies
// at the same points, synchronously, after prefetching both next tiles into L2 at the top of each
// iteration — one compute phase before each copy needs them.
#include <cuda_runtime.h>

#include <stdexcept>

#include "common/arch_policy.cuh"
#include "common/fragment_softmax.cuh"
#include "common/launch_check.hpp"
#include "mem_efficient/block_plan.cuh"

#ifndef MEMEFF_QK_UNROLL
#define MEMEFF_QK_UNROLL 8
#endif

namespace attnscope::mem_efficient {
namespace {

// k-steps of Q·Kᵀ unrolled. 8 (all of them up to d = 128) ran 2–4 % faster than 2 at d = 64 on an H100,
// and no bucket spills either way (the tile loaders keep one running pointer per thread for that).
constexpr int kQkUnroll = MEMEFF_QK_UNROLL;

// Warp geometry per head-dim bucket.
template <int D>
struct TcWarps {
  static constexpr int kMTiles = D <= 128 ? 2 : 1;           // m16 tiles per warp
  static constexpr int kWarpRows = 16 * kMTiles;
  static constexpr int kWarps = kRowsPerBlock / kWarpRows;   // 2 (D ≤ 128) or 4 (D = 256)
  static constexpr int kThreads = 32 * kWarps;
};

// rows × head_dim elements (row-major, global) → swizzled [64][D] (shared); missing rows and columns
// past head_dim are zero-filled. Does not commit: the caller groups copies.
template <class Arch, class E, int D>
__device__ __forceinline__ void load_tile(uint32_t dst, const E* src, int valid_rows, int head_dim) {
  static_assert(kRowsPerBlock == kKeysPerTile, "Q tiles go through the K/V tile loader");
  using Sw = sm80::Swizzle<D>;
  arch::copy_tile<Arch, TcWarps<D>::kThreads, kKeysPerTile, D / 8>(
      dst, src, valid_rows, head_dim, [](int row, int chunk) { return Sw::byte_offset(row, chunk, Sw::mask(row)); });
}

template <class Arch, class E, int D>
__global__ void __launch_bounds__(TcWarps<D>::kThreads, D <= 128 ? 4 : 1)
    tc_forward(const Params p, const float scale_log2) {
  if constexpr (!arch::compiled_for<Arch>()) {  // the Sm80 copy in an sm_75 pass: never launched
    __trap();
    return;
  }
  using Sw = sm80::Swizzle<D>;
  constexpr int kM = TcWarps<D>::kMTiles;
  constexpr int kWarpRows = TcWarps<D>::kWarpRows;
  extern __shared__ uint4 smem_u4[];
  E* sQ = reinterpret_cast<E*>(smem_u4);        // [64 rows][D], swizzled
  E* sK = sQ + kRowsPerBlock * D;               // [64 keys][D]
  const uint32_t q_smem = sm80::smem_addr(sQ);
  const uint32_t k_smem = sm80::smem_addr(sK);
  const uint32_t v_smem = k_smem + kKeysPerTile * D * 2;

  const BlockPlan plan = BlockPlan::make(p);
  const E* q = static_cast<const E*>(p.q) + plan.q_offset + int64_t(plan.row0) * p.head_dim;
  const E* k = static_cast<const E*>(p.k) + plan.kv_offset;
  const E* v = static_cast<const E*>(p.v) + plan.kv_offset;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int g = lane >> 2, tq = lane & 3;  // accumulator row (g, g+8) and column pair 2tq of the quad
  const int k_steps = (p.head_dim + 15) / 16;  // k16 steps of Q·Kᵀ that touch real columns
  const int d_pairs = (p.head_dim + 15) / 16;  // pairs of n8 output tiles that touch real columns

  // ldmatrix row addresses: every lane's row is (multiple of 8) + lane % 8, so its swizzle mask is fixed.
  const int mask = lane & 7;
  const int a_row = warp * kWarpRows + (lane & 7) + ((lane >> 3) & 1) * 8;  // Q: a0..a3 = rows lo/hi × k lo/hi (+16·m)
  const int a_hi = lane >> 4;
  const int b_row = (lane & 7) + (lane >> 4) * 8;  // K: b0,b1 of key tile 2n, then of 2n+1
  const int b_hi = (lane >> 3) & 1;
  const int v_row = (lane & 7) + ((lane >> 3) & 1) * 8;  // V (transposed): b0,b1 of d tile 2n, then 2n+1
  const int v_hi = lane >> 4;

  auto kv_rows = [&](int t) {
    const int64_t left = p.kv_len - int64_t(t) * kKeysPerTile;
    return int(left < kKeysPerTile ? left : kKeysPerTile);
  };
  load_tile<Arch, E, D>(q_smem, q, plan.rows, p.head_dim);
  if (plan.n_tiles > 0) load_tile<Arch, E, D>(k_smem, k, kv_rows(0), p.head_dim);
  Arch::commit();
  if (plan.n_tiles > 0) load_tile<Arch, E, D>(v_smem, v, kv_rows(0), p.head_dim);
  Arch::commit();

  float acc_o[kM][D / 8][4] = {};
  attn::FragmentSoftmax<kM> softmax;  // running max and sum of rows 16m+g and 16m+g+8
  const int my_row = plan.row0 + warp * kWarpRows + g;  // + 16·m + 8·h

  for (int t = 0; t < plan.n_tiles; ++t) {
    const int key0 = t * kKeysPerTile;
    if (t + 1 < plan.n_tiles) {  // Sm75 only (a no-op for Sm80): K(t+1) and V(t+1) start towards L2
      const int64_t next = int64_t(key0 + kKeysPerTile) * p.head_dim;
      const int64_t bytes = int64_t(kv_rows(t + 1)) * p.head_dim * int64_t(sizeof(E));
      Arch::prefetch_l2(k + next, bytes, TcWarps<D>::kThreads);
      Arch::prefetch_l2(v + next, bytes, TcWarps<D>::kThreads);
    }
    Arch::template wait<1>();  // Q and K(t) have landed (V(t) may still be in flight)
    __syncthreads();

    float acc_s[kM][kKeysPerTile / 8][4] = {};
#pragma unroll(kQkUnroll)
    for (int ks = 0; ks < D / 16; ++ks) {
      if (ks >= k_steps) break;
      uint32_t a[kM][4];
#pragma unroll
      for (int m = 0; m < kM; ++m) sm80::ldmatrix_x4(a[m], q_smem + Sw::byte_offset(a_row + 16 * m, 2 * ks + a_hi, mask));
#pragma unroll
      for (int n = 0; n < kKeysPerTile / 16; ++n) {
        uint32_t b[4];
        sm80::ldmatrix_x4(b, k_smem + Sw::byte_offset(n * 16 + b_row, 2 * ks + b_hi, mask));
#pragma unroll
        for (int m = 0; m < kM; ++m) {
          Arch::template mma_k16<E>(acc_s[m][2 * n], a[m], b[0], b[1]);
          Arch::template mma_k16<E>(acc_s[m][2 * n + 1], a[m], b[2], b[3]);
        }
      }
    }

    if (plan.tile_needs_mask(p, t))
      attn::mask_scores(acc_s, key0 + 2 * tq, [&](int slot, int key) {
        return BlockPlan::visible(p, my_row + 8 * slot, key, plan.diag);
      });
    softmax.template step<false>(acc_s, scale_log2,
                                 [&](const float (&alpha)[2 * kM]) { attn::scale_rows(acc_o, alpha); });

    __syncthreads();  // every warp is done with K(t): stream K(t+1) in during P·V
    if (t + 1 < plan.n_tiles)
      load_tile<Arch, E, D>(k_smem, k + int64_t(key0 + kKeysPerTile) * p.head_dim, kv_rows(t + 1), p.head_dim);
    Arch::commit();
    Arch::template wait<1>();  // V(t) has landed
    __syncthreads();

#pragma unroll
    for (int kk = 0; kk < kKeysPerTile / 16; ++kk) {
      uint32_t a[kM][4];
#pragma unroll
      for (int m = 0; m < kM; ++m) sm80::pack_c_to_a<E>(a[m], acc_s[m][2 * kk], acc_s[m][2 * kk + 1]);
#pragma unroll
      for (int n = 0; n < D / 16; ++n) {
        if (n >= d_pairs) break;
        uint32_t b[4];
        sm80::ldmatrix_x4_trans(b, v_smem + Sw::byte_offset(kk * 16 + v_row, 2 * n + v_hi, mask));
#pragma unroll
        for (int m = 0; m < kM; ++m) {
          Arch::template mma_k16<E>(acc_o[m][2 * n], a[m], b[0], b[1]);
          Arch::template mma_k16<E>(acc_o[m][2 * n + 1], a[m], b[2], b[3]);
        }
      }
    }

    __syncthreads();  // every warp is done with V(t): stream V(t+1) in during the next Q·Kᵀ
    if (t + 1 < plan.n_tiles)
      load_tile<Arch, E, D>(v_smem, v + int64_t(key0 + kKeysPerTile) * p.head_dim, kv_rows(t + 1), p.head_dim);
    Arch::commit();
  }
  Arch::template wait<0>();
  __syncthreads();  // with no tile, other threads' Q copies into this warp's rows must land first

  // Epilogue: O / l → 16-bit, staged through this warp's own (no longer needed) rows of sQ so the
  // global stores are whole 16-byte rows; lse = (max + log2 l)·ln 2, -inf for a row with no key.
  softmax.finish();
  float inv[2 * kM];
#pragma unroll
  for (int r = 0; r < 2 * kM; ++r) inv[r] = softmax.inverse_sum(r);
  if (p.lse && tq == 0)
#pragma unroll
    for (int r = 0; r < 2 * kM; ++r)
      if (my_row + 8 * r < p.q_len) p.lse[plan.lse_offset + my_row + 8 * r] = softmax.log_sum_exp(r);
  const int d_tiles = p.head_dim / 8;
#pragma unroll
  for (int n = 0; n < D / 8; ++n) {
    if (n >= d_tiles) break;
#pragma unroll
    for (int m = 0; m < kM; ++m)
#pragma unroll
      for (int h = 0; h < 2; ++h) {
        const int r = warp * kWarpRows + 16 * m + g + 8 * h;
        *reinterpret_cast<uint32_t*>(sQ + Sw::offset(r, n) + 2 * tq) =
            sm80::pack2<E>(acc_o[m][n][2 * h] * inv[2 * m + h], acc_o[m][n][2 * h + 1] * inv[2 * m + h]);
      }
  }
  __syncwarp();
  E* out = static_cast<E*>(p.o) + plan.q_offset;
  for (int i = lane; i < kWarpRows * d_tiles; i += 32) {
    const int r = i / d_tiles, c = i % d_tiles;
    const int row = plan.row0 + warp * kWarpRows + r;
    if (row < p.q_len)
      *reinterpret_cast<uint4*>(out + int64_t(row) * p.head_dim + c * 8) =
          *reinterpret_cast<const uint4*>(sQ + Sw::offset(warp * kWarpRows + r, c));
  }
}

template <class Arch, class E, int D>
void launch_tc(const Params& p, cudaStream_t stream) {
  constexpr int smem = tc_shared_bytes(D);
  kernels::check_cuda(cudaFuncSetAttribute(tc_forward<Arch, E, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem),
                      "mem-efficient: raising the shared-memory limit of the tensor-core kernel");
  const int64_t blocks = grid_blocks(p);
  tc_forward<Arch, E, D><<<unsigned(blocks), TcWarps<D>::kThreads, smem, stream>>>(p, p.scale * attn::kLog2e);
  kernels::check_launch("mem-efficient: launching the tensor-core kernel");
}

template <class Arch, class E>
void launch_tc_bucket(const Params& p, cudaStream_t stream) {
  switch (head_dim_bucket(p.head_dim)) {
    case 64: return launch_tc<Arch, E, 64>(p, stream);
    case 128: return launch_tc<Arch, E, 128>(p, stream);
    default: return launch_tc<Arch, E, 256>(p, stream);
  }
}

}  // namespace

namespace detail {
void forward_tensor_core(const Params& p, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  if (use_turing_variant(p)) {
    if (p.element == Element::BF16)  // the backend's bf16_tensor_cores rule refuses this first
      throw std::runtime_error("mem-efficient: bfloat16 needs the sm80 variant (mma.sync m16n8k16.bf16); "
                               "the Turing variant multiplies float16 only");
    return launch_tc_bucket<arch::Sm75, __half>(p, s);
  }
  if (p.element == Element::BF16)
    launch_tc_bucket<arch::Sm80, __nv_bfloat16>(p, s);
  else
    launch_tc_bucket<arch::Sm80, __half>(p, s);
}
}  // namespace detail

}  // namespace attnscope::mem_efficient
