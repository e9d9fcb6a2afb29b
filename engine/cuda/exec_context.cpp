#include "cuda/exec_context.hpp"

#include <algorithm>
#include <cstdint>

#include "cuda/cuda_util.hpp"

namespace attnscope::cuda {

MemPool::MemPool(int device) {
  cudaMemPoolProps props{};
  props.allocType = cudaMemAllocationTypePinned;
  props.handleTypes = cudaMemHandleTypeNone;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = device;
  check(cudaMemPoolCreate(&pool_, &props), "cudaMemPoolCreate");
  // Keep reserved memory between samples: otherwise every sync returns it and the next sample's
  // allocation pays for mapping pages again inside the timed region.
  uint64_t keep = UINT64_MAX;
  check(cudaMemPoolSetAttribute(pool_, cudaMemPoolAttrReleaseThreshold, &keep), "cudaMemPoolSetAttribute");
}

MemPool::~MemPool() {
  if (pool_) cudaMemPoolDestroy(pool_);
}

void MemPool::trim() { check(cudaMemPoolTrimTo(pool_, 0), "cudaMemPoolTrimTo"); }

CudaExecContext::CudaExecContext(cudaStream_t stream, MemPool* pool, std::string owner)
    : stream_(stream), pool_(pool), owner_(std::move(owner)) {}

CudaExecContext::~CudaExecContext() {
  // A backend that threw mid-run may leave workspace behind; give it back.
  std::lock_guard lock(mu_);
  for (auto& [p, bytes] : live_) {
    if (pool_) cudaFreeAsync(p, stream_);
    else cudaFree(p);
  }
}

void* CudaExecContext::allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  cudaError_t e = pool_ ? cudaMallocFromPoolAsync(&p, bytes, pool_->get(), stream_) : cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw OutOfMemory(bytes, free_device_memory(), owner_ + " workspace");
  }
  if (e != cudaSuccess) throw_cuda(e, "allocating " + std::to_string(bytes) + " bytes of " + owner_ + " workspace");
  std::lock_guard lock(mu_);
  live_[p] = bytes;
  live_bytes_ += bytes;
  peak_bytes_ = std::max(peak_bytes_, live_bytes_);
  return p;
}

void CudaExecContext::release(void* p) noexcept {
  if (!p) return;
  std::lock_guard lock(mu_);
  auto it = live_.find(p);
  if (it == live_.end()) return;  // not ours: never free foreign memory
  live_bytes_ -= it->second;
  live_.erase(it);
  if (pool_) cudaFreeAsync(p, stream_);
  else cudaFree(p);
}

uint64_t CudaExecContext::live_bytes() const {
  std::lock_guard lock(mu_);
  return live_bytes_;
}
uint64_t CudaExecContext::peak_bytes() const {
  std::lock_guard lock(mu_);
  return peak_bytes_;
}
void CudaExecContext::reset_peak() {
  std::lock_guard lock(mu_);
  peak_bytes_ = live_bytes_;
}

}  // namespace attnscope::cuda
