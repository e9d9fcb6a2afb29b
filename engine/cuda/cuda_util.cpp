#include "cuda/cuda_util.hpp"

#include <stdexcept>

#include "attnscope/backend.hpp"

namespace attnscope::cuda {

void throw_cuda(cudaError_t e, const std::string& what) {
  throw std::runtime_error(what + ": " + cudaGetErrorString(e) + " (" + cudaGetErrorName(e) + ")");
}

void check_launch(const char* kernel) {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw_cuda(e, std::string("launching ") + kernel);
}

uint64_t free_device_memory() {
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return free_b;
}

DeviceBuffer::DeviceBuffer(std::size_t bytes, const char* what) : bytes_(bytes) {
  if (bytes == 0) return;
  cudaError_t e = cudaMalloc(&p_, bytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky; clear it so later calls do not see it
    p_ = nullptr;
    throw OutOfMemory(bytes, free_device_memory(), what);
  }
  if (e != cudaSuccess) {
    p_ = nullptr;
    throw_cuda(e, std::string("cudaMalloc for ") + what);
  }
}

DeviceBuffer::~DeviceBuffer() { reset(); }

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    p_ = o.p_;
    bytes_ = o.bytes_;
    o.p_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

void DeviceBuffer::reset() noexcept {
  if (p_) cudaFree(p_);
  p_ = nullptr;
  bytes_ = 0;
}

Stream::Stream() { check(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "cudaStreamCreate"); }
Stream::~Stream() {
  if (s_) cudaStreamDestroy(s_);
}
void Stream::sync() const { check(cudaStreamSynchronize(s_), "cudaStreamSynchronize"); }

EventPair::EventPair() {
  check(cudaEventCreate(&start_), "cudaEventCreate");
  check(cudaEventCreate(&stop_), "cudaEventCreate");
}
EventPair::~EventPair() {
  if (start_) cudaEventDestroy(start_);
  if (stop_) cudaEventDestroy(stop_);
}
void EventPair::record_start(cudaStream_t s) { check(cudaEventRecord(start_, s), "cudaEventRecord"); }
void EventPair::record_stop(cudaStream_t s) { check(cudaEventRecord(stop_, s), "cudaEventRecord"); }
double EventPair::elapsed_us() const {
  float ms = 0;
  check(cudaEventSynchronize(stop_), "cudaEventSynchronize");
  check(cudaEventElapsedTime(&ms, start_, stop_), "cudaEventElapsedTime");
  return double(ms) * 1e3;
}

}  // namespace attnscope::cuda
