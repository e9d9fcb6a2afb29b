// Platform hooks for a CUDA build: device discovery with the facts the rules and the GUI need, and
// the GPU executor.
#include <cuda_runtime.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "attnscope/platform.hpp"
#include "cuda/cuda_executor.hpp"
#include "cuda/cuda_libraries.hpp"
#include "cuda/cupti_tracer.hpp"
#include "cuda/primary_context.hpp"

namespace attnscope::platform {
namespace {

std::string cuda_version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10); }

// "580.95.05" from the kernel module, when readable: the first version-like word of the NVRM line
// ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build ...").
std::string kernel_driver_version() {
  std::ifstream f("/proc/driver/nvidia/version");
  std::string line;
  if (!std::getline(f, line)) return "";
  static const std::regex version(R"(^\d+\.\d+(\.\d+)?$)");
  std::istringstream words(line);
  std::string w;
  while (words >> w)
    if (std::regex_match(w, version)) return w;
  return "";
}

std::string why_no_devices(cudaError_t e) {
  const std::string text = std::string(cudaGetErrorString(e)) + " (" + cudaGetErrorName(e) + ")";
  switch (e) {
    case cudaErrorNoDevice:
      return "no NVIDIA GPU found: " + text;
    case cudaErrorInsufficientDriver: {
      int rt = 0;
      cudaRuntimeGetVersion(&rt);
      return "the NVIDIA driver is too old for this build's CUDA runtime " + cuda_version_text(rt) + ": " + text +
             " — update the driver";
    }
    default:
      return "CUDA cannot use a GPU here: " + text;
  }
}

int attribute(cudaDeviceAttr a, int dev) {
  int v = 0;
  if (cudaDeviceGetAttribute(&v, a, dev) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return v;
}

}  // namespace

GpuProbe probe_gpus() {
  GpuProbe out;
  out.libraries = cuda_libraries::status();
  // Without libcuda the runtime can only say "insufficient driver"; name the real cause.
  const auto& libcuda = cuda_libraries::driver();
  if (!libcuda.loaded()) {
    out.why_none = "no NVIDIA driver (libcuda.so.1 not found: " + libcuda.why_not() + ")";
    return out;
  }
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    out.why_none = why_no_devices(e);
    return out;
  }
  if (count == 0) {
    out.why_none = "no NVIDIA GPU found (the driver reports 0 CUDA devices)";
    return out;
  }
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  const std::string kmod = kernel_driver_version();
  const auto& tracer = cuda::CuptiTracer::instance();
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    DeviceInfo d;
    d.id = "cuda:" + std::to_string(i);
    d.kind = DeviceKind::Cuda;
    d.name = prop.name;
    d.cc_major = prop.major;
    d.cc_minor = prop.minor;
    d.sm_count = prop.multiProcessorCount;
    d.memory_total = prop.totalGlobalMem;
    d.l2_bytes = uint64_t(prop.l2CacheSize);
    d.shared_memory_per_block = uint64_t(prop.sharedMemPerBlockOptin);
    d.sm_clock_mhz = attribute(cudaDevAttrClockRate, i) / 1000;
    d.memory_clock_mhz = attribute(cudaDevAttrMemoryClockRate, i) / 1000;
    d.memory_bus_bits = attribute(cudaDevAttrGlobalMemoryBusWidth, i);
    // Through the driver first, not cudaSetDevice + cudaMemGetInfo: those leave a context (~0.5 GB) on
    // every GPU for the life of the process, and a sharded run's coordinator (and each worker, on the
    // other GPUs) would keep them while the workers measure.
    size_t free_b = 0, total_b = 0;
    if (const auto m = cuda::memory_leaving_no_context(i)) d.memory_free = m->free;
    else if (cudaSetDevice(i) == cudaSuccess && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
      d.memory_free = free_b;  // the driver would not say: a context stays, and a coordinator warns of it
    else cudaGetLastError();
    d.driver_version = (kmod.empty() ? "" : kmod + " ") + "(CUDA " + cuda_version_text(driver) + ")";
    d.runtime_version = cuda_version_text(runtime);
    d.timer = tracer.available() ? "cupti" : "cuda-events";
    // A missing libcupti says so itself ("CUPTI not found: timing falls back to CUDA events …").
    d.timer_note = tracer.available() || !cuda_libraries::cupti().loaded()
                       ? tracer.status()
                       : "CUPTI tracing unavailable, timing with CUDA events: " + tracer.status();
    fill_peaks_from_architecture(d);
    out.devices.push_back(std::move(d));
  }
  if (out.devices.empty()) out.why_none = "CUDA reports devices but none could be queried";
  return out;
}

std::vector<std::string> gpus_holding_context() {
  std::vector<std::string> held;
  int count = 0;
  if (!cuda_libraries::driver().loaded() || cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return held;
  }
  for (int i = 0; i < count; ++i)
    if (cuda::primary_context_active(i).value_or(false)) held.push_back("cuda:" + std::to_string(i));
  return held;
}

std::unique_ptr<Executor> make_gpu_executor(const DeviceInfo& device) {
  if (device.kind != DeviceKind::Cuda) throw std::runtime_error(device.id + " is not a CUDA device");
  return std::make_unique<cuda::CudaExecutor>(device);
}

}  // namespace attnscope::platform
