// Which variant a launch uses: the Turing one below compute capability 8.0, or when a caller (the GPU
// tests on an H100) asks for it.
#include <cuda_runtime.h>

#include "mem_efficient/block_plan.cuh"
#include "mem_efficient/mem_efficient.hpp"

namespace attnscope::mem_efficient {

namespace detail {
bool use_turing_variant(const Params& p) {
  if (p.variant != Variant::Auto) return p.variant == Variant::Sm75;
  int device = 0, major = 0;
  check_launch(cudaGetDevice(&device), "querying the current device");
  check_launch(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
               "querying the device's compute capability");
  return major < 8;
}
}  // namespace detail

}  // namespace attnscope::mem_efficient
