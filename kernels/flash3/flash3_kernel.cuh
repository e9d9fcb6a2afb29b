#pragma once
// The flash3 forward kernel (FlashAttention-3's structure on Hopper's own instructions) and its
// launcher. Included by the per-head-dim instantiation files flash3_hdim*.cu.
//
// One block = 64 query rows per consumer warpgroup (two, or three for d=64's alternative tile) of one
// (batch, query head), plus the producer warpgroup (except on the ladder's lowest rung, Schedule::kUnspecialized,
// where consumer thread 0 issues the copies itself):
//   warpgroup 0 (producer): after giving most of its registers away (setmaxnreg), one thread issues
//     TMA copies — Q once, then K and V tiles into two kStages-deep shared-memory rings, V one tile
//     behind K (the consumers multiply Q·K(j+1)ᵀ together with P(j)·V(j)). Each copy completes on an
//     mbarrier ("full"); the producer reuses a slot once both consumers have arrived on its "empty"
//     barrier — a K slot as soon as its Q·Kᵀ has finished, a V slot after its P·V, so the next K
//     load starts a whole softmax earlier than with one release per K/V pair.
//   warpgroups 1.. (consumers, 64 rows each): S = Q·Kᵀ with wgmma from shared memory (both operands
//     through swizzled-layout descriptors: 128-byte rows, or 64-byte rows at head dim 96), online
//     softmax in registers (exp2 domain), O += P·V with P straight from the S accumulators as wgmma's
//     register A operand. The key tiles are walked from the last to the first, so the masked ones
//     (ragged end, causal diagonal) come first.
// The output goes back through shared memory and a TMA store (rows past q_len dropped by the copy engine): its own
// tile where it fits beside Q and the rings, else the last key step's K slot (kStageOInK), else the Q tile; the
// log-sum-exp is written per row. On the persistent grid without a mask the last round of tiles is split by key steps
// over every block (flash3.hpp, TailSplit): pieces leave partial results in a workspace, merged by the block holding
// each tile's first key step.
#include <cuda.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/mma_sm80.cuh"
#include "common/softmax.cuh"
#include "flash3/flash3.hpp"
#include "flash3/flash3_traits.cuh"
#include "flash3/sm90.cuh"
#include "flash3/wgmma_ops.cuh"

namespace attnscope::flash3 {

struct KernelArgs {
  float* __restrict__ lse;  // [B, Hq, Nq] or null
  int q_heads, kv_heads, group;
  int q_len, kv_len;
  int num_m_blocks;         // ceil(q_len / kBlockM)
  float scale, scale_log2;  // softmax scale; the same times log2(e)
  int total_tiles;          // num_m_blocks · B · Hq
  int bh_count;             // B · Hq
  // Tile order. 0: head by head (causal: each head's longest query tiles first). > 0: longest first
  // across sections of this many heads whose K and V fit in L2 together (FA3's order for causal).
  int section_heads;
  int* tile_counter;        // persistent causal grid: the next tile to hand out (non-causal: tile += gridDim.x)
  // The tail split (flash3.hpp, TailSplit; persistent grid, no mask). Jobs below dp_tiles are whole tiles; a job id
  // total_tiles + i starts a piece at key step i of the split tiles; ids from job_end on end a block's list.
  int dp_tiles, units, key_blocks;
  long long iters;
  int job_end;              // total_tiles + iters (total_tiles without a split)
  float* partials;          // per unit and consumer warpgroup: O, row maxima and row sums (tail_partial_floats)
  int* flags;               // per unit and consumer warpgroup: its partial result is there (zero at launch)
  // Q, K and V as the caller laid them out ([B, H, N, head_dim]; head_dim ≤ the kernel's D). Read directly only to
  // compute again rows whose maximum jumped past what the softmax against the previous maximum can hold (the rare
  // path after a job's key loop).
  const void* q;
  const void* k;
  const void* v;
  int head_dim;
  // Causal: the rows the first query tile stores (work_of; kBlockM unless q_len is not a multiple of it). Last, so that
  // the fields before it keep their offsets in the kernels that do not read it.
  int first_tile_rows;
};

// Which (batch·head, query tile) the tile-th unit of work is (see KernelArgs::section_heads). `rotate` (the persistent
// grid without a mask, where a ragged tile is split and so costs less than a whole one): each head's query tiles are
// rotated by the round of the grid they fall in, so that a block, which takes every gridDim-th tile, meets the cheap
// ragged tile every few rounds instead of always or never (with 6 tiles per head and 132 blocks, block b's tiles were
// all of index b % 6); the heads a round covers are the same.
__device__ __forceinline__ void tile_coords(int tile, const KernelArgs& a, bool causal, bool rotate, int& bh, int& m_block) {
  const int m_blocks = a.num_m_blocks;
  if (a.section_heads > 0) {
    const int per_section = a.section_heads * m_blocks;
    const int section = tile / per_section, in_section = tile - section * per_section;
    const int heads = min(a.section_heads, a.bh_count - section * a.section_heads);  // the last one may be short
    m_block = m_blocks - 1 - in_section / heads;
    bh = section * a.section_heads + in_section % heads;
  } else {
    bh = tile / m_blocks;
    m_block = tile % m_blocks;
    if (causal) m_block = m_blocks - 1 - m_block;
    if (rotate) {
      const int per_round = m_blocks * max(1, int(gridDim.x) / m_blocks);  // whole heads, about one round of the grid
      m_block = (m_block + tile / per_round) % m_blocks;
    }
  }
}

namespace detail {
template <class F, int... I>
__device__ __forceinline__ void static_for_impl(F&& f, std::integer_sequence<int, I...>) {
  (f(std::integral_constant<int, I>{}), ...);
}
template <int N, class F>
__device__ __forceinline__ void static_for(F&& f) {
  static_for_impl(f, std::make_integer_sequence<int, N>{});
}
}  // namespace detail

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define ATTNSCOPE_FLASH3_DEVICE_CODE 1
#endif

// Keys past kv_len (TMA zero-filled them: their score would be 0, not −∞) and, causal, keys past each
// row's diagonal count as −∞. Only tiles that hold such keys pay for it, before the one softmax path:
// one compare against a per-row limit and a select per score (a second, masked copy of the softmax
// made ptxas spill the three-consumer causal tile).
template <class Cfg, bool kCausal>
__device__ __forceinline__ void mask_scores(float (&s)[Cfg::kSFloats], int n_start, int first_row, int lane,
                                            const KernelArgs& a) {
  const int key0 = n_start + 2 * (lane % 4);
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = first_row + 8 * r;
    const int last_key = kCausal ? min(a.kv_len - 1, row + a.kv_len - a.q_len) : a.kv_len - 1;
    const int limit = last_key - key0;  // column 8j + c of this thread is masked iff 8j + c > limit
#pragma unroll
    for (int j = 0; j < Cfg::kBlockN / 8; ++j)
#pragma unroll
      for (int c = 0; c < 2; ++c) s[4 * j + 2 * r + c] = 8 * j + c > limit ? -INFINITY : s[4 * j + 2 * r + c];
  }
}

// The maximum of v[0 .. N) as a balanced tree (depth log2 N): independent FMNMX the scheduler can overlap, where chains
// of dependent ones left the consumer warp (one of two per scheduler) waiting out each one's latency.
template <int N>
__device__ __forceinline__ float tree_max(const float* v) {
  if constexpr (N == 1) return v[0];
  else return fmaxf(tree_max<N / 2>(v), tree_max<N - N / 2>(v + N / 2));
}
// The maximum of this lane's scores in row r (0 or 1) of an S tile; the quad's four lanes hold the whole row.
template <class Cfg>
__device__ __forceinline__ float lane_row_max(const float (&s)[Cfg::kSFloats], int r) {
  float pairs[Cfg::kBlockN / 8];
#pragma unroll
  for (int j = 0; j < Cfg::kBlockN / 8; ++j) pairs[j] = fmaxf(s[4 * j + 2 * r], s[4 * j + 2 * r + 1]);
  return tree_max<Cfg::kBlockN / 8>(pairs);
}

