#pragma once
#include <cuda_runtime.h>

namespace attnscope::cuda {
// Effective SM clock now, in MHz: Δclock64 / Δglobaltimer over a ~100 µs spin on every SM (nvbench's
// throttle probe; needs no NVML and no privileges). 0 when the probe fails.
double measure_sm_clock_mhz(cudaStream_t s, int sm_count);
}  // namespace attnscope::cuda
