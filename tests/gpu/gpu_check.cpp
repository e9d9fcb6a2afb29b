#include "gpu_check.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "attnscope/build_info.hpp"
#include "attnscope/half.hpp"
#include "attnscope/platform.hpp"
#include "cuda/cuda_util.hpp"
#include "cuda/device_fill.hpp"
#include "cuda/exec_context.hpp"

namespace attnscope::gputest {
namespace {

std::string compute_reason() {
  // Discovery names the real cause (no driver, no device, driver too old) better than the runtime can.
  const GpuProbe probe = platform::probe_gpus();
  if (probe.devices.empty()) return "no usable GPU: " + probe.why_none;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return std::string("no usable CUDA device: ") + cudaGetErrorString(e);
  }
  if (count == 0) return "no CUDA device found";
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) return "cannot read the properties of CUDA device 0";
  // A tiny launch proves this binary has a kernel image the GPU accepts.
  try {
    cuda::DeviceBuffer one(sizeof(float), "probe");
    cuda::fill_random(one.get(), DType::F32, 1, TensorId::Q, 1, nullptr);
    cuda::check(cudaDeviceSynchronize(), "probe kernel");
  } catch (const std::exception& ex) {
    std::string built;
    for (int cc : build::compute_capabilities()) built += (built.empty() ? "sm" : ", sm") + std::to_string(cc);
    return std::string(prop.name) + " (sm" + std::to_string(prop.major * 10 + prop.minor) +
           ") cannot run this build's kernels (built for " + built + "): " + ex.what();
  }
  return "";
}

// Work split into (head, row range) tasks over every core: the fp64 reference costs seconds per head
// at N = 4096.
struct RowTask {
  std::size_t head;
  int64_t r0, r1;
};

std::vector<RowTask> row_tasks(std::size_t heads, int64_t rows) {
  const int64_t chunk = std::max<int64_t>(16, rows / 32);
  std::vector<RowTask> out;
  for (std::size_t h = 0; h < heads; ++h)
    for (int64_t r0 = 0; r0 < rows; r0 += chunk) out.push_back({h, r0, std::min(rows, r0 + chunk)});
  return out;
}

template <class F>
void parallel_tasks(const std::vector<RowTask>& tasks, F&& f) {
  unsigned workers = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), unsigned(tasks.size())));
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < workers; ++w)
    pool.emplace_back([&, w] {
      for (std::size_t i = w; i < tasks.size(); i += workers) f(tasks[i]);
    });
  for (auto& t : pool) t.join();
}

uint64_t o_offset(const Problem& p, HeadIndex h) {
  return uint64_t((h.batch * p.q_heads + h.head) * p.q_len) * uint64_t(p.head_dim);
}
uint64_t kv_offset(const Problem& p, HeadIndex h) {
  return uint64_t((h.batch * p.kv_heads + h.head / p.group_size()) * p.kv_len) * uint64_t(p.head_dim);
}

// fp64 reference for rows [r0, r1) of one head, as a one-head problem of its own: with a causal mask
// the keys are cut at the last one row r1-1 sees, which keeps the bottom-right alignment exact.
void reference_rows(const Problem& p, const float* q, const float* k, const float* v, HeadIndex h, int64_t r0,
                    int64_t r1, double* o, double* lse) {
  Problem sub = p;
  sub.batch = sub.q_heads = sub.kv_heads = 1;
  sub.q_len = r1 - r0;
  if (p.causal) sub.kv_len = std::min(p.kv_len, r1 + (p.kv_len - p.q_len));
  sub.scale = p.softmax_scale();
  if (sub.kv_len <= 0) {  // no row of the range sees a key
    std::fill(o, o + (r1 - r0) * p.head_dim, 0.0);
    std::fill(lse, lse + (r1 - r0), -std::numeric_limits<double>::infinity());
    return;
  }
  reference_attention_head(sub, q + o_offset(p, h) + uint64_t(r0 * p.head_dim), k + kv_offset(p, h),
                           v + kv_offset(p, h), HeadIndex{0, 0}, o, lse);
}

struct HostInputs {
  std::vector<float> q, k, v;
  HostInputs(const Problem& p, uint64_t seed)
      : q(make_input(p, TensorId::Q, seed)), k(make_input(p, TensorId::K, seed)), v(make_input(p, TensorId::V, seed)) {}
};

std::vector<HeadIndex> heads_for(const Problem& p, int64_t max_heads) {
  return reference_heads(p, max_heads <= 0 ? 0 : max_heads);
}

}  // namespace

const std::string& gpu_unavailable_reason() {
  static const std::string reason = compute_reason();
  return reason;
}

