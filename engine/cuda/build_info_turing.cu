// The compute capabilities of the Turing-capable kernels. This file gets the same extra sm_75 flag as
// those kernels (engine/CMakeLists.txt), so its own __CUDA_ARCH_LIST__ is their list.
#include "attnscope/platform.hpp"
#include "cuda/arch_list.hpp"

namespace attnscope::platform {

std::vector<int> turing_capable_compute_capabilities() { return ATTNSCOPE_THIS_FILE_COMPUTE_CAPABILITIES(); }

}  // namespace attnscope::platform
