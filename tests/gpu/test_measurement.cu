// The measurement layer on a real GPU: CUPTI against CUDA events, attribution of kernels to runs,
// the MEMORY2 replay, the naive backend's measured memory against its prediction, the GPU reference
// against the fp64 reference, device inputs against host inputs, discovery, cancellation, OOM.
#include <gtest/gtest.h>

#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>

#include "attnscope/build_info.hpp"
#include "attnscope/half.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/reference.hpp"
#include "attnscope/registry.hpp"
#include "cuda/cuda_executor.hpp"
#include "cuda/cuda_util.hpp"
#include "cuda/cupti_tracer.hpp"
#include "cuda/device_fill.hpp"
#include "cuda/exec_context.hpp"
#include "cuda/gpu_reference.hpp"
#include "gpu_check.hpp"

namespace attnscope {
namespace {

__global__ void tagged_kernel_one(float* x) { x[threadIdx.x] += 1.f; }
__global__ void tagged_kernel_two(float* x) { x[threadIdx.x] *= 2.f; }
__global__ void outside_kernel(float* x) { x[threadIdx.x] -= 1.f; }
__global__ void empty_kernel() {}
// Holds the stream until the host sets *flag (nvbench's blocking kernel): work queued behind it starts
// back to back, so the events around it time the GPU, not the host's submission. Gives up after
// ~1 s of spinning so a mistake cannot hang the suite.
__global__ void wait_for_host(volatile int* flag) {
  const long long t0 = clock64();
  while (*flag == 0 && clock64() - t0 < 2000000000ll) {
  }
}

// A host-mapped flag for wait_for_host.
class HostGate {
 public:
  HostGate() {
    void* p = nullptr;
    if (cudaHostAlloc(&p, sizeof(int), cudaHostAllocMapped) != cudaSuccess) throw std::runtime_error("cudaHostAlloc");
    host_ = static_cast<int*>(p);
    void* d = nullptr;
    cudaHostGetDevicePointer(&d, p, 0);
    dev_ = static_cast<int*>(d);
  }
  ~HostGate() { cudaFreeHost(const_cast<int*>(host_)); }
  void close(cudaStream_t s) {
    *host_ = 0;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    wait_for_host<<<1, 1, 0, s>>>(dev_);
  }
  void open() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    *host_ = 1;
  }

