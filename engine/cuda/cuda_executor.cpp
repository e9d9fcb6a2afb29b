#include "cuda/cuda_executor.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <thread>

#include "attnscope/reference.hpp"
#include "cuda/cuda_util.hpp"
#include "cuda/cupti_tracer.hpp"
#include "cuda/device_fill.hpp"
#include "cuda/l2_flush.hpp"
#include "cuda/sm_clock.hpp"
#include "cuda/stream_gate.hpp"

namespace attnscope::cuda {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

int ordinal_of(const DeviceInfo& d) {
  const auto colon = d.id.find(':');
  try {
    return colon == std::string::npos ? 0 : std::stoi(d.id.substr(colon + 1));
  } catch (const std::exception&) {
    throw std::runtime_error("malformed CUDA device id '" + d.id + "' (expected cuda:N)");
  }
}

struct Outputs {
  DeviceBuffer o, lse;
};

}  // namespace

CudaExecutor::CudaExecutor(DeviceInfo device) : device_(std::move(device)), ordinal_(ordinal_of(device_)) {
  check(cudaSetDevice(ordinal_), ("selecting " + device_.id).c_str());
  CuptiTracer::instance();  // enable tracing before this process does its first real work
  pool_ = std::make_unique<MemPool>(ordinal_);
}

CudaExecutor::~CudaExecutor() = default;

namespace {
// A sticky error (illegal address, launch failure) survives cudaGetLastError: the context stays broken
// and every later call fails. Two synchronizations tell it apart from an error that was cleared.
bool context_lost(cudaError_t* sticky) {
  cudaDeviceSynchronize();
  cudaGetLastError();
  *sticky = cudaDeviceSynchronize();
  return *sticky != cudaSuccess;
}
}  // namespace

Measurement CudaExecutor::measure(const Backend& b, const Problem& p, const MeasureSettings& s,
                                  const CancelToken& cancel) {
  try {
    return measure_once(b, p, s, cancel);
  } catch (const Cancelled&) {
    throw;
  } catch (const OutOfMemory&) {
    throw;
  } catch (const std::exception& e) {
    cudaError_t sticky = cudaSuccess;
    if (context_lost(&sticky))
      throw DeviceLost(std::string(e.what()) + "; the GPU context is unusable (" + cudaGetErrorString(sticky) +
                       "), so this worker stops here");
    throw;
  }
}

namespace {

// One measurement of one backend on one problem: what its four phases share.
struct Session {
  const Backend& b;
  const Problem& p;
  const MeasureSettings& s;
  const CancelToken& cancel;
  const DeviceInfo& device;
  CuptiTracer& tracer;
  bool use_cupti;
  Stream& stream;
  const DeviceBuffer &q, &k, &v;
  CudaExecContext& ctx;
  uint64_t o_bytes, lse_bytes, lse_count;

