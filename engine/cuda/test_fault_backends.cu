// The test-only failing backends of attnscope/test_faults.hpp.
#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "attnscope/test_faults.hpp"

namespace attnscope {
namespace {

__global__ void write_through_null(float* never_valid) { never_valid[threadIdx.x] = 1.0f; }

__device__ unsigned long long now_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Spins until `release` is set (never, in the tests) or limit_ns passed: a kernel that does not return.
__global__ void spin(const volatile int* release, unsigned long long limit_ns) {
  const unsigned long long start = now_ns();
  while (!*release && now_ns() - start < limit_ns) {
  }
}

enum class Fault { OutOfMemory, IllegalAddress, Hang };

class FaultBackend final : public Backend {
 public:
  explicit FaultBackend(Fault f) : fault_(f) {
    const char* id = f == Fault::OutOfMemory ? "test-oom" : f == Fault::IllegalAddress ? "test-fault" : "test-hang";
    info_ = {id, std::string("test only: ") + id, "test", Target::Cuda,
             "Fails on purpose for the GPU fault tests; never registered for users.", "-", "-"};
  }
  const BackendInfo& info() const override { return info_; }
  std::vector<RuleResult> check(const Problem&, const DeviceInfo& d) const override {
    RuleResult r{"device", RuleKind::Environment, "device", d.id, "a CUDA GPU", d.kind == DeviceKind::Cuda,
                 "device is " + d.id + "; this test backend runs on a CUDA GPU", "choose a GPU"};
    return {r};
  }
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override { return {p.output_bytes(), 0}; }
  void run(const Problem&, const Tensors&, ExecContext& ctx) const override {
    auto stream = static_cast<cudaStream_t>(ctx.stream());
    switch (fault_) {
      case Fault::OutOfMemory: {
        Workspace too_much(ctx, std::size_t(1) << 50);  // 1 PiB: throws OutOfMemory
        break;
      }
      case Fault::IllegalAddress: write_through_null<<<1, 32, 0, stream>>>(nullptr); break;
      case Fault::Hang: {
        Workspace flag(ctx, sizeof(int));
        cudaMemsetAsync(flag.get(), 0, sizeof(int), stream);
        spin<<<1, 1, 0, stream>>>(flag.as<int>(), 600ull * 1000 * 1000 * 1000);
        cudaStreamSynchronize(stream);  // inside run(): the flag must outlive the kernel
        break;
      }
    }
  }

 private:
  Fault fault_;
  BackendInfo info_;
};

}  // namespace

void register_test_fault_backends(Registry& reg) {
  const char* on = std::getenv(kTestFaultBackendsEnv);
  if (!on || std::strcmp(on, "1") != 0) return;
  for (Fault f : {Fault::OutOfMemory, Fault::IllegalAddress, Fault::Hang}) reg.add(std::make_unique<FaultBackend>(f));
}

}  // namespace attnscope
