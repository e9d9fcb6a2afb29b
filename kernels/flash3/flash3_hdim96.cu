// flash3's kernels for head dim 96 (see ATTNSCOPE_FLASH3_HEAD_DIM): tiles of three 32-column blocks with the
// 64-byte swizzle (flash3.hpp, swizzle_row_bytes).
#include "flash3/flash3_kernel.cuh"

namespace attnscope::flash3 {
ATTNSCOPE_FLASH3_HEAD_DIM(96);
ATTNSCOPE_FLASH3_LENGTH_TILE(__half, 0);
ATTNSCOPE_FLASH3_LENGTH_TILE(__nv_bfloat16, 0);
}  // namespace attnscope::flash3