  void run_once(const Outputs& out) {
    const Tensors t{q.get(), k.get(), v.get(), out.o.get(), b.writes_lse() ? out.lse.as<float>() : nullptr};
    b.run(p, t, ctx);
  }
  void check_cancel() const {
    if (cancel.cancelled()) throw Cancelled();
  }
};

// Warm-up: lazy module loading, library handles and plans, clock ramp-up.
void warm_up(Session& x) {
  Outputs warm{DeviceBuffer(x.o_bytes, "O"), DeviceBuffer(x.lse_bytes, "LSE")};
  const auto t0 = Clock::now();
  for (int64_t i = 0; i < x.s.warmup_min_runs || seconds_since(t0) < x.s.warmup_min_time_s; ++i) {
    x.check_cancel();
    x.run_once(warm);
    x.stream.sync();
    if (i > 1000) break;
  }
}

// Memory pass: outputs are allocated inside the tagged region so the replay sees output + workspace.
// Returns the outputs, freshly poisoned before this one run, for the accuracy check and the timing.
Outputs memory_pass(Session& x, Measurement& m) {
  Outputs out;
  x.ctx.reset_peak();
  x.tracer.set_memory_tracing(true);
  uint64_t region_id = 0;
  try {
    CuptiTracer::Region region(x.tracer);
    region_id = region.id();
    out.o = DeviceBuffer(x.o_bytes, "O");
    out.lse = DeviceBuffer(x.lse_bytes, "LSE");
    poison(out.o.get(), x.p.dtype, x.p.o_elements(), x.stream.get());
    if (x.lse_bytes) poison(out.lse.get(), DType::F32, x.lse_count, x.stream.get());
    x.run_once(out);
    x.stream.sync();
  } catch (...) {
    x.tracer.set_memory_tracing(false);
    throw;
  }
  x.tracer.set_memory_tracing(false);
  const RegionTrace trace = x.tracer.take(region_id);
  const uint64_t tracked_peak = x.o_bytes + x.lse_bytes + x.ctx.peak_bytes();
  m.memory.output = x.o_bytes + x.lse_bytes;
  if (x.tracer.available() && !trace.memory.empty()) {
    m.memory.method = "cupti-memory2";
    m.memory.peak = trace.peak_live_bytes();
    if (*m.memory.peak < tracked_peak)
      m.note += "CUPTI saw fewer bytes (" + std::to_string(*m.memory.peak) + ") than the workspace allocator (" +
                std::to_string(tracked_peak) + "). ";
  } else {
    m.memory.method = "tracking-allocator";
    m.memory.peak = tracked_peak;
    if (x.tracer.available()) m.note += "CUPTI recorded no allocations; memory from the tool's allocator. ";
  }
  // A library with a caching allocator (PyTorch) reuses warm blocks CUPTI cannot see: add its own count.
  if (const auto library_peak = x.b.library_peak_bytes()) {
    *m.memory.peak += *library_peak;
    m.memory.method += "+library-allocator";
  }
  m.memory.workspace = *m.memory.peak >= *m.memory.output ? *m.memory.peak - *m.memory.output : 0;
  return out;
}

// Accuracy of the memory pass's output against the reference; an element the run never wrote still
// holds its poison and fails the check.
void check_output(Session& x, const Outputs& out, Measurement& m) {
  m.accuracy = check_accuracy(x.p, x.q.get(), x.k.get(), x.v.get(), out.o.get(), x.s.reference_max_heads,
                              x.stream.get());
  std::vector<unsigned char> host_o(x.o_bytes);
  check(cudaMemcpy(host_o.data(), out.o.get(), x.o_bytes, cudaMemcpyDeviceToHost), "copy O");
  const int64_t unwritten = count_poisoned(host_o.data(), x.p.dtype, x.p.o_elements());
  if (unwritten > 0) {
    m.accuracy->pass = false;
    m.note += std::to_string(unwritten) + " output elements were never written. ";
  }
}

// Timing: samples under the stopping rule, each after an L2 flush (cold L2 unless asked otherwise),
// timed by CUPTI's kernel records, or by CUDA events where CUPTI cannot be used.
void time_samples(Session& x, const Outputs& out, Measurement& m) {
  L2Flush flush(x.s.cold_l2 ? std::max<uint64_t>(2 * x.device.l2_bytes, 1u << 20) : 0);
  EventPair events;
  // With events as the timer, hold the stream while the run is submitted so the event window holds
  // GPU time only (host-side library work would otherwise land in it: 528 µs of events around a
  // 179 µs cuBLAS GEMM on an H100).
  std::unique_ptr<StreamGate> gate;
  if (!x.use_cupti) {
    try {
      gate = std::make_unique<StreamGate>();
      m.timer_note += " Timed with CUDA events while the stream is held during submission (launch overhead excluded).";
    } catch (const std::exception& e) {
      m.timer_note += std::string(" Timed with CUDA events including host submission (") + e.what() + ").";
    }
  }
  StoppingState stop(x.s.stopping);
  const auto t0 = Clock::now();
  uint64_t dropped = 0;
  int sample = 0;
  // Adds one CUPTI-timed sample; false when CUPTI attributed no kernel to it (the caller falls back).
  auto add_traced = [&](RegionTrace trace, bool& stop_now) {
    dropped += trace.dropped_records;
    if (trace.kernels.empty()) return false;
    m.busy_us.push_back(trace.busy_us());
    if (m.kernels.empty() || sample % 16 == 0) {
      m.kernels.clear();
      for (auto& kr : trace.kernels) m.kernels.push_back(std::move(kr.name));
    }
    m.span_us.push_back(trace.span_us());
    ++sample;
    stop_now = stop.add(m.span_us.back() * 1e-6, seconds_since(t0));
    return true;
  };
  // With CUPTI as the timer, samples go in batches: each is still an L2 flush and one run in its own
  // correlation region, but the host waits for the GPU and flushes CUPTI once a batch. Per sample, that
  // wait and cuptiActivityFlushAll cost ~0.5 ms on an H100 — 50× a 10 µs kernel, and most of a sweep of
  // short points. A batch holds about 2 ms of GPU work (at most 32 samples). Not more: with 20 ms batches
  // the GPU never rests between them and an H100 at its 700 W limit ran torch-cudnn at 1755 MHz instead of
  // 1981, 5 % slower (docs/performance.md, 2026-12-07), away from what do_bench's short bursts measure.
  int batch = 1;
  while (x.use_cupti && m.timer == "cupti") {
    x.check_cancel();
    std::vector<uint64_t> regions;
    for (int i = 0; i < batch; ++i) {
      flush.flush(x.stream.get());
      CuptiTracer::Region region(x.tracer);
      regions.push_back(region.id());
      x.run_once(out);
    }
    x.stream.sync();
    bool stop_now = false, attributed = true;
    for (std::size_t i = 0; i < regions.size() && !stop_now && attributed; ++i)
      attributed = add_traced(x.tracer.take(regions[i], i == 0), stop_now);
    if (stop_now) break;
    if (!attributed) {
      m.timer = "cuda-events";
      m.timer_note = "CUPTI attributed no kernel to a sample of this backend; timed with CUDA events.";
      break;
    }
    const double per_sample_us = m.span_us.back() + 40;  // + the L2 flush
    batch = int(std::clamp(2000.0 / per_sample_us, 1.0, 32.0));
  }
  if (!x.use_cupti || m.timer != "cupti") {
    for (;; ++sample) {
      x.check_cancel();
      flush.flush(x.stream.get());
      if (gate) gate->close(x.stream.get());
      events.record_start(x.stream.get());
      uint64_t region_id = 0;
      if (x.use_cupti) {
        CuptiTracer::Region region(x.tracer);
        region_id = region.id();
        x.run_once(out);
      } else {
        x.run_once(out);
      }
      events.record_stop(x.stream.get());
      if (gate) gate->open();
      x.stream.sync();
      if (gate && gate->gave_up()) {
        // The backend waited for the GPU inside its run (a synchronizing call): the gate cannot be used.
        gate.reset();
        m.timer_note += " The backend synchronizes inside its run, so times include host submission.";
        continue;
      }
      double span_us = events.elapsed_us();
      if (x.use_cupti) {
        // CUPTI is still asked: a backend may leave kernels unattributed only on some samples.
        RegionTrace trace = x.tracer.take(region_id);
        dropped += trace.dropped_records;
        if (!trace.kernels.empty()) {
          span_us = trace.span_us();
          m.busy_us.push_back(trace.busy_us());
        }
      }
      m.span_us.push_back(span_us);
      if (stop.add(span_us * 1e-6, seconds_since(t0))) break;
    }
  }
  if (m.timer == "cuda-events") m.busy_us.clear();
  m.converged = stop.converged();
  if (dropped) m.note += "CUPTI dropped " + std::to_string(dropped) + " records. ";
}

}  // namespace

