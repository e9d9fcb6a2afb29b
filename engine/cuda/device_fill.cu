#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstring>

#include "cuda/cuda_util.hpp"
#include "cuda/device_fill.hpp"

namespace attnscope::cuda {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(uint64_t count) {
  uint64_t b = (count + kThreads - 1) / kThreads;
  return unsigned(b < 65535u * 8u ? (b ? b : 1) : 65535u * 8u);  // grid-stride loops cover the rest
}

template <class T> __device__ T from_float(float f);
template <> __device__ float from_float<float>(float f) { return f; }
template <> __device__ __half from_float<__half>(float f) { return __float2half_rn(f); }
template <> __device__ __nv_bfloat16 from_float<__nv_bfloat16>(float f) { return __float2bfloat16_rn(f); }

template <class T>
__global__ void fill_random_kernel(T* dst, uint64_t count, TensorId id, uint64_t seed) {
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < count;
       i += uint64_t(gridDim.x) * blockDim.x)
    dst[i] = from_float<T>(random_input(seed, id, i));
}

template <class Bits>
__global__ void fill_bits_kernel(Bits* dst, uint64_t count, Bits value) {
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < count;
       i += uint64_t(gridDim.x) * blockDim.x)
    dst[i] = value;
}

}  // namespace

void fill_random(void* dst, DType t, uint64_t count, TensorId id, uint64_t seed, cudaStream_t s) {
  if (count == 0) return;
  switch (t) {
    case DType::F32:
      fill_random_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<float*>(dst), count, id, seed);
      break;
    case DType::F16:
      fill_random_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<__half*>(dst), count, id, seed);
      break;
    case DType::BF16:
      fill_random_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<__nv_bfloat16*>(dst), count, id, seed);
      break;
  }
  check_launch("fill_random_kernel");
}

void fill_inputs(const Problem& p, void* q, void* k, void* v, uint64_t seed, cudaStream_t s) {
  fill_random(q, p.dtype, p.q_elements(), TensorId::Q, seed, s);
  fill_random(k, p.dtype, p.kv_elements(), TensorId::K, seed, s);
  fill_random(v, p.dtype, p.kv_elements(), TensorId::V, seed, s);
}

void poison(void* dst, DType t, uint64_t count, cudaStream_t s) {
  if (count == 0) return;
  if (t == DType::F32)
    fill_bits_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<uint32_t*>(dst), count, kPoisonF32);
  else
    fill_bits_kernel<<<blocks_for(count), kThreads, 0, s>>>(static_cast<uint16_t*>(dst), count,
                                                            t == DType::F16 ? kPoisonF16 : kPoisonBF16);
  check_launch("fill_bits_kernel");
}

int64_t count_poisoned(const void* host, DType t, uint64_t count) {
  int64_t n = 0;
  if (t == DType::F32) {
    const auto* p = static_cast<const uint32_t*>(host);
    for (uint64_t i = 0; i < count; ++i) n += p[i] == kPoisonF32;
  } else {
    const auto* p = static_cast<const uint16_t*>(host);
    const uint16_t pattern = t == DType::F16 ? kPoisonF16 : kPoisonBF16;
    for (uint64_t i = 0; i < count; ++i) n += p[i] == pattern;
  }
  return n;
}

}  // namespace attnscope::cuda
