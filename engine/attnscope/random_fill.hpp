#pragma once
// Counter-based random inputs: value(seed, tensor, index) is a pure function, so the CPU and the GPU
// produce bit-identical inputs without copying them. Uniform in [-1, 1), never exactly zero.
#include <cstdint>

#if defined(__CUDACC__)
#define ATTNSCOPE_HD __host__ __device__ __forceinline__
#else
#define ATTNSCOPE_HD inline
#endif

namespace attnscope {

enum class TensorId : uint32_t { Q = 1, K = 2, V = 3 };

ATTNSCOPE_HD uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

ATTNSCOPE_HD float random_input(uint64_t seed, TensorId t, uint64_t index) {
  uint64_t h = splitmix64(seed ^ (uint64_t(t) << 56) ^ splitmix64(index));
  // 24 random bits → (0, 1) at odd multiples of 2^-25, then to (-1, 1): never exactly zero.
  float u = (float(uint32_t(h >> 40)) + 0.5f) * (1.0f / 16777216.0f);
  return 2.0f * u - 1.0f;
}

}  // namespace attnscope
