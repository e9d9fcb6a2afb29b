#pragma once
// NVML, opened at run time (libnvidia-ml.so.1 comes with the driver, not the toolkit): the GPU's clocks,
// power limit, persistence mode and the other processes on it, for the reproducibility facts written
// with every result (attnscope/environment.hpp). A machine without it runs as before and says why the
// facts are missing.
#include <optional>
#include <string>

#include "attnscope/environment.hpp"

namespace attnscope::nvml {

// Empty when NVML is usable; otherwise why not ("libnvidia-ml.so.1 not found: …").
const std::string& why_unavailable();
std::string driver_version();  // "580.95.05"
std::string nvml_version();
// The GPU with this PCI bus id ("0000:3B:00.0") now; nullopt without NVML or when it does not know it.
std::optional<GpuState> state_of(const std::string& pci_bus_id, const std::string& device_id);

}  // namespace attnscope::nvml