CheckResult run_against_reference(const Backend& b, const Problem& p, int64_t max_heads, uint64_t seed) {
  CheckResult r;
  try {
    cuda::check(cudaSetDevice(0), "cudaSetDevice(0)");
    const std::size_t esz = size_of(p.dtype);
    const uint64_t lse_count = uint64_t(p.batch * p.q_heads * p.q_len);
    cuda::Stream stream;
    cuda::DeviceBuffer q(p.q_elements() * esz, "Q"), k(p.kv_elements() * esz, "K"), v(p.kv_elements() * esz, "V");
    cuda::DeviceBuffer o(p.o_elements() * esz, "O");
    cuda::DeviceBuffer lse(b.writes_lse() ? lse_count * sizeof(float) : 0, "LSE");
    cuda::fill_inputs(p, q.get(), k.get(), v.get(), seed, stream.get());
    cuda::poison(o.get(), p.dtype, p.o_elements(), stream.get());
    if (b.writes_lse()) cuda::poison(lse.get(), DType::F32, lse_count, stream.get());
    {
      cuda::CudaExecContext ctx(stream.get(), nullptr, b.info().id);
      Tensors t{q.get(), k.get(), v.get(), o.get(), b.writes_lse() ? lse.as<float>() : nullptr};
      b.run(p, t, ctx);
      stream.sync();
    }
    cuda::check(cudaGetLastError(), (b.info().id + " run").c_str());

    std::vector<unsigned char> host_o(p.o_elements() * esz);
    std::vector<float> host_lse(b.writes_lse() ? lse_count : 0);
    cuda::check(cudaMemcpy(host_o.data(), o.get(), host_o.size(), cudaMemcpyDeviceToHost), "copy O");
    if (b.writes_lse())
      cuda::check(cudaMemcpy(host_lse.data(), lse.get(), lse_count * sizeof(float), cudaMemcpyDeviceToHost), "copy LSE");
    r.unwritten = cuda::count_poisoned(host_o.data(), p.dtype, p.o_elements());
    if (b.writes_lse()) r.unwritten += cuda::count_poisoned(host_lse.data(), DType::F32, lse_count);

    const HostInputs in(p, seed);
    const auto heads = heads_for(p, max_heads);
    const std::size_t rows = std::size_t(p.q_len), d = std::size_t(p.head_dim);
    std::vector<std::vector<double>> ref_o(heads.size(), std::vector<double>(rows * d)),
        ref_lse(heads.size(), std::vector<double>(rows));
    parallel_tasks(row_tasks(heads.size(), p.q_len), [&](const RowTask& t) {
      reference_rows(p, in.q.data(), in.k.data(), in.v.data(), heads[t.head], t.r0, t.r1,
                     ref_o[t.head].data() + t.r0 * d, ref_lse[t.head].data() + t.r0);
    });
    ErrorAccumulator acc;
    for (std::size_t i = 0; i < heads.size(); ++i) {
      const uint64_t base = o_offset(p, heads[i]);
      for (std::size_t j = 0; j < rows * d; ++j) acc.add(load_as_float(p.dtype, host_o.data(), base + j), ref_o[i][j]);
      if (!b.writes_lse()) continue;
      const uint64_t lbase = uint64_t(heads[i].batch * p.q_heads + heads[i].head) * rows;
      for (std::size_t row = 0; row < rows; ++row) {
        const double want = ref_lse[i][row], got = host_lse[lbase + row];
        const bool ok = std::isinf(want) ? (std::isinf(got) && got < 0) : std::abs(got - want) <= 1e-3 + 1e-4 * std::abs(want);
        r.lse_ok = r.lse_ok && ok;
      }
    }
    r.err = acc.result();
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  return r;
}

double plain_lowp_error(const Problem& p, int64_t max_heads, uint64_t seed) {
  const HostInputs in(p, seed);
  const auto heads = heads_for(p, max_heads);
  const std::size_t rows = std::size_t(p.q_len), keys = std::size_t(p.kv_len), d = std::size_t(p.head_dim);
  const float scale = float(p.softmax_scale());
  const int64_t shift = p.kv_len - p.q_len;  // bottom-right causal alignment
  std::vector<std::vector<double>> ref(heads.size(), std::vector<double>(rows * d));
  std::vector<std::vector<float>> low(heads.size(), std::vector<float>(rows * d, 0.0f));
  parallel_tasks(row_tasks(heads.size(), p.q_len), [&](const RowTask& t) {
    const HeadIndex h = heads[t.head];
    std::vector<double> lse(std::size_t(t.r1 - t.r0));
    reference_rows(p, in.q.data(), in.k.data(), in.v.data(), h, t.r0, t.r1, ref[t.head].data() + t.r0 * d, lse.data());
    const float* q = in.q.data() + o_offset(p, h);
    const float* k = in.k.data() + kv_offset(p, h);
    const float* v = in.v.data() + kv_offset(p, h);
    std::vector<float> s(keys), acc(d);
    for (std::size_t r = std::size_t(t.r0); r < std::size_t(t.r1); ++r) {
      const std::size_t visible = p.causal ? std::size_t(std::clamp<int64_t>(int64_t(r) + shift + 1, 0, p.kv_len)) : keys;
      if (visible == 0) continue;  // no key: output stays zero
      float m = -std::numeric_limits<float>::infinity();
      for (std::size_t j = 0; j < visible; ++j) {
        float dot = 0;
        for (std::size_t e = 0; e < d; ++e) dot += q[r * d + e] * k[j * d + e];
        s[j] = dot * scale;
        m = std::max(m, s[j]);
      }
      float l = 0;
      for (std::size_t j = 0; j < visible; ++j) l += (s[j] = std::exp(s[j] - m));
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (std::size_t j = 0; j < visible; ++j) {
        const float pj = round_to(p.dtype, s[j] / l);
        for (std::size_t e = 0; e < d; ++e) acc[e] += pj * v[j * d + e];
      }
      for (std::size_t e = 0; e < d; ++e) low[t.head][r * d + e] = round_to(p.dtype, acc[e]);
    }
  });
  ErrorAccumulator acc;
  for (std::size_t i = 0; i < heads.size(); ++i)
    for (std::size_t j = 0; j < rows * d; ++j) acc.add(low[i][j], ref[i][j]);
  return acc.result().rel_l2;
}

}  // namespace attnscope::gputest
