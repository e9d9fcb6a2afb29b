// The lower rungs of the schedule ladder (serial, overlap) for bfloat16, head dim 128 — the cell where
// each Hopper mechanism's gain is measured (ATTNSCOPE_FLASH3_SCHEDULE, kernels/flash3/NOTES.md).
#include "flash3/flash3_kernel.cuh"

namespace attnscope::flash3 {
template void run<__nv_bfloat16, 128, Schedule::kSerial>(const TensorMaps&, const Params&, cudaStream_t);
template void run<__nv_bfloat16, 128, Schedule::kOverlap>(const TensorMaps&, const Params&, cudaStream_t);
}  // namespace attnscope::flash3
