// split-kv-decode kernels: flash-decoding (split the key range across blocks, combine partial results).
//
// Decoding reads a long KV cache for a handful of query rows, so the work is bound by memory
// bandwidth, not arithmetic. GQA groups × q_len ≤ 16 at head dims ≤ 128 (the common decode shapes)
// run the tensor-core split kernel (split_kernel_tc.cuh); the CUDA-core split kernel here serves the
// rest (more rows, cut into chunks of 32; head dim 256). It is organised around keeping HBM busy:
//  * one block per (batch, KV head, key range, row chunk): the query heads of a GQA group and all
//    their query positions (group × q_len ≤ 32 rows) share the block, so each K/V byte is read once;
//  * K and V tiles (8 KiB each) stream into shared memory through a 4-stage cp.async pipeline of
//    16-byte copies (≈ 48 KiB in flight per block, 2-3 blocks per SM);
//  * warps split the tile's keys (or, for many rows, the rows); within a warp, D/8 lanes hold one key
//    row as 16-byte vectors, so a warp reads 512 contiguous bytes of shared memory per step;
//  * scores are computed for 4 steps of keys before one online-softmax update (max, rescale), in
//    the log2 domain (scale · log2 e folded into q, 2^x on the special-function unit; common/softmax.cuh);
//  * the combine kernel is launched with programmatic dependent launch on sm90 so its launch
//    overlaps the split kernel's tail.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>

#include "common/launch_check.hpp"
#include "common/mma_sm80.cuh"
#include "common/softmax.cuh"
#include "split_kv_decode/split_args.cuh"
#include "split_kv_decode/split_kernel_tc.cuh"
#include "split_kv_decode/split_kv_decode.hpp"

namespace attnscope::split_kv {
namespace {

using detail::SplitArgs;
using detail::BlockWork;
using detail::block_work;

constexpr int kChunkSteps = 4;  // warp steps of keys scored before one softmax update


// ---- 16-bit element helpers ----------------------------------------------------------------------

__device__ __forceinline__ float2 to_float2(__nv_bfloat16*, uint32_t w) {
  // bf16 is the top half of an fp32: widening is a shift.
  return make_float2(__uint_as_float(w << 16), __uint_as_float(w & 0xffff0000u));
}
__device__ __forceinline__ float2 to_float2(__half*, uint32_t w) {
  __half2 h;
  memcpy(&h, &w, sizeof h);
  return __half22float2(h);
}
template <class T>
__device__ __forceinline__ void unpack8(const uint4& raw, float (&f)[8]) {
  const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 x = to_float2(static_cast<T*>(nullptr), w[i]);
    f[2 * i] = x.x;
    f[2 * i + 1] = x.y;
  }
}
template <class T>
__device__ __forceinline__ uint4 pack8(const float (&f)[8]) {
  return make_uint4(sm80::pack2<T>(f[0], f[1]), sm80::pack2<T>(f[2], f[3]), sm80::pack2<T>(f[4], f[5]),
                    sm80::pack2<T>(f[6], f[7]));
}

// ---- the split kernel ------------------------------------------------------------------------------

template <class T, int D, int RW>
__global__ void __launch_bounds__(kThreads) split_kernel(const SplitArgs a) {
#if __CUDA_ARCH__ >= 900
  // Let the combine kernel (launched with programmatic serialization) get scheduled as soon as every
  // block of this grid has started; it waits for our results with griddepcontrol.wait.
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
  constexpr int L = D / 8;          // lanes per key row (16 bytes each)
  constexpr int KPS = 32 / L;       // keys per warp step
  constexpr int KT = int(keys_per_tile(D));
  constexpr int kTileElems = KT * D;

  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* smem = reinterpret_cast<T*>(smem_raw);

  const BlockWork work = block_work(a, unsigned(a.row_chunks));
  const int64_t chunk = work.chunk, split = work.split, kv_unit = work.kv_unit, b = work.b, hkv = work.hkv;

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int RG = a.row_groups, KG = (kThreads / 32) / RG;
  const int rg = warp % RG, kg = warp / RG;
  const int grp = lane / L, sub = lane % L;

  const detail::KvStream<T, D, KT> kv(a, kv_unit, split);
  const int64_t key_begin = kv.key_begin, key_end = kv.key_end;
  const int ntiles = kv.ntiles;

  auto load_tile = [&](int t) {  // key rows contiguous, D/8 lanes' 16-byte pieces each
    T* ks = smem + (t % kStages) * 2 * kTileElems;
    kv.template copy_tile<kThreads>(t, ks, ks + kTileElems, [](int key, int chunk) { return key * D + chunk * 8; });
  };
#pragma unroll
  for (int t = 0; t < kStages - 1; ++t) {
    if (t < ntiles) load_tile(t);
    sm80::cp_async_commit();
  }

  // This warp's query rows: row = chunk·32 + rg·RW + r → (query head in the group, query position).
  float qf[RW][8];
  int64_t row_limit[RW];  // last key the row may see (bottom-right causal); kv_len - 1 otherwise
  int64_t min_limit = a.kv_len - 1;
#pragma unroll
  for (int r = 0; r < RW; ++r) {
    const int64_t row = chunk * kMaxRowsPerBlock + rg * RW + r;
    row_limit[r] = a.kv_len - 1;
    if (row < a.rows) {
      const int64_t h = hkv * a.group + int(row) / int(a.q_len), qi = int(row) % int(a.q_len);  // rows < 2^31
      const T* qp = static_cast<const T*>(a.q) + ((b * a.q_heads + h) * a.q_len + qi) * D + sub * 8;
      unpack8<T>(*reinterpret_cast<const uint4*>(qp), qf[r]);
#pragma unroll
      for (int e = 0; e < 8; ++e) qf[r][e] *= a.scale_log2;
      if (a.causal) row_limit[r] = qi + a.kv_len - a.q_len;
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) qf[r][e] = 0.f;
    }
    min_limit = min(min_limit, row_limit[r]);
  }

