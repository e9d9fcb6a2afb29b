#pragma once
// What the machine was like while a run measured, kept with every result so two files from two machines
// can be compared honestly: clocks, power limit, persistence mode, whether anything else ran on the GPU
// (NVML, loaded at run time: a machine without it still runs and says so), the driver, CUDA, CUPTI and
// library versions, and the formulas behind TFLOP/s and GB/s.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attnscope {

// One GPU at one moment (NVML). Zero / empty / nullopt: unknown.
struct GpuState {
  std::string device;  // "cuda:0"
  std::string uuid;    // "GPU-…": tells two cards of one model apart
  int sm_clock_mhz = 0, memory_clock_mhz = 0;          // current
  int max_sm_clock_mhz = 0, max_memory_clock_mhz = 0;  // the card's maxima
  double power_limit_w = 0;                            // enforced
  std::optional<bool> persistence_mode;
  // Compute and graphics processes on the GPU other than this run's worker and its parent (the app or a
  // coordinator), with the MiB each holds; -1 when NVML cannot tell.
  int other_processes = -1;
  std::vector<std::string> processes;  // "pid 1234 (2048 MiB)" for each of them
};

struct RunEnvironment {
  std::string driver_version;        // NVML's: "580.95.05"
  std::string cuda_driver_version;   // the CUDA version the driver supports: "13.0"
  std::string cuda_runtime_version;  // "13.0"
  std::string cupti_version;         // CUPTI's API version: "130000"
  std::string nvml_version;          // "13.580.95.05"
  std::string nvml_note;             // why NVML facts are missing, when they are
  std::vector<GpuState> gpus_at_start, gpus_at_end;  // every GPU the run used
  std::map<std::string, std::string> libraries;      // of every registered backend that reports any
  std::string flop_formula, byte_formula;            // Problem::flops_formula(), bytes_formula()

  bool empty() const {
    return driver_version.empty() && cuda_runtime_version.empty() && nvml_note.empty() && gpus_at_start.empty() &&
           libraries.empty() && flop_formula.empty();
  }
};

}  // namespace attnscope
