// Device-to-device copy bandwidth, measured the way the research notes did (perf-anchors.md §4:
// "D2D copy (read + write bytes) ≈ 3.0 TB/s" on our H100): bytes read plus bytes written per second.
#include "cuda/copy_bandwidth.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "cuda/cuda_util.hpp"

namespace attnscope::cuda {

CopyBandwidth measure_copy_bandwidth(int device, uint64_t bytes, int samples) {
  if (samples < 1) throw std::invalid_argument("copy bandwidth: samples must be ≥ 1");
  check(cudaSetDevice(device), "cudaSetDevice");
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");

  // Two buffers must fit with room to spare; stay far above the L2 size so DRAM is what is measured.
  constexpr uint64_t kMin = uint64_t(64) << 20;
  const uint64_t free_bytes = free_device_memory();
  while (bytes > kMin && 2 * bytes + (uint64_t(256) << 20) > free_bytes) bytes /= 2;
  bytes = std::max(bytes, kMin);

  DeviceBuffer src(bytes, "copy bandwidth source"), dst(bytes, "copy bandwidth destination");
  Stream stream;
  // Non-zero contents (some copy paths are faster on zeros).
  check(cudaMemsetAsync(src.get(), 0x5a, bytes, stream.get()), "cudaMemsetAsync");
  for (int i = 0; i < 3; ++i)
    check(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream.get()), "cudaMemcpyAsync");
  stream.sync();

  std::vector<double> us;
  us.reserve(samples);
  EventPair ev;
  for (int i = 0; i < samples; ++i) {
    ev.record_start(stream.get());
    check(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream.get()), "cudaMemcpyAsync");
    ev.record_stop(stream.get());
    stream.sync();
    us.push_back(ev.elapsed_us());
  }
  std::sort(us.begin(), us.end());
  const double median = us.size() % 2 ? us[us.size() / 2] : 0.5 * (us[us.size() / 2 - 1] + us[us.size() / 2]);

  CopyBandwidth r;
  r.device = device;
  r.name = prop.name;
  r.buffer_bytes = bytes;
  r.samples = samples;
  r.median_us = median;
  r.min_us = us.front();
  r.max_us = us.back();
  r.gbs_median = 2.0 * double(bytes) / (median * 1e-6) / 1e9;
  r.gbs_best = 2.0 * double(bytes) / (r.min_us * 1e-6) / 1e9;
  r.method = "cudaMemcpyAsync device to device of " + std::to_string(bytes >> 20) +
             " MiB, CUDA events, median of " + std::to_string(samples) + " after 3 warm-ups; bytes read + written";
  return r;
}

}  // namespace attnscope::cuda
