// Poisoned outputs catch a kernel that skips elements: a deliberately broken backend launched here
// leaves every 97th output element unwritten, and both the test helper and the executor notice.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include "attnscope/platform.hpp"
#include "attnscope/registry.hpp"
#include "cuda/cuda_executor.hpp"
#include "gpu_check.hpp"
#include "naive/naive.hpp"

namespace attnscope {
namespace {

// Copies a correct result into O, except elements whose index is ≡ 5 (mod 97) when `skip` is set.
template <class T>
__global__ void copy_with_holes(const T* __restrict__ from, T* __restrict__ to, uint64_t n, bool skip) {
  for (uint64_t i = blockIdx.x * uint64_t(blockDim.x) + threadIdx.x; i < n; i += uint64_t(gridDim.x) * blockDim.x)
    if (!skip || i % 97 != 5) to[i] = from[i];
}

class HoleyBackend final : public Backend {
 public:
  explicit HoleyBackend(bool skip) : skip_(skip) {}
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{"test-holey", "test: skips output elements", "test", Target::Cuda, "", "", ""};
    return kInfo;
  }
  std::vector<RuleResult> check(const Problem&, const DeviceInfo&) const override { return {}; }
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    return {p.output_bytes(), p.output_bytes() + uint64_t(p.batch * p.q_heads * p.q_len) * p.kv_len * 4};
  }
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    // A correct answer computed by the naive kernels into scratch, then copied with holes.
    Workspace scores(ctx, uint64_t(p.batch * p.q_heads * p.q_len) * p.kv_len * 4);
    Workspace staged(ctx, p.output_bytes());
    Tensors into = t;
    into.o = staged.get();
    naive::launch(p, into, scores.as<float>(), ctx.stream());
    auto st = static_cast<cudaStream_t>(ctx.stream());
    const uint64_t n = p.o_elements();
    if (p.dtype == DType::F32)
      copy_with_holes<<<256, 256, 0, st>>>(staged.as<float>(), static_cast<float*>(t.o), n, skip_);
    else
      copy_with_holes<<<256, 256, 0, st>>>(staged.as<uint16_t>(), static_cast<uint16_t*>(t.o), n, skip_);
  }

 private:
  bool skip_;
};

Problem small_problem(DType dt) {
  Problem p;
  p.batch = 2, p.q_heads = 4, p.kv_heads = 2, p.q_len = p.kv_len = 200, p.head_dim = 64, p.dtype = dt;
  return p;
}

uint64_t expected_holes(uint64_t n) { return n > 5 ? (n - 5 - 1) / 97 + 1 : 0; }

TEST(Poisoning, CatchesAKernelThatSkipsElements) {
  ATTNSCOPE_REQUIRE_GPU();
  for (DType dt : {DType::F32, DType::F16, DType::BF16}) {
    const Problem p = small_problem(dt);
    const auto good = gputest::run_against_reference(HoleyBackend(false), p, 0);
    ASSERT_TRUE(good.error.empty()) << good.error;
    EXPECT_EQ(good.unwritten, 0);
    EXPECT_EQ(good.err.non_finite, 0);

    const auto bad = gputest::run_against_reference(HoleyBackend(true), p, 0);
    ASSERT_TRUE(bad.error.empty()) << bad.error;
    EXPECT_EQ(bad.unwritten, int64_t(expected_holes(p.o_elements()))) << to_string(dt);
    EXPECT_GT(bad.err.non_finite, 0);  // the checked heads hold holes too
  }
}

TEST(Poisoning, ExecutorFailsTheAccuracyCheckOfAKernelThatSkipsElements) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto probe = platform::probe_gpus();
  ASSERT_FALSE(probe.devices.empty()) << probe.why_none;
  cuda::CudaExecutor exec(probe.devices.front());
  MeasureSettings s;
  s.stopping.min_samples = 3, s.stopping.min_time_s = 0, s.stopping.max_time_s = 1;
  s.warmup_min_runs = 1, s.warmup_min_time_s = 0;
  s.reference_max_heads = 0;
  CancelToken never;
  const Problem p = small_problem(DType::F16);
  const Measurement good = exec.measure(HoleyBackend(false), p, s, never);
  ASSERT_TRUE(good.accuracy.has_value());
  EXPECT_TRUE(good.accuracy->pass) << good.accuracy->rel_l2;
  const Measurement bad = exec.measure(HoleyBackend(true), p, s, never);
  ASSERT_TRUE(bad.accuracy.has_value());
  EXPECT_FALSE(bad.accuracy->pass);
  EXPECT_NE(bad.note.find("never written"), std::string::npos) << bad.note;
}

}  // namespace
}  // namespace attnscope
