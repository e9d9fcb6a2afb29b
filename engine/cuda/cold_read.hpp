#pragma once
// Cold-read floor: how long one plain read of N bytes from DRAM takes with a clean, cold L2 — the least
// a memory-bound kernel that must read N bytes once can take (decode reads its K/V cache once). Small
// reads stay well below the copy bandwidth: the first bytes arrive a DRAM round trip after the launch
// and the last ones drain alone, which a 1 GiB copy hides. Timed like a backend (CUPTI kernel span
// after the same clean L2 flush), so a decode kernel's time compares with it directly.
// CUDA-free header so the CLI can include it; implemented in cold_read.cu.
#include <cstdint>
#include <string>

namespace attnscope::cuda {

struct ColdRead {
  uint64_t bytes = 0;       // bytes read per sample
  int samples = 0;
  double median_us = 0, min_us = 0;
  double gbs_median = 0;    // bytes / median time, GB/s (1e9 bytes per second)
  std::string method;       // how it was timed, in words
};

// `samples` reads of a `bytes` buffer (rounded up to 16 bytes; filled once, never written again), each
// after an L2 flush that reads 2 × L2 of another buffer; the read is cuda::read_all (l2_flush.hpp). Throws std::invalid_argument for samples < 1 or bytes = 0,
// std::runtime_error / OutOfMemory from CUDA.
ColdRead measure_cold_read(int device, uint64_t bytes, int samples = 50);

}  // namespace attnscope::cuda