Measurement CudaExecutor::measure_once(const Backend& b, const Problem& p, const MeasureSettings& s,
                                       const CancelToken& cancel) {
  check(cudaSetDevice(ordinal_), ("selecting " + device_.id).c_str());
  auto& tracer = CuptiTracer::instance();
  Measurement m;
  const bool use_cupti = tracer.available() && !s.prefer_cuda_events;
  m.timer = use_cupti ? "cupti" : "cuda-events";
  if (!use_cupti)
    m.timer_note = tracer.available() ? "CUDA events were asked for." : "CUPTI tracing unavailable: " + tracer.status();

  // Refuse before allocating anything when the prediction cannot fit.
  // Where the item's time goes (Record::phase_s): wall time from one phase boundary to the next.
  auto mark = Clock::now();
  auto lap = [&](const char* phase) {
    const auto now = Clock::now();
    m.phase_s[phase] = std::chrono::duration<double>(now - mark).count();
    mark = now;
  };
  const MemoryPrediction pred = b.predict_memory(p, device_);
  const uint64_t need = p.input_bytes() + pred.total();
  pool_->trim();
  const uint64_t free_now = free_device_memory();
  if (free_now && need > free_now) throw OutOfMemory(need, free_now, b.info().id + " (inputs + predicted output and workspace)");

  const std::size_t esz = size_of(p.dtype);
  const uint64_t lse_count = uint64_t(p.batch * p.q_heads * p.q_len);
  const uint64_t o_bytes = p.o_elements() * esz, lse_bytes = b.writes_lse() ? lse_count * sizeof(float) : 0;
  Stream stream;
  DeviceBuffer q(p.q_elements() * esz, "Q"), k(p.kv_elements() * esz, "K"), v(p.kv_elements() * esz, "V");
  fill_inputs(p, q.get(), k.get(), v.get(), s.seed, stream.get());
  CudaExecContext ctx(stream.get(), pool_.get(), b.info().id);
  Session x{b, p, s, cancel, device_, tracer, use_cupti, stream, q, k, v, ctx, o_bytes, lse_bytes, lse_count};

  lap("setup");
  warm_up(x);
  lap("warm-up");
  Outputs out = memory_pass(x, m);
  // A library backend's output is in the library's memory until published into O (outside timing).
  b.publish_output(p, Tensors{q.get(), k.get(), v.get(), out.o.get(), b.writes_lse() ? out.lse.as<float>() : nullptr},
                   ctx);
  stream.sync();
  lap("memory");
  if (s.check_accuracy) check_output(x, out, m), lap("accuracy");
  time_samples(x, out, m);
  lap("samples");

  m.sm_clock_mhz = measure_sm_clock_mhz(stream.get(), device_.sm_count);
  stream.sync();
  lap("clock");
  out = Outputs{};
  b.release_library_memory();
  pool_->trim();
  return m;
}

}  // namespace attnscope::cuda
