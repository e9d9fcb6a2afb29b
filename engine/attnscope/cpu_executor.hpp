#pragma once
// The CPU executor: runs Target::Cpu backends on host memory, times them with steady_clock, measures
// memory with a tracking allocator and checks the output against the fp64 reference.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "attnscope/executor.hpp"

namespace attnscope {

// ExecContext over host memory that counts every byte: peak live bytes since the last reset_peak()
// are what the record reports. Allocations beyond `limit` bytes live at once throw OutOfMemory.
class TrackingContext : public ExecContext {
 public:
  TrackingContext(int threads, uint64_t limit_bytes);
  ~TrackingContext() override;
  TrackingContext(const TrackingContext&) = delete;
  TrackingContext& operator=(const TrackingContext&) = delete;

  void* allocate(std::size_t bytes) override;
  void release(void* p) noexcept override;
  void* stream() const override { return nullptr; }
  int threads() const override { return threads_; }

  uint64_t live_bytes() const;
  uint64_t peak_bytes() const;
  void reset_peak();  // peak := live

 private:
  int threads_;
  uint64_t limit_;
  mutable std::mutex mu_;  // CPU backends may allocate from worker threads
  std::unordered_map<void*, std::size_t> sizes_;
  uint64_t live_ = 0, peak_ = 0;
};

class CpuExecutor : public Executor {
 public:
  // threads <= 0 ⇒ one per hardware thread.
  explicit CpuExecutor(DeviceInfo device, int threads = 0);
  const DeviceInfo& device() const override { return device_; }
  Measurement measure(const Backend& b, const Problem& p, const MeasureSettings& s,
                      const CancelToken& cancel) override;

 private:
  DeviceInfo device_;
  int threads_;
};

}  // namespace attnscope
