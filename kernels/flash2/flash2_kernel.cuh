#pragma once
// The flash2 forward kernel (FlashAttention-2 algorithm on mma.sync tensor cores) and its launcher.
// Included by the per-head-dim instantiation files flash2_hdim*.cu (and by development benchmarks).
//
// One block = one tile of kBlockM query rows of one (batch, query head). It walks the key tiles that
// its rows can see from the last to the first (so the masked tiles — ragged end, causal diagonal —
// come first), keeping per row a running max m, a running sum l and the unnormalized output O in
// registers (online softmax, exp2 domain, the scale folded into one FFMA). S = Q·Kᵀ never leaves
// registers: its fp32 accumulator is re-packed as the A operand of O += P·V.
#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/fragment_softmax.cuh"
#include "common/launch_check.hpp"
#include "common/mma_sm80.cuh"
#include "flash2/flash2.hpp"
#include "flash2/flash2_traits.cuh"

namespace attnscope::flash2 {

template <class Element>
struct KernelArgs {
  const Element* __restrict__ q;  // [B, Hq, Nq, D]
  const Element* __restrict__ k;  // [B, Hkv, Nk, D]
  const Element* __restrict__ v;  // [B, Hkv, Nk, D]
  Element* __restrict__ o;        // [B, Hq, Nq, D]
  float* __restrict__ lse;        // [B, Hq, Nq] or null
  int q_heads, kv_heads, group;   // group = q_heads / kv_heads
  int q_len, kv_len;
  int num_m_blocks;               // ceil(q_len / kBlockM)
  float scale_log2;               // scale · log2(e)
  // The tensors' own head dim (row stride) and its 16-byte chunks: a head dim without a kernel runs on
  // the next compiled one (D ≥ head_dim), the missing columns zero-filled on load, not stored.
  int head_dim, chunks;
};

namespace detail {

// f(integral_constant<int, 0>) … f(integral_constant<int, N-1>): loop indices that are compile-time
// constants, so swizzled addresses fold into immediates.
template <int N, class F, int... I>
__device__ __forceinline__ void static_for_impl(F&& f, std::integer_sequence<int, I...>) {
  (f(std::integral_constant<int, I>{}), ...);
}

// Copy a [kRows × D] tile (rows >= valid_rows and 16-byte chunks >= valid_chunks zero-filled) from
// global (row stride ld elements) into a swizzled shared tile. Asynchronous: the caller commits and waits.
template <class Cfg, int kRows>
__device__ __forceinline__ void load_tile(uint32_t s_tile, const typename Cfg::Element* g, int valid_rows, int ld,
                                          int valid_chunks) {
  using Swz = sm80::Swizzle<Cfg::kHeadDim>;
  constexpr int D = Cfg::kHeadDim, kThreads = Cfg::kThreads;
  constexpr int kChunks = kRows * Swz::kChunks;  // 16-byte chunks in the tile
  if constexpr (kThreads % Swz::kChunks == 0 && (kThreads / Swz::kChunks) % 8 == 0) {
    // Every pass covers whole rows, 8·k of them: a thread keeps its chunk and its row % 8 (hence its
    // swizzle), so its shared and global addresses just advance by a constant stride per pass.
    constexpr int kRowsPerPass = kThreads / Swz::kChunks;
    const int row = threadIdx.x / Swz::kChunks, chunk = threadIdx.x % Swz::kChunks;
    const uint32_t s_thread = s_tile + 2 * Swz::offset(row, chunk);
    const auto* g_thread = g + row * ld + chunk * 8;
#pragma unroll
    for (int i = 0; i < kChunks / kThreads; ++i) {
      const bool valid = row + i * kRowsPerPass < valid_rows && chunk < valid_chunks;
      sm80::cp_async_16(s_thread + i * kRowsPerPass * D * 2, valid ? g_thread + i * kRowsPerPass * ld : g, valid);
    }
  } else {
#pragma unroll
    for (int i = 0; i < kChunks / kThreads; ++i) {
      const int c = threadIdx.x + i * kThreads;
      const int row = c / Swz::kChunks, chunk = c % Swz::kChunks;
      const bool valid = row < valid_rows && chunk < valid_chunks;
      sm80::cp_async_16(s_tile + 2 * Swz::offset(row, chunk), valid ? g + row * ld + chunk * 8 : g, valid);
    }
  }
}

}  // namespace detail

template <int N, class F>
__device__ __forceinline__ void static_for(F&& f) {
  detail::static_for_impl<N>(f, std::make_integer_sequence<int, N>{});
}

template <class Cfg, bool kCausal>
__global__ void __launch_bounds__(Cfg::kThreads) forward_kernel(const KernelArgs<typename Cfg::Element> a) {
  using Element = typename Cfg::Element;
  using Swz = sm80::Swizzle<Cfg::kHeadDim>;
  constexpr int D = Cfg::kHeadDim, kBlockM = Cfg::kBlockM, kBlockN = Cfg::kBlockN;
  constexpr int kMTiles = Cfg::kMTiles, kNTilesS = Cfg::kNTilesS, kNTilesO = Cfg::kNTilesO;

  extern __shared__ __align__(128) unsigned char smem[];
  Element* sQ = reinterpret_cast<Element*>(smem);  // [kBlockM × D], later the output tile
  const uint32_t sQ_addr = sm80::smem_addr(smem);
  // Stage s: sK(s) = sK_addr + s·kStageBytes, sV(s) = sV_addr + s·kStageBytes, each [kBlockN × D].
  constexpr uint32_t kStageBytes = 2 * Cfg::kTileBytes;
  const uint32_t sK_addr = sQ_addr + kBlockM * D * 2;
  const uint32_t sV_addr = sK_addr + Cfg::kTileBytes;

  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int quad_row = lane / 4, quad_col = lane % 4;  // g and t of the mma fragment layouts

  // Block → (batch·head, query tile). Tiles of one head are adjacent (its K/V stay in L2); causal
  // visits them heaviest first so the cheap tiles fill the tail of the grid.
  const int bh = blockIdx.x / a.num_m_blocks;
  const int m_block = kCausal ? a.num_m_blocks - 1 - blockIdx.x % a.num_m_blocks : blockIdx.x % a.num_m_blocks;
  const int batch = bh / a.q_heads, head = bh % a.q_heads;
  const int kv_head = batch * a.kv_heads + head / a.group;
  const int m_start = m_block * kBlockM;
  const int q_rows = min(kBlockM, a.q_len - m_start);  // valid rows of this tile
  const int causal_shift = a.kv_len - a.q_len;         // query i sees key j iff j <= i + causal_shift

  const Element* gQ = a.q + (int64_t(bh) * a.q_len + m_start) * a.head_dim;  // [q_rows × head_dim]
  // K and V of this head: [Nk × D] each at the same offset (one 64-bit register instead of two
  // pointers; the bases stay in the kernel's parameter bank).
  const int64_t kv_offset = int64_t(kv_head) * a.kv_len * a.head_dim;

  // Keys [0, n_end) are visible to at least one row of this tile.
  const int n_end = kCausal ? min(a.kv_len, max(0, m_start + q_rows + causal_shift)) : a.kv_len;
  const int n_blocks = (n_end + kBlockN - 1) / kBlockN;

  // Tile nb lives in stage nb % 2 (kStages = 2) or stage 0 (kStages = 1).
  auto stage_offset = [](int nb) -> uint32_t { return Cfg::kStages == 2 ? uint32_t(nb & 1) * kStageBytes : 0u; };
  auto load_k = [&](int nb) {
    const int n0 = nb * kBlockN;
    detail::load_tile<Cfg, kBlockN>(sK_addr + stage_offset(nb), a.k + kv_offset + int64_t(n0) * a.head_dim, a.kv_len - n0,
                                    a.head_dim, a.chunks);
  };
  auto load_v = [&](int nb) {
    const int n0 = nb * kBlockN;
    detail::load_tile<Cfg, kBlockN>(sV_addr + stage_offset(nb), a.v + kv_offset + int64_t(n0) * a.head_dim, a.kv_len - n0,
                                    a.head_dim, a.chunks);
  };

  // ---- prologue: Q and the last K tile (and its V with two stages) ----
  detail::load_tile<Cfg, kBlockM>(sQ_addr, gQ, q_rows, a.head_dim, a.chunks);
  if (n_blocks > 0) {
    load_k(n_blocks - 1);
    if constexpr (Cfg::kStages == 2) load_v(n_blocks - 1);
  }
  sm80::cp_async_commit();

  // Per-lane ldmatrix addressing. In every 8×8 matrix a lane addresses row (lane % 8) of matrix
  // (lane / 8); tile bases are multiples of 8 rows, so the swizzle mask of a lane is fixed and each
  // operand needs one base address per lane (Swz::step moves it by whole m16/k16 steps).
  const int row_mask = Swz::mask(lane % 8);
  const int warp_row0 = warp * Cfg::kWarpRows;
  // Q (A operand, x4 = rows 0-7|8-15 × k 0-7|8-15): row warp_row0 + 16·mt + lane%8 + 8·(lane/8 % 2),
  // chunk 2·kk + lane/16.
  const uint32_t q_lane_addr = sQ_addr + Swz::byte_offset(warp_row0 + lane % 8 + 8 * ((lane / 8) % 2), lane / 16, row_mask);
  // K (B operand, x4 = keys 0-7 × k lo, keys 0-7 × k hi, keys 8-15 × k lo, keys 8-15 × k hi):
  // key 16·np + lane%8 + 8·(lane/16), chunk 2·kk + (lane/8 % 2).
  const uint32_t k_lane_addr = sK_addr + Swz::byte_offset(lane % 8 + 8 * (lane / 16), (lane / 8) % 2, row_mask);
  // V (B operand via .trans, x4 = keys 0-7 × d lo, keys 8-15 × d lo, keys 0-7 × d hi, keys 8-15 × d hi):
  // key 16·kp + lane%8 + 8·(lane/8 % 2), chunk 2·dp + lane/16.
  const uint32_t v_lane_addr = sV_addr + Swz::byte_offset(lane % 8 + 8 * ((lane / 8) % 2), lane / 16, row_mask);

  float acc_o[kMTiles][kNTilesO][4];  // O, rows (g, g+8) of each m16 tile × head dim
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
    for (int nt = 0; nt < kNTilesO; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc_o[mt][nt][e] = 0.f;
  attn::FragmentSoftmax<kMTiles> softmax;  // running max and sum of the lane's rows

  // Q fragments held for the whole loop when the traits ask for it: [mt][kk] → A operand (4 regs).
  uint32_t q_frag[Cfg::kQInRegs ? kMTiles : 1][Cfg::kQInRegs ? Cfg::kKStepsS : 1][4];

  for (int nb = n_blocks - 1; nb >= 0; --nb) {
    const int n_start = nb * kBlockN;
    sm80::cp_async_wait<0>();
    // K(nb) (and Q; with two stages also V(nb)) landed; every warp finished tile nb+1, whose buffers
    // (sV with one stage; sK and sV of stage (nb+1) % 2 with two) may be refilled.
    __syncthreads();
    if constexpr (Cfg::kQInRegs) {
      if (nb == n_blocks - 1) {
        static_for<kMTiles>([&](auto mt) {
          static_for<Cfg::kKStepsS>([&](auto kk) {
            sm80::ldmatrix_x4(q_frag[mt][kk], Swz::template step<16 * mt, 2 * kk>(q_lane_addr));
          });
        });
      }
    }
    if constexpr (Cfg::kStages == 2) {
      if (nb > 0) load_k(nb - 1), load_v(nb - 1);
    } else {
      load_v(nb);
    }
    sm80::cp_async_commit();
    const uint32_t k_addr = k_lane_addr + stage_offset(nb), v_addr = v_lane_addr + stage_offset(nb);

    // ---- S = Q·Kᵀ : [kWarpRows × kBlockN] per warp, fp32 ----
    float acc_s[kMTiles][kNTilesS][4];
#pragma unroll
    for (int mt = 0; mt < kMTiles; ++mt)
#pragma unroll
      for (int nt = 0; nt < kNTilesS; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc_s[mt][nt][e] = 0.f;
    static_for<Cfg::kKStepsS>([&](auto kk) {
      uint32_t qa[kMTiles][4];  // A: Q rows of the warp × d 16·kk..+16
      static_for<kMTiles>([&](auto mt) {
        if constexpr (Cfg::kQInRegs) {
#pragma unroll
          for (int i = 0; i < 4; ++i) qa[mt][i] = q_frag[mt][kk][i];
        } else {
          sm80::ldmatrix_x4(qa[mt], Swz::template step<16 * mt, 2 * kk>(q_lane_addr));
        }
      });
      static_for<kNTilesS / 2>([&](auto np) {
        uint32_t kb[4];  // B: keys 16·np..+16 × d 16·kk..+16 (two n8 tiles)
        sm80::ldmatrix_x4(kb, Swz::template step<16 * np, 2 * kk>(k_addr));
        const uint32_t b_lo[2] = {kb[0], kb[1]}, b_hi[2] = {kb[2], kb[3]};
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) {
          sm80::mma_16816<Element>(acc_s[mt][2 * np], qa[mt], b_lo);
          sm80::mma_16816<Element>(acc_s[mt][2 * np + 1], qa[mt], b_hi);
        }
      });
    });

    // ---- mask: keys past the end, and (causal) keys after the row's diagonal ----
    const bool ragged = n_start + kBlockN > a.kv_len;
    const bool diagonal = kCausal && n_start + kBlockN - 1 > m_start + causal_shift;
    if (ragged || diagonal) {
      const int row0 = m_start + warp_row0 + quad_row;  // the lane's row of slot 0
      attn::mask_scores(acc_s, n_start + 2 * quad_col, [&](int slot, int key) {
        return key <= (kCausal ? min(a.kv_len - 1, row0 + 8 * slot + causal_shift) : a.kv_len - 1);
      });
    }

    // ---- online softmax: P = 2^(S·scale_log2 − m); O and l rescaled only when a row's maximum grew
    // (after the first few tiles that is rare, so the warp skips the 4·kMTiles·kNTilesO multiplies) ----
    softmax.template step<true>(acc_s, a.scale_log2,
                                [&](const float (&alpha)[2 * kMTiles]) { attn::scale_rows(acc_o, alpha); });

    if constexpr (Cfg::kStages == 1) {
      sm80::cp_async_wait<0>();
      __syncthreads();  // V(nb) landed; every warp finished reading sK
      if (nb > 0) load_k(nb - 1);
      sm80::cp_async_commit();
    }

    // ---- O += P·V : P from registers (A), V via ldmatrix.trans (B) ----
    static_for<Cfg::kKStepsO>([&](auto kp) {
      uint32_t pa[kMTiles][4];  // A: P rows of the warp × keys 16·kp..+16
#pragma unroll
      for (int mt = 0; mt < kMTiles; ++mt) sm80::pack_c_to_a<Element>(pa[mt], acc_s[mt][2 * kp], acc_s[mt][2 * kp + 1]);
      static_for<kNTilesO / 2>([&](auto dp) {
        uint32_t vb[4];  // B: keys 16·kp..+16 × d 16·dp..+16 (two n8 tiles)
        sm80::ldmatrix_x4_trans(vb, Swz::template step<16 * kp, 2 * dp>(v_addr));
        const uint32_t b_lo[2] = {vb[0], vb[1]}, b_hi[2] = {vb[2], vb[3]};
#pragma unroll
        for (int mt = 0; mt < kMTiles; ++mt) {
          sm80::mma_16816<Element>(acc_o[mt][2 * dp], pa[mt], b_lo);
          sm80::mma_16816<Element>(acc_o[mt][2 * dp + 1], pa[mt], b_hi);
        }
      });
    });
  }

  // ---- epilogue: O / l → sQ (this warp's own rows) → coalesced 16-byte stores; LSE per row ----
  sm80::cp_async_wait<0>();  // a block with no visible key still has its Q copy in flight
  __syncthreads();
  softmax.finish();
#pragma unroll
  for (int mt = 0; mt < kMTiles; ++mt) {
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const float inv_l = softmax.inverse_sum(2 * mt + r);  // a row that sees no key outputs zeros
      const int tile_row = warp_row0 + 16 * mt + quad_row + 8 * r;
      if (a.lse != nullptr && quad_col == 0 && tile_row < q_rows)
        a.lse[int64_t(bh) * a.q_len + m_start + tile_row] = softmax.log_sum_exp(2 * mt + r);
#pragma unroll
      for (int nt = 0; nt < kNTilesO; ++nt) {
        // n8 tile nt of O is exactly 16-byte chunk nt of the row.
        const uint32_t packed = sm80::pack2<Element>(acc_o[mt][nt][2 * r] * inv_l, acc_o[mt][nt][2 * r + 1] * inv_l);
        *reinterpret_cast<uint32_t*>(sQ + Swz::offset(tile_row, nt) + 2 * quad_col) = packed;
      }
    }
  }
  __syncthreads();
  Element* gO = a.o + (int64_t(bh) * a.q_len + m_start) * a.head_dim;
  constexpr int kChunks = kBlockM * Swz::kChunks;
#pragma unroll
  for (int i = 0; i < kChunks / Cfg::kThreads; ++i) {
    const int c = threadIdx.x + i * Cfg::kThreads;
    const int row = c / Swz::kChunks, chunk = c % Swz::kChunks;
    if (row < q_rows && chunk < a.chunks)
      *reinterpret_cast<uint4*>(gO + row * a.head_dim + chunk * 8) = *reinterpret_cast<const uint4*>(sQ + Swz::offset(row, chunk));
  }
}

// Host side: configure shared memory, build the arguments, launch on `stream`.
template <class Cfg, bool kCausal>
void launch(const Params& p, cudaStream_t stream) {
  using Element = typename Cfg::Element;
  const auto kernel = forward_kernel<Cfg, kCausal>;
  if (Cfg::kSmemBytes > 48 * 1024)
    kernels::check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Cfg::kSmemBytes),
                        "flash2: cannot give the kernel " + std::to_string(Cfg::kSmemBytes / 1024) +
                            " KiB of shared memory");
  KernelArgs<Element> a{};
  a.q = static_cast<const Element*>(p.q);
  a.k = static_cast<const Element*>(p.k);
  a.v = static_cast<const Element*>(p.v);
  a.o = static_cast<Element*>(p.o);
  a.lse = p.lse;
  a.q_heads = int(p.q_heads);
  a.kv_heads = int(p.kv_heads);
  a.group = int(p.q_heads / p.kv_heads);
  a.q_len = int(p.q_len);
  a.kv_len = int(p.kv_len);
  a.num_m_blocks = int((p.q_len + Cfg::kBlockM - 1) / Cfg::kBlockM);
  a.scale_log2 = p.scale * attn::kLog2e;
  a.head_dim = p.head_dim;
  a.chunks = p.head_dim / 8;
  const int64_t blocks = int64_t(a.num_m_blocks) * p.batch * p.q_heads;
  if (blocks > INT_MAX) throw std::runtime_error("flash2: problem needs " + std::to_string(blocks) + " blocks; at most 2^31-1");
  if (blocks == 0) return;
  kernel<<<dim3(unsigned(blocks)), dim3(Cfg::kThreads), Cfg::kSmemBytes, stream>>>(a);
  kernels::check_launch("flash2: kernel launch failed");
}

// Both mask variants of one traits struct (explicitly instantiated per head dim in flash2_hdim*.cu).
template <class Element, int kHeadDim>
void run(const Params& p, cudaStream_t stream) {
  if (p.causal)
    launch<Traits<Element, kHeadDim>, true>(p, stream);
  else
    launch<Traits<Element, kHeadDim>, false>(p, stream);
}

}  // namespace attnscope::flash2
