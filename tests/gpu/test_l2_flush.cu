// The cold-L2 flush leaves no dirty lines for the next kernel to write back: the reason it reads
// instead of writing (engine/cuda/l2_flush.hpp).
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "cuda/cuda_util.hpp"
#include "cuda/l2_flush.hpp"
#include "gpu_check.hpp"

namespace attnscope {
namespace {

struct Probe {
  uint64_t l2 = 0;
  cuda::Stream stream;
  cuda::EventPair ev;
  cuda::DeviceBuffer sink{sizeof(unsigned), "sink"};
  Probe() {
    int dev = 0, l2_bytes = 0;
    cuda::check(cudaGetDevice(&dev), "cudaGetDevice");
    cuda::check(cudaDeviceGetAttribute(&l2_bytes, cudaDevAttrL2CacheSize, dev), "attribute");
    l2 = uint64_t(l2_bytes);
  }
  // Median time of `reps` reads of buf, each preceded by prepare().
  template <class Prepare>
  double read_us(const cuda::DeviceBuffer& buf, Prepare prepare, int reps = 21) {
    std::vector<double> us;
    for (int i = 0; i < reps; ++i) {
      prepare();
      ev.record_start(stream.get());
      cuda::read_all(buf.get(), buf.bytes(), sink.as<unsigned>(), stream.get());
      ev.record_stop(stream.get());
      stream.sync();
      us.push_back(ev.elapsed_us());
    }
    std::sort(us.begin(), us.end());
    return us[us.size() / 2];
  }
};

TEST(L2Flush, LeavesNoDirtyLinesForTheNextKernel) {
  ATTNSCOPE_REQUIRE_GPU();
  Probe p;
  ASSERT_GT(p.l2, 0u);
  // Half the L2: the read that follows a memset evicts that much of the memset's dirty lines. (That a
  // flushed read is slower than a warm one is Executor.ColdL2IsSlowerThanWarmForASmallProblem.)
  cuda::DeviceBuffer half(p.l2 / 2 / 16 * 16, "half");
  cuda::DeviceBuffer dirt(2 * p.l2, "dirt");
  cuda::check(cudaMemset(half.get(), 1, half.bytes()), "fill");
  cuda::L2Flush flush(2 * p.l2);
  const auto s = p.stream.get();
  const auto dirty = [&] { cuda::check(cudaMemsetAsync(dirt.get(), 7, dirt.bytes(), s), "memset"); };
  const double after_memset = p.read_us(half, dirty);
  const double after_memset_and_flush = p.read_us(half, [&] { dirty(); flush.flush(s); });
  std::printf("[l2 flush] read of %.1f MiB after a memset %.1f us, after a memset then the flush %.1f us\n",
              half.bytes() / 1048576.0, after_memset, after_memset_and_flush);
  EXPECT_LT(after_memset_and_flush, 0.9 * after_memset);
}

}  // namespace
}  // namespace attnscope
