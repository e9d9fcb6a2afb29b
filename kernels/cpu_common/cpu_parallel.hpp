#pragma once
// Shared by the CPU backends: how many worker threads a problem gets, a head-parallel loop, and the
// conversion of 16-bit inputs to float.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/half.hpp"
#include "attnscope/problem.hpp"

namespace attnscope::cpu {

// The most threads a CPU backend will use for this problem: one per hardware thread, never more than
// there are (batch, head) pairs. predict_memory uses it as the upper bound of per-thread workspace,
// so run() must never exceed it.
inline int max_threads(const Problem& p) {
  const int64_t hw = std::max(1u, std::thread::hardware_concurrency());
  return int(std::clamp<int64_t>(p.batch * p.q_heads, 1, hw));
}

inline int threads_for(const Problem& p, int requested) {
  return std::clamp(requested, 1, max_threads(p));
}

// Calls body(worker, index) for every index in [0, count) on `workers` threads (worker < workers),
// each thread pulling the next index. The first exception is rethrown in the caller after all join.
template <class Body>
void parallel_for(int64_t count, int workers, Body body) {
  std::atomic<int64_t> next{0};
  std::exception_ptr error;
  std::mutex error_mu;
  auto loop = [&](int worker) {
    try {
      for (int64_t i; (i = next.fetch_add(1)) < count;) body(worker, i);
    } catch (...) {
      std::lock_guard lock(error_mu);
      if (!error) error = std::current_exception();
      next.store(count);  // the others stop at their next index
    }
  };
  std::vector<std::jthread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(loop, w);
  loop(0);
  pool.clear();  // join
  if (error) std::rethrow_exception(error);
}

// Elements [0, count) of a tensor in dtype t, as float.
inline void to_float(DType t, const void* src, std::size_t count, float* dst) {
  for (std::size_t i = 0; i < count; ++i) dst[i] = load_as_float(t, src, i);
}

// Q, K, V as fp32 for the duration of a run: the tensors themselves for float32, otherwise widened
// copies in a workspace taken from the run's context (so the executor counts them).
class Fp32Inputs {
 public:
  static uint64_t workspace_bytes(const Problem& p) {
    return p.dtype == DType::F32 ? 0 : (p.q_elements() + 2 * p.kv_elements()) * sizeof(float);
  }
  Fp32Inputs(const Problem& p, const Tensors& t, ExecContext& ctx)
      : copies_(ctx, workspace_bytes(p)),
        q_(static_cast<const float*>(t.q)), k_(static_cast<const float*>(t.k)), v_(static_cast<const float*>(t.v)) {
    if (p.dtype == DType::F32) return;
    float* w = copies_.as<float>();
    to_float(p.dtype, t.q, p.q_elements(), w);
    to_float(p.dtype, t.k, p.kv_elements(), w + p.q_elements());
    to_float(p.dtype, t.v, p.kv_elements(), w + p.q_elements() + p.kv_elements());
    q_ = w, k_ = w + p.q_elements(), v_ = w + p.q_elements() + p.kv_elements();
  }
  const float* q() const { return q_; }
  const float* k() const { return k_; }
  const float* v() const { return v_; }

 private:
  Workspace copies_;
  const float *q_, *k_, *v_;
};

}  // namespace attnscope::cpu
