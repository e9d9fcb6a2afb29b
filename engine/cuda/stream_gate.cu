#include <atomic>
#include <cstdint>
#include <stdexcept>

#include "cuda/cuda_util.hpp"
#include "cuda/stream_gate.hpp"

namespace attnscope::cuda {
namespace {

constexpr uint64_t kGiveUpNs = 500'000'000;

__device__ __forceinline__ uint64_t global_ns() {
  uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__global__ void gate_kernel(volatile int* flags) {
  const uint64_t t0 = global_ns();
  while (flags[0] == 0) {
    if (global_ns() - t0 > kGiveUpNs) {
      flags[1] = 1;
      return;
    }
  }
}

}  // namespace

StreamGate::StreamGate() {
  void* p = nullptr;
  check(cudaHostAlloc(&p, 2 * sizeof(int), cudaHostAllocMapped), "cudaHostAlloc (stream gate)");
  host_ = static_cast<int*>(p);
  host_[0] = 1;
  host_[1] = 0;
  void* d = nullptr;
  check(cudaHostGetDevicePointer(&d, p, 0), "cudaHostGetDevicePointer (stream gate)");
  device_ = static_cast<int*>(d);
}

StreamGate::~StreamGate() {
  if (host_) {
    host_[0] = 1;
    cudaFreeHost(const_cast<int*>(host_));
  }
}

void StreamGate::close(cudaStream_t s) {
  host_[0] = 0;
  host_[1] = 0;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  gate_kernel<<<1, 1, 0, s>>>(device_);
  check_launch("gate_kernel");
}

void StreamGate::open() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  host_[0] = 1;
}

bool StreamGate::gave_up() const { return host_[1] != 0; }

}  // namespace attnscope::cuda
