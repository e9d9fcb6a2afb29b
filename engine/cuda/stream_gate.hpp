#pragma once
// Holds a stream while the host submits work behind it (nvbench's blocking kernel), so CUDA events
// around a backend's launches time the GPU and not the host's submission. Used when CUDA events are
// the timer; CUPTI's kernel timestamps need no such help.
#include <cuda_runtime.h>

namespace attnscope::cuda {

class StreamGate {
 public:
  StreamGate();  // throws std::runtime_error when mapped host memory is unavailable
  ~StreamGate();
  StreamGate(const StreamGate&) = delete;
  StreamGate& operator=(const StreamGate&) = delete;

  // Enqueues a one-thread kernel on s that spins until open() — or gives up after ~0.5 s, so a
  // backend that synchronizes inside its run cannot deadlock the measurement.
  void close(cudaStream_t s);
  void open();
  // After the stream completed: whether the last close() gave up waiting (the work behind the gate
  // needed the GPU before the host opened it: the sample is not trustworthy).
  bool gave_up() const;

 private:
  volatile int* host_ = nullptr;  // [0] open flag, [1] gave-up flag
  int* device_ = nullptr;
};

}  // namespace attnscope::cuda
