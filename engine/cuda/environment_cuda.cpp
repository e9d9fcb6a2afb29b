// The reproducibility facts of a CUDA build: versions from the runtime, the driver and CUPTI; each GPU's
// state from NVML (cuda/nvml.hpp), found by its PCI bus id because NVML and CUDA may number GPUs apart.
#include <cuda_runtime.h>

#include <cstdint>

#include "attnscope/platform.hpp"
#include "cuda/cuda_libraries.hpp"
#include "cuda/nvml.hpp"

namespace attnscope::platform {
namespace {

std::string version_text(int v) { return v > 0 ? std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10) : ""; }

std::string pci_bus_id_of(const DeviceInfo& gpu) {
  if (gpu.kind != DeviceKind::Cuda || gpu.id.rfind("cuda:", 0) != 0) return "";
  char id[32] = {};
  try {
    if (cudaDeviceGetPCIBusId(id, sizeof id, std::stoi(gpu.id.substr(5))) != cudaSuccess) {
      cudaGetLastError();  // not sticky; leave no error for the next call to find
      return "";
    }
  } catch (const std::exception&) {
    return "";
  }
  return id;
}

}  // namespace

std::optional<GpuState> gpu_state(const DeviceInfo& gpu) {
  const std::string bus = pci_bus_id_of(gpu);
  if (bus.empty()) return std::nullopt;
  return nvml::state_of(bus, gpu.id);
}

RunEnvironment probe_environment(const std::vector<DeviceInfo>& gpus) {
  RunEnvironment e;
  if (gpus.empty()) return e;  // a CPU run: no GPU facts to keep
  int v = 0;
  if (cudaDriverGetVersion(&v) == cudaSuccess) e.cuda_driver_version = version_text(v);
  if (cudaRuntimeGetVersion(&v) == cudaSuccess) e.cuda_runtime_version = version_text(v);
  // CUPTI is opened at run time (cuda_libraries.hpp); CUptiResult 0 is CUPTI_SUCCESS.
  uint32_t cupti = 0;
  if (auto* get = cuda_libraries::cupti().function<int(uint32_t*)>("cuptiGetVersion"); get && get(&cupti) == 0)
    e.cupti_version = std::to_string(cupti);
  e.nvml_note = nvml::why_unavailable();
  e.driver_version = nvml::driver_version();
  e.nvml_version = nvml::nvml_version();
  for (const DeviceInfo& g : gpus)
    if (std::optional<GpuState> s = gpu_state(g)) e.gpus_at_start.push_back(std::move(*s));
  if (e.nvml_note.empty() && e.gpus_at_start.size() < gpus.size())
    e.nvml_note = "NVML did not find every GPU of the run by its PCI bus id";
  return e;
}

}  // namespace attnscope::platform