 private:
  volatile int* host_ = nullptr;
  int* dev_ = nullptr;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

const Registry& registry() {
  static const Registry r = [] {
    Registry reg;
    register_builtin_backends(reg);
    return reg;
  }();
  return r;
}

DeviceInfo gpu0() {
  const auto probe = platform::probe_gpus();
  if (probe.devices.empty()) throw std::runtime_error(probe.why_none);
  return probe.devices.front();
}

MeasureSettings quick_settings() {
  MeasureSettings s;
  s.stopping.min_samples = 5;
  s.stopping.min_time_s = 0;
  s.stopping.max_time_s = 2;
  s.warmup_min_runs = 1;
  s.warmup_min_time_s = 0;
  return s;
}

TEST(Discovery, ReportsTheGpuWithItsFactsAndTimer) {
  ATTNSCOPE_REQUIRE_GPU();
  const auto probe = platform::probe_gpus();
  ASSERT_FALSE(probe.devices.empty()) << probe.why_none;
  const DeviceInfo& d = probe.devices.front();
  std::printf("[discovery] %s %s sm%d SMs=%d mem=%.1f/%.1f GiB L2=%.0f MiB clock=%d MHz driver=%s runtime=%s timer=%s (%s)\n",
              d.id.c_str(), d.name.c_str(), d.compute_capability(), d.sm_count, d.memory_free / 1073741824.0,
              d.memory_total / 1073741824.0, d.l2_bytes / 1048576.0, d.sm_clock_mhz, d.driver_version.c_str(),
              d.runtime_version.c_str(), d.timer.c_str(), d.timer_note.c_str());
  EXPECT_EQ(d.id, "cuda:0");
  EXPECT_EQ(d.kind, DeviceKind::Cuda);
  EXPECT_FALSE(d.name.empty());
  EXPECT_GE(d.cc_major, 5);
  EXPECT_GT(d.sm_count, 0);
  EXPECT_GT(d.memory_total, d.memory_free);
  EXPECT_GT(d.memory_free, 0u);
  EXPECT_GT(d.l2_bytes, 0u);
  EXPECT_GT(d.sm_clock_mhz, 100);
  EXPECT_GT(d.peak_bandwidth_gbs, 0);
  EXPECT_FALSE(d.runtime_version.empty());
  EXPECT_TRUE(d.timer == "cupti" || d.timer == "cuda-events");
  if (d.timer == "cuda-events") EXPECT_FALSE(d.timer_note.empty());
  const auto built = build::compute_capabilities();
  EXPECT_FALSE(built.empty());
}

TEST(DeviceInputs, BitIdenticalToHostInputs) {
  ATTNSCOPE_REQUIRE_GPU();
  for (DType dt : {DType::F32, DType::F16, DType::BF16}) {
    Problem p;
    p.batch = 2, p.q_heads = 4, p.kv_heads = 2, p.q_len = 33, p.kv_len = 45, p.head_dim = 24, p.dtype = dt;
    cuda::Stream s;
    const std::size_t esz = size_of(dt);
    cuda::DeviceBuffer q(p.q_elements() * esz, "Q"), k(p.kv_elements() * esz, "K"), v(p.kv_elements() * esz, "V");
    cuda::fill_inputs(p, q.get(), k.get(), v.get(), 99, s.get());
    s.sync();
    const std::pair<const cuda::DeviceBuffer*, TensorId> tensors[] = {{&q, TensorId::Q}, {&k, TensorId::K}, {&v, TensorId::V}};
    for (const auto& [buf, id] : tensors) {
      const auto host = make_input(p, id, 99);
      std::vector<unsigned char> raw(buf->bytes());
      ASSERT_EQ(cudaMemcpy(raw.data(), buf->get(), raw.size(), cudaMemcpyDeviceToHost), cudaSuccess);
      std::size_t mismatches = 0, zeros = 0;
      for (std::size_t i = 0; i < host.size(); ++i) {
        const float dev = load_as_float(dt, raw.data(), i);
        mismatches += std::memcmp(&dev, &host[i], sizeof(float)) != 0;
        zeros += dev == 0.f;
      }
      EXPECT_EQ(mismatches, 0u) << to_string(dt);
      EXPECT_EQ(zeros, 0u) << "inputs must never be zero";
    }
  }
}

// The next backend of a point is checked against the kept reference; anything that changes what the
// reference reads (another problem, a backend that wrote into its inputs) computes a fresh one.
TEST(AccuracyCheck, ReusesTheReferenceOnlyForTheSameInputs) {
  ATTNSCOPE_REQUIRE_GPU();
  for (int64_t len : {int64_t(96), int64_t(2048)}) {  // the fp64 host reference, then the fp32 GPU one
    Problem p;
    p.batch = 1, p.q_heads = 4, p.kv_heads = 2, p.q_len = p.kv_len = len, p.head_dim = 64, p.dtype = DType::F16;
    cuda::Stream s;
    const std::size_t esz = size_of(p.dtype);
    cuda::DeviceBuffer q(p.q_elements() * esz, "Q"), k(p.kv_elements() * esz, "K"), v(p.kv_elements() * esz, "V"),
        o(p.o_elements() * esz, "O");
    cuda::fill_inputs(p, q.get(), k.get(), v.get(), 7, s.get());
    s.sync();
    ASSERT_EQ(cudaMemcpy(o.get(), q.get(), o.bytes(), cudaMemcpyDeviceToDevice), cudaSuccess);  // any output will do
    const uint64_t before = cuda::references_computed();
    const Accuracy first = cuda::check_accuracy(p, q.get(), k.get(), v.get(), o.get(), 4, s.get());
    EXPECT_EQ(cuda::references_computed(), before + 1) << len;
    const Accuracy kept = cuda::check_accuracy(p, q.get(), k.get(), v.get(), o.get(), 4, s.get());
    EXPECT_EQ(cuda::references_computed(), before + 1) << len;
    EXPECT_EQ(kept.rel_l2, first.rel_l2);
    EXPECT_EQ(kept.max_abs, first.max_abs);
    EXPECT_EQ(kept.reference, first.reference);
    // A backend that wrote into the last KV head's V (the last checked query head reads it).
    ASSERT_EQ(cudaMemset(static_cast<unsigned char*>(v.get()) + v.bytes() - 64, 0, 64), cudaSuccess);
    const Accuracy scribbled = cuda::check_accuracy(p, q.get(), k.get(), v.get(), o.get(), 4, s.get());
    EXPECT_EQ(cuda::references_computed(), before + 2) << len;
    EXPECT_NE(scribbled.rel_l2, first.rel_l2);
    p.causal = true;
    cuda::check_accuracy(p, q.get(), k.get(), v.get(), o.get(), 4, s.get());
    EXPECT_EQ(cuda::references_computed(), before + 3) << len;
  }
}

TEST(Cupti, TracingIsAvailableOnThisMachine) {
  ATTNSCOPE_REQUIRE_GPU();
  auto& t = cuda::CuptiTracer::instance();
  std::printf("[cupti] %s\n", t.status().c_str());
  EXPECT_TRUE(t.available()) << t.status();
}

TEST(Cupti, KernelsOutsideARunAreNotAttributedToIt) {
  ATTNSCOPE_REQUIRE_GPU();
  auto& tracer = cuda::CuptiTracer::instance();
  if (!tracer.available()) GTEST_SKIP() << "CUPTI unavailable: " << tracer.status();
  cuda::Stream s;
  cuda::DeviceBuffer x(1024 * sizeof(float), "x");
  ASSERT_EQ(cudaMemset(x.get(), 0, x.bytes()), cudaSuccess);
  outside_kernel<<<1, 32, 0, s.get()>>>(x.as<float>());
  uint64_t run_a = 0, run_b = 0;
  {
    cuda::CuptiTracer::Region a(tracer);
    run_a = a.id();
    tagged_kernel_one<<<1, 32, 0, s.get()>>>(x.as<float>());
    // Another thread launching while the region is open: its work is not this run's.
    std::thread other([&] {
      cudaSetDevice(0);
      outside_kernel<<<1, 32, 0, s.get()>>>(x.as<float>());
    });
    other.join();
    tagged_kernel_two<<<1, 32, 0, s.get()>>>(x.as<float>());
  }
  outside_kernel<<<1, 32, 0, s.get()>>>(x.as<float>());
  {
    cuda::CuptiTracer::Region b(tracer);
    run_b = b.id();
    tagged_kernel_one<<<1, 32, 0, s.get()>>>(x.as<float>());
  }
  outside_kernel<<<1, 32, 0, s.get()>>>(x.as<float>());
  s.sync();
  const auto trace_a = tracer.take(run_a);
  ASSERT_EQ(trace_a.kernels.size(), 2u);
  EXPECT_NE(trace_a.kernels[0].name.find("tagged_kernel_one"), std::string::npos) << trace_a.kernels[0].name;
  EXPECT_NE(trace_a.kernels[1].name.find("tagged_kernel_two"), std::string::npos) << trace_a.kernels[1].name;
  EXPECT_GE(trace_a.span_us(), trace_a.busy_us() * 0.999);
  const auto trace_b = tracer.take(run_b);
  ASSERT_EQ(trace_b.kernels.size(), 1u);
  EXPECT_NE(trace_b.kernels[0].name.find("tagged_kernel_one"), std::string::npos);
  EXPECT_EQ(trace_a.dropped_records + trace_b.dropped_records, 0u);
}

// A GEMM of known size: CUPTI's kernel time and the CUDA-event time around the call agree within 5%
// once launch overhead is excluded — the call is queued behind a kernel that holds the stream until
// the host has submitted everything (so host-side cuBLAS work is outside the event window), and the
// events' own cost (the same window around an empty kernel) is subtracted. The GEMM must also not be
// faster than the chip's tensor peak.
TEST(Cupti, CublasGemmMediansAgreeWithCudaEvents) {
  ATTNSCOPE_REQUIRE_GPU();
  auto& tracer = cuda::CuptiTracer::instance();
  if (!tracer.available()) GTEST_SKIP() << "CUPTI unavailable: " << tracer.status();
  const DeviceInfo dev = gpu0();
  constexpr int n = 4096;
  cuda::Stream s;
  cuda::DeviceBuffer a(size_t(n) * n * 2, "A"), b(size_t(n) * n * 2, "B"), c(size_t(n) * n * 2, "C");
  cuda::fill_random(a.get(), DType::F16, uint64_t(n) * n, TensorId::Q, 1, s.get());
  cuda::fill_random(b.get(), DType::F16, uint64_t(n) * n, TensorId::K, 1, s.get());
  cublasHandle_t h = nullptr;
  ASSERT_EQ(cublasCreate(&h), CUBLAS_STATUS_SUCCESS);
  ASSERT_EQ(cublasSetStream(h, s.get()), CUBLAS_STATUS_SUCCESS);
  const float one = 1.f, zero = 0.f;
  auto gemm = [&] {
    return cublasGemmEx(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a.get(), CUDA_R_16F, n, b.get(), CUDA_R_16F, n,
                        &zero, c.get(), CUDA_R_16F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  };
  for (int i = 0; i < 10; ++i) ASSERT_EQ(gemm(), CUBLAS_STATUS_SUCCESS);
  empty_kernel<<<1, 1, 0, s.get()>>>();
  s.sync();
  HostGate gate;
  cuda::EventPair ev;
  std::vector<double> overhead, event_us, cupti_us, unblocked_us;
  for (int i = 0; i < 50; ++i) {
    gate.close(s.get());
    ev.record_start(s.get());
    empty_kernel<<<1, 1, 0, s.get()>>>();
    ev.record_stop(s.get());
    gate.open();
    s.sync();
    overhead.push_back(ev.elapsed_us());
  }
  for (int i = 0; i < 50; ++i) {
    uint64_t id = 0;
    const bool blocked = i % 2 == 0;  // odd samples: no gate, to show what host submission adds
    if (blocked) gate.close(s.get());
    ev.record_start(s.get());
    {
      cuda::CuptiTracer::Region r(tracer);
      id = r.id();
      ASSERT_EQ(gemm(), CUBLAS_STATUS_SUCCESS);
    }
    ev.record_stop(s.get());
    if (blocked) gate.open();
    s.sync();
    (blocked ? event_us : unblocked_us).push_back(ev.elapsed_us());
    const auto t = tracer.take(id);
    ASSERT_FALSE(t.kernels.empty());
    cupti_us.push_back(t.span_us());
  }
  cublasDestroy(h);
  const double ev_med = median(event_us) - median(overhead), cu_med = median(cupti_us);
  const double tflops = 2.0 * n * n * double(n) / (cu_med * 1e-6) / 1e12;
  std::printf("[gemm %d^3 fp16] cupti median %.2f us | events (stream held during submission) %.2f us - event "
              "overhead %.2f us = %.2f us (%+.1f%%) | events without holding the stream %.2f us | %.0f TFLOP/s "
              "(peak %.0f)\n",
              n, cu_med, median(event_us), median(overhead), ev_med, 100 * (ev_med / cu_med - 1), median(unblocked_us),
              tflops, dev.peak_tflops_tensor_fp16);
  EXPECT_NEAR(ev_med, cu_med, 0.05 * cu_med);
  if (dev.peak_tflops_tensor_fp16 > 0) EXPECT_LT(tflops, 1.05 * dev.peak_tflops_tensor_fp16);
}

TEST(Memory, Memory2ReplayFindsThePeakNotTheFinalValue) {
  ATTNSCOPE_REQUIRE_GPU();
  auto& tracer = cuda::CuptiTracer::instance();
  if (!tracer.available()) GTEST_SKIP() << "CUPTI unavailable: " << tracer.status();
  cuda::Stream s;
  cuda::MemPool pool(0);
  const uint64_t x = 64ull << 20, y = 32ull << 20;
  tracer.set_memory_tracing(true);
  uint64_t id = 0;
  cuda::DeviceBuffer kept;
  {
    cuda::CuptiTracer::Region r(tracer);
    id = r.id();
    kept = cuda::DeviceBuffer(x, "X");
    cuda::CudaExecContext ctx(s.get(), &pool, "test");
    void* w = ctx.allocate(y);
    ctx.release(w);
    s.sync();
  }
  tracer.set_memory_tracing(false);
  const auto t = tracer.take(id);
  EXPECT_EQ(t.peak_live_bytes(), x + y);
  EXPECT_EQ(t.final_live_bytes(), int64_t(x));
}

// The headline memory claim: naive at B=2, H=16, N=8192, d=128 uses what it predicts (8 GiB of fp32
// scores plus the output), measured from CUPTI's allocation records, within 1%.
TEST(Memory, NaivePeakEqualsItsPrediction) {
  ATTNSCOPE_REQUIRE_GPU();
  const Backend* naive = registry().find("naive");
  ASSERT_NE(naive, nullptr);
  Problem p;
  p.batch = 2, p.q_heads = p.kv_heads = 16, p.q_len = p.kv_len = 8192, p.head_dim = 128, p.dtype = DType::F16;
  const auto pred = naive->predict_memory(p, gpu0());
  const DeviceInfo dev = gpu0();
  if (dev.memory_free < p.input_bytes() + pred.total() + (1ull << 30)) GTEST_SKIP() << "needs " << pred.total() << " bytes free";
  cuda::CudaExecutor exec(dev);
  MeasureSettings s = quick_settings();
  s.stopping.min_samples = 3;
  CancelToken never;
  const Measurement m = exec.measure(*naive, p, s, never);
  ASSERT_TRUE(m.memory.peak.has_value());
  std::printf("[naive memory] method %s peak %llu predicted %llu (output %llu, workspace %llu) note: %s\n",
              m.memory.method.c_str(), (unsigned long long)*m.memory.peak, (unsigned long long)pred.total(),
              (unsigned long long)m.memory.output.value_or(0), (unsigned long long)m.memory.workspace.value_or(0),
              m.note.c_str());
  EXPECT_EQ(m.memory.method, "cupti-memory2");
  EXPECT_NEAR(double(*m.memory.peak), double(pred.total()), 0.01 * double(pred.total()));
  EXPECT_EQ(m.memory.output.value_or(0), pred.output_bytes);
  EXPECT_NEAR(double(m.memory.workspace.value_or(0)), double(pred.workspace_bytes), 0.01 * double(pred.workspace_bytes));
  ASSERT_TRUE(m.accuracy.has_value());
  EXPECT_EQ(m.accuracy->reference, "gpu-reference-fp32");
  EXPECT_TRUE(m.accuracy->pass) << m.accuracy->rel_l2;
}

TEST(Executor, MeasuresCublasMathWithCuptiSpansBusyTimeKernelsAndClock) {
  ATTNSCOPE_REQUIRE_GPU();
  const Backend* b = registry().find("cublas-math");
  ASSERT_NE(b, nullptr);
  Problem p;
  p.batch = 4, p.q_heads = 16, p.kv_heads = 4, p.q_len = p.kv_len = 1024, p.head_dim = 64, p.dtype = DType::BF16;
  p.causal = true;
  cuda::CudaExecutor exec(gpu0());
  CancelToken never;
  const Measurement m = exec.measure(*b, p, quick_settings(), never);
  ASSERT_GE(m.span_us.size(), 5u);
  EXPECT_EQ(m.timer, "cupti") << m.timer_note;
  ASSERT_EQ(m.busy_us.size(), m.span_us.size());
  for (std::size_t i = 0; i < m.span_us.size(); ++i) {
    EXPECT_GT(m.span_us[i], 0);
    EXPECT_LE(m.busy_us[i], m.span_us[i] * 1.001);  // one stream: kernels do not overlap
  }
  // GEMM (cuBLAS may split one into several kernels), softmax, GEMM — and not the L2 flush kernel.
  ASSERT_GE(m.kernels.size(), 3u);
  for (const auto& k : m.kernels) EXPECT_EQ(k.find("read_through_l2"), std::string::npos) << k;
  EXPECT_EQ(std::count_if(m.kernels.begin(), m.kernels.end(),
                          [](const std::string& k) { return k.find("softmax_kernel") != std::string::npos; }),
            1);
  EXPECT_GT(m.sm_clock_mhz, 100);
  ASSERT_TRUE(m.accuracy.has_value());
  EXPECT_TRUE(m.accuracy->pass) << m.accuracy->rel_l2;
  EXPECT_EQ(m.memory.method, "cupti-memory2");
  const auto pred = b->predict_memory(p, gpu0());
  EXPECT_NEAR(double(m.memory.peak.value_or(0)), double(pred.total()), 0.01 * double(pred.total()));
  std::string names;
  for (const auto& k : m.kernels) names += (names.empty() ? "" : " | ") + k.substr(0, 80);
  std::printf("[cublas-math] median span %.1f us, busy %.1f us, clock %.0f MHz, kernels: %s\n", median(m.span_us),
              median(m.busy_us), m.sm_clock_mhz, names.c_str());
}

// The fallback timer: CUDA events with the stream held during submission agree with CUPTI's span.
TEST(Executor, CudaEventFallbackAgreesWithCupti) {
  ATTNSCOPE_REQUIRE_GPU();
  if (!cuda::CuptiTracer::instance().available()) GTEST_SKIP() << "CUPTI unavailable";
  const Backend* b = registry().find("cublas-math");
  Problem p;
  p.batch = 4, p.q_heads = 16, p.kv_heads = 16, p.q_len = p.kv_len = 2048, p.head_dim = 64, p.dtype = DType::F16;
  cuda::CudaExecutor exec(gpu0());
  CancelToken never;
  MeasureSettings s = quick_settings();
  s.stopping.min_samples = 20;
  s.check_accuracy = false;
  const Measurement cupti = exec.measure(*b, p, s, never);
  s.prefer_cuda_events = true;
  const Measurement events = exec.measure(*b, p, s, never);
  EXPECT_EQ(cupti.timer, "cupti");
  EXPECT_EQ(events.timer, "cuda-events");
  EXPECT_NE(events.timer_note.find("held during submission"), std::string::npos) << events.timer_note;
  EXPECT_TRUE(events.busy_us.empty());
  const double c = median(cupti.span_us), e = median(events.span_us);
  std::printf("[timers] cublas-math %s: CUPTI span %.1f us, gated CUDA events %.1f us (%+.1f%%)\n",
              p.describe().c_str(), c, e, 100 * (e / c - 1));
  EXPECT_NEAR(e, c, 0.05 * c);
}

// A backend that waits for the GPU inside its run would deadlock behind the gate; the gate gives up,
// the sample is dropped, and the rest are timed without it.
class SynchronizingBackend final : public Backend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{"test-sync", "test: synchronizes in run", "test", Target::Cuda, "", "", ""};
    return kInfo;
  }
  std::vector<RuleResult> check(const Problem&, const DeviceInfo&) const override { return {}; }
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    return {p.output_bytes(), uint64_t(p.batch * p.q_heads * p.q_len) * p.kv_len * 4};
  }
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    registry().find("naive")->run(p, t, ctx);
    cudaStreamSynchronize(static_cast<cudaStream_t>(ctx.stream()));
  }
};

