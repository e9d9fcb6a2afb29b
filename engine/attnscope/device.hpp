#pragma once
// What a backend may run on: the CPU, a real CUDA device, or a named what-if profile evaluated by the
// same rules without the hardware.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "attnscope/dtype.hpp"

namespace attnscope {

enum class DeviceKind { Cpu, Cuda, Profile };
std::string_view to_string(DeviceKind k);  // "cpu", "cuda", "profile"

// A library the GPU side opens at run time on this machine (the NVIDIA driver, CUPTI, cuBLAS) rather than
// links, so the binaries start without it: found or not, what a machine without it loses, and the fix.
struct RuntimeLibrary {
  std::string id;       // "cuda-driver", "cupti", "cublas"
  std::string name;     // "NVIDIA driver", "CUPTI", "cuBLAS"
  std::string soname;   // "libcuda.so.1"
  bool found = false;
  std::string detail;   // the file opened, or the loader's words
  std::string without;  // "no GPU can be used: ...", "timing falls back to CUDA events ..."
  std::string fix;      // "install the NVIDIA driver ..."
};

struct DeviceInfo {
  std::string id;    // "cpu", "cuda:0", "profile:h100"
  DeviceKind kind = DeviceKind::Cpu;
  std::string name;  // "NVIDIA H100 80GB HBM3", "AMD EPYC ... (16 threads)", "What-if: T4"

  // GPU facts (zero on the CPU). A profile fills them from published specifications.
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  uint64_t memory_total = 0;  // bytes (host RAM for the CPU)
  uint64_t memory_free = 0;   // bytes (MemAvailable for the CPU; == total for a profile)
  uint64_t l2_bytes = 0;
  // The most dynamic shared memory one thread block may opt into (cudaDevAttrMaxSharedMemoryPerBlockOptin;
  // for a profile, the CUDA programming guide's table per compute capability). Kernels' tile rules read it.
  uint64_t shared_memory_per_block = 0;
  int sm_clock_mhz = 0;       // max SM clock
  int memory_clock_mhz = 0;
  int memory_bus_bits = 0;
  int cpu_threads = 0;        // CPU only

  // Dense peaks used for "% of peak" (0 = unknown).
  double peak_tflops_fp32 = 0;        // SIMT fp32 (no TF32)
  double peak_tflops_tensor_fp16 = 0; // tensor cores, fp32 accumulate
  double peak_tflops_tensor_bf16 = 0;
  double peak_bandwidth_gbs = 0;      // DRAM

  std::string driver_version;   // "580.95.05" / "13.0"
  std::string runtime_version;  // "13.0"

  // How kernels are timed here: "cupti", "cuda-events" (with timer_note saying why) or "steady-clock".
  std::string timer = "steady-clock";
  std::string timer_note;

  // The run-time libraries as found on this machine: filled for real devices (the CPU and GPUs) by
  // discovery; empty for a what-if profile, whose verdict is about other hardware, not this installation.
  std::vector<RuntimeLibrary> runtime_libraries;
  const RuntimeLibrary* runtime_library(std::string_view id) const;  // null when not probed

  bool is_gpu() const { return kind != DeviceKind::Cpu; }
  bool is_real() const { return kind != DeviceKind::Profile; }
  int compute_capability() const { return cc_major * 10 + cc_minor; }  // 90 for sm_90
  std::string sm_name() const;  // "sm90"
  double peak_tflops(DType t) const;  // by dtype: fp32 → SIMT, fp16/bf16 → tensor
};

// The devices one machine offers: the CPU, then every real GPU, then the what-if profiles.
// why_no_gpu explains an empty GPU list. Filled by discover_devices() (platform.hpp) in the worker;
// the GUI receives it through the protocol.
struct DeviceList {
  std::vector<DeviceInfo> devices;
  std::string why_no_gpu;
  std::map<std::string, std::string> libraries;  // of the registered backends (`devices` adds them)
};

// Named what-if profiles: at least t4 (sm75, 16 GB), a100 (sm80, 80 GB), l4 (sm89, 24 GB),
// h100 (sm90, 80 GB). Ids are "profile:<short>"; find_profile also accepts the short name.
const std::vector<DeviceInfo>& what_if_profiles();
const DeviceInfo* find_profile(std::string_view name);

// Dense peak math for a real device of a given architecture, from SM count and clock.
void fill_peaks_from_architecture(DeviceInfo& d);

}  // namespace attnscope
