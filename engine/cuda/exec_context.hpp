#pragma once
// The ExecContext CUDA backends run under: their workspace comes from a dedicated stream-ordered pool
// (cudaMallocAsync) so allocation inside a timed sample is cheap and every byte is accounted for.
#include <cuda_runtime.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "attnscope/backend.hpp"

namespace attnscope::cuda {

// A memory pool on one device that keeps what it reserved (release threshold = max), trimmed on demand.
class MemPool {
 public:
  explicit MemPool(int device);
  ~MemPool();
  MemPool(const MemPool&) = delete;
  MemPool& operator=(const MemPool&) = delete;
  cudaMemPool_t get() const { return pool_; }
  void trim();  // give reserved, unused memory back to the device

 private:
  cudaMemPool_t pool_ = nullptr;
};

class CudaExecContext : public ExecContext {
 public:
  // pool == nullptr ⇒ plain cudaMalloc/cudaFree (synchronous; fine for tests).
  CudaExecContext(cudaStream_t stream, MemPool* pool, std::string owner);
  ~CudaExecContext() override;

  void* allocate(std::size_t bytes) override;  // throws OutOfMemory(bytes, free, "<owner> workspace")
  void release(void* p) noexcept override;
  void* stream() const override { return stream_; }
  int threads() const override { return 1; }

  // The tool allocator's own count (a cross-check for the CUPTI memory replay).
  uint64_t live_bytes() const;
  uint64_t peak_bytes() const;
  void reset_peak();

 private:
  cudaStream_t stream_;
  MemPool* pool_;
  std::string owner_;
  mutable std::mutex mu_;
  std::unordered_map<void*, std::size_t> live_;
  uint64_t live_bytes_ = 0, peak_bytes_ = 0;
};

}  // namespace attnscope::cuda
