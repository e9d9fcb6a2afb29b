// The compute capabilities this binary carries kernels for: the build's -gencode flags
// (CMAKE_CUDA_ARCHITECTURES), e.g. {80, 90} for 80-real;90a-real.
#include "attnscope/platform.hpp"
#include "cuda/arch_list.hpp"

namespace attnscope::platform {

std::vector<int> built_compute_capabilities() { return ATTNSCOPE_THIS_FILE_COMPUTE_CAPABILITIES(); }

}  // namespace attnscope::platform
