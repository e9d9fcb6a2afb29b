// small-k kernel: fp32 attention for head dims ≤ 32 with scalar FMAs (no tensor cores, no TF32).
//
// With d ≤ 32 a query row and its output row fit in a thread's registers, so the kernel gives each
// thread whole query rows (64 / d_padded of them: 8 at d ≤ 8, 4 at d ≤ 16, 2 at d ≤ 32) and streams
// K and V through shared memory in tiles of 64 keys (double-buffered, cp.async on sm80+). Every thread
// of a warp reads the same key row at once, so shared memory serves it as a broadcast, and each key
// row read is reused for all of the thread's query rows: 1 shared load of 16 bytes per 4·rows FMAs.
// Scores of 8 keys (4 at d ≤ 8) are computed before one online-softmax update, in the log2 domain with
// scale·log2 e folded into q. The update rescales lazily: the reference maximum m moves (and the
// accumulator and sum are multiplied by 2^(m_old − m_new)) only when a chunk's maximum exceeds it by more
// than kRescaleMargin; otherwise the chunk's p = 2^(s − m) may be up to 2^kRescaleMargin, which fp32
// holds easily, and o = acc / l is the same quotient. After the first keys of a row the maximum rarely
// moves that far, so the d FMULs per row and chunk of an eager rescale mostly disappear.
// A thread's rows are adjacent (row0 + tid·RPT + i), so a warp's rows are one contiguous range and,
// under a causal mask, the warp stops at the last key its own last row sees instead of the block's.
// Occupancy: at d ≤ 32 the kernel runs 2 blocks of 4 warps per SM (212 registers). Forcing 3 blocks
// (__launch_bounds__(128, 3): 168 registers, no spills, 32-bit key indices) was 3–4 % slower at d = 32
// on an H100 (N = 4k: 36.2 against 37.6 TFLOP/s, A/B in one call): the registers it gives up are the
// ones that hold the next K/V loads in flight.
#include <cuda_runtime.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "common/launch_check.hpp"
#include "common/softmax.cuh"
#include "small_k/small_k.hpp"

