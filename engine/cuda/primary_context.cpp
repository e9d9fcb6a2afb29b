#include "cuda/primary_context.hpp"

#include <cuda.h>  // types and signatures only: the functions come from libcuda at run time

#include <type_traits>

#include "cuda/cuda_libraries.hpp"

namespace attnscope::cuda {
namespace {

// The driver entry points used here, resolved once. cuda.h maps the unversioned names to the _v2
// symbols (cuMemGetInfo → cuMemGetInfo_v2, …); dlsym needs the versioned names spelled out.
struct DriverApi {
  decltype(&::cuInit) init = nullptr;
  decltype(&::cuDeviceGet) device_get = nullptr;
  decltype(&::cuDevicePrimaryCtxGetState) get_state = nullptr;
  decltype(&::cuDevicePrimaryCtxRetain) retain = nullptr;
  decltype(&::cuDevicePrimaryCtxRelease) release = nullptr;  // _v2
  decltype(&::cuCtxPushCurrent) push = nullptr;              // _v2
  decltype(&::cuCtxPopCurrent) pop = nullptr;                // _v2
  decltype(&::cuMemGetInfo) mem_get_info = nullptr;          // _v2
  bool ok = false;
};

const DriverApi& driver_api() {
  static const DriverApi api = [] {
    DriverApi a;
    const auto& lib = cuda_libraries::driver();
    if (!lib.loaded()) return a;
    a.init = lib.function<std::remove_pointer_t<decltype(a.init)>>("cuInit");
    a.device_get = lib.function<std::remove_pointer_t<decltype(a.device_get)>>("cuDeviceGet");
    a.get_state = lib.function<std::remove_pointer_t<decltype(a.get_state)>>("cuDevicePrimaryCtxGetState");
    a.retain = lib.function<std::remove_pointer_t<decltype(a.retain)>>("cuDevicePrimaryCtxRetain");
    a.release = lib.function<std::remove_pointer_t<decltype(a.release)>>("cuDevicePrimaryCtxRelease_v2");
    a.push = lib.function<std::remove_pointer_t<decltype(a.push)>>("cuCtxPushCurrent_v2");
    a.pop = lib.function<std::remove_pointer_t<decltype(a.pop)>>("cuCtxPopCurrent_v2");
    a.mem_get_info = lib.function<std::remove_pointer_t<decltype(a.mem_get_info)>>("cuMemGetInfo_v2");
    a.ok = a.init && a.device_get && a.get_state && a.retain && a.release && a.push && a.pop && a.mem_get_info &&
           a.init(0) == CUDA_SUCCESS;
    return a;
  }();
  return api;
}

std::optional<CUdevice> device_of(int ordinal) {
  const DriverApi& a = driver_api();
  CUdevice dev = 0;
  if (!a.ok || a.device_get(&dev, ordinal) != CUDA_SUCCESS) return std::nullopt;
  return dev;
}

}  // namespace

std::optional<bool> primary_context_active(int ordinal) {
  const std::optional<CUdevice> dev = device_of(ordinal);
  if (!dev) return std::nullopt;
  unsigned flags = 0;
  int active = 0;
  if (driver_api().get_state(*dev, &flags, &active) != CUDA_SUCCESS) return std::nullopt;
  return active != 0;
}

std::optional<DeviceMemory> memory_leaving_no_context(int ordinal) {
  const std::optional<CUdevice> dev = device_of(ordinal);
  if (!dev) return std::nullopt;
  const DriverApi& a = driver_api();
  CUcontext ctx = nullptr;
  if (a.retain(&ctx, *dev) != CUDA_SUCCESS) return std::nullopt;
  std::optional<DeviceMemory> m;
  if (a.push(ctx) == CUDA_SUCCESS) {
    DeviceMemory got;
    if (a.mem_get_info(&got.free, &got.total) == CUDA_SUCCESS) m = got;
    CUcontext popped = nullptr;
    a.pop(&popped);
  }
  a.release(*dev);  // the last reference resets the context: nothing of it stays on the GPU
  return m;
}

}  // namespace attnscope::cuda
