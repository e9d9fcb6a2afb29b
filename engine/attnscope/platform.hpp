#pragma once
// Where the CUDA-free runtime meets the CUDA layer. engine/cuda implements these when the build has a
// toolkit; engine/no_cuda.cpp implements them otherwise (reporting why there is no GPU).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/device.hpp"
#include "attnscope/environment.hpp"
#include "attnscope/executor.hpp"

namespace attnscope {

struct GpuProbe {
  std::vector<DeviceInfo> devices;  // real CUDA devices, ids "cuda:0", ...
  std::string why_none;             // non-empty when devices is empty: "no NVIDIA driver (libcuda.so.1 not found)", ...
  std::vector<RuntimeLibrary> libraries;  // the CUDA libraries opened at run time, found or not (empty without CUDA)
};

// Build facts (with CUDA, compiled compute capabilities) are in attnscope/build_info.hpp, in the core.
namespace platform {
GpuProbe probe_gpus();
std::unique_ptr<Executor> make_gpu_executor(const DeviceInfo& device);  // throws std::runtime_error
// Reproducibility facts (environment.hpp): the driver, CUDA, CUPTI and NVML versions and the state of
// each GPU in `gpus` now (fills gpus_at_start). Never throws; what cannot be known is left empty, with
// nvml_note saying why.
RunEnvironment probe_environment(const std::vector<DeviceInfo>& gpus);
// One GPU's state now (clocks, other processes); nullopt where NVML cannot tell.
std::optional<GpuState> gpu_state(const DeviceInfo& gpu);
// The GPUs on which this process holds a CUDA context now ("cuda:0"); discovery leaves none, so a
// process that only coordinates others (a sharded run) holds none while they measure.
std::vector<std::string> gpus_holding_context();
}  // namespace platform

// The CPU, then every real GPU, then the what-if profiles (DeviceList is in device.hpp).
DeviceList discover_devices();
DeviceInfo cpu_device();
// "cpu", "cuda:0", "0", "gpu" (first GPU), "profile:t4", "t4". Throws InvalidInput (field "device").
DeviceInfo resolve_device(const DeviceList& list, std::string_view name);

// Executor for a real device (CPU or GPU). Profiles cannot run: throws InvalidInput.
std::unique_ptr<Executor> make_executor(const DeviceInfo& d);

}  // namespace attnscope
