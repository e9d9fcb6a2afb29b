// flash3's kernels for head dim 128 (see ATTNSCOPE_FLASH3_HEAD_DIM).
#include "flash3/flash3_kernel.cuh"

namespace attnscope::flash3 {
ATTNSCOPE_FLASH3_HEAD_DIM(128);
ATTNSCOPE_FLASH3_CLUSTERED(__half, 128);
ATTNSCOPE_FLASH3_CLUSTERED(__nv_bfloat16, 128);
ATTNSCOPE_FLASH3_LENGTH_TILE(__half, 1);
ATTNSCOPE_FLASH3_LENGTH_TILE(__nv_bfloat16, 1);
}  // namespace attnscope::flash3