TEST(Executor, EventTimerSurvivesABackendThatSynchronizes) {
  ATTNSCOPE_REQUIRE_GPU();
  Problem p;
  p.batch = 1, p.q_heads = p.kv_heads = 4, p.q_len = p.kv_len = 256, p.head_dim = 64;
  cuda::CudaExecutor exec(gpu0());
  CancelToken never;
  MeasureSettings s = quick_settings();
  s.prefer_cuda_events = true;
  const Measurement m = exec.measure(SynchronizingBackend(), p, s, never);
  EXPECT_EQ(m.timer, "cuda-events");
  EXPECT_NE(m.timer_note.find("synchronizes inside its run"), std::string::npos) << m.timer_note;
  EXPECT_GE(m.span_us.size(), 5u);
  ASSERT_TRUE(m.accuracy.has_value());
  EXPECT_TRUE(m.accuracy->pass);
}

TEST(Executor, ColdL2IsSlowerThanWarmForASmallProblem) {
  ATTNSCOPE_REQUIRE_GPU();
  const Backend* b = registry().find("naive");
  Problem p;
  p.batch = 1, p.q_heads = p.kv_heads = 8, p.q_len = p.kv_len = 512, p.head_dim = 64, p.dtype = DType::F16;
  cuda::CudaExecutor exec(gpu0());
  CancelToken never;
  MeasureSettings s = quick_settings();
  s.stopping.min_samples = 30;
  s.check_accuracy = false;
  const double cold = median(exec.measure(*b, p, s, never).span_us);
  s.cold_l2 = false;
  const double warm = median(exec.measure(*b, p, s, never).span_us);
  std::printf("[l2] naive 8x512x512x64: cold %.1f us, warm %.1f us\n", cold, warm);
  EXPECT_GT(cold, warm);
}

