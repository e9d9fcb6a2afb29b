// flash3 kernels for head dim 128 (float16 and bfloat16, causal and not). One file per head dim so the
// instantiations compile in parallel.
#include "flash3/flash3_kernel.cuh"

namespace attnscope::flash3 {
template void run<__half, 128, Schedule::kPingPong>(const TensorMaps&, const Params&, cudaStream_t);
template void run<__nv_bfloat16, 128, Schedule::kPingPong>(const TensorMaps&, const Params&, cudaStream_t);
}  // namespace attnscope::flash3