// Online softmax of one S tile (a consumer thread's two rows), in place: new row maxima, S becomes
// P = 2^(S·scale_log2 − m·scale_log2), row sums updated; alpha receives the factor O must be scaled by.
// P is packed into wgmma's A registers only later (pack_p), after the warpgroup's previous P·V has
// finished: defining A registers while a wgmma stage is open makes ptxas serialize the wgmmas.
template <class Cfg>
__device__ __forceinline__ void online_softmax(float (&s)[Cfg::kSFloats], const KernelArgs& a, float (&row_max)[2],
                                               float (&row_sum)[2], float (&alpha)[2]) {
  constexpr int kBlockN = Cfg::kBlockN;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float m = sm80::quad_max(fmaxf(lane_row_max<Cfg>(s, r), row_max[r]));
    // From −∞ (nothing seen yet) the old terms are all zero: factor 0, never (−∞) − (−∞).
    alpha[r] = row_max[r] == -INFINITY ? 0.f : attn::exp2_fast((row_max[r] - m) * a.scale_log2);
    row_max[r] = m;
    // A row that has seen only masked keys keeps m = −∞; subtracting 0 then keeps P = 0. The scale is
    // folded into one FFMA per score: 2^(s·scale_log2 − m·scale_log2).
    const float m_scaled = attn::usable_max(m) * a.scale_log2;
    float sp[4] = {0.f, 0.f, 0.f, 0.f};  // four independent partial sums: one chain would wait out every FADD
#pragma unroll
    for (int j = 0; j < kBlockN / 8; ++j)
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        float& x = s[4 * j + 2 * r + c];
        const float e = fmaf(x, a.scale_log2, -m_scaled);
        x = j % 4 < Cfg::kExp2OnFma ? attn::exp2_fma(e) : attn::exp2_fast(e);
        sp[(2 * j + c) % 4] += x;
      }
    const float sum = (sp[0] + sp[1]) + (sp[2] + sp[3]);
    row_sum[r] = row_sum[r] * alpha[r] + sum;
  }
}

