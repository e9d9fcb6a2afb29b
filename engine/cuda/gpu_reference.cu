#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <stdexcept>

#include "cuda/cuda_util.hpp"
#include "cuda/gpu_reference.hpp"

namespace attnscope::cuda {
namespace {

constexpr int kWarps = 8;             // query rows per block, one warp each
constexpr int kMaxChunks = 32;        // head_dim ≤ 32 lanes × 32
constexpr int kTileFloats = 8192;     // keys staged per tile: 32 KiB of K and V each

__device__ __forceinline__ float to_f(float x) { return x; }
__device__ __forceinline__ float to_f(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_f(__nv_bfloat16 x) { return __bfloat162float(x); }

struct Dims {
  int64_t q_heads, kv_heads, group, nq, nk, d;
  float scale;
  bool causal;
};

// One warp per query row with an online softmax over key tiles staged in shared memory. Lane l holds
// the head-dim elements l, l+32, ... of q and of the output accumulator.
template <class T>
__global__ void __launch_bounds__(kWarps * 32)
    reference_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                     const int64_t* __restrict__ heads, Dims dm, float* __restrict__ o, float* __restrict__ lse) {
  extern __shared__ float smem[];
  const int tile_keys = int(kTileFloats / dm.d) > 0 ? int(kTileFloats / dm.d) : 1;
  float* ks = smem;
  float* vs = smem + size_t(tile_keys) * dm.d;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t hidx = blockIdx.y;
  const int64_t b = heads[2 * hidx], h = heads[2 * hidx + 1];
  const int64_t kvh = h / dm.group;
  const int64_t row = int64_t(blockIdx.x) * kWarps + warp;
  const bool active = row < dm.nq;
  const T* qh = q + ((b * dm.q_heads + h) * dm.nq + (active ? row : 0)) * dm.d;
  const T* kh = k + (b * dm.kv_heads + kvh) * dm.nk * dm.d;
  const T* vh = v + (b * dm.kv_heads + kvh) * dm.nk * dm.d;
  const int chunks = int((dm.d + 31) / 32);

  float qr[kMaxChunks], acc[kMaxChunks];
#pragma unroll
  for (int c = 0; c < kMaxChunks; ++c) {
    const int64_t e = c * 32 + lane;
    qr[c] = (c < chunks && e < dm.d && active) ? to_f(qh[e]) : 0.f;
    acc[c] = 0.f;
  }
  // Keys visible to this row (bottom-right aligned causal mask); the block stages keys up to the
  // largest visible index of its rows.
  const int64_t shift = dm.nk - dm.nq;
  auto visible_of = [&](int64_t r) {
    if (!dm.causal) return dm.nk;
    const int64_t vis = r + shift + 1;
    return vis < 0 ? int64_t(0) : (vis > dm.nk ? dm.nk : vis);
  };
  const int64_t my_visible = active ? visible_of(row) : 0;
  int64_t last_row = int64_t(blockIdx.x) * kWarps + kWarps - 1;
  if (last_row >= dm.nq) last_row = dm.nq - 1;
  const int64_t block_visible = visible_of(last_row);

  float m = -INFINITY, l = 0.f;
  for (int64_t t0 = 0; t0 < block_visible; t0 += tile_keys) {
    const int64_t n_here = (block_visible - t0) < tile_keys ? (block_visible - t0) : tile_keys;
    __syncthreads();
    for (int64_t i = threadIdx.x; i < n_here * dm.d; i += blockDim.x) {
      ks[i] = to_f(kh[t0 * dm.d + i]);
      vs[i] = to_f(vh[t0 * dm.d + i]);
    }
    __syncthreads();
    for (int64_t j = 0; j < n_here && t0 + j < my_visible; ++j) {
      float part = 0.f;
#pragma unroll
      for (int c = 0; c < kMaxChunks; ++c) {
        const int64_t e = c * 32 + lane;
        if (c < chunks && e < dm.d) part += qr[c] * ks[j * dm.d + e];
      }
#pragma unroll
      for (int off = 16; off > 0; off /= 2) part += __shfl_xor_sync(0xffffffffu, part, off);
      const float s = part * dm.scale;
      const float m_new = fmaxf(m, s);
      const float corr = expf(m - m_new);  // 0 on the first key (m = -inf)
      const float p = expf(s - m_new);
      l = l * corr + p;
#pragma unroll
      for (int c = 0; c < kMaxChunks; ++c) {
        const int64_t e = c * 32 + lane;
        if (c < chunks && e < dm.d) acc[c] = acc[c] * corr + p * vs[j * dm.d + e];
      }
      m = m_new;
    }
  }
  if (!active) return;
  const int64_t out_row = hidx * dm.nq + row;
  const float inv = l > 0.f ? 1.f / l : 0.f;
#pragma unroll
  for (int c = 0; c < kMaxChunks; ++c) {
    const int64_t e = c * 32 + lane;
    if (c < chunks && e < dm.d) o[out_row * dm.d + e] = acc[c] * inv;
  }
  if (lane == 0) lse[out_row] = l > 0.f ? m + logf(l) : -INFINITY;
}

template <class T>
void launch(const Problem& p, const void* q, const void* k, const void* v, const int64_t* heads, int64_t n_heads,
            float* o, float* lse, cudaStream_t s) {
  const Dims dm{p.q_heads, p.kv_heads, p.group_size(), p.q_len, p.kv_len, p.head_dim, float(p.softmax_scale()), p.causal};
  const int tile_keys = int(kTileFloats / p.head_dim) > 0 ? int(kTileFloats / p.head_dim) : 1;
  const size_t smem = size_t(2) * tile_keys * p.head_dim * sizeof(float);
  if (smem > 48 * 1024)
    check(cudaFuncSetAttribute(reference_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)),
          "cudaFuncSetAttribute(reference_kernel)");
  dim3 grid(unsigned((p.q_len + kWarps - 1) / kWarps), unsigned(n_heads));
  reference_kernel<T><<<grid, kWarps * 32, smem, s>>>(static_cast<const T*>(q), static_cast<const T*>(k),
                                                       static_cast<const T*>(v), heads, dm, o, lse);
  check_launch("reference_kernel");
}

}  // namespace

void gpu_reference(const Problem& p, const void* q, const void* k, const void* v, const std::vector<HeadIndex>& heads,
                   float* o, float* lse, cudaStream_t s) {
  if (p.head_dim > kGpuReferenceMaxHeadDim)
    throw std::invalid_argument("GPU reference supports head_dim up to 1024");
  if (heads.empty() || p.q_len == 0) return;
  std::vector<int64_t> flat;
  for (const auto& h : heads) {
    flat.push_back(h.batch);
    flat.push_back(h.head);
  }
  DeviceBuffer dev_heads(flat.size() * sizeof(int64_t), "reference head list");
  check(cudaMemcpyAsync(dev_heads.get(), flat.data(), flat.size() * sizeof(int64_t), cudaMemcpyHostToDevice, s),
        "copy head list");
  switch (p.dtype) {
    case DType::F32: launch<float>(p, q, k, v, dev_heads.as<int64_t>(), int64_t(heads.size()), o, lse, s); break;
    case DType::F16: launch<__half>(p, q, k, v, dev_heads.as<int64_t>(), int64_t(heads.size()), o, lse, s); break;
    case DType::BF16: launch<__nv_bfloat16>(p, q, k, v, dev_heads.as<int64_t>(), int64_t(heads.size()), o, lse, s); break;
  }
  // The head list must outlive the kernel.
  check(cudaStreamSynchronize(s), "GPU reference");
}

}  // namespace attnscope::cuda