  float acc[RW][8];
  attn::RunningRow rows[RW];  // l: this lane's share of the row's sum
#pragma unroll
  for (int r = 0; r < RW; ++r) {
#pragma unroll
    for (int e = 0; e < 8; ++e) acc[r][e] = 0.f;
  }

  const int keys_per_warp = KT / KG;
  const int warp_key0 = kg * keys_per_warp;
  const int nchunks = keys_per_warp / (KPS * kChunkSteps);

  for (int t = 0; t < ntiles; ++t) {
    sm80::cp_async_wait<kStages - 2>();
    __syncthreads();  // tile t visible to all; every warp is done with tile t-1's stage
    if (t + kStages - 1 < ntiles) load_tile(t + kStages - 1);
    sm80::cp_async_commit();

    const T* ks = smem + (t % kStages) * 2 * kTileElems;
    const T* vs = ks + kTileElems;
    const int64_t t0 = key_begin + int64_t(t) * KT;
    const bool need_mask = t0 + KT > key_end || t0 + KT - 1 > min_limit;

    for (int c = 0; c < nchunks; ++c) {
      const int kl0 = warp_key0 + c * KPS * kChunkSteps + grp;
      float s[kChunkSteps][RW];
#pragma unroll
      for (int st = 0; st < kChunkSteps; ++st) {
        float kf[8];
        unpack8<T>(*reinterpret_cast<const uint4*>(ks + (kl0 + st * KPS) * D + sub * 8), kf);
#pragma unroll
        for (int r = 0; r < RW; ++r) {
          float x = 0.f;
#pragma unroll
          for (int e = 0; e < 8; ++e) x = fmaf(qf[r][e], kf[e], x);
          s[st][r] = x;
        }
      }
      // Sum the D/8 partial dot products of each key (lanes of one key group are adjacent).
#pragma unroll
      for (int off = L / 2; off >= 1; off /= 2)
#pragma unroll
        for (int st = 0; st < kChunkSteps; ++st)
#pragma unroll
          for (int r = 0; r < RW; ++r) s[st][r] += __shfl_xor_sync(0xffffffffu, s[st][r], off);
      if (need_mask) {
#pragma unroll
        for (int st = 0; st < kChunkSteps; ++st) {
          const int64_t key = t0 + kl0 + st * KPS;
#pragma unroll
          for (int r = 0; r < RW; ++r)
            if (key >= key_end || key > row_limit[r]) s[st][r] = -INFINITY;
        }
      }
#pragma unroll
      for (int r = 0; r < RW; ++r) {
        float mc = s[0][r];
#pragma unroll
        for (int st = 1; st < kChunkSteps; ++st) mc = fmaxf(mc, s[st][r]);
#pragma unroll
        for (int off = L; off < 32; off *= 2) mc = fmaxf(mc, __shfl_xor_sync(0xffffffffu, mc, off));
        const float alpha = rows[r].raise_max(mc);
#pragma unroll
        for (int e = 0; e < 8; ++e) acc[r][e] *= alpha;
#pragma unroll
        for (int st = 0; st < kChunkSteps; ++st) {
          s[st][r] = rows[r].prob(s[st][r]);
          rows[r].add(s[st][r]);
        }
      }
#pragma unroll
      for (int st = 0; st < kChunkSteps; ++st) {
        float vf[8];
        unpack8<T>(*reinterpret_cast<const uint4*>(vs + (kl0 + st * KPS) * D + sub * 8), vf);
#pragma unroll
        for (int r = 0; r < RW; ++r)
#pragma unroll
          for (int e = 0; e < 8; ++e) acc[r][e] = fmaf(s[st][r], vf[e], acc[r][e]);
      }
    }
  }

