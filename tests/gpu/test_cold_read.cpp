// The cold-read floor (`attnscope-cli bandwidth --read-mib`): timed like a backend, slower per byte for
// small reads (ramp-up and drain) than for large ones, and in the range of the copy bandwidth for a
// read far beyond L2.
#include <gtest/gtest.h>

#include <cstdio>

#include "cuda/cold_read.hpp"
#include "cuda/copy_bandwidth.hpp"
#include "cuda/cupti_tracer.hpp"
#include "gpu_check.hpp"

namespace attnscope {
namespace {

TEST(ColdRead, SmallReadsAreSlowerPerByteAndLargeOnesNearCopyBandwidth) {
  ATTNSCOPE_REQUIRE_GPU();
  const cuda::CopyBandwidth copy = cuda::measure_copy_bandwidth(0, uint64_t(256) << 20, 10);
  const cuda::ColdRead small = cuda::measure_cold_read(0, uint64_t(8) << 20, 30);
  const cuda::ColdRead large = cuda::measure_cold_read(0, uint64_t(512) << 20, 10);
  std::printf("[cold read] 8 MiB %.1f us (%.0f GB/s), 512 MiB %.1f us (%.0f GB/s); copy %.0f GB/s\n",
              small.median_us, small.gbs_median, large.median_us, large.gbs_median, copy.gbs_median);
  EXPECT_EQ(small.bytes, uint64_t(8) << 20);
  EXPECT_EQ(small.samples, 30);
  EXPECT_GT(small.median_us, 0.0);
  EXPECT_LE(small.min_us, small.median_us);
  EXPECT_LT(small.median_us, large.median_us);
  EXPECT_LT(small.gbs_median, large.gbs_median);  // the fixed start and drain weigh more on a small read
  // Far beyond L2 a plain read streams at the copy bandwidth's order (read + written bytes per second).
  EXPECT_GT(large.gbs_median, 0.6 * copy.gbs_median);
  EXPECT_LT(large.gbs_median, 1.6 * copy.gbs_median);
  const bool cupti = cuda::CuptiTracer::instance().available();
  EXPECT_NE(large.method.find(cupti ? "CUPTI kernel span" : "CUDA events"), std::string::npos) << large.method;
}

TEST(ColdRead, RefusesNothingToMeasure) {
  ATTNSCOPE_REQUIRE_GPU();
  EXPECT_THROW(cuda::measure_cold_read(0, 0), std::invalid_argument);
  EXPECT_THROW(cuda::measure_cold_read(0, 1 << 20, 0), std::invalid_argument);
  EXPECT_EQ(cuda::measure_cold_read(0, 1000, 3).bytes, 1008u);  // whole 16-byte loads
}

}  // namespace
}  // namespace attnscope