// The online softmax of one S tile against the rows' previous maxima (Cfg::kStaleMax; every row of the warp has seen a
// key). The exp2s start at once, against the maximum each row already has, while the tile's row maxima are reduced
// beside them; the maximum moves only when it grew by more than 2^8 (then P, its row sum and O are rescaled, exactly:
// by a power of two), so on most steps O keeps its scale and its 64 multiplies are skipped. Row sums and outputs are
// the plain softmax's up to rounding: O / l does not depend on the reference the exponents were taken against, and
// P ≤ 2^8 keeps fp16 and bf16 far from overflow. A maximum that grew by 2^120 or more may have made exp2s overflow:
// `overflowed` is set, and the kernel computes those rows again after the job's key loop.
// Returns whether O must be rescaled by alpha (warp-uniform).
template <class Cfg>
__device__ __forceinline__ bool online_softmax_stale_max(float (&s)[Cfg::kSFloats], const KernelArgs& a,
                                                         float (&row_max)[2], float (&row_sum)[2], float (&alpha)[2],
                                                         bool& overflowed) {
  constexpr int kBlockN = Cfg::kBlockN;
  constexpr float kRescaleAbove = 8.f;  // log2 units: P ≤ 2^8 against the kept maximum
  constexpr float kOverflowAt = 120.f;  // log2 units: beyond, an exp2 (or the row sum) may have overflowed
  float lane_max[2], sum[2], delta[2], tile_max[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    lane_max[r] = lane_row_max<Cfg>(s, r);  // reads S before the exp2s overwrite it; its FMNMX run beside them
    const float m_scaled = row_max[r] * a.scale_log2;
    float sp[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
    for (int j = 0; j < kBlockN / 8; ++j)
#pragma unroll
      for (int c = 0; c < 2; ++c) {
        float& x = s[4 * j + 2 * r + c];
        x = attn::exp2_fast(fmaf(x, a.scale_log2, -m_scaled));
        sp[(2 * j + c) % 4] += x;
      }
    sum[r] = (sp[0] + sp[1]) + (sp[2] + sp[3]);
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    tile_max[r] = sm80::quad_max(lane_max[r]);
    delta[r] = (tile_max[r] - row_max[r]) * a.scale_log2;
    alpha[r] = 1.f;
    overflowed |= delta[r] >= kOverflowAt;
  }
  const bool grew = __any_sync(0xffffffffu, delta[0] > kRescaleAbove || delta[1] > kRescaleAbove);
  if (grew) {
#pragma unroll
    for (int r = 0; r < 2; ++r)
      if (delta[r] > kRescaleAbove) {
        alpha[r] = attn::exp2_fast(-delta[r]);
        row_max[r] = tile_max[r];
        sum[r] *= alpha[r];
#pragma unroll
        for (int i = 2 * r; i < Cfg::kSFloats; i += 4) s[i] *= alpha[r], s[i + 1] *= alpha[r];
      }
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) row_sum[r] = row_sum[r] * alpha[r] + sum[r];
  return grew;
}

// P (fp32, the S accumulator layout) → 16-bit A fragments of P·V: n8 blocks 2kp and 2kp+1 of the
// accumulator are exactly the A fragment of key step kp (the mma.sync C → A identity, per warp).
template <class Cfg>
__device__ __forceinline__ void pack_p(const float (&s)[Cfg::kSFloats], uint32_t (&p)[Cfg::kBlockN / 16][4]) {
#pragma unroll
  for (int kp = 0; kp < Cfg::kBlockN / 16; ++kp)
#pragma unroll
    for (int i = 0; i < 4; ++i) p[kp][i] = sm80::pack2<typename Cfg::Element>(s[8 * kp + 2 * i], s[8 * kp + 2 * i + 1]);
}

template <class Cfg, bool kCausal>
__global__ void __launch_bounds__(Cfg::kThreads, 1)
    forward_kernel(const __grid_constant__ TensorMaps maps, const KernelArgs a) {
#if ATTNSCOPE_FLASH3_DEVICE_CODE
  using namespace sm90;
  using Element = typename Cfg::Element;
  constexpr int D = Cfg::kHeadDim, kBlockM = Cfg::kBlockM, kBlockN = Cfg::kBlockN, kStages = Cfg::kStages;
  // The tiles' swizzle (flash3_traits.cuh): row length in bytes, head-dim columns per column block.
  constexpr int kRowBytes = Cfg::kRowBytes, kBlockCols = Cfg::kBlockCols;
  constexpr Schedule kSchedule = Cfg::kSchedule;
  constexpr bool kPersistent = Cfg::kPersistent;
  constexpr int kCluster = Cfg::kCluster;
  static_assert(kCluster == 1 || !kCausal, "the blocks of a cluster must see the same key tiles");

  extern __shared__ unsigned char smem_raw[];
  const uint32_t base = (smem_addr(smem_raw) + 1023) & ~1023u;  // swizzle atoms are 1 KiB (128-byte rows) or 512 bytes
  const uint32_t sQ = base, sK = base + Cfg::kOffK, sV = base + Cfg::kOffV;
  const uint32_t sO = Cfg::kSeparateO ? base + Cfg::kOffO : sQ;
  const uint32_t bar_q = base + Cfg::kOffBarriers;
  auto bar_k_full = [&](int s) { return bar_q + 8 * (1 + s); };
  auto bar_v_full = [&](int s) { return bar_q + 8 * (1 + kStages + s); };
  auto bar_k_empty = [&](int s) { return bar_q + 8 * (1 + 2 * kStages + s); };
  auto bar_v_empty = [&](int s) { return bar_q + 8 * (1 + 3 * kStages + s); };
  // Persistent grid: the Q tile is a one-slot ring too (empty once every consumer warp is done with it),
  // and the tile index travels with it through shared memory (written before the producer arrives on
  // bar_q, read after the consumers' wait on it: the mbarrier orders the two).
  const uint32_t bar_q_empty = bar_q + 8 * (1 + 4 * kStages);
  const uint32_t s_tile = bar_q_empty + 8;
  const uint32_t s_scratch = s_tile + 4;  // written, never read (Cfg::kSoftmaxUnderOwnPv)
  // Causal persistent tiles with their own output tile keep Q in a ring of two slots (TileShape::q_slots): job j uses
  // slot j % 2. The second slot lies after the barriers (Cfg::kOffQ1), so the other kernels' layout is untouched; its
  // full and empty barriers and tile index follow the scratch word.
  constexpr int kQSlots = kCausal && Cfg::kQRingFits ? 2 : 1;
  const uint32_t sQ1 = base + Cfg::kOffQ1;
  const uint32_t sMerge = base + Cfg::kOffMerge;  // Cfg::kSplitsRaggedTile (non-causal, so never beside the second Q slot)
  const uint32_t bar_q1 = s_tile + 8, bar_q_empty1 = s_tile + 16, s_tile1 = s_tile + 24;
  // With the ring the producer also works out the next job's tile while it loads this one's K and V: with 24 registers
  // it spilled 8–24 bytes there, so it keeps 32. Two consumers give up 8 each (S + P + O of the 128×128 tiles: 160 of
  // 232); three keep their 160 (152 serialized the wgmmas, C7512), which fills the register file exactly.
  constexpr int kProducerRegs = kQSlots == 2 ? 32 : Cfg::kProducerRegs;
  constexpr int kConsumerRegs = kQSlots == 2 && Cfg::kConsumers == 2 ? 232 : Cfg::kConsumerRegs;
  auto q_full = [&](int slot) { return slot == 0 ? bar_q : bar_q1; };
  auto q_empty = [&](int slot) { return slot == 0 ? bar_q_empty : bar_q_empty1; };
  auto q_index = [&](int slot) { return slot == 0 ? s_tile : s_tile1; };

  const int causal_shift = a.kv_len - a.q_len;  // query i sees key j iff j <= i + causal_shift
  // One unit of work: 64·consumers query rows of one (batch, head) against their key tiles.
  // Key tiles n_first .. n_first + n_blocks − 1; a piece of a split tile (`piece`) holds some of them, and `finisher`
  // says it holds the tile's first key step (it merges the others' partial results and stores the tile).
  struct Work {
    int bh, kv_bh, m_start, q_rows, n_first, n_blocks;
    bool piece, finisher;
  };
  // The tail split: this block's unit holds key steps [unit_begin, unit_end) of the split tiles (flash3.hpp).
  constexpr bool kTailSplit = kPersistent && !kCausal;
  const bool has_unit = kTailSplit && int(blockIdx.x) < a.units;
  const long long unit_begin = has_unit ? (long long)blockIdx.x * a.iters / a.units : 0;
  const int unit_end = has_unit ? int((blockIdx.x + 1ll) * a.iters / a.units) : 0;
  const int tail_first_job = unit_begin < unit_end ? a.total_tiles + int(unit_begin) : INT_MAX;
  // The job after `job` on this block (non-causal persistent grid): the next whole tile, else the unit's first piece;
  // after a piece the next one, up to the unit's end.
  auto next_job = [&](int job) {
    if (job < a.dp_tiles) {
      const int next = job + int(gridDim.x);
      return next < a.dp_tiles ? next : tail_first_job;
    }
    const int i = job - a.total_tiles;
    const int piece_end = min(unit_end, (i / a.key_blocks + 1) * a.key_blocks);
    return piece_end < unit_end ? a.total_tiles + piece_end : INT_MAX;
  };
  auto work_of = [&](int job) {
    Work w;
    int tile = job;
    w.n_first = 0, w.piece = false, w.finisher = false;
    if (kTailSplit && job >= a.total_tiles) {
      const int i = job - a.total_tiles, local = i / a.key_blocks;
      tile = a.dp_tiles + local;
      w.n_first = i - local * a.key_blocks;
      w.n_blocks = min(unit_end, (local + 1) * a.key_blocks) - i;
      w.piece = w.n_blocks < a.key_blocks;
      w.finisher = w.n_first == 0;
    }
    int m_block;
    tile_coords(tile, a, kCausal, !kCausal && Cfg::kSplitsRaggedTile, w.bh, m_block);
    const int batch = w.bh / a.q_heads, head = w.bh % a.q_heads;
    w.kv_bh = batch * a.kv_heads + head / a.group;
    w.m_start = query_tile_start(m_block, a.num_m_blocks, a.q_len, kBlockM, kCausal);  // causal: from the last row up
    w.q_rows = min(kBlockM, a.q_len - w.m_start);
    // A causal ragged first tile (it starts at row 0 and overlaps the second) keeps only its own rows, rounded up to
    // whole consumer warpgroups (flash3.hpp, first_tile_rows): it walks just the keys they see, and its other rows,
    // whose keys it then does not all see, are left to the second tile to store.
    if (kCausal && m_block == 0) w.q_rows = min(w.q_rows, a.first_tile_rows);
    const int n_end = kCausal ? min(a.kv_len, max(0, w.m_start + w.q_rows + causal_shift)) : a.kv_len;
    if (!(kTailSplit && job >= a.total_tiles)) w.n_blocks = (n_end + kBlockN - 1) / kBlockN;
    return w;
  };

  const int warpgroup = threadIdx.x / 128;
  if (threadIdx.x == 0) {
    mbar_init(bar_q, 1);
    mbar_init(bar_q_empty, 4 * Cfg::kConsumers);
    if constexpr (kQSlots == 2) {
      mbar_init(bar_q1, 1);
      mbar_init(bar_q_empty1, 4 * Cfg::kConsumers);
    }
    for (int s = 0; s < kStages; ++s) {
      mbar_init(bar_k_full(s), 1);
      mbar_init(bar_v_full(s), 1);
      // One arrival per consumer warp of every block in the cluster: a slot is refilled (in all of
      // them, by multicast) only once each of them is done with it.
      mbar_init(bar_k_empty(s), 4 * Cfg::kConsumers * kCluster);
      mbar_init(bar_v_empty(s), 4 * Cfg::kConsumers * kCluster);
    }
    fence_barrier_init();
  }
  if constexpr (kCluster > 1)
    cluster_sync();  // the other block's barriers exist before its multicasts and arrivals reach them
  else
    __syncthreads();

  // The r-th K or V tile of this block's ring (keys from n_block·kBlockN of head kv_bh) into its slot, once
  // the consumers have released the tile kStages before it. In a cluster this block loads its share of the
  // 64-column blocks, into every block of the cluster (same offset, same full barrier).
  constexpr int kOwnCols = Cfg::kColBlocks / kCluster;
  const int first_col = kCluster > 1 ? int(cluster_ctarank()) * kOwnCols : 0;
  auto load_kv = [&](bool is_v, int r, int n_block, int kv_bh) {
    const int slot = r % kStages;
    const uint32_t full = is_v ? bar_v_full(slot) : bar_k_full(slot);
    mbar_wait(is_v ? bar_v_empty(slot) : bar_k_empty(slot), ((r / kStages) & 1) ^ 1);
    mbar_arrive_expect_tx(full, Cfg::kTileBytes);  // in a cluster: half from this block, half from the other
#pragma unroll
    for (int i = 0; i < kOwnCols; ++i) {
      const int c = first_col + i;
      const uint32_t dst = (is_v ? sV : sK) + slot * Cfg::kTileBytes + c * kBlockN * kRowBytes;
      const CUtensorMap* map = is_v ? &maps.v : &maps.k;
      if constexpr (kCluster > 1)
        tma_load_3d_multicast(dst, map, full, uint16_t((1u << kCluster) - 1), kBlockCols * c, n_block * kBlockN, kv_bh);
      else
        tma_load_3d(dst, map, full, kBlockCols * c, n_block * kBlockN, kv_bh);
    }
  };
  auto load_q = [&](const Work& w, int slot) {
    mbar_arrive_expect_tx(q_full(slot), Cfg::kQBytes);
#pragma unroll
    for (int c = 0; c < Cfg::kColBlocks; ++c)
      tma_load_3d((slot == 0 ? sQ : sQ1) + c * kBlockM * kRowBytes, &maps.q, q_full(slot), kBlockCols * c, w.m_start, w.bh);
  };

  if (Cfg::kSpecialized && warpgroup == 0) {
    // ---------------------------------------------------------------- producer
    setmaxnreg_dec<kProducerRegs>();
    if (threadIdx.x == 0) {
      prefetch_tensor_map(&maps.q), prefetch_tensor_map(&maps.k), prefetch_tensor_map(&maps.v);
      int ring = 0;  // K (and V) tiles loaded so far: tile `ring + it` goes to slot (ring + it) % kStages
      int tile = kTailSplit && int(blockIdx.x) >= a.dp_tiles ? tail_first_job : int(blockIdx.x);  // the job id
      // Two Q slots: job j's tile index goes into its slot, with its Q when it has keys to see (past the end, the
      // consumers read the index and stop), one job ahead of its K and V tiles. Its work is worked out once, there
      // (twice per job, the producer spilled).
      Work w_next{};
      auto publish = [&](int j, int tile_j) {
        const int slot = j % kQSlots;
        mbar_wait(q_empty(slot), ((j / kQSlots) & 1) ^ 1);
        st_shared_s32(q_index(slot), tile_j);
        const bool valid_j = tile_j < (kTailSplit ? a.job_end : a.total_tiles);
        w_next = work_of(valid_j ? tile_j : 0);
        if (valid_j && w_next.n_blocks > 0)
          load_q(w_next, slot);
        else
          mbar_arrive(q_full(slot));
      };
      if constexpr (kQSlots == 2) publish(0, tile);
      for (int job = 0;; ++job) {
        const bool valid = tile < (kTailSplit ? a.job_end : a.total_tiles);
        const Work w = kQSlots == 2 ? w_next : work_of(valid ? tile : 0);
        const int n_blocks = valid ? w.n_blocks : 0, n_last = w.n_first + n_blocks - 1;
        // Tile `it` of this job walks the keys from the end backwards.
        auto load_k = [&](int it) { load_kv(false, ring + it, n_last - it, w.kv_bh); };
        auto load_v = [&](int it) { load_kv(true, ring + it, n_last - it, w.kv_bh); };
        // The first K tile does not need the Q tile to be free: on the persistent grid it loads while the
        // consumers still finish the previous tile.
        if (n_blocks > 0) load_k(0);
        if constexpr (kPersistent && kQSlots == 1) {
          mbar_wait(bar_q_empty, (job & 1) ^ 1);  // the consumers are done with the previous Q (and index)
          st_shared_s32(s_tile, tile);
          if (!valid) {
            mbar_arrive(bar_q);  // no more work: the consumers read the index past the end and stop
            break;
          }
        }
        if constexpr (kQSlots == 2)
          if (!valid) break;  // published one job ahead (past the end: the consumers stop on it)
        // The next tile is asked for now, so the atomic's round trip hides under this tile's loads.
        int next = tile + int(gridDim.x);
        if constexpr (kTailSplit) next = next_job(tile);
        if constexpr (kPersistent && kCausal) {  // non-causal tiles are dealt statically (no atomic: the
                                                 // producer's 24 registers spilled with it)
          const int taken = atomicAdd(a.tile_counter, 1);
          next = taken + int(gridDim.x);
          // Every block asks once per tile it has taken (its first from blockIdx.x): total_tiles requests
          // in all, the last of which finds no tile left (the grid has at most total_tiles blocks) and
          // leaves the counter at zero for the next launch that draws it from the pool.
          if (taken == a.total_tiles - 1) atomicExch(a.tile_counter, 0);
        }
        if (n_blocks > 0) {
          if constexpr (kQSlots == 1) load_q(w, 0);
          // K(it) before V(it − 1): the order the consumers need them in (Q·K(it)ᵀ is issued with P·V(it − 1)).
          for (int it = 1; it < n_blocks; ++it) {
            load_k(it);
            load_v(it - 1);
          }
          load_v(n_blocks - 1);
        } else if constexpr (kPersistent && kQSlots == 1) {
          mbar_arrive(bar_q);  // nothing to load, but the consumers still learn the tile (its rows are zeros)
        }
        // The next job's Q once this one's loads are out (each waited for its slot: about two key steps before this
        // job ends). Inside the loop, after the second K, the producer spilled.
        if constexpr (kQSlots == 2) publish(job + 1, next);
        ring += n_blocks;
        if constexpr (!kPersistent) break;
        tile = next;
      }
    }
    if constexpr (kCluster > 1) cluster_sync();  // see the consumers' end
    return;
  }

  // ------------------------------------------------------------------ consumers
  if constexpr (Cfg::kSpecialized) setmaxnreg_inc<kConsumerRegs>();
  const int cw = warpgroup - (Cfg::kSpecialized ? 1 : 0);  // consumer index: rows 64·cw .. +63 of the tile
  const int t = threadIdx.x % 128, warp = t / 32, lane = t % 32;
  // wgmma's accumulator layout: warp w holds rows 16w..16w+15; lane holds rows lane/4 and lane/4 + 8,
  // columns 8j + 2·(lane%4) + {0, 1} of every n8 block j (the mma.sync C layout, repeated along N).
  const int tile_row0 = 64 * cw + 16 * warp + lane / 4;  // + 8·r
  const uint32_t sQ_wg = sQ + 64 * cw * kRowBytes;
  // Descriptors by one add (sm90::TileDesc) where registers allow: with them the compiler holds Q's D/16
  // descriptors all loop long, and three consumers' 160 registers (d=96's 192×112: 8 bytes) and 192-key tiles (16
  // bytes) spilled; there each descriptor is encoded at its wgmma, as before TileDesc.
  constexpr bool kDescAdds = Cfg::kConsumers == 2 && kBlockN <= 176;
  const TileDesc<kRowBytes> q_desc(sQ_wg, 16, Cfg::kAtomBytes);  // this warpgroup's rows of the Q tile (slot 0)
  int q_slot = 0;        // the job's Q slot (kQSlots)
  uint32_t q_off = 0;    // its offset from slot 0

  // S = Q·Kᵀ for the K tile in stage s: D/16 wgmma k-steps. Within a column block (64 or 32 columns) a k16
  // step is +32 bytes on the descriptor's start address (the swizzle is applied to the computed address).
  // q_rows: the Q rows' base address (this warpgroup's, or the first one's in a split ragged tile); kDescAdds kernels
  // (two consumers, never split) read this warpgroup's rows through q_desc.
  auto issue_s_rows = [&](float (&s_acc)[Cfg::kSFloats], int s, uint32_t q_rows) {
    const uint32_t k_tile = sK + s * Cfg::kTileBytes;
    const TileDesc<kRowBytes> k_desc(k_tile, 16, Cfg::kAtomBytes);
    fence_regs(s_acc);  // keep every write of these registers before the fence (else ptxas serializes)
    warpgroup_arrive();
    detail::static_for<D / 16>([&](auto kk) {
      constexpr int kSteps = kBlockCols / 16;  // k16 steps per column block
      constexpr int c = kk / kSteps, k_bytes = (kk % kSteps) * 32;
      const uint32_t q_offset = c * kBlockM * kRowBytes + k_bytes, k_offset = c * kBlockN * kRowBytes + k_bytes;
      if constexpr (kDescAdds)
        wgmma::Op<Element, kBlockN>::ss(s_acc, q_desc.at(q_off + q_offset), k_desc.at(k_offset), kk == 0 ? 0 : 1);
      else
        wgmma::Op<Element, kBlockN>::ss(s_acc, make_desc<kRowBytes>(q_rows + q_off + q_offset, 16, Cfg::kAtomBytes),
                                        make_desc<kRowBytes>(k_tile + k_offset, 16, Cfg::kAtomBytes), kk == 0 ? 0 : 1);
    });
    warpgroup_commit();
  };
  auto issue_s = [&](float (&s_acc)[Cfg::kSFloats], int s) { issue_s_rows(s_acc, s, sQ_wg); };
  // Every consumer warp arrives (after its own wgmma wait): the slot is free once all of them have.
  auto release = [&](uint32_t empty_bar) {
    __syncwarp();
    if (lane == 0) mbar_arrive(empty_bar);
  };
  // A K or V slot: in a cluster every block's copy of the slot is refilled by one multicast, so each
  // consumer warp tells every block (lane i arrives on block i's barrier).
  auto release_kv = [&](uint32_t empty_bar) {
    if constexpr (kCluster > 1) {
      __syncwarp();
      if (lane < kCluster) mbar_arrive_cluster(empty_bar, uint32_t(lane));
    } else {
      release(empty_bar);
    }
  };
  // Ping-pong: the consumers issue their GEMMs in a ring, cw after cw − 1: each waits on its own turn
  // barrier (its 128 threads + the 128 of the one before, which arrive when done issuing) and then
  // arrives on the next one's. The last consumer opens the ring once at the start and consumer 0 takes
  // the last consumer's final arrival at the very end, so every bar.arrive meets its bar.sync.
  constexpr int kC = Cfg::kConsumers;
  auto turn_begin = [&] {
    if constexpr (kSchedule == Schedule::kPingPong) named_barrier_sync(Cfg::kTurnBarrier + cw, 256);
  };
  auto turn_end = [&] {
    if constexpr (kSchedule == Schedule::kPingPong) named_barrier_arrive(Cfg::kTurnBarrier + (cw + 1) % kC, 256);
  };
  if constexpr (kSchedule == Schedule::kPingPong)
    if (cw == kC - 1) named_barrier_arrive(Cfg::kTurnBarrier, 256);  // consumer 0 goes first
  auto stage_of = [](int r) { return r % kStages; };
  auto phase_of = [](int r) { return uint32_t(r / kStages) & 1; };
  // With a separate output tile the Q tile is free for the next tile's Q once the last Q·Kᵀ is done;
  // otherwise only once the output stored through it has been read out.
  auto release_q_after_gemm = [&] {
    if constexpr (kPersistent && Cfg::kSeparateO) release(q_empty(q_slot));
  };
  // Without a separate output tile (the persistent 128×176 tiles: no room beside Q and the rings) the output is staged
  // in the K slot of the job's last key step instead of the Q tile, so the next Q loads as soon as both warpgroups'
  // last Q·Kᵀ is done, under the last softmax, P·V and the store, not after the store has read Q out. That slot is
  // released after the store instead of after the Q·Kᵀ; each warpgroup writes its rows only once the other one's last
  // Q·Kᵀ (which reads the whole slot) has finished: named barrier kSlotBarrier + cw, arrived on by the other warpgroup.
  constexpr bool kStageOInK = kPersistent && !Cfg::kSeparateO && Cfg::kTileBytes >= Cfg::kQBytes &&
                              kSchedule == Schedule::kPingPong && kC == 2;
  constexpr int kSlotBarrier = Cfg::kTurnBarrier + kC;
  constexpr int kMergeBarrier = Cfg::kTurnBarrier + kC;  // the ragged tile's merge (three consumers: no slot barrier)
  static_assert(!Cfg::kSplitsRaggedTile || !kStageOInK, "one named barrier for the slot or the merge");
  auto release_q_after_last_gemm = [&] {
    if constexpr (kStageOInK) release(bar_q_empty);
    else release_q_after_gemm();
  };
  // Causal 192-row tiles (the three consumers of d=64 and d=96): a consumer walks only the key tiles its own 64 rows see.
  // The block walks its key tiles from the diagonal back to the first, and the first consumer's rows end 128 keys before
  // the third one's, so at the start of the walk it may have key tiles whose scores would all be −∞ (d=64 at 1k: 9 of a
  // head's 81 consumer steps, flash3.hpp's causal_idle_key_steps). It takes an empty turn there instead (each consumer takes
  // n_blocks + 1 turns a job, so the ring stays in step) and releases the tile's slots once they are filled (an
  // arrival before the fill could be counted towards the slot's previous use, whose arrivals may not all be in yet).
  constexpr bool kSkipsIdleKeys = kCausal && kPersistent && kC == 3 && (D == 64 || D == 96) && kSchedule == Schedule::kPingPong;
  static_assert(!kSkipsIdleKeys || !kStageOInK, "a skipped step never holds the staged output");

  int ring = 0;
  for (int job = 0;; ++job) {
    int tile = blockIdx.x;
    if constexpr (kPersistent) {
      if constexpr (kQSlots == 2) q_slot = job & 1, q_off = q_slot == 0 ? 0u : sQ1 - sQ;
      mbar_wait(q_full(q_slot), (job / kQSlots) & 1);  // the tile index, and its Q if it has keys to see
      tile = ld_shared_s32(q_index(q_slot));
      if (tile >= (kTailSplit ? a.job_end : a.total_tiles)) break;
    }
    const Work w = work_of(tile);
    const int n_blocks = w.n_blocks, m_start = w.m_start, n_last = w.n_first + n_blocks - 1;
    // kStageOInK: the output goes out through the last K slot (a piece that only leaves a partial result stores none).
    const bool stage_o = kStageOInK && n_blocks > 0 && !(w.piece && !w.finisher);
    // Cfg::kSplitsRaggedTile: a whole tile whose rows fit the first consumer warpgroup, split by key steps (below).
    const bool split = !kCausal && Cfg::kSplitsRaggedTile && !w.piece && w.q_rows <= 64 && n_blocks >= kC;

    float o[Cfg::kOFloats];
#pragma unroll
    for (int i = 0; i < Cfg::kOFloats; ++i) o[i] = 0.f;
    float row_max[2] = {-INFINITY, -INFINITY}, row_sum[2] = {0.f, 0.f};
    bool overflowed = false;  // Cfg::kStaleMax: an exp2 of this job overflowed (a row maximum jumped by 2^120)

    // O += P·V for the V tile in stage s: kBlockN/16 k-steps of 16 keys (= 16 rows × kRowBytes); V is
    // read transposed (MN-major), its column blocks kBlockN·kRowBytes bytes apart (the descriptor's lbo).
    auto issue_o = [&](uint32_t (&p)[kBlockN / 16][4], int s) {
      const uint32_t v_tile = sV + s * Cfg::kTileBytes;
      const TileDesc<kRowBytes> v_desc(v_tile, kBlockN * kRowBytes, Cfg::kAtomBytes);
      fence_regs(o);
      fence_regs(p);
      warpgroup_arrive();
      detail::static_for<kBlockN / 16>([&](auto kp) {
        if constexpr (kDescAdds)
          wgmma::Op<Element, D>::rs(o, p[kp], v_desc.at(kp * 16 * kRowBytes), 1);
        else
          wgmma::Op<Element, D>::rs(o, p[kp], make_desc<kRowBytes>(v_tile + kp * 16 * kRowBytes, kBlockN * kRowBytes, Cfg::kAtomBytes), 1);
      });
      warpgroup_commit();
    };
    auto mask = [&](float (&s_acc)[Cfg::kSFloats], int n_start) {
      const bool ragged = n_start + kBlockN > a.kv_len;
      const bool diagonal = kCausal && n_start + kBlockN - 1 > m_start + 64 * cw + causal_shift;
      if (ragged || diagonal) mask_scores<Cfg, kCausal>(s_acc, n_start, m_start + tile_row0, lane, a);
    };
    auto softmax = [&](float (&s_acc)[Cfg::kSFloats], int n_start, float (&alpha)[2]) {
      mask(s_acc, n_start);
      online_softmax<Cfg>(s_acc, a, row_max, row_sum, alpha);
    };
    // The loop's softmax: against the rows' previous maxima (Cfg::kStaleMax) once every row of the warp has one (a
    // causal row may have seen no key yet). Returns whether O must be rescaled by alpha.
    auto softmax_step = [&](float (&s_acc)[Cfg::kSFloats], int n_start, float (&alpha)[2]) -> bool {
      if constexpr (Cfg::kStaleMax && kSchedule == Schedule::kPingPong) {
        if (!__any_sync(0xffffffffu, row_max[0] == -INFINITY || row_max[1] == -INFINITY)) {
          mask(s_acc, n_start);
          return online_softmax_stale_max<Cfg>(s_acc, a, row_max, row_sum, alpha, overflowed);
        }
      }
      softmax(s_acc, n_start, alpha);
      return true;
    };
    auto rescale_o = [&](const float (&alpha)[2]) {
#pragma unroll
      for (int j = 0; j < D / 8; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) o[4 * j + e] *= alpha[e / 2];
    };

    // Without a producer, thread 0 issues the copies in its own program order: Q and the first kStages − 1
    // K/V tiles now, then at the top of each step the tile kStages − 1 ahead, after waiting (and with it its
    // warpgroup) until every consumer has released that slot's previous tile.
    const bool self_loading = !Cfg::kSpecialized && threadIdx.x == 0;
    auto load_ahead = [&](int it) {
      if (self_loading && it < n_blocks) {
        load_kv(false, ring + it, n_last - it, w.kv_bh);
        load_kv(true, ring + it, n_last - it, w.kv_bh);
      }
    };
    if (n_blocks > 0) {
      if constexpr (!Cfg::kSpecialized) {
        if (self_loading) {
          prefetch_tensor_map(&maps.q), prefetch_tensor_map(&maps.k), prefetch_tensor_map(&maps.v);
          load_q(w, 0);
        }
        for (int it = 0; it < kStages - 1; ++it) load_ahead(it);
      }
      if constexpr (!kPersistent) mbar_wait(bar_q, 0);
      if constexpr (kSchedule == Schedule::kSerial || kSchedule == Schedule::kUnspecialized) {
        for (int it = 0; it < n_blocks; ++it) {
          if constexpr (!Cfg::kSpecialized) load_ahead(it + kStages - 1);
          const int s = stage_of(ring + it);
          float s_acc[Cfg::kSFloats];
          uint32_t p[kBlockN / 16][4];
          float alpha[2];
          mbar_wait(bar_k_full(s), phase_of(ring + it));
          issue_s(s_acc, s);
          warpgroup_wait<0>();
          fence_regs(s_acc);
          release_kv(bar_k_empty(s));
          if (it == n_blocks - 1) release_q_after_gemm();
          softmax(s_acc, (n_last - it) * kBlockN, alpha);
          pack_p<Cfg>(s_acc, p);
          rescale_o(alpha);
          mbar_wait(bar_v_full(s), phase_of(ring + it));
          issue_o(p, s);
          warpgroup_wait<0>();
          fence_regs(o);
          release_kv(bar_v_empty(s));
        }
      } else if (split) {
        // A ragged tile whose rows fit the first warpgroup (TileShape::splits_ragged_tile): every consumer takes those
        // rows, consumer c the key steps c, c + kC, …, each step on its own (S, softmax, P·V) while the others release
        // the step's slots once filled; no turns are taken (only one consumer multiplies per step). Then the others'
        // partial O, maxima and sums are merged into the first consumer's, like two halves of an online softmax.
        for (int it = 0; it < n_blocks; ++it) {
          const int s = stage_of(ring + it);
          mbar_wait(bar_k_full(s), phase_of(ring + it));
          if (it % kC == cw) {
            float s_acc[Cfg::kSFloats];
            uint32_t p[kBlockN / 16][4];
            float alpha[2];
            issue_s_rows(s_acc, s, sQ);
            warpgroup_wait<0>();
            fence_regs(s_acc);
            release_kv(bar_k_empty(s));
            softmax(s_acc, (n_last - it) * kBlockN, alpha);
            rescale_o(alpha);
            pack_p<Cfg>(s_acc, p);
            mbar_wait(bar_v_full(s), phase_of(ring + it));
            issue_o(p, s);
            warpgroup_wait<0>();
            fence_regs(o);
          } else {
            release_kv(bar_k_empty(s));
            mbar_wait(bar_v_full(s), phase_of(ring + it));
          }
          release_kv(bar_v_empty(s));
        }
        release_q_after_gemm();
        // Consumer c > 0 leaves its thread t's floats 128 apart in slot c − 1 (O's, then the maxima and the sums).
        const uint32_t merge_slot = sMerge + uint32_t(((cw == 0 ? 0 : cw - 1) * (Cfg::kOFloats + 4) * 128 + t) * 4);
        if (cw != 0) {
#pragma unroll
          for (int i = 0; i < Cfg::kOFloats; ++i) st_shared_f32(merge_slot + i * 512, o[i]);
#pragma unroll
          for (int r = 0; r < 2; ++r) {
            st_shared_f32(merge_slot + (Cfg::kOFloats + r) * 512, row_max[r]);
            st_shared_f32(merge_slot + (Cfg::kOFloats + 2 + r) * 512, row_sum[r]);
          }
        }
        named_barrier_sync(kMergeBarrier, 128 * kC);
        if (cw == 0) {
          for (int c = 1; c < kC; ++c) {
            const uint32_t src = merge_slot + uint32_t((c - 1) * (Cfg::kOFloats + 4) * 128 * 4);
            float f_own[2], f_other[2];
#pragma unroll
            for (int r = 0; r < 2; ++r) {
              const float m_other = ld_shared_f32(src + (Cfg::kOFloats + r) * 512);
              const float l_other = ld_shared_f32(src + (Cfg::kOFloats + 2 + r) * 512);
              const float m = fmaxf(row_max[r], m_other);
              f_own[r] = row_max[r] == -INFINITY ? 0.f : attn::exp2_fast((row_max[r] - m) * a.scale_log2);
              f_other[r] = m_other == -INFINITY ? 0.f : attn::exp2_fast((m_other - m) * a.scale_log2);
              row_sum[r] = row_sum[r] * f_own[r] + l_other * f_other[r];
              row_max[r] = m;
            }
#pragma unroll
            for (int i = 0; i < Cfg::kOFloats; ++i) o[i] = o[i] * f_own[(i % 4) / 2] + ld_shared_f32(src + i * 512) * f_other[(i % 4) / 2];
          }
        }
        named_barrier_sync(kMergeBarrier, 128 * kC);  // the slots are read before the next split tile writes them
      } else {
        // kSkipsIdleKeys: this consumer's first step (the ones before it hold no key its rows see).
        int first = 0;
        if constexpr (kSkipsIdleKeys) {
          // The same for the whole warp; through REDUX (whose result is a uniform register) ptxas keeps the loop's
          // index and descriptor arithmetic on the uniform datapath, as without the skip (else it moved it to R2URs).
          const int idle = causal_idle_key_steps(m_start, w.q_rows, cw, a.kv_len, causal_shift, n_blocks, kBlockN);
          first = int(__reduce_min_sync(0xffffffffu, unsigned(idle)));
#pragma unroll 1
          for (int it = 0; it < first; ++it) {
            const int s = stage_of(ring + it);
            turn_begin();
            turn_end();
            mbar_wait(bar_k_full(s), phase_of(ring + it));
            release_kv(bar_k_empty(s));
            mbar_wait(bar_v_full(s), phase_of(ring + it));
            release_kv(bar_v_empty(s));
          }
          if (first == n_blocks) {  // no key for any of its rows: the last P·V's turn is empty too
            release_q_after_last_gemm();
            turn_begin();
            turn_end();
          }
        }
        if (first < n_blocks) {
          float s_acc[Cfg::kSFloats];
          uint32_t p[kBlockN / 16][4];
          float alpha[2];
          const int s0 = stage_of(ring + first);
          mbar_wait(bar_k_full(s0), phase_of(ring + first));
          turn_begin();
          issue_s(s_acc, s0);
          turn_end();
          warpgroup_wait<0>();
          fence_regs(s_acc);
          if (!(stage_o && first == n_blocks - 1)) release_kv(bar_k_empty(s0));
          if (first == n_blocks - 1) {
            release_q_after_last_gemm();
            if constexpr (kStageOInK)
              if (stage_o) named_barrier_arrive(kSlotBarrier + (1 - cw), 256);  // the other warpgroup may write it
          }
          softmax(s_acc, (n_last - first) * kBlockN, alpha);  // alpha = 0 on an all-zero O: nothing to rescale
          pack_p<Cfg>(s_acc, p);
          for (int it = first + 1; it < n_blocks; ++it) {
            const int s = stage_of(ring + it), s_prev = stage_of(ring + it - 1);
            mbar_wait(bar_k_full(s), phase_of(ring + it));
            mbar_wait(bar_v_full(s_prev), phase_of(ring + it - 1));
            turn_begin();
            issue_s(s_acc, s);
            issue_o(p, s_prev);
            turn_end();
            warpgroup_wait<1>();  // S(it) done; P·V(it−1) may still run while we do the softmax
            fence_regs(s_acc);
            // The producer refills the slot during our softmax.
            if (!(stage_o && it == n_blocks - 1)) release_kv(bar_k_empty(s));
            if (it == n_blocks - 1) {
              release_q_after_last_gemm();
              if constexpr (kStageOInK)
                if (stage_o) named_barrier_arrive(kSlotBarrier + (1 - cw), 256);
            }
            const bool rescale = softmax_step(s_acc, (n_last - it) * kBlockN, alpha);
            // Cfg::kSoftmaxUnderOwnPv: ptxas keeps this store of the row sums (which need every exp2) before the
            // wait for P·V(it−1); without it, it hoists the wait above the softmax.
            if constexpr (Cfg::kSoftmaxUnderOwnPv)
              asm volatile("st.shared.f32 [%0], %1;\n" ::"r"(s_scratch), "f"(row_sum[0] + row_sum[1]) : "memory");
            warpgroup_wait<0>();
            fence_regs(o);
            release_kv(bar_v_empty(s_prev));
            if (rescale) rescale_o(alpha);
            pack_p<Cfg>(s_acc, p);
            fence_regs(o);  // the rescale and the packing happen before the next wgmmas are issued
            fence_regs(p);
          }
          const int s_last = stage_of(ring + n_blocks - 1);
          mbar_wait(bar_v_full(s_last), phase_of(ring + n_blocks - 1));
          turn_begin();
          issue_o(p, s_last);
          turn_end();
          warpgroup_wait<0>();
          fence_regs(o);
          release_kv(bar_v_empty(s_last));
        }
      }
    } else {
      release_q_after_gemm();  // nothing was loaded into Q for this tile
    }
    ring += n_blocks;

    // ---- the rare path of the softmax against the previous maximum: a row whose maximum jumped by 2^120 or more
    // during this job has overflowed exp2s in its O and row sum, so the warp computes its rows' results again here, in
    // fp32 on the CUDA cores from Q, K and V in global memory, over the job's key tiles: slow, exact, and outside the
    // loop (inside it the extra registers spilled). Each lane makes its own output columns and its rows' maxima, and
    // the row sum over its quarter of the keys (the epilogue and the tail split's merge add the quad's four).
    if constexpr (Cfg::kStaleMax && kSchedule == Schedule::kPingPong) {
      if (__any_sync(0xffffffffu, overflowed)) {
        using E = typename Cfg::Element;
        const E* q_head = static_cast<const E*>(a.q) + int64_t(w.bh) * a.q_len * a.head_dim;
        const E* k_head = static_cast<const E*>(a.k) + int64_t(w.kv_bh) * a.kv_len * a.head_dim;
        const E* v_head = static_cast<const E*>(a.v) + int64_t(w.kv_bh) * a.kv_len * a.head_dim;
#pragma unroll  // o, row_max and row_sum are registers: indexed by constants only
        for (int r = 0; r < 2; ++r) {
          const int row = m_start + tile_row0 + 8 * r;
          const E* q_row = q_head + int64_t(min(row, a.q_len - 1)) * a.head_dim;
          const int last_key = kCausal ? min(a.kv_len - 1, row + causal_shift) : a.kv_len - 1;
          // Rows past q_len (a ragged tile's) are not stored: no keys, zeros.
          const int key_end = row < a.q_len ? min((n_last + 1) * kBlockN - 1, last_key) + 1 : 0;
          auto score = [&](int key) {
            const E* k_row = k_head + int64_t(key) * a.head_dim;
            float dot = 0.f;
            for (int d = 0; d < a.head_dim; ++d) dot = fmaf(float(q_row[d]), float(k_row[d]), dot);
            return dot;
          };
          float m = -INFINITY;
          for (int key = w.n_first * kBlockN; key < key_end; ++key) m = fmaxf(m, score(key));
          float l = 0.f;
#pragma unroll
          for (int j = 0; j < D / 8; ++j) o[4 * j + 2 * r] = 0.f, o[4 * j + 2 * r + 1] = 0.f;
          for (int key = w.n_first * kBlockN; m != -INFINITY && key < key_end; ++key) {
            const float prob = attn::exp2_fast((score(key) - m) * a.scale_log2);
            if (key % 4 == lane % 4) l += prob;
            const E* v_row = v_head + int64_t(key) * a.head_dim;
#pragma unroll
            for (int j = 0; j < D / 8; ++j)
#pragma unroll
              for (int e = 0; e < 2; ++e) {
                const int col = 8 * j + 2 * (lane % 4) + e;
                if (col < a.head_dim) o[4 * j + 2 * r + e] = fmaf(prob, float(v_row[col]), o[4 * j + 2 * r + e]);
              }
          }
          row_max[r] = m;
          row_sum[r] = l;
        }
      }
    }

    // ---- a piece of a split tile (kTailSplit): leave the partial result, or merge the others' into this one ----
    if constexpr (kTailSplit) {
      // Unit u's slot for this warpgroup: each thread's floats 128 apart (coalesced), O's first, then the row maxima
      // and the row sums (per thread: the quad's partial sums, merged thread by thread like the rest).
      auto slot = [&](int unit) { return a.partials + (int64_t(unit) * kC + cw) * ((Cfg::kOFloats + 4) * 128) + t; };
      if (w.piece && !w.finisher) {
        float* dst = slot(blockIdx.x);
#pragma unroll
        for (int i = 0; i < Cfg::kOFloats; ++i) __stcg(dst + i * 128, o[i]);
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          __stcg(dst + (Cfg::kOFloats + r) * 128, row_max[r]);
          __stcg(dst + (Cfg::kOFloats + 2 + r) * 128, row_sum[r]);
        }
        __threadfence();
        named_barrier_sync(Cfg::kEpilogueBarrier + cw, 128);  // every thread's stores are out before the flag
        if (t == 0) {
          st_release_gpu(a.flags + blockIdx.x * kC + cw, 1);
          if constexpr (!Cfg::kSeparateO && !kStageOInK) mbar_arrive_count(bar_q_empty, 4);  // nothing goes out through Q
        }
        continue;
      }
      if (w.piece) {
        // The finisher: the units after this one up to the one holding the tile's last key step each left a piece.
        const long long last_step = (long long)(tile - a.total_tiles) + a.key_blocks - 1;
        const int last_unit = int((last_step * a.units + a.units - 1) / a.iters);
        for (int u = int(blockIdx.x) + 1; u <= last_unit; ++u) {
          if (t == 0) wait_flag_gpu(a.flags + u * kC + cw);  // the launch cleared the flags (cudaMemsetAsync)
          named_barrier_sync(Cfg::kEpilogueBarrier + cw, 128);
          const float* src = slot(u);
          float f_own[2], f_other[2];
#pragma unroll
          for (int r = 0; r < 2; ++r) {
            const float m_other = __ldcg(src + (Cfg::kOFloats + r) * 128), l_other = __ldcg(src + (Cfg::kOFloats + 2 + r) * 128);
            const float m = fmaxf(row_max[r], m_other);
            f_own[r] = row_max[r] == -INFINITY ? 0.f : attn::exp2_fast((row_max[r] - m) * a.scale_log2);
            f_other[r] = m_other == -INFINITY ? 0.f : attn::exp2_fast((m_other - m) * a.scale_log2);
            row_sum[r] = row_sum[r] * f_own[r] + l_other * f_other[r];
            row_max[r] = m;
          }
#pragma unroll
          for (int j = 0; j < D / 8; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) o[4 * j + e] = o[4 * j + e] * f_own[e / 2] + __ldcg(src + (4 * j + e) * 128) * f_other[e / 2];
        }
      }
    }

    // ---- epilogue: O / l into this warpgroup's rows of the output tile (swizzled like the map), TMA store ----
    const int o_slot = stage_of(ring - 1);  // stage_o: the last key step's K slot
    const uint32_t sO_job = stage_o ? sK + o_slot * Cfg::kTileBytes : sO, sO_job_wg = sO_job + 64 * cw * kRowBytes;
    if constexpr (kStageOInK)
      if (stage_o) named_barrier_sync(kSlotBarrier + cw, 256);  // the other warpgroup's last Q·Kᵀ is done
    if constexpr (kPersistent && Cfg::kSeparateO) {
      // The previous tile's store must have finished reading the output tile before it is rewritten.
      if (t == 0) tma_store_wait_read();
      named_barrier_sync(Cfg::kEpilogueBarrier + cw, 128);
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const float l = sm80::quad_sum(row_sum[r]);
      const float inv_l = attn::inverse_sum(l);  // a row that sees no key outputs zeros
      const int tile_row = tile_row0 + 8 * r;
      if (a.lse != nullptr && lane % 4 == 0 && tile_row < w.q_rows)
        a.lse[int64_t(w.bh) * a.q_len + m_start + tile_row] = l > 0.f ? row_max[r] * a.scale + logf(l) : -INFINITY;
#pragma unroll
      for (int j = 0; j < D / 8; ++j) {
        // Column 8j + 2·(lane%4): 16-byte chunk j % kChunks of column block j / kChunks, swizzled by the row.
        constexpr int kChunks = kRowBytes / 16;
        const uint32_t addr = sO_job + (j / kChunks) * kBlockM * kRowBytes + tile_row * kRowBytes +
                              (swizzled_chunk<kRowBytes>(j % kChunks, tile_row) * 16) + 4 * (lane % 4);
        const uint32_t packed = sm80::pack2<Element>(o[4 * j + 2 * r] * inv_l, o[4 * j + 2 * r + 1] * inv_l);
        asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(addr), "r"(packed) : "memory");
      }
    }
    fence_proxy_async();                                   // the copy engine reads what ordinary stores wrote
    named_barrier_sync(Cfg::kEpilogueBarrier + cw, 128);  // this warpgroup's 64 rows are complete
    if (t == 0) {
#pragma unroll
      for (int c = 0; c < Cfg::kColBlocks; ++c)
        if (!kCausal || 64 * cw < w.q_rows)  // causal: rows this tile stores (past q_len, or another tile's: work_of)
          tma_store_3d(&maps.o, sO_job_wg + c * kBlockM * kRowBytes, kBlockCols * c, m_start + 64 * cw, w.bh);
      tma_store_commit();
      if constexpr (!(kPersistent && Cfg::kSeparateO)) tma_store_wait_read();
      // The tile O went out through is free once this warpgroup's rows have been read out: the K slot (for its next
      // K tile), or Q's (for the next Q).
      if (stage_o)
        mbar_arrive_count(bar_k_empty(o_slot), 4);
      else if constexpr (kPersistent && !Cfg::kSeparateO)
        mbar_arrive_count(bar_q_empty, 4);
    }
    if constexpr (!kPersistent) break;
  }
  if constexpr (kPersistent && Cfg::kSeparateO)
    if (t == 0) tma_store_wait_read();  // shared memory must outlive the last store's reads
  if constexpr (kSchedule == Schedule::kPingPong)
    if (cw == 0) named_barrier_sync(Cfg::kTurnBarrier, 256);  // the last consumer's final arrival
  // Neither block of a cluster leaves while the other may still arrive on its empty barriers.
  if constexpr (kCluster > 1) cluster_sync();
