// Device discovery and selection: the CPU (from /proc), the CUDA devices the platform layer finds, and
// the what-if profiles; plus the executor factory that turns a real device into something that runs.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "attnscope/cpu_executor.hpp"
#include "attnscope/platform.hpp"

namespace attnscope {
namespace {

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// First "model name" line of /proc/cpuinfo (x86); other architectures may lack it.
std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = trim(line.substr(0, colon));
    if (key == "model name" || key == "Model" || key == "cpu model") return trim(line.substr(colon + 1));
  }
  return "CPU";
}

// A /proc/meminfo entry ("MemTotal:  16384 kB") in bytes; 0 when absent.
uint64_t meminfo_bytes(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  uint64_t value = 0;
  std::string unit;
  while (in >> name >> value) {
    std::getline(in, unit);
    if (name == key + ":") return trim(unit) == "kB" ? value * 1024 : value;
  }
  return 0;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

[[noreturn]] void unknown_device(const DeviceList& list, const std::string& name, const std::string& why) {
  std::string valid;
  for (const auto& d : list.devices) valid += (valid.empty() ? "" : ", ") + d.id;
  std::string msg = "device \"" + name + "\" " + why + "; valid devices: " + valid;
  if (!list.why_no_gpu.empty()) msg += " (no GPU: " + list.why_no_gpu + ")";
  throw InvalidInput({{"device", msg}});
}

}  // namespace

DeviceInfo cpu_device() {
  DeviceInfo d;
  d.id = "cpu";
  d.kind = DeviceKind::Cpu;
  d.cpu_threads = int(std::max(1u, std::thread::hardware_concurrency()));
  d.name = cpu_model_name() + " (" + std::to_string(d.cpu_threads) + " threads)";
  d.memory_total = meminfo_bytes("MemTotal");
  d.memory_free = meminfo_bytes("MemAvailable");
  if (d.memory_free == 0) d.memory_free = meminfo_bytes("MemFree");  // kernels older than 3.14
  d.timer = "steady-clock";
  d.timer_note = "host wall-clock span of each run (std::chrono::steady_clock)";
  return d;
}

DeviceList discover_devices() {
  DeviceList list;
  list.devices.push_back(cpu_device());
  GpuProbe probe = platform::probe_gpus();
  for (auto& d : probe.devices) list.devices.push_back(std::move(d));
  if (probe.devices.empty())
    list.why_no_gpu = probe.why_none.empty() ? "no CUDA device found" : probe.why_none;
  for (auto& d : list.devices) d.runtime_libraries = probe.libraries;  // the real devices, before the profiles
  for (const auto& p : what_if_profiles()) list.devices.push_back(p);
  return list;
}

DeviceInfo resolve_device(const DeviceList& list, std::string_view name_in) {
  const std::string name = lower(trim(std::string(name_in)));
  if (name.empty()) unknown_device(list, name, "is empty");

  auto find_id = [&](const std::string& id) -> const DeviceInfo* {
    for (const auto& d : list.devices)
      if (lower(d.id) == id) return &d;
    return nullptr;
  };
  if (const DeviceInfo* d = find_id(name)) return *d;

  if (name == "gpu" || name == "cuda") {
    for (const auto& d : list.devices)
      if (d.kind == DeviceKind::Cuda) return d;
    unknown_device(list, name, "asks for a GPU but none is available");
  }
  if (all_digits(name)) {
    if (const DeviceInfo* d = find_id("cuda:" + name)) return *d;
    unknown_device(list, name, "is not a CUDA device index here");
  }
  // A short profile name ("t4") or a profile the list does not carry.
  std::string short_name = name.rfind("profile:", 0) == 0 ? name.substr(8) : name;
  if (const DeviceInfo* d = find_id("profile:" + short_name)) return *d;
  if (const DeviceInfo* p = find_profile(short_name)) return *p;
  unknown_device(list, name, "is unknown");
}

std::unique_ptr<Executor> make_executor(const DeviceInfo& d) {
  switch (d.kind) {
    case DeviceKind::Cpu:
      return std::make_unique<CpuExecutor>(d);
    case DeviceKind::Cuda:
      return platform::make_gpu_executor(d);
    case DeviceKind::Profile:
      break;
  }
  throw InvalidInput({{"device", "device " + d.id +
                                     ": profiles are what-if devices and cannot run; use them with `backends`"}});
}

}  // namespace attnscope
