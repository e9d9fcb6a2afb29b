#pragma once
// An executor owns a device: it makes inputs, runs a backend under the measurement rules and reports
// timing, memory and accuracy. CpuExecutor lives in engine/, CudaExecutor in engine/cuda/.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/record.hpp"
#include "attnscope/stats.hpp"

namespace attnscope {

struct MeasureSettings {
  StoppingRule stopping;
  int64_t warmup_min_runs = 3;
  double warmup_min_time_s = 0.1;
  bool cold_l2 = true;             // flush 2×L2 before each sample (GPU)
  bool check_accuracy = true;
  uint64_t seed = 1234;
  // The reference is evaluated on at most this many (batch, head) pairs, spread over the problem.
  int64_t reference_max_heads = 4;
  // GPU: time with CUDA events even where CUPTI traces (the fallback path, as a cross-check).
  bool prefer_cuda_events = false;
  // Also measure every variant a backend offers for the point (cuDNN's execution plans), each as its
  // own series "<id>[<variant>]", after the backend's default choice.
  bool each_variant = false;
};

class CancelToken {
 public:
  void cancel() { flag_.store(true); }
  bool cancelled() const { return flag_.load(); }

 private:
  std::atomic<bool> flag_{false};
};

// Thrown by an executor when the token was cancelled mid-measurement.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled by the user") {}
};

// Thrown by an executor when the device is unusable after a fault (illegal address, launch failure):
// the error is sticky, so every later call in this process would fail too. The runner records it on
// the item and stops; attnscope-cli then exits 1 without its end line, and the GUI restarts the worker
// on the next item (the fault stays confined to one item, as the worker process is meant to ensure).
class DeviceLost : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Measurement {
  std::string timer, timer_note;
  std::vector<double> span_us;   // one per sample
  std::vector<double> busy_us;   // empty unless the timer sees individual kernels
  std::vector<std::string> kernels;
  bool converged = true;
  double sm_clock_mhz = 0;
  MemoryStats memory;            // predicted_* filled by the runner
  std::optional<Accuracy> accuracy;
  std::string note;
  std::map<std::string, double> phase_s;  // wall seconds per phase (Record::phase_s)
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual const DeviceInfo& device() const = 0;
  // Throws OutOfMemory, Cancelled, DeviceLost, or std::exception with a readable message.
  virtual Measurement measure(const Backend& b, const Problem& p, const MeasureSettings& s,
                              const CancelToken& cancel) = 0;
};

// Inputs are seeded random values in [-1, 1), never zeros, identical on the CPU and the GPU so a GPU
// result can be checked against the CPU reference. See random_fill.hpp.

}  // namespace attnscope
