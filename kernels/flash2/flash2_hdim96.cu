// flash2 kernels for head dim 96 (float16 and bfloat16, causal and not). One file per head dim so the
// instantiations compile in parallel.
#include "flash2/flash2_kernel.cuh"

namespace attnscope::flash2 {
template void run<__half, 96>(const Params&, cudaStream_t);
template void run<__nv_bfloat16, 96>(const Params&, cudaStream_t);
}  // namespace attnscope::flash2
