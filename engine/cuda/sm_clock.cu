#include <cstdint>

#include "cuda/cuda_util.hpp"
#include "cuda/sm_clock.hpp"

namespace attnscope::cuda {
namespace {

__device__ __forceinline__ uint64_t global_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// One thread per SM spins for spin_ns of wall time; block 0 reports its cycles and nanoseconds.
__global__ void clock_probe_kernel(unsigned long long* out, uint64_t spin_ns) {
  const uint64_t t0 = global_ns();
  const long long c0 = clock64();
  uint64_t t1 = t0;
  while (t1 - t0 < spin_ns) t1 = global_ns();
  const long long c1 = clock64();
  if (blockIdx.x == 0) {
    out[0] = t1 - t0;
    out[1] = static_cast<unsigned long long>(c1 - c0);
  }
}

}  // namespace

double measure_sm_clock_mhz(cudaStream_t s, int sm_count) {
  unsigned long long* host = nullptr;
  if (cudaHostAlloc(&host, 2 * sizeof(unsigned long long), cudaHostAllocMapped) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  unsigned long long* dev = nullptr;
  double mhz = 0;
  host[0] = host[1] = 0;
  if (cudaHostGetDevicePointer(&dev, host, 0) == cudaSuccess) {
    clock_probe_kernel<<<sm_count > 0 ? sm_count : 1, 1, 0, s>>>(dev, 100000);
    if (cudaStreamSynchronize(s) == cudaSuccess && host[0] > 0) mhz = double(host[1]) / double(host[0]) * 1e3;
  }
  cudaGetLastError();
  cudaFreeHost(host);
  return mhz;
}

}  // namespace attnscope::cuda
