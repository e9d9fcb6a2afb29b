#pragma once
// Device-to-device copy bandwidth: the "what this GPU can actually move" denominator for memory-bound
// kernels (split-kv-decode reports its effective bandwidth against it). CUDA-free header so the CLI
// can include it; implemented in copy_bandwidth.cu.
#include <cstdint>
#include <string>

namespace attnscope::cuda {

struct CopyBandwidth {
  int device = 0;
  std::string name;             // "NVIDIA H100 80GB HBM3"
  uint64_t buffer_bytes = 0;    // bytes copied per sample (each byte read once and written once)
  int samples = 0;
  double median_us = 0, min_us = 0, max_us = 0;
  double gbs_median = 0;        // 2 · buffer_bytes / median time, in GB/s (1e9 bytes per second)
  double gbs_best = 0;          // same with the fastest sample
  std::string method;           // how it was measured, in words
};

// Copies one buffer into another with cudaMemcpyAsync (device to device, as frameworks do) on a
// private stream: 3 warm-up copies, then `samples` copies each timed with CUDA events; reports the
// median. Buffers are `bytes` each (default 1 GiB, far beyond any L2), shrunk to fit in free memory
// (never below 64 MiB). Throws std::runtime_error / OutOfMemory.
CopyBandwidth measure_copy_bandwidth(int device, uint64_t bytes = uint64_t(1) << 30, int samples = 20);

}  // namespace attnscope::cuda