  // Key groups of a warp shared the running max, so their sums and accumulators simply add.
#pragma unroll
  for (int off = L; off < 32; off *= 2)
#pragma unroll
    for (int r = 0; r < RW; ++r) {
      rows[r].l += __shfl_xor_sync(0xffffffffu, rows[r].l, off);
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[r][e] += __shfl_xor_sync(0xffffffffu, acc[r][e], off);
    }

  // Warps that split the keys of the same rows merge through shared memory (the pipeline is empty).
  sm80::cp_async_wait<0>();
  __syncthreads();
  if (KG > 1) {
    // Per warp: acc [RW][D], then m [RW], then l [RW]; the stride keeps every warp's acc 16-byte aligned.
    float* red = reinterpret_cast<float*>(smem_raw);
    constexpr int kStride = (RW * (D + 2) + 3) / 4 * 4;
    float* mine = red + warp * kStride;
    if (lane < L) {
#pragma unroll
      for (int r = 0; r < RW; ++r) {
        *reinterpret_cast<float4*>(mine + r * D + sub * 8) = make_float4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
        *reinterpret_cast<float4*>(mine + r * D + sub * 8 + 4) = make_float4(acc[r][4], acc[r][5], acc[r][6], acc[r][7]);
      }
    }
    if (lane == 0)
#pragma unroll
      for (int r = 0; r < RW; ++r) mine[RW * D + r] = rows[r].m, mine[RW * D + RW + r] = rows[r].l;
    __syncthreads();
    if (kg != 0) return;
#pragma unroll
    for (int r = 0; r < RW; ++r) {
      float mmax = -INFINITY;
      for (int j = 0; j < KG; ++j) mmax = fmaxf(mmax, red[(rg + j * RG) * kStride + RW * D + r]);
      const float ms = attn::usable_max(mmax);
      float lsum = 0.f, o[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      for (int j = 0; j < KG; ++j) {
        const float* w = red + (rg + j * RG) * kStride;
        const float sc = attn::exp2_fast(w[RW * D + r] - ms);
        lsum += w[RW * D + RW + r] * sc;
        if (lane < L)
#pragma unroll
          for (int e = 0; e < 8; ++e) o[e] += w[r * D + sub * 8 + e] * sc;
      }
      rows[r].m = mmax;
      rows[r].l = lsum;
#pragma unroll
      for (int e = 0; e < 8; ++e) acc[r][e] = o[e];
    }
  }
  if (lane >= L) return;

#pragma unroll
  for (int r = 0; r < RW; ++r) {
    const int64_t row = chunk * kMaxRowsPerBlock + rg * RW + r;
    if (row >= a.rows) continue;
    const int64_t h = hkv * a.group + int(row) / int(a.q_len), qi = int(row) % int(a.q_len);
    const int64_t orow = (b * a.q_heads + h) * a.q_len + qi;
    const float inv = attn::inverse_sum(rows[r].l);
    const float lse = attn::log_sum_exp(rows[r].m, rows[r].l);
    float o[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) o[e] = acc[r][e] * inv;
    if (a.splits == 1) {
      *reinterpret_cast<uint4*>(static_cast<T*>(a.o) + orow * D + sub * 8) = pack8<T>(o);
      if (a.lse && sub == 0) a.lse[orow] = lse;
    } else {
      float* op = a.o_part + (split * a.rows_total + orow) * D + sub * 8;
      *reinterpret_cast<float4*>(op) = make_float4(o[0], o[1], o[2], o[3]);
      *reinterpret_cast<float4*>(op + 4) = make_float4(o[4], o[5], o[6], o[7]);
      if (sub == 0) a.lse_part[split * a.rows_total + orow] = lse;
    }
  }
}

// ---- the combine kernel ----------------------------------------------------------------------------

// One block per output row: O = Σ_s e^{lse_s − M} O_s / Σ_s e^{lse_s − M}, lse = M + log Σ_s e^{lse_s − M}.
// It sits at the end of the critical path, so it is written for latency: the 4 warps take every 4th
// split, each lane D/32 elements, and a warp has kBatch splits' loads in flight at once — the first
// batch issued before the max M is known (the loads do not depend on it). Each warp finds M itself
// (lanes stride over the splits), so no barrier comes before the sums; the warps' sums meet in
// shared memory once.
template <class T, int D>
__global__ void __launch_bounds__(128) combine_kernel(const float* __restrict__ o_part,
                                                      const float* __restrict__ lse_part, T* __restrict__ o,
                                                      float* __restrict__ lse, int64_t rows, int splits) {
#if __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");  // the split kernel's writes are complete and visible
#endif
  constexpr int E = D / 32;  // elements per lane: 2, 4 or 8
  constexpr int kWarps = 4, kBatch = 8;
  __shared__ float part[kWarps][D + 1];
  const int64_t row = blockIdx.x;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;

  float ls[kBatch], x[kBatch][E];
  const auto load_batch = [&](int s0) {
#pragma unroll
    for (int i = 0; i < kBatch; ++i) {
      const int s = s0 + i * kWarps;
      const bool valid = s < splits;
      ls[i] = valid ? lse_part[s * rows + row] : -INFINITY;
      const float* src = o_part + (s * rows + row) * D + lane * E;
#pragma unroll
      for (int e = 0; e < E; e += 2) {
        const float2 v = valid ? *reinterpret_cast<const float2*>(src + e) : make_float2(0.f, 0.f);
        x[i][e] = v.x, x[i][e + 1] = v.y;
      }
    }
  };
  load_batch(warp);

  float mmax = -INFINITY;
  for (int s = lane; s < splits; s += 32) mmax = fmaxf(mmax, lse_part[s * rows + row]);
#pragma unroll
  for (int off = 16; off >= 1; off /= 2) mmax = fmaxf(mmax, __shfl_xor_sync(0xffffffffu, mmax, off));
  const float ms = attn::usable_max(mmax);  // every split empty: weights e^{-inf} = 0

  float acc[E];
#pragma unroll
  for (int e = 0; e < E; ++e) acc[e] = 0.f;
  float sum = 0.f;
  for (int s0 = warp;; ) {
#pragma unroll
    for (int i = 0; i < kBatch; ++i) {
      const float w = __expf(ls[i] - ms);
      sum += w;
#pragma unroll
      for (int e = 0; e < E; ++e) acc[e] = fmaf(w, x[i][e], acc[e]);
    }
    s0 += kBatch * kWarps;
    if (s0 >= splits) break;
    load_batch(s0);
  }
#pragma unroll
  for (int e = 0; e < E; ++e) part[warp][lane * E + e] = acc[e];
  if (lane == 0) part[warp][D] = sum;
  __syncthreads();
  if (warp != 0) return;
  sum = part[0][D] + part[1][D] + part[2][D] + part[3][D];
  const float inv = sum > 0.f ? 1.f / sum : 0.f;
  T* dst = o + row * D + lane * E;
#pragma unroll
  for (int e = 0; e < E; e += 2) {
    const int c = lane * E + e;
    const float x0 = part[0][c] + part[1][c] + part[2][c] + part[3][c];
    const float x1 = part[0][c + 1] + part[1][c + 1] + part[2][c + 1] + part[3][c + 1];
    *reinterpret_cast<uint32_t*>(dst + e) = sm80::pack2<T>(x0 * inv, x1 * inv);
  }
  if (lse && lane == 0) lse[row] = sum > 0.f ? mmax + logf(sum) : -INFINITY;
}

// ---- host side -------------------------------------------------------------------------------------

template <class T, int D, int RW>
void launch_split(const SplitArgs& a, int64_t blocks, cudaStream_t stream) {
  constexpr int kSmem = int(shared_memory_bytes());
  kernels::check_cuda(cudaFuncSetAttribute(split_kernel<T, D, RW>, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem),
              "split-kv-decode: raising the shared-memory limit");
  split_kernel<T, D, RW><<<dim3(unsigned(blocks)), kThreads, kSmem, stream>>>(a);
  kernels::check_launch("launching split-kv-decode split kernel");
}

template <class T, int D>
void launch_split_tc(const SplitArgs& a, int64_t blocks, cudaStream_t stream) {
  if constexpr (D <= kTcMaxHeadDim) {
    constexpr int kSmem = int(tc_shared_memory_bytes(D));
    kernels::check_cuda(cudaFuncSetAttribute(detail::split_kernel_tc<T, D>, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem),
                "split-kv-decode: raising the shared-memory limit");
    detail::split_kernel_tc<T, D><<<dim3(unsigned(blocks)), kThreads, kSmem, stream>>>(a);
    kernels::check_launch("launching split-kv-decode tensor-core split kernel");
  } else {
    throw std::runtime_error("split-kv-decode: no tensor-core kernel for head_dim " + std::to_string(D));
  }
}

template <class T, int D>
void launch_split_rw(const SplitArgs& a, int rows_per_warp, int64_t blocks, cudaStream_t stream) {
  switch (rows_per_warp) {
    case 1: return launch_split<T, D, 1>(a, blocks, stream);
    case 2: return launch_split<T, D, 2>(a, blocks, stream);
    case 4: return launch_split<T, D, 4>(a, blocks, stream);
    case 8: return launch_split<T, D, 8>(a, blocks, stream);
    default: throw std::runtime_error("split-kv-decode: no kernel for " + std::to_string(rows_per_warp) + " rows per warp");
  }
}

bool supports_programmatic_launch() {
  int dev = 0, major = 0;
  kernels::check_cuda(cudaGetDevice(&dev), "cudaGetDevice");
  kernels::check_cuda(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev), "cudaDeviceGetAttribute");
  return major >= 9;
}

