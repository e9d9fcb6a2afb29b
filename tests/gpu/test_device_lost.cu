// A kernel that faults leaves a sticky error: the executor must say the device is lost (so the runner
// stops and the worker exits for the GUI to restart it) rather than report an ordinary error and let
// every later item fail on the broken context. Runs in a child process: the fault would poison this one.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cstdlib>

#include "attnscope/platform.hpp"
#include "gpu_check.hpp"

namespace attnscope {
namespace {

__global__ void write_through_null(float* never_valid) { never_valid[threadIdx.x] = 1.0f; }

class FaultingBackend final : public Backend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{"test-faulting", "test: illegal address", "test", Target::Cuda, "", "", ""};
    return kInfo;
  }
  std::vector<RuleResult> check(const Problem&, const DeviceInfo&) const override { return {}; }
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override { return {p.output_bytes(), 0}; }
  void run(const Problem&, const Tensors&, ExecContext& ctx) const override {
    write_through_null<<<1, 32, 0, static_cast<cudaStream_t>(ctx.stream())>>>(nullptr);
  }
};

// Exit codes of the child: which exception the fault produced.
constexpr int kSawDeviceLost = 3, kSawOtherError = 4, kNoError = 5;

int measure_faulting_backend() {
  const GpuProbe probe = platform::probe_gpus();
  auto exec = platform::make_gpu_executor(probe.devices.at(0));
  Problem p;
  p.batch = 1, p.q_heads = p.kv_heads = 1, p.q_len = p.kv_len = 64, p.head_dim = 64, p.dtype = DType::F16;
  MeasureSettings s;
  s.warmup_min_runs = 1;
  s.warmup_min_time_s = 0;
  CancelToken cancel;
  try {
    exec->measure(FaultingBackend{}, p, s, cancel);
  } catch (const DeviceLost& e) {
    std::fprintf(stderr, "DeviceLost: %s\n", e.what());
    return kSawDeviceLost;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "other error: %s\n", e.what());
    return kSawOtherError;
  }
  return kNoError;
}

TEST(DeviceLost, AFaultingKernelIsReportedAsALostDevice) {
  ATTNSCOPE_REQUIRE_GPU();
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-executes the binary: a fresh CUDA context
  EXPECT_EXIT(std::_Exit(measure_faulting_backend()), ::testing::ExitedWithCode(kSawDeviceLost),
              "DeviceLost: .*illegal.*unusable");
}

}  // namespace
}  // namespace attnscope
