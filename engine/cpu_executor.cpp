// CpuExecutor: seeded inputs in the problem's dtype, output poisoned with NaN before every run (so an
// element a backend forgets to write fails the check), warm-up, timed samples under the stopping rule,
// peak memory through the tracking allocator, and accuracy against the fp64 reference.
#include "attnscope/cpu_executor.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <thread>

#include "attnscope/half.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/reference.hpp"

namespace attnscope {

// ---- TrackingContext --------------------------------------------------------------------------

TrackingContext::TrackingContext(int threads, uint64_t limit_bytes)
    : threads_(std::max(1, threads)), limit_(limit_bytes) {}

TrackingContext::~TrackingContext() {
  for (auto& [p, size] : sizes_) std::free(p);  // a backend that leaked: give the memory back anyway
}

void* TrackingContext::allocate(std::size_t bytes) {
  std::lock_guard lock(mu_);
  const uint64_t free_bytes = limit_ > live_ ? limit_ - live_ : 0;
  if (bytes > free_bytes) throw OutOfMemory(bytes, free_bytes, "host memory (tracking allocator)");
  // 64-byte alignment: a cache line, and enough for any SIMD load a backend or BLAS may use.
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw OutOfMemory(bytes, free_bytes, "host memory (aligned_alloc failed)");
  sizes_[p] = bytes;
  live_ += bytes;
  peak_ = std::max(peak_, live_);
  return p;
}

void TrackingContext::release(void* p) noexcept {
  if (!p) return;
  std::lock_guard lock(mu_);
  auto it = sizes_.find(p);
  if (it == sizes_.end()) return;  // not ours: never free what we did not allocate
  live_ -= it->second;
  sizes_.erase(it);
  std::free(p);
}

uint64_t TrackingContext::live_bytes() const {
  std::lock_guard lock(mu_);
  return live_;
}

uint64_t TrackingContext::peak_bytes() const {
  std::lock_guard lock(mu_);
  return peak_;
}

void TrackingContext::reset_peak() {
  std::lock_guard lock(mu_);
  peak_ = live_;
}

// ---- CpuExecutor ------------------------------------------------------------------------------
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Host copy of one input as the backend reads it: float32 values, or the stored bits of a 16-bit
// dtype. The float values of a 16-bit input are dropped once stored, so a run holds no more input
// memory than the registry's memory-fit rule counted; the accuracy check regenerates them.
struct HostInput {
  std::vector<float> values;
  std::vector<uint16_t> bits16;
  const void* data() const { return bits16.empty() ? static_cast<const void*>(values.data()) : bits16.data(); }
};

HostInput make_host_input(const Problem& p, TensorId t, uint64_t seed) {
  HostInput in;
  in.values = make_input(p, t, seed);
  if (p.dtype != DType::F32) {
    in.bits16.resize(in.values.size());
    for (std::size_t i = 0; i < in.values.size(); ++i) store_from_float(p.dtype, in.bits16.data(), i, in.values[i]);
    in.values = {};
  }
  return in;
}

// The input as float values, the reference's input: float32 inputs as they are, 16-bit ones
// regenerated into `storage` (make_input is a pure function of the seed).
const float* float_values(const Problem& p, const HostInput& in, TensorId t, uint64_t seed, std::vector<float>& storage) {
  if (in.bits16.empty()) return in.values.data();
  storage = make_input(p, t, seed);
  return storage.data();
}

// Fill `count` elements of type t with NaN, using the dtype's own encoding of NaN.
void poison(DType t, void* base, std::size_t count) {
  if (count == 0) return;
  store_from_float(t, base, 0, std::numeric_limits<float>::quiet_NaN());
  const std::size_t elem = size_of(t);
  auto* bytes = static_cast<unsigned char*>(base);
  for (std::size_t i = 1; i < count; ++i) std::memcpy(bytes + i * elem, bytes, elem);
}

Accuracy check_against_reference(const Problem& p, const HostInput& qi, const HostInput& ki, const HostInput& vi,
                                 const void* o, const MeasureSettings& s) {
  std::vector<float> q_store, k_store, v_store;
  const float* q = float_values(p, qi, TensorId::Q, s.seed, q_store);
  const float* k = float_values(p, ki, TensorId::K, s.seed, k_store);
  const float* v = float_values(p, vi, TensorId::V, s.seed, v_store);
  const std::vector<HeadIndex> heads = reference_heads(p, s.reference_max_heads);
  const std::size_t head_elems = std::size_t(p.q_len * p.head_dim);
  std::vector<double> ref_o(head_elems), ref_lse(std::size_t(p.q_len));
  ErrorAccumulator acc;
  for (const HeadIndex& h : heads) {
    reference_attention_head(p, q, k, v, h, ref_o.data(), ref_lse.data());
    const std::size_t base = std::size_t((h.batch * p.q_heads + h.head) * p.q_len * p.head_dim);
    for (std::size_t i = 0; i < head_elems; ++i) acc.add(load_as_float(p.dtype, o, base + i), ref_o[i]);
  }
  return accuracy_from(acc.result(), p.dtype, "cpu-reference", int64_t(heads.size()), p.batch * p.q_heads);
}

}  // namespace

