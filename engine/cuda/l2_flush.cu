#include "cuda/l2_flush.hpp"

namespace attnscope::cuda {
namespace {

constexpr int kThreads = 512;

// Grid-stride 16-byte reads with ordinary caching (so the lines are allocated in L2 and displace what
// was there). The xor-sum goes to memory only when it equals a value the fill pattern cannot give, so
// the loads are not optimised away and the kernel writes nothing in practice.
__global__ void read_through_l2(const uint4* __restrict__ src, uint64_t count, unsigned* sink) {
  unsigned x = 0;
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < count; i += uint64_t(gridDim.x) * blockDim.x) {
    const uint4 v = src[i];
    x ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (x == 0x8badf00du) *sink = x;
}

}  // namespace

L2Flush::L2Flush(uint64_t bytes) {
  if (bytes == 0) return;
  bytes = (bytes + 15) / 16 * 16;
  buffer_ = DeviceBuffer(bytes, "L2 flush buffer");
  sink_ = DeviceBuffer(sizeof(unsigned), "L2 flush sink");
  // Every 32-bit word is 0x5a5a5a5a: four words xor to zero per 16 bytes, never the sink's value.
  check(cudaMemset(buffer_.get(), 0x5a, bytes), "L2 flush buffer fill");
  check(cudaDeviceSynchronize(), "L2 flush buffer fill");
}

void L2Flush::flush(cudaStream_t s) {
  if (buffer_.bytes() == 0) return;
  int device = 0, sms = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device), "cudaDeviceGetAttribute");
  read_through_l2<<<unsigned(sms * 4), kThreads, 0, s>>>(buffer_.as<const uint4>(), buffer_.bytes() / 16,
                                                       sink_.as<unsigned>());
  check_launch("L2 flush read");
}

}  // namespace attnscope::cuda