template <class T, int D>
void launch_combine(const SplitArgs& a, cudaStream_t stream) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3(unsigned(a.rows_total));
  cfg.blockDim = dim3(128);
  cfg.dynamicSmemBytes = 0;
  cfg.stream = stream;
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = attr;
  cfg.numAttrs = supports_programmatic_launch() ? 1 : 0;
  kernels::check_cuda(cudaLaunchKernelEx(&cfg, combine_kernel<T, D>, static_cast<const float*>(a.o_part),
                                 static_cast<const float*>(a.lse_part), static_cast<T*>(a.o), a.lse, a.rows_total,
                                 int(a.splits)),
              "launching split-kv-decode combine kernel");
}

template <class T>
void forward_typed(const SplitArgs& a, const Plan& plan, int head_dim, cudaStream_t stream) {
  const auto split = [&](auto d) {
    constexpr int kD = decltype(d)::value;
    if (plan.tensor_cores)
      launch_split_tc<T, kD>(a, plan.blocks(), stream);
    else
      launch_split_rw<T, kD>(a, plan.rows_per_warp, plan.blocks(), stream);
    if (plan.splits > 1) launch_combine<T, kD>(a, stream);
  };
  switch (head_dim) {
    case 64: return split(std::integral_constant<int, 64>{});
    case 128: return split(std::integral_constant<int, 128>{});
    case 256: return split(std::integral_constant<int, 256>{});
    default: throw std::runtime_error("split-kv-decode: no kernel for head_dim " + std::to_string(head_dim));
  }
}