CpuExecutor::CpuExecutor(DeviceInfo device, int threads)
    : device_(std::move(device)),
      threads_(threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()))) {}

Measurement CpuExecutor::measure(const Backend& b, const Problem& p, const MeasureSettings& s,
                                 const CancelToken& cancel) {
  if (b.info().target != Target::Cpu)
    throw std::runtime_error("backend " + b.info().id + " targets " + std::string(to_string(b.info().target)) +
                             "; the CPU executor runs only CPU backends");
  require_valid(p);
  if (cancel.cancelled()) throw Cancelled();
  // Where the item's time goes (Record::phase_s): wall time from one phase boundary to the next.
  std::map<std::string, double> phases;
  auto mark = Clock::now();
  auto lap = [&](const char* phase) {
    phases[phase] = seconds_since(mark);
    mark = Clock::now();
  };

  HostInput q, k, v;
  try {
    q = make_host_input(p, TensorId::Q, s.seed);
    k = make_host_input(p, TensorId::K, s.seed);
    v = make_host_input(p, TensorId::V, s.seed);
  } catch (const std::bad_alloc&) {
    throw OutOfMemory(p.input_bytes(), cpu_device().memory_free, "host memory for the inputs Q, K, V");
  }

  // Everything allocated from here on (output and the backend's workspace) is "inside the run".
  TrackingContext ctx(threads_, cpu_device().memory_free);
  const std::size_t o_count = std::size_t(p.o_elements());
  const std::size_t lse_count = std::size_t(p.batch * p.q_heads * p.q_len);
  Workspace out(ctx, std::size_t(p.output_bytes()));
  std::unique_ptr<Workspace> lse;
  if (b.writes_lse()) lse = std::make_unique<Workspace>(ctx, lse_count * sizeof(float));
  const uint64_t output_bytes = ctx.live_bytes();

  Tensors t{q.data(), k.data(), v.data(), out.get(), lse ? lse->as<float>() : nullptr};
  auto run_once = [&] {
    poison(p.dtype, t.o, o_count);
    if (t.lse) poison(DType::F32, t.lse, lse_count);
    const auto t0 = Clock::now();
    b.run(p, t, ctx);
    return seconds_since(t0);
  };

  lap("setup");
  // Warm-up: the configured minimum, but never more than a quarter of the point's time cap, because
  // one CPU run of a large problem can take seconds.
  const auto warm0 = Clock::now();
  double warm_time = 0;
  for (int64_t runs = 0; runs < s.warmup_min_runs || warm_time < s.warmup_min_time_s; ++runs) {
    if (cancel.cancelled()) throw Cancelled();
    warm_time += run_once();
    if (seconds_since(warm0) >= 0.25 * s.stopping.max_time_s) break;
  }

  lap("warm-up");
  StoppingState stop(s.stopping);
  const auto wall0 = Clock::now();
  for (;;) {
    if (cancel.cancelled()) throw Cancelled();
    if (stop.add(run_once(), seconds_since(wall0))) break;
  }
  lap("samples");  // the tracking allocator measures memory during the samples: no pass of its own

  Measurement m;
  m.timer = device_.timer.empty() ? "steady-clock" : device_.timer;
  m.timer_note = device_.timer_note;
  for (double sec : stop.samples()) m.span_us.push_back(sec * 1e6);
  m.converged = stop.converged();
  m.memory.peak = ctx.peak_bytes();
  m.memory.output = output_bytes;
  m.memory.workspace = *m.memory.peak - output_bytes;
  m.memory.method = "tracking-allocator";

  if (s.check_accuracy) {
    // cpu-reference IS the reference (the same fp64 formula on the same inputs): comparing it with
    // itself proves nothing, so its accuracy is skipped and the record says why.
    if (b.info().is_reference)
      m.note = "accuracy not checked: this is the fp64 reference itself";
    else
      m.accuracy = check_against_reference(p, q, k, v, t.o, s), lap("accuracy");
  }
  m.phase_s = std::move(phases);
  return m;
}

}  // namespace attnscope
