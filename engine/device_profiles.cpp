#include <algorithm>
#include <cctype>
#include <string>

#include "attnscope/device.hpp"

namespace attnscope {

std::string_view to_string(DeviceKind k) {
  switch (k) {
    case DeviceKind::Cpu: return "cpu";
    case DeviceKind::Cuda: return "cuda";
    case DeviceKind::Profile: return "profile";
  }
  return "unknown";
}

const RuntimeLibrary* DeviceInfo::runtime_library(std::string_view library_id) const {
  for (const auto& l : runtime_libraries)
    if (l.id == library_id) return &l;
  return nullptr;
}

std::string DeviceInfo::sm_name() const { return "sm" + std::to_string(compute_capability()); }

double DeviceInfo::peak_tflops(DType t) const {
  switch (t) {
    case DType::F32: return peak_tflops_fp32;
    case DType::F16: return peak_tflops_tensor_fp16;
    case DType::BF16: return peak_tflops_tensor_bf16;
  }
  return 0;
}

namespace {

// Dense FLOP per SM per clock, by architecture. fp32: FMA lanes × 2. Tensor: fp16/bf16 inputs with
// fp32 accumulation, no sparsity (datacenter parts; GeForce halves fp32-accumulate rates).
struct ArchRates {
  int fp32;
  int tensor16;
  bool bf16;
};

ArchRates rates_for(int cc) {
  if (cc >= 100) return {256, 8192, true};  // Blackwell datacenter
  if (cc >= 90) return {256, 4096, true};   // Hopper
  if (cc >= 86) return {256, 1024, true};   // GA10x, Ada
  if (cc >= 80) return {128, 2048, true};   // A100
  if (cc >= 70) return {128, 1024, false};  // Volta, Turing: no bf16 tensor cores
  return {128, 0, false};
}

DeviceInfo profile(std::string id, std::string name, int major, int minor, int sms, double mem_gib, double l2_mib,
                   int shared_kib, int sm_mhz, double bw_gbs, double fp32_tflops, double tensor_tflops) {
  DeviceInfo d;
  d.id = "profile:" + id;
  d.kind = DeviceKind::Profile;
  d.name = std::move(name);
  d.cc_major = major;
  d.cc_minor = minor;
  d.sm_count = sms;
  d.memory_total = uint64_t(mem_gib * 1024 * 1024 * 1024);
  d.memory_free = d.memory_total;
  d.l2_bytes = uint64_t(l2_mib * 1024 * 1024);
  d.shared_memory_per_block = uint64_t(shared_kib) * 1024;
  d.sm_clock_mhz = sm_mhz;
  d.peak_bandwidth_gbs = bw_gbs;
  d.peak_tflops_fp32 = fp32_tflops;
  d.peak_tflops_tensor_fp16 = tensor_tflops;
  d.peak_tflops_tensor_bf16 = rates_for(d.compute_capability()).bf16 ? tensor_tflops : 0;
  d.timer = "none";
  d.timer_note = "what-if profile: rules are evaluated, nothing runs";
  return d;
}

}  // namespace

// Published datasheet figures (dense, no sparsity); memory is what the CUDA runtime reports as total;
// shared memory per block is the opt-in maximum of the CUDA programming guide's table of technical
// specifications per compute capability (64 KiB on Turing, 163 on sm80, 99 on sm86/89, 227 on sm90).
const std::vector<DeviceInfo>& what_if_profiles() {
  static const std::vector<DeviceInfo> profiles{
      profile("t4", "What-if: NVIDIA T4 (sm75, 16 GB)", 7, 5, 40, 15.0, 4, 64, 1590, 320, 8.1, 65),
      profile("a100", "What-if: NVIDIA A100 SXM 80GB (sm80)", 8, 0, 108, 79.2, 40, 163, 1410, 2039, 19.5, 312),
      profile("l4", "What-if: NVIDIA L4 (sm89, 24 GB)", 8, 9, 58, 22.0, 48, 99, 2040, 300, 30.3, 121),
      profile("h100", "What-if: NVIDIA H100 SXM 80GB (sm90)", 9, 0, 132, 79.1, 50, 227, 1980, 3350, 67, 989.4),
  };
  return profiles;
}

const DeviceInfo* find_profile(std::string_view name) {
  std::string s(name);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!s.starts_with("profile:")) s = "profile:" + s;
  for (const auto& p : what_if_profiles())
    if (p.id == s) return &p;
  return nullptr;
}

void fill_peaks_from_architecture(DeviceInfo& d) {
  const ArchRates r = rates_for(d.compute_capability());
  const double clock_hz = double(d.sm_clock_mhz) * 1e6;
  d.peak_tflops_fp32 = d.sm_count * clock_hz * r.fp32 / 1e12;
  d.peak_tflops_tensor_fp16 = d.sm_count * clock_hz * r.tensor16 / 1e12;
  d.peak_tflops_tensor_bf16 = r.bf16 ? d.peak_tflops_tensor_fp16 : 0;
  // DDR: two transfers per memory clock.
  d.peak_bandwidth_gbs = 2.0 * d.memory_clock_mhz * 1e6 * (d.memory_bus_bits / 8.0) / 1e9;
}

}  // namespace attnscope