template <class Kernel>
int occupancy(Kernel kernel, int smem) {
  kernels::check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem),
              "split-kv-decode: raising the shared-memory limit");
  int n = 0;
  kernels::check_cuda(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, kernel, kThreads, smem),
              "split-kv-decode: occupancy query");
  return std::max(1, n);
}

template <class T, int D>
DeviceSlots slots_for(int sm_count) {
  return DeviceSlots{sm_count, occupancy(split_kernel<T, D, 4>, int(shared_memory_bytes()))};
}

}  // namespace

DeviceSlots device_slots(int head_dim, bool bf16) {
  static std::mutex mu;
  static std::map<std::tuple<int, int, bool>, DeviceSlots> cache;
  int dev = 0;
  kernels::check_cuda(cudaGetDevice(&dev), "cudaGetDevice");
  std::lock_guard<std::mutex> lock(mu);
  const auto key = std::make_tuple(dev, head_dim, bf16);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  int sms = 0;
  kernels::check_cuda(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), "cudaDeviceGetAttribute");
  const int d = head_dim <= 64 ? 64 : head_dim <= 128 ? 128 : 256;
  const DeviceSlots s = bf16 ? (d == 64 ? slots_for<__nv_bfloat16, 64>(sms) : d == 128 ? slots_for<__nv_bfloat16, 128>(sms)
                                                                                      : slots_for<__nv_bfloat16, 256>(sms))
                             : (d == 64 ? slots_for<__half, 64>(sms) : d == 128 ? slots_for<__half, 128>(sms)
                                                                              : slots_for<__half, 256>(sms));
  cache[key] = s;
  return s;
}

