#pragma once
// Cold-L2 preparation between timed samples: afterwards L2 holds only clean lines of a scratch buffer,
// so the measured kernel reads its inputs from DRAM and has nothing of anyone else's to write back.
//
// Why a read and not the usual cudaMemsetAsync (nvbench's l2flush): a memset leaves L2 full of dirty
// lines, and whoever evicts them next pays for the write-back. A bandwidth-bound kernel that reads
// less than L2 holds then spends a good part of its time writing the flush buffer back to DRAM: on an
// H100 (50 MiB L2) a 32 MiB decode read took ~28 µs after a memset flush against ~11 µs of data at
// copy bandwidth. Reading 2 × L2 of a buffer that is never written evicts everything, dirty lines
// included, inside the flush itself.
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/cuda_util.hpp"

namespace attnscope::cuda {

// Reads `bytes` (a multiple of 16) at src once with the whole GPU: a full-occupancy grid-stride loop of
// 16-byte loads, four in flight per thread, ordinary caching (the lines land in L2). The xor of what it
// reads goes to *sink only if it equals a value a fill of equal bytes cannot give, so the loads are kept
// and nothing is written in practice. Used by the L2 flush and the cold-read probe (cold_read.hpp).
void read_all(const void* src, uint64_t bytes, unsigned* sink, cudaStream_t s);

class L2Flush {
 public:
  // bytes: how much to read per flush (2 × the L2 size is the caller's choice); 0 disables flushing.
  explicit L2Flush(uint64_t bytes);
  // Enqueues the flush on s (a kernel outside any timed region; it is not attributed to a backend).
  void flush(cudaStream_t s);
  uint64_t bytes() const { return buffer_.bytes(); }

 private:
  DeviceBuffer buffer_;
  DeviceBuffer sink_;  // one word the flush kernel writes only if an impossible sum appears
};

}  // namespace attnscope::cuda