namespace attnscope::small_k {
namespace {

constexpr int kTileKeys = 64;   // keys per shared-memory tile
constexpr float kRescaleMargin = 8.f;  // log2 units: p ≤ 256 before the reference maximum moves

struct Args {
  Params p;
  int64_t group;           // query heads per KV head
  int64_t row_blocks;      // blocks along the query rows of one head
  float scale_log2;
};

// 16- and 4-byte global → shared copies: asynchronous on sm80+, plain loads and stores before.
__device__ __forceinline__ void copy16(float* dst, const float* src) {
#if __CUDA_ARCH__ >= 800
  const uint32_t d = static_cast<uint32_t>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(d), "l"(src));
#else
  *reinterpret_cast<float4*>(dst) = *reinterpret_cast<const float4*>(src);
#endif
}
__device__ __forceinline__ void copy4(float* dst, const float* src) {
#if __CUDA_ARCH__ >= 800
  const uint32_t d = static_cast<uint32_t>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(d), "l"(src));
#else
  *dst = *src;
#endif
}
__device__ __forceinline__ void copy_commit() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::);
#endif
}
template <int N>
__device__ __forceinline__ void copy_wait() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#endif
}
template <int DP, int RPT, int kThreads>
__global__ void __launch_bounds__(kThreads) small_k_kernel(const Args a) {
  // Keys scored before one softmax update: 8, or 4 when a thread owns 8 rows (registers).
  constexpr int kChunkKeys = RPT >= 8 ? 4 : 8;
  __shared__ __align__(16) float ks[2][kTileKeys][DP];
  __shared__ __align__(16) float vs[2][kTileKeys][DP];

  const Params& p = a.p;
  const int d = p.head_dim;
  const int tid = threadIdx.x;
  // Causal: blocks start globally longest-first — every head's last row block (the most keys), then
  // every head's second-to-last, … — so the short blocks fill the last wave instead of the last heads'
  // long ones running alone at the end. Otherwise a head's row blocks are adjacent (K/V reuse in L2).
  const int64_t heads = p.batch * p.q_heads;
  const int64_t rb = p.causal ? a.row_blocks - 1 - blockIdx.x / heads : blockIdx.x % a.row_blocks;
  const int64_t bh = p.causal ? blockIdx.x % heads : blockIdx.x / a.row_blocks;  // b · Hq + h
  const int64_t b = bh / p.q_heads, h = bh % p.q_heads;
  const int64_t kv_head = b * p.kv_heads + h / a.group;
  const float* kbase = p.k + kv_head * p.kv_len * d;
  const float* vbase = p.v + kv_head * p.kv_len * d;
  const int64_t offset = p.kv_len - p.q_len;  // bottom-right causal alignment
  const int64_t row0 = rb * int64_t(kThreads) * RPT;

  // Keys this block needs: all of them, or (causal) up to what its last row sees.
  const int64_t last_row = min(row0 + int64_t(kThreads) * RPT, p.q_len) - 1;
  const int64_t key_end = p.causal ? max(int64_t(0), min(p.kv_len, last_row + offset + 1)) : p.kv_len;
  const int64_t first_masked = p.causal ? row0 + offset + 1 : p.kv_len;  // first key row0 may not see
  // Keys this warp needs: its rows are row0 + [32·RPT·warp, 32·RPT·(warp + 1)).
  const int64_t warp_last_row = min(row0 + int64_t(tid / 32 + 1) * 32 * RPT, p.q_len) - 1;
  const int64_t warp_key_end = p.causal ? max(int64_t(0), min(key_end, warp_last_row + offset + 1)) : key_end;

  // Zero both buffers once: padding columns (d < DP) and keys past the end must be finite zeros.
  for (int i = tid; i < 2 * kTileKeys * DP; i += kThreads) {
    (&ks[0][0][0])[i] = 0.f;
    (&vs[0][0][0])[i] = 0.f;
  }
  __syncthreads();

  auto load_tile = [&](int64_t t, int buf) {
    const int64_t t0 = t * kTileKeys;
    const int n = int(min(int64_t(kTileKeys), key_end - t0));
    const float* ksrc = kbase + t0 * d;
    const float* vsrc = vbase + t0 * d;
    if (d == DP) {  // rows are contiguous in both places: one flat 16-byte copy
      for (int c = tid; c < n * DP / 4; c += kThreads) {
        copy16(&ks[buf][0][0] + c * 4, ksrc + c * 4);
        copy16(&vs[buf][0][0] + c * 4, vsrc + c * 4);
      }
    } else {  // d < DP: element by element into padded rows (global rows are only 4-byte aligned)
      for (int e = tid; e < n * d; e += kThreads) {
        copy4(&ks[buf][e / d][e % d], ksrc + e);
        copy4(&vs[buf][e / d][e % d], vsrc + e);
      }
    }
  };

  float qr[RPT][DP], acc[RPT][DP];
  attn::RunningRow rows[RPT];
  int64_t row_limit[RPT];
#pragma unroll
  for (int i = 0; i < RPT; ++i) {
    const int64_t row = row0 + int64_t(tid) * RPT + i;
    const bool valid = row < p.q_len;
    const float* qp = p.q + (bh * p.q_len + (valid ? row : 0)) * d;
#pragma unroll
    for (int c = 0; c < DP; ++c) {
      qr[i][c] = (valid && c < d) ? qp[c] * a.scale_log2 : 0.f;
      acc[i][c] = 0.f;
    }
    row_limit[i] = (p.causal && valid) ? row + offset : p.kv_len - 1;
  }

  const int64_t ntiles = (key_end + kTileKeys - 1) / kTileKeys;
  if (ntiles > 0) load_tile(0, 0);
  copy_commit();
  for (int64_t t = 0; t < ntiles; ++t) {
    const int buf = int(t & 1);
    if (t + 1 < ntiles) {
      load_tile(t + 1, buf ^ 1);
      copy_commit();
      copy_wait<1>();
    } else {
      copy_wait<0>();
    }
    __syncthreads();

    const int64_t t0 = t * kTileKeys;
    const bool need_mask = t0 + kTileKeys > key_end || t0 + kTileKeys > first_masked;
    for (int c0 = 0; c0 < kTileKeys && t0 + c0 < warp_key_end; c0 += kChunkKeys) {
      float s[RPT][kChunkKeys];
#pragma unroll
      for (int j = 0; j < kChunkKeys; ++j) {
#pragma unroll
        for (int i = 0; i < RPT; ++i) s[i][j] = 0.f;
#pragma unroll
        for (int c = 0; c < DP; c += 4) {
          const float4 kv = *reinterpret_cast<const float4*>(&ks[buf][c0 + j][c]);
#pragma unroll
          for (int i = 0; i < RPT; ++i)
            s[i][j] = fmaf(qr[i][c], kv.x,
                           fmaf(qr[i][c + 1], kv.y, fmaf(qr[i][c + 2], kv.z, fmaf(qr[i][c + 3], kv.w, s[i][j]))));
        }
      }
      if (need_mask) {
#pragma unroll
        for (int j = 0; j < kChunkKeys; ++j) {
          const int64_t key = t0 + c0 + j;
#pragma unroll
          for (int i = 0; i < RPT; ++i)
            if (key >= key_end || key > row_limit[i]) s[i][j] = -INFINITY;
        }
      }
#pragma unroll
      for (int i = 0; i < RPT; ++i) {
        float mc = s[i][0];
#pragma unroll
        for (int j = 1; j < kChunkKeys; ++j) mc = fmaxf(mc, s[i][j]);
        float alpha;
        if (rows[i].raise_max_beyond(mc, kRescaleMargin, alpha))
#pragma unroll
          for (int c = 0; c < DP; ++c) acc[i][c] *= alpha;
#pragma unroll
        for (int j = 0; j < kChunkKeys; ++j) {
          s[i][j] = rows[i].prob(s[i][j]);
          rows[i].add(s[i][j]);
        }
      }
#pragma unroll
      for (int j = 0; j < kChunkKeys; ++j) {
#pragma unroll
        for (int c = 0; c < DP; c += 4) {
          const float4 vv = *reinterpret_cast<const float4*>(&vs[buf][c0 + j][c]);
#pragma unroll
          for (int i = 0; i < RPT; ++i) {
            acc[i][c] = fmaf(s[i][j], vv.x, acc[i][c]);
            acc[i][c + 1] = fmaf(s[i][j], vv.y, acc[i][c + 1]);
            acc[i][c + 2] = fmaf(s[i][j], vv.z, acc[i][c + 2]);
            acc[i][c + 3] = fmaf(s[i][j], vv.w, acc[i][c + 3]);
          }
        }
      }
    }
    __syncthreads();  // everyone is done with `buf` before the next iteration refills it
  }

#pragma unroll
  for (int i = 0; i < RPT; ++i) {
    const int64_t row = row0 + int64_t(tid) * RPT + i;
    if (row >= p.q_len) continue;
    const float inv = attn::inverse_sum(rows[i].l);  // a row that sees no key yields zeros
    float* op = p.o + (bh * p.q_len + row) * d;
#pragma unroll
    for (int c = 0; c < DP; ++c)
      if (c < d) op[c] = acc[i][c] * inv;
    if (p.lse) p.lse[bh * p.q_len + row] = attn::log_sum_exp(rows[i].m, rows[i].l);
  }
}

