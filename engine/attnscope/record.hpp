#pragma once
// One row of results: a point × backend, whatever happened to it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/problem.hpp"
#include "attnscope/stats.hpp"

namespace attnscope {

enum class Status { Ok, Ineligible, OutOfMemory, Error, Cancelled };
std::string_view to_string(Status s);          // "ok", "ineligible", "out-of-memory", "error", "cancelled"
std::optional<Status> parse_status(std::string_view s);

struct MemoryStats {
  uint64_t predicted_output = 0;
  uint64_t predicted_workspace = 0;
  std::optional<uint64_t> peak;       // peak live bytes allocated inside the run (output + workspace)
  std::optional<uint64_t> output;     // bytes of output
  std::optional<uint64_t> workspace;  // peak - output
  std::string method;                 // "cupti-memory2", "tracking-allocator", ...
};

struct Accuracy {
  std::string reference;   // "cpu-reference", "gpu-reference-fp32"
  double rel_l2 = 0;       // ||o - ref|| / ||ref||
  double max_abs = 0;
  double tolerance = 0;    // rel_l2 bound used for pass
  bool pass = true;
  int64_t heads_checked = 0, heads_total = 0;  // a subset when the reference would be slow
};

struct Record {
  int64_t point = 0;        // index of the problem in the sweep
  Problem problem;
  std::string backend;      // backend id
  std::string device;       // device id
  Status status = Status::Ok;
  std::vector<RuleResult> unmet;  // for Ineligible: every unmet rule
  std::string message;            // for OutOfMemory / Error / Cancelled; notes otherwise
  std::map<std::string, std::string> libraries;  // library → version the backend ran on ({"cuDNN": "9.19.0"})
  std::string variant;            // the library's implementation that ran (cuDNN: the plan name)

  // Timing (Ok only). latency = span first kernel start → last kernel end (CUPTI) or the timer's span.
  std::string timer;              // "cupti", "cuda-events", "steady-clock"
  std::string timer_note;         // why a fallback was used
  Summary latency_us;
  std::optional<Summary> busy_us; // sum of kernel durations (CUPTI only)
  std::vector<double> samples_us; // raw spans
  std::vector<std::string> kernels;  // kernel names of one sample, in launch order
  bool converged = true;
  double sm_clock_mhz = 0;
  // NVML right after the item: the memory clock, and how many other processes were on the GPU (sharing
  // it perturbs the timing). 0 / nullopt: unknown (the CPU, or no NVML).
  double memory_clock_mhz = 0;
  std::optional<int> other_processes;

  MemoryStats memory;
  std::optional<Accuracy> accuracy;

  double flops = 0;        // problem.flops()
  double tflops = 0;       // flops / median latency
  double pct_of_peak = 0;  // 0 when the peak is unknown
  double gbs = 0;               // problem.bytes_moved() / median latency, GB/s
  double pct_of_bandwidth = 0;  // of the device's DRAM peak; 0 when that is unknown

  // Where the item's wall time went (Ok only; seconds between the executor's phase boundaries:
  // "setup", "warm-up", "memory", "accuracy", "samples", "clock" — asynchronous GPU work counts in the
  // phase that waits for it). JSON "phase_s", omitted when empty.
  std::map<std::string, double> phase_s;
};

}  // namespace attnscope