void forward(const Params& p, const Plan& plan, void* workspace, void* stream) {
  if (plan.splits > 1 && workspace == nullptr) throw std::runtime_error("split-kv-decode: workspace missing");
  SplitArgs a{};
  a.q = p.q, a.k = p.k, a.v = p.v, a.o = p.o, a.lse = p.lse;
  a.q_heads = p.q_heads, a.kv_heads = p.kv_heads, a.q_len = p.q_len, a.kv_len = p.kv_len;
  a.group = p.q_heads / p.kv_heads;
  a.rows = a.group * p.q_len;
  a.rows_total = p.batch * p.q_heads * p.q_len;
  a.splits = plan.splits, a.tiles_per_split = plan.tiles_per_split, a.row_chunks = plan.row_chunks;
  a.row_groups = plan.row_groups;
  a.causal = p.causal;
  a.scale_log2 = p.scale * attn::kLog2e;
  if (plan.splits > 1) {
    a.o_part = static_cast<float*>(workspace);
    a.lse_part = a.o_part + plan.splits * a.rows_total * p.head_dim;
  }
  const auto s = static_cast<cudaStream_t>(stream);
  if (p.bf16)
    forward_typed<__nv_bfloat16>(a, plan, p.head_dim, s);
  else
    forward_typed<__half>(a, plan, p.head_dim, s);
}

}  // namespace attnscope::split_kv
