// Platform hooks for a build configured without a CUDA toolkit: no GPU, and every answer says why.
#include <stdexcept>

#include "attnscope/platform.hpp"
#include "attnscope/test_faults.hpp"

namespace attnscope::platform {
namespace {
constexpr const char* kWhyNone =
    "this build of AttnScope has no CUDA support (configured without a CUDA toolkit)";
}

GpuProbe probe_gpus() { return GpuProbe{{}, kWhyNone}; }

std::unique_ptr<Executor> make_gpu_executor(const DeviceInfo& device) {
  throw std::runtime_error("cannot run on " + device.id + ": " + kWhyNone);
}

RunEnvironment probe_environment(const std::vector<DeviceInfo>& gpus) {
  RunEnvironment e;
  if (!gpus.empty()) e.nvml_note = kWhyNone;
  return e;
}

std::optional<GpuState> gpu_state(const DeviceInfo&) { return std::nullopt; }

std::vector<std::string> gpus_holding_context() { return {}; }

}  // namespace attnscope::platform

namespace attnscope {
// The failing test backends need a GPU: nothing to register in a build without CUDA.
void register_test_fault_backends(Registry&) {}
}  // namespace attnscope