TEST(Executor, CancelledTokenStopsBeforeSampling) {
  ATTNSCOPE_REQUIRE_GPU();
  cuda::CudaExecutor exec(gpu0());
  CancelToken cancelled;
  cancelled.cancel();
  Problem p;
  p.q_len = p.kv_len = 128;
  EXPECT_THROW(exec.measure(*registry().find("naive"), p, quick_settings(), cancelled), Cancelled);
}

TEST(Executor, OutOfMemoryNamesBytesAskedAndFree) {
  ATTNSCOPE_REQUIRE_GPU();
  const DeviceInfo dev = gpu0();
  cuda::CudaExecutor exec(dev);
  Problem p;
  p.batch = 64, p.q_heads = p.kv_heads = 32, p.q_len = p.kv_len = 65536, p.head_dim = 64;
  CancelToken never;
  try {
    exec.measure(*registry().find("naive"), p, quick_settings(), never);
    FAIL() << "expected OutOfMemory";
  } catch (const OutOfMemory& e) {
    EXPECT_GT(e.requested(), dev.memory_total);
    EXPECT_GT(e.free_bytes(), 0u);
    EXPECT_LE(e.free_bytes(), dev.memory_total);
  }
  // The allocator path too: an impossible workspace request.
  cuda::Stream s;
  cuda::MemPool pool(0);
  cuda::CudaExecContext ctx(s.get(), &pool, "test");
  EXPECT_THROW(ctx.allocate(2 * dev.memory_total), OutOfMemory);
  // And the device still works afterwards.
  cuda::DeviceBuffer ok(1 << 20, "after OOM");
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

// The GPU reference (fp32 accumulation) against the fp64 reference, on shapes that exercise GQA,
// causal masks with q_len ≠ kv_len, rows without keys and several key tiles.
TEST(GpuReference, AgreesWithTheFp64Reference) {
  ATTNSCOPE_REQUIRE_GPU();
  struct Shape { int64_t b, hq, hkv, nq, nk, d; bool causal; DType dt; };
  const Shape shapes[] = {{2, 8, 2, 300, 300, 80, true, DType::F16},  {1, 4, 4, 100, 1500, 64, true, DType::BF16},
                          {1, 2, 1, 200, 90, 128, true, DType::F32},  {2, 4, 1, 333, 700, 256, false, DType::F16},
                          {1, 1, 1, 64, 64, 1024, false, DType::F32}, {1, 2, 2, 1, 5000, 32, false, DType::BF16}};
  for (const Shape& sh : shapes) {
    Problem p;
    p.batch = sh.b, p.q_heads = sh.hq, p.kv_heads = sh.hkv, p.q_len = sh.nq, p.kv_len = sh.nk, p.head_dim = sh.d;
    p.causal = sh.causal, p.dtype = sh.dt;
    SCOPED_TRACE(p.describe());
    cuda::Stream s;
    const std::size_t esz = size_of(p.dtype);
    cuda::DeviceBuffer q(p.q_elements() * esz, "Q"), k(p.kv_elements() * esz, "K"), v(p.kv_elements() * esz, "V");
    cuda::fill_inputs(p, q.get(), k.get(), v.get(), 5, s.get());
    const auto heads = reference_heads(p, 0);
    cuda::DeviceBuffer o(heads.size() * p.q_len * p.head_dim * 4, "O"), lse(heads.size() * p.q_len * 4, "LSE");
    cuda::gpu_reference(p, q.get(), k.get(), v.get(), heads, o.as<float>(), lse.as<float>(), s.get());
    std::vector<float> go(heads.size() * p.q_len * p.head_dim), gl(heads.size() * p.q_len);
    ASSERT_EQ(cudaMemcpy(go.data(), o.get(), go.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(gl.data(), lse.get(), gl.size() * 4, cudaMemcpyDeviceToHost), cudaSuccess);
    const auto hq = make_input(p, TensorId::Q, 5), hk = make_input(p, TensorId::K, 5), hv = make_input(p, TensorId::V, 5);
    ErrorAccumulator acc;
    double lse_err = 0;
    std::vector<double> ro(p.q_len * p.head_dim), rl(p.q_len);
    for (std::size_t i = 0; i < heads.size(); ++i) {
      reference_attention_head(p, hq.data(), hk.data(), hv.data(), heads[i], ro.data(), rl.data());
      for (std::size_t j = 0; j < ro.size(); ++j) acc.add(go[i * ro.size() + j], ro[j]);
      for (int64_t r = 0; r < p.q_len; ++r) {
        const double got = gl[i * p.q_len + r];
        if (std::isinf(rl[r])) EXPECT_TRUE(std::isinf(got) && got < 0);
        else lse_err = std::max(lse_err, std::abs(got - rl[r]));
      }
    }
    const auto e = acc.result();
    EXPECT_EQ(e.non_finite, 0);
    EXPECT_LT(e.rel_l2, 2e-6);
    EXPECT_LT(lse_err, 1e-4);
  }
}

}  // namespace
}  // namespace attnscope
