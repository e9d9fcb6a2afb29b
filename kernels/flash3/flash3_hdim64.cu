// flash3's kernels for head dim 64 (see ATTNSCOPE_FLASH3_HEAD_DIM).
#include "flash3/flash3_kernel.cuh"

namespace attnscope::flash3 {
ATTNSCOPE_FLASH3_HEAD_DIM(64);
}  // namespace attnscope::flash3
