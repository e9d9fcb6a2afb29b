#pragma once
// Small RAII and error helpers shared by the CUDA layer, the CUDA backends and the GPU tests.
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

namespace attnscope::cuda {

// Throws std::runtime_error "<what>: <cudaGetErrorString>" (the sticky error, if any, stays visible).
[[noreturn]] void throw_cuda(cudaError_t e, const std::string& what);
inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw_cuda(e, what);
}
// After a kernel launch: a launch error (no kernel image, bad configuration) becomes an exception.
void check_launch(const char* kernel);

uint64_t free_device_memory();  // cudaMemGetInfo free bytes on the current device (0 on error)

// cudaMalloc'ed device memory. A failed allocation throws OutOfMemory naming bytes asked and free.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t bytes, const char* what);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_) { o.p_ = nullptr; o.bytes_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* get() const { return p_; }
  template <class T> T* as() const { return static_cast<T*>(p_); }
  std::size_t bytes() const { return bytes_; }
  void reset() noexcept;

 private:
  void* p_ = nullptr;
  std::size_t bytes_ = 0;
};

// A non-blocking stream owned for its lifetime.
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }
  void sync() const;

 private:
  cudaStream_t s_ = nullptr;
};

// A pair of timing events.
class EventPair {
 public:
  EventPair();
  ~EventPair();
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
  void record_start(cudaStream_t s);
  void record_stop(cudaStream_t s);
  double elapsed_us() const;  // after the stop event completed

 private:
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

}  // namespace attnscope::cuda