#endif
}

// Host side: configure shared memory, launch on `stream`. The tensor maps come from flash3.cu.
template <class Cfg, bool kCausal>
void launch(const TensorMaps& maps, const Params& p, const Choice& c, void* workspace, cudaStream_t stream) {
  // A cluster pairs neighbouring query tiles of one head: with an odd number of them per head a pair
  // would straddle two heads (different K and V), so such launches run unclustered.
  if constexpr (Cfg::kCluster > 1)
    if ((p.q_len + Cfg::kBlockM - 1) / Cfg::kBlockM % Cfg::kCluster != 0)
      return launch<typename Cfg::Unclustered, kCausal>(maps, p, c, workspace, stream);
  const auto kernel = forward_kernel<Cfg, kCausal>;
  // + the second Q slot, or the ragged tile's merge area
  constexpr int kSmemBytes = kCausal && Cfg::kQRingFits         ? Cfg::kSmemBytesQRing
                             : !kCausal && Cfg::kSplitsRaggedTile ? Cfg::kSmemBytesMerge
                                                                  : Cfg::kSmemBytes;
  cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes);
  if (e != cudaSuccess)
    throw std::runtime_error("flash3: cannot give the kernel " + std::to_string(kSmemBytes / 1024) +
                             " KiB of shared memory: " + cudaGetErrorString(e));
  KernelArgs a{};
  a.lse = p.lse;
  a.q = p.q, a.k = p.k, a.v = p.v, a.head_dim = p.head_dim;
  a.q_heads = int(p.q_heads);
  a.kv_heads = int(p.kv_heads);
  a.group = int(p.q_heads / p.kv_heads);
  a.q_len = int(p.q_len);
  a.kv_len = int(p.kv_len);
  a.num_m_blocks = int((p.q_len + Cfg::kBlockM - 1) / Cfg::kBlockM);
  a.first_tile_rows = first_tile_rows(int(p.q_len), Cfg::kBlockM);
  a.scale = p.scale;
  a.scale_log2 = p.scale * attn::kLog2e;
  const int64_t tiles = int64_t(a.num_m_blocks) * p.batch * p.q_heads;
  if (tiles > INT_MAX) throw std::runtime_error("flash3: problem needs " + std::to_string(tiles) + " tiles; at most 2^31-1");
  if (tiles == 0) return;
  a.total_tiles = int(tiles);
  a.bh_count = int(p.batch * p.q_heads);
  a.section_heads = kCausal ? causal_section_heads(p, c.heads_order) : 0;
  unsigned blocks = unsigned(tiles);
  a.dp_tiles = a.total_tiles, a.job_end = a.total_tiles;
  if constexpr (Cfg::kPersistent) {
    const int sms = multiprocessors();
    blocks = unsigned(std::min<int64_t>(tiles, sms));
    if (kCausal) a.tile_counter = tile_counter_for_launch();
    const TailSplit split = tail_split(c, shape_of(p), p.batch * p.q_heads, sms);
    if (split.units > 0) {
      if (workspace == nullptr) throw std::logic_error("flash3: a tail split without its workspace");
      blocks = unsigned(sms);
      a.dp_tiles = split.dp_tiles, a.units = split.units, a.key_blocks = split.key_blocks, a.iters = split.iters;
      a.job_end = a.total_tiles + int(split.iters);
      a.partials = static_cast<float*>(workspace);
      a.flags = reinterpret_cast<int*>(a.partials + int64_t(split.units) * Cfg::kConsumers * (Cfg::kOFloats + 4) * 128);
      e = cudaMemsetAsync(a.flags, 0, size_t(split.units) * Cfg::kConsumers * sizeof(int), stream);
      if (e != cudaSuccess) throw std::runtime_error(std::string("flash3: cannot clear the tail split's flags: ") + cudaGetErrorString(e));
    }
  }
  if constexpr (Cfg::kCluster > 1) {
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(blocks);  // tiles = B·H · an even number of query tiles
    config.blockDim = dim3(Cfg::kThreads);
    config.dynamicSmemBytes = Cfg::kSmemBytes;
    config.stream = stream;
    cudaLaunchAttribute cluster{};
    cluster.id = cudaLaunchAttributeClusterDimension;
    cluster.val.clusterDim.x = Cfg::kCluster, cluster.val.clusterDim.y = 1, cluster.val.clusterDim.z = 1;
    config.attrs = &cluster;
    config.numAttrs = 1;
    e = cudaLaunchKernelEx(&config, kernel, maps, a);
    if (e != cudaSuccess) throw std::runtime_error(std::string("flash3: cluster launch failed: ") + cudaGetErrorString(e));
  } else {
    kernel<<<dim3(blocks), dim3(Cfg::kThreads), kSmemBytes, stream>>>(maps, a);
  }
  e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string("flash3: kernel launch failed: ") + cudaGetErrorString(e));
}

