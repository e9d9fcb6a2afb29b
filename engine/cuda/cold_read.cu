// The cold-read floor (cold_read.hpp): the full-GPU read the L2 flush also uses (l2_flush.hpp), timed by
// CUPTI when it is available (the span a backend's record reports), by CUDA events otherwise.
#include "cuda/cold_read.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "attnscope/stats.hpp"
#include "cuda/cuda_util.hpp"
#include "cuda/cupti_tracer.hpp"
#include "cuda/l2_flush.hpp"

namespace attnscope::cuda {

ColdRead measure_cold_read(int device, uint64_t bytes, int samples) {
  if (samples < 1) throw std::invalid_argument("cold read: samples must be ≥ 1");
  if (bytes == 0) throw std::invalid_argument("cold read: bytes must be > 0");
  check(cudaSetDevice(device), "cudaSetDevice");
  int l2 = 0;
  check(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device), "cudaDeviceGetAttribute");

  bytes = (bytes + 15) / 16 * 16;
  DeviceBuffer src(bytes, "cold read buffer"), sink(sizeof(unsigned), "cold read sink");
  // 0x5a in every byte: four equal words xor to zero per 16 bytes, never the sink's value.
  check(cudaMemset(src.get(), 0x5a, bytes), "cold read buffer fill");
  L2Flush flush(2 * std::max<uint64_t>(uint64_t(l2), 1u << 20));
  Stream stream;
  EventPair events;
  auto& tracer = CuptiTracer::instance();

  // One timed read: the CUPTI span of the kernel, or (cupti false) CUDA events around it. Returns a
  // negative time if CUPTI attributed no kernel to the sample.
  const auto timed_read = [&](bool cupti) {
    flush.flush(stream.get());
    events.record_start(stream.get());
    uint64_t region_id = 0;
    {
      std::optional<CuptiTracer::Region> region;
      if (cupti) region_id = region.emplace(tracer).id();
      read_all(src.get(), bytes, sink.as<unsigned>(), stream.get());
    }
    events.record_stop(stream.get());
    stream.sync();
    if (!cupti) return events.elapsed_us();
    const RegionTrace trace = tracer.take(region_id);
    return trace.kernels.empty() ? -1.0 : trace.span_us();
  };
  timed_read(false);  // warm-up: the first launch of a kernel also loads its module
  bool cupti = tracer.available();
  std::vector<double> us;
  for (int i = 0; i < samples; ++i) {
    const double t = timed_read(cupti);
    if (t < 0) {  // CUPTI saw nothing: time every sample with events instead (one unit throughout)
      cupti = false;
      us.clear();
      i = -1;
      continue;
    }
    us.push_back(t);
  }
  const Summary sum = summarize(std::move(us));

  ColdRead r;
  r.bytes = bytes;
  r.samples = samples;
  r.median_us = sum.median;
  r.min_us = sum.min;
  r.gbs_median = double(bytes) / (sum.median * 1e-6) / 1e9;
  r.method = std::string("one full-GPU read of ") + std::to_string(bytes) +
             " bytes (16-byte loads, four in flight per thread) after a clean 2×L2 flush, " +
             (cupti ? "CUPTI kernel span" : "CUDA events") + ", median of " + std::to_string(samples);
  return r;
}

}  // namespace attnscope::cuda
