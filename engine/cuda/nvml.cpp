#include "cuda/nvml.hpp"

#include "cuda/dynamic_library.hpp"

#include <unistd.h>

#include <mutex>
#include <vector>

namespace attnscope::nvml {
namespace {

// The few NVML declarations used, from NVML's documented C API (no nvml.h is needed to build). Checked
// (2026-12-06) against the NVML API reference (R590, Device Queries) and nvidia-ml-py 13.615.71's
// pynvml.py, which binds the same symbols: every signature below matches; nvmlReturn_t,
// nvmlClockType_t and nvmlEnableState_t are C enums (int-sized); NVML_CLOCK_SM 1, NVML_CLOCK_MEM 2,
// NVML_ERROR_INSUFFICIENT_SIZE 7; the power limit is in milliwatts; nvmlProcessInfo_t of the _v2 and _v3
// process lists is {pid, usedGpuMemory, gpuInstanceId, computeInstanceId} (v1's has only the first two,
// so the unversioned lists are never used), usedGpuMemory ULLONG_MAX when not available; the version
// strings need 80 bytes, the UUID 96 (NVML_DEVICE_UUID_V2_BUFFER_SIZE).
using Device = struct NvmlDeviceOpaque*;
using Return = int;  // nvmlReturn_t: 0 is NVML_SUCCESS
constexpr Return kSuccess = 0, kInsufficientSize = 7;
constexpr int kClockSm = 1, kClockMem = 2;  // nvmlClockType_t
struct ProcessInfo {                          // nvmlProcessInfo_t (v2 and v3 share this layout)
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId, computeInstanceId;
};

struct Api {
  Return (*init)() = nullptr;
  Return (*driver_version)(char*, unsigned) = nullptr;
  Return (*nvml_version)(char*, unsigned) = nullptr;
  Return (*by_pci_bus_id)(const char*, Device*) = nullptr;
  Return (*uuid)(Device, char*, unsigned) = nullptr;
  Return (*clock)(Device, int, unsigned*) = nullptr;
  Return (*max_clock)(Device, int, unsigned*) = nullptr;
  Return (*power_limit)(Device, unsigned*) = nullptr;  // milliwatts
  Return (*persistence)(Device, int*) = nullptr;
  Return (*compute_processes)(Device, unsigned*, ProcessInfo*) = nullptr;
  Return (*graphics_processes)(Device, unsigned*, ProcessInfo*) = nullptr;
  std::string why_not;
};

// The first of `names` the library has.
template <class F>
bool resolve(const dynlib::Library& lib, F& f, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (void* s = lib.symbol(n)) {
      f = reinterpret_cast<F>(s);
      return true;
    }
  return false;
}

// Opens NVML through the run-time loader and resolves every symbol once.
const Api& api() {
  static Api a;
  static std::once_flag once;
  std::call_once(once, [] {
    const dynlib::Library lib = dynlib::Library::open({"libnvidia-ml.so.1"});
    if (!lib.loaded()) {
      a.why_not = "libnvidia-ml.so.1 (NVML, part of the NVIDIA driver) not found: " + lib.why_not() +
                  "; clocks, power limit and sharing are not recorded";
      return;
    }
    const bool ok = resolve(lib, a.init, {"nvmlInit_v2", "nvmlInit"}) &&
                    resolve(lib, a.driver_version, {"nvmlSystemGetDriverVersion"}) &&
                    resolve(lib, a.nvml_version, {"nvmlSystemGetNVMLVersion"}) &&
                    resolve(lib, a.by_pci_bus_id, {"nvmlDeviceGetHandleByPciBusId_v2", "nvmlDeviceGetHandleByPciBusId"}) &&
                    resolve(lib, a.uuid, {"nvmlDeviceGetUUID"}) && resolve(lib, a.clock, {"nvmlDeviceGetClockInfo"}) &&
                    resolve(lib, a.max_clock, {"nvmlDeviceGetMaxClockInfo"}) &&
                    resolve(lib, a.power_limit, {"nvmlDeviceGetEnforcedPowerLimit"}) &&
                    resolve(lib, a.persistence, {"nvmlDeviceGetPersistenceMode"});
    // The process lists must be the versions taking the four-field struct; older drivers lack them.
    resolve(lib, a.compute_processes, {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"});
    resolve(lib, a.graphics_processes, {"nvmlDeviceGetGraphicsRunningProcesses_v3", "nvmlDeviceGetGraphicsRunningProcesses_v2"});
    if (!ok) {
      a.why_not = "libnvidia-ml.so.1 lacks functions AttnScope needs (an old driver?); clocks, power limit and sharing are not recorded";
      return;
    }
    if (const Return r = a.init(); r != kSuccess)
      a.why_not = "NVML did not start (nvmlInit error " + std::to_string(r) + "); clocks, power limit and sharing are not recorded";
  });
  return a;
}

std::string text_from(Return (*f)(char*, unsigned)) {
  char buf[96] = {};
  return f && f(buf, sizeof buf) == kSuccess ? std::string(buf) : std::string();
}

// Processes on the GPU other than this one (the app and a sharded run's coordinator hold no context, so
// they are not among them; another worker on the same GPU is). -1 when NVML cannot list them.
int other_processes(Device d, std::vector<std::string>& described) {
  const Api& a = api();
  if (!a.compute_processes) return -1;
  const unsigned self = unsigned(getpid());
  int others = 0;
  for (auto* list : {a.compute_processes, a.graphics_processes}) {
    if (!list) continue;
    std::vector<ProcessInfo> infos(64);
    unsigned n = unsigned(infos.size());
    Return r = list(d, &n, infos.data());
    if (r == kInsufficientSize) {
      infos.resize(n + 16);
      n = unsigned(infos.size());
      r = list(d, &n, infos.data());
    }
    if (r != kSuccess) return -1;
    for (unsigned i = 0; i < n; ++i) {
      if (infos[i].pid == self) continue;
      ++others;
      described.push_back("pid " + std::to_string(infos[i].pid) +
                          (infos[i].usedGpuMemory < (1ull << 62) ? " (" + std::to_string(infos[i].usedGpuMemory >> 20) + " MiB)" : ""));
    }
  }
  return others;
}

}  // namespace

const std::string& why_unavailable() { return api().why_not; }

std::string driver_version() { return why_unavailable().empty() ? text_from(api().driver_version) : ""; }
std::string nvml_version() { return why_unavailable().empty() ? text_from(api().nvml_version) : ""; }

std::optional<GpuState> state_of(const std::string& pci_bus_id, const std::string& device_id) {
  const Api& a = api();
  if (!a.why_not.empty()) return std::nullopt;
  Device d = nullptr;
  if (a.by_pci_bus_id(pci_bus_id.c_str(), &d) != kSuccess) return std::nullopt;
  GpuState s;
  s.device = device_id;
  char uuid[96] = {};
  if (a.uuid(d, uuid, sizeof uuid) == kSuccess) s.uuid = uuid;
  unsigned v = 0;
  if (a.clock(d, kClockSm, &v) == kSuccess) s.sm_clock_mhz = int(v);
  if (a.clock(d, kClockMem, &v) == kSuccess) s.memory_clock_mhz = int(v);
  if (a.max_clock(d, kClockSm, &v) == kSuccess) s.max_sm_clock_mhz = int(v);
  if (a.max_clock(d, kClockMem, &v) == kSuccess) s.max_memory_clock_mhz = int(v);
  if (a.power_limit(d, &v) == kSuccess) s.power_limit_w = v / 1000.0;
  int mode = 0;
  if (a.persistence(d, &mode) == kSuccess) s.persistence_mode = mode != 0;
  s.other_processes = other_processes(d, s.processes);
  return s;
}

}  // namespace attnscope::nvml