template <class Element, int kHeadDim, int kBlockN, int kStages, int kConsumers, Schedule kSchedule, bool kPersistent, bool kCausal,
          int kCluster = 1, int kExp2OnFma = 0>
void run(const TensorMaps& maps, const Params& p, const Choice& c, void* workspace, cudaStream_t stream) {
  launch<Traits<Element, kHeadDim, kBlockN, kStages, kConsumers, kSchedule, kPersistent, kCluster, kExp2OnFma>, kCausal>(maps, p, c,
                                                                                                                      workspace, stream);
}

// The table's kernels for one head dim: both dtypes, both masks (each with its row of kTileShapes),
// ping-pong, on both grids (ATTNSCOPE_FLASH3_GRID picks the one the table does not). Used by the
// flash3_hdim<D>.cu files, one per head dim so that they compile in parallel.
#define ATTNSCOPE_FLASH3_ONE(element, d, causal, persistent)                                                    \
  template void run<element, d, tile_shape(d, causal)->block_n, tile_shape(d, causal)->stages,                 \
                    tile_shape(d, causal)->consumers, Schedule::kPingPong, persistent, causal>(const TensorMaps&, \
                                                                                              const Params&, const Choice&, void*, cudaStream_t)
#define ATTNSCOPE_FLASH3_HEAD_DIM(d)                                                                               \
  ATTNSCOPE_FLASH3_ONE(__half, d, false, false);                                                                   \
  ATTNSCOPE_FLASH3_ONE(__half, d, false, true);                                                                    \
  ATTNSCOPE_FLASH3_ONE(__half, d, true, false);                                                                    \
  ATTNSCOPE_FLASH3_ONE(__half, d, true, true);                                                                     \
  ATTNSCOPE_FLASH3_ONE(__nv_bfloat16, d, false, false);                                                            \
  ATTNSCOPE_FLASH3_ONE(__nv_bfloat16, d, false, true);                                                             \
  ATTNSCOPE_FLASH3_ONE(__nv_bfloat16, d, true, false);                                                             \
  ATTNSCOPE_FLASH3_ONE(__nv_bfloat16, d, true, true)

// The non-causal row's tile in clusters of two (ATTNSCOPE_FLASH3_CLUSTER), both dtypes: head dims with an
// even number of 64-column blocks (each block of the pair loads half of every K and V tile).
#define ATTNSCOPE_FLASH3_CLUSTERED(element, d)                                                                       \
  template void run<element, d, tile_shape(d, false)->block_n, tile_shape(d, false)->stages,                        \
                    tile_shape(d, false)->consumers, Schedule::kPingPong, false, false, 2>(const TensorMaps&,       \
                                                                                          const Params&, const Choice&, void*, cudaStream_t)

// Row i of kLengthTiles (the tile a row's problems of some lengths run on), one dtype.
#define ATTNSCOPE_FLASH3_LENGTH_TILE(element, i)                                                                        \
  template void run<element, kLengthTiles[i].tile.head_dim, kLengthTiles[i].tile.block_n, kLengthTiles[i].tile.stages, \
                    kLengthTiles[i].tile.consumers, Schedule::kPingPong, kLengthTiles[i].tile.persistent,               \
                    kLengthTiles[i].tile.causal>(const TensorMaps&, const Params&, const Choice&, void*, cudaStream_t)

}  // namespace attnscope::flash3
