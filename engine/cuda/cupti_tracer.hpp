#pragma once
// CUPTI Activity API tracing: every kernel (and, during a memory pass, every device allocation) made
// while a Region is open is attributed to that region through an external correlation id — including
// work launched inside cuBLAS/cuDNN, which no CUDA event around the call could separate.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnscope::cuda {

struct KernelSpan {
  uint64_t start_ns = 0, end_ns = 0;
  std::string name;  // demangled
};

struct MemoryEvent {
  uint64_t timestamp_ns = 0;
  int64_t delta = 0;  // +bytes on allocation, -bytes on release (device memory only)
};

struct RegionTrace {
  std::vector<KernelSpan> kernels;    // sorted by start
  std::vector<MemoryEvent> memory;    // sorted by timestamp
  uint64_t dropped_records = 0;       // records CUPTI dropped since the last take (should be 0)
  double span_us() const;             // first start → last end
  double busy_us() const;             // sum of kernel durations
  // Replay of the memory events: peak and final live bytes.
  uint64_t peak_live_bytes() const;
  int64_t final_live_bytes() const;
};

class CuptiTracer {
 public:
  // Enables CONCURRENT_KERNEL, RUNTIME, DRIVER and EXTERNAL_CORRELATION once per process.
  static CuptiTracer& instance();

  bool available() const { return available_; }
  // When unavailable: why (libcupti not found, or CUPTI's own message plus what it means); when
  // available: "CUPTI <version>".
  const std::string& status() const { return status_; }

  // MEMORY2 records only while on (a separate memory pass keeps its overhead out of timing).
  void set_memory_tracing(bool on);

  // RAII: everything the calling thread launches or allocates between construction and destruction
  // belongs to id().
  class Region {
   public:
    explicit Region(CuptiTracer& t);
    ~Region();
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;
    uint64_t id() const { return id_; }

   private:
    CuptiTracer& tracer_;
    uint64_t id_;
    bool pushed_ = false;
  };

  // Flushes CUPTI's buffers (call after the region's work completed, e.g. after a stream sync) and
  // returns the records of region id. Records of earlier regions and unattributed ones are dropped.
  // Regions taken in order after one flush (flush = false for the later ones) share its cost.
  RegionTrace take(uint64_t id, bool flush = true);

  // Buffer callbacks (public for the C callback trampolines).
  void consume(const uint8_t* buffer, std::size_t valid_bytes, uint64_t dropped);

 private:
  CuptiTracer();
  struct RawKernel {
    uint32_t correlation;
    uint64_t start, end;
    std::string name;
  };
  struct RawMemory {
    uint32_t correlation;
    uint64_t timestamp;
    int64_t delta;
  };
  bool available_ = false;
  std::string status_;
  uint64_t next_id_ = 1;
  std::mutex mu_;
  std::vector<RawKernel> kernels_;
  std::vector<RawMemory> memory_;
  std::unordered_map<uint32_t, uint64_t> external_;  // correlation id → region id
  uint64_t dropped_ = 0;
};

}  // namespace attnscope::cuda
