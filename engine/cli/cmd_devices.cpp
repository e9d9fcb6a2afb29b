// `attnscope-cli devices`: the CPU, every CUDA device, the what-if profiles, and why there is no GPU.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "attnscope/build_info.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/protocol.hpp"
#include "attnscope/python_host.hpp"
#include "attnscope/registry.hpp"
#include "attnscope/results.hpp"
#include "attnscope/rules.hpp"
#include "commands.hpp"
#include "format.hpp"

namespace attnscope::cli {
namespace {

std::string memory_cell(const DeviceInfo& d) {
  if (d.memory_total == 0) return "?";
  if (d.kind == DeviceKind::Profile) return format_bytes(d.memory_total);
  return format_bytes(d.memory_free) + " free / " + format_bytes(d.memory_total);
}

std::string peak_cell(const DeviceInfo& d) {
  const double fp16 = d.peak_tflops(DType::F16), fp32 = d.peak_tflops(DType::F32);
  if (fp16 <= 0 && fp32 <= 0) return "-";
  return fixed(fp16, 0) + " / " + fixed(fp32, 1);
}

void print_table(const DeviceList& list) {
  TextTable t({"id", "kind", "arch", "SMs", "memory", "L2", "peak TFLOP/s fp16/fp32", "timer", "name"});
  for (const auto& d : list.devices) {
    const bool gpu = d.is_gpu();
    t.add({d.id, std::string(to_string(d.kind)), gpu ? d.sm_name() : "-", gpu ? std::to_string(d.sm_count) : "-",
           memory_cell(d), d.l2_bytes ? format_bytes(d.l2_bytes) : "-", peak_cell(d), d.is_real() ? d.timer : "-",
           d.name});
  }
  t.print(std::cout);
  if (!list.why_no_gpu.empty()) std::cout << "\nNo GPU: " << list.why_no_gpu << '\n';
  // The CUDA libraries, opened at run time (the CPU carries the machine's list, as every real device does).
  if (!list.devices.empty() && !list.devices.front().runtime_libraries.empty()) {
    std::cout << "\nRun-time libraries (opened when present, never required to start):\n";
    for (const auto& lib : list.devices.front().runtime_libraries) {
      if (lib.found) std::cout << "  " << lib.name << ": " << lib.detail << '\n';
      else {
        std::cout << "  " << lib.name << ": not found\n";
        print_rule(std::cout, runtime_library_rule(lib));
      }
    }
  }
  for (const auto& d : list.devices)
    if (d.is_real() && !d.timer_note.empty() && d.timer != "steady-clock")
      std::cout << d.id << " timer note: " << d.timer_note << '\n';
}

// Library versions of every registered backend that reports any (cuDNN, PyTorch, xFormers, ...).
std::map<std::string, std::string> registered_libraries() {
  Registry reg;
  register_builtin_backends(reg);
  register_library_backends(reg);
  std::map<std::string, std::string> out;
  for (const auto& b : reg.backends())
    for (const auto& [name, version] : b->library_versions()) out[name] = version;
  return out;
}

void print_libraries(const python::HostStatus& st, const std::map<std::string, std::string>& libs) {
  std::cout << "\nPython for library backends: ";
  if (st.ready)
    std::cout << st.executable << " (" << st.version << ", " << st.choice.chosen_by << "; " << st.library << ")\n";
  else
    std::cout << "none — " << st.problem << (st.hint.empty() ? "" : "\n  fix: " + st.hint) << '\n';
  std::cout << "  choose another with --python PATH or ATTNSCOPE_PYTHON=PATH ('none' turns it off)\n";
  if (!libs.empty()) {
    std::cout << "Libraries:";
    for (const auto& [name, version] : libs) std::cout << ' ' << name << ' ' << version << ';';
    std::cout << '\n';
  }
}

}  // namespace

Command add_devices_command(CLI::App& app) {
  auto* sub = app.add_subcommand("devices", "List the CPU, CUDA devices and what-if profiles (and why there is no GPU)");
  auto json = std::make_shared<bool>(false);
  sub->add_flag("--json", *json, "Print the device list as the worker protocol's devices document (attnscope/protocol.hpp)");
  return [json] {
    DeviceList list = discover_devices();
    list.libraries = registered_libraries();
    const python::HostStatus& py = python::host_status();
    if (*json) {
      std::cout << json_pretty(to_json(DeviceReport{list, build::with_cuda()})) << std::endl;
    } else {
      print_table(list);
      print_libraries(py, list.libraries);
    }
    return kExitOk;
  };
}

}  // namespace attnscope::cli
