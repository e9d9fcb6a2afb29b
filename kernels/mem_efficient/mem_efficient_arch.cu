// Which variant a launch uses: the Turing one below compute capability 8.0, or when a caller (the GPU
// tests on an H100) asks for it.
#include <cuda_runtime.h>

#include "common/launch_check.hpp"
#include "mem_efficient/mem_efficient.hpp"

namespace attnscope::mem_efficient {

namespace detail {
bool use_turing_variant(const Params& p) {
  if (p.variant != Variant::Auto) return p.variant == Variant::Sm75;
  int device = 0, major = 0;
  kernels::check_cuda(cudaGetDevice(&device), "mem-efficient: querying the current device");
  kernels::check_cuda(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
                      "mem-efficient: querying the device's compute capability");
  return major < 8;
}
}  // namespace detail

}  // namespace attnscope::mem_efficient