template <int DP>
void launch(const Args& a, cudaStream_t stream) {
  constexpr int kRows = 64 / DP;
  const int64_t blocks = a.p.batch * a.p.q_heads * a.row_blocks;
  if (a.p.causal)
    small_k_kernel<DP, kRows, kCausalThreads><<<dim3(unsigned(blocks)), kCausalThreads, 0, stream>>>(a);
  else
    small_k_kernel<DP, kRows, kThreads><<<dim3(unsigned(blocks)), kThreads, 0, stream>>>(a);
  kernels::check_launch("launching small-k kernel");
}

}  // namespace

void forward(const Params& p, void* stream) {
  if (p.head_dim < 1 || p.head_dim > kMaxHeadDim)
    throw std::runtime_error("small-k: no kernel for head_dim " + std::to_string(p.head_dim));
  const int64_t rows = rows_per_block(p.head_dim, p.causal);
  Args a{p, p.q_heads / p.kv_heads, (p.q_len + rows - 1) / rows,
         p.scale * attn::kLog2e};
  const auto s = static_cast<cudaStream_t>(stream);
  switch (padded_head_dim(p.head_dim)) {
    case 8: return launch<8>(a, s);
    case 16: return launch<16>(a, s);
    default: return launch<32>(a, s);
  }
}

}  // namespace attnscope::small_k
