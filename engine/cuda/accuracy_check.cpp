#include "cuda/accuracy_check.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

#include "attnscope/half.hpp"
#include "attnscope/reference.hpp"
#include "cuda/cuda_util.hpp"
#include "cuda/gpu_reference.hpp"

namespace attnscope::cuda {
namespace {

// Above this many multiply-adds the fp64 host reference takes more than about a second.
constexpr double kHostReferenceMaxMacs = 4e8;

// Copies one head of a [B,H,N,D] device tensor to the host, as stored.
std::vector<unsigned char> head_bytes(const Problem& p, const void* t, int64_t heads, int64_t batch, int64_t head,
                                      int64_t len) {
  const std::size_t esz = size_of(p.dtype), n = std::size_t(len * p.head_dim);
  const std::size_t offset = std::size_t((batch * heads + head) * len * p.head_dim);
  std::vector<unsigned char> raw(n * esz);
  check(cudaMemcpy(raw.data(), static_cast<const unsigned char*>(t) + offset * esz, raw.size(), cudaMemcpyDeviceToHost),
        "copy head to host");
  return raw;
}

// Copies one head of a [B,H,N,D] device tensor to the host as float.
std::vector<float> head_to_host(const Problem& p, const void* t, int64_t heads, int64_t batch, int64_t head,
                                int64_t len) {
  const auto raw = head_bytes(p, t, heads, batch, head, len);
  std::vector<float> out(raw.size() / size_of(p.dtype));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = load_as_float(p.dtype, raw.data(), i);
  return out;
}

// A fingerprint of what the reference reads: the checked heads' Q, K and V bytes as the backend was given them.
uint64_t inputs_fingerprint(const Problem& p, const void* q, const void* k, const void* v,
                            const std::vector<HeadIndex>& heads) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  auto mix = [&h](const std::vector<unsigned char>& bytes) {
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
      uint64_t w = 0;
      std::memcpy(&w, bytes.data() + i, std::min<std::size_t>(8, bytes.size() - i));
      h = (h ^ (w * 0xBF58476D1CE4E5B9ull)) * 0x94D049BB133111EBull;
      h ^= h >> 31;
    }
  };
  for (const auto& hd : heads) {
    const int64_t kvh = hd.head / p.group_size();
    mix(head_bytes(p, q, p.q_heads, hd.batch, hd.head, p.q_len));
    mix(head_bytes(p, k, p.kv_heads, hd.batch, kvh, p.kv_len));
    mix(head_bytes(p, v, p.kv_heads, hd.batch, kvh, p.kv_len));
  }
  return h;
}

// The reference output of the checked heads ([heads][q_len][d]) of the last point checked. Every backend
// of a point gets the same inputs (filled from the seed), and the fp32 GPU reference of a 16k-token point
// took ~0.57 s on an H100 — paid once per backend, it was a fifth of an interactive sweep. Keyed by the
// inputs' bytes rather than the seed, so a backend that scribbles on its inputs is checked against what
// it was given.
struct CachedReference {
  Problem problem;
  std::vector<std::pair<int64_t, int64_t>> heads;
  uint64_t fingerprint = 0;
  std::shared_ptr<const std::vector<double>> out;
};
std::mutex reference_mu;
CachedReference last_reference;
uint64_t reference_count = 0;

std::vector<std::pair<int64_t, int64_t>> head_pairs(const std::vector<HeadIndex>& heads) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& h : heads) out.emplace_back(h.batch, h.head);
  return out;
}

std::shared_ptr<const std::vector<double>> host_reference(const Problem& p, const void* q, const void* k, const void* v,
                                                          const std::vector<HeadIndex>& heads) {
  // A one-head problem per checked head: only that head's Q, K and V leave the device.
  Problem one = p;
  one.batch = 1;
  one.q_heads = 1;
  one.kv_heads = 1;
  const std::size_t per_head = std::size_t(p.q_len * p.head_dim);
  auto ref = std::make_shared<std::vector<double>>(heads.size() * per_head);
  std::vector<double> lse(std::size_t(p.q_len));
  for (std::size_t i = 0; i < heads.size(); ++i) {
    const int64_t kvh = heads[i].head / p.group_size();
    const auto hq = head_to_host(p, q, p.q_heads, heads[i].batch, heads[i].head, p.q_len);
    const auto hk = head_to_host(p, k, p.kv_heads, heads[i].batch, kvh, p.kv_len);
    const auto hv = head_to_host(p, v, p.kv_heads, heads[i].batch, kvh, p.kv_len);
    reference_attention_head(one, hq.data(), hk.data(), hv.data(), HeadIndex{0, 0}, ref->data() + i * per_head, lse.data());
  }
  return ref;
}

std::shared_ptr<const std::vector<double>> device_reference(const Problem& p, const void* q, const void* k,
                                                            const void* v, const std::vector<HeadIndex>& heads,
                                                            cudaStream_t s) {
  const std::size_t per_head = std::size_t(p.q_len * p.head_dim);
  DeviceBuffer ref(heads.size() * per_head * sizeof(float), "GPU reference output");
  DeviceBuffer lse(heads.size() * std::size_t(p.q_len) * sizeof(float), "GPU reference LSE");
  gpu_reference(p, q, k, v, heads, ref.as<float>(), lse.as<float>(), s);
  std::vector<float> host(heads.size() * per_head);
  check(cudaMemcpy(host.data(), ref.get(), host.size() * sizeof(float), cudaMemcpyDeviceToHost), "copy GPU reference");
  return std::make_shared<std::vector<double>>(host.begin(), host.end());
}

}  // namespace

Accuracy check_accuracy(const Problem& p, const void* q, const void* k, const void* v, const void* o,
                        int64_t max_heads, cudaStream_t s) {
  Accuracy a;  // which reference and how many heads; the verdict comes from accuracy_from
  const auto heads = reference_heads(p, max_heads);
  a.heads_checked = int64_t(heads.size());
  a.heads_total = p.batch * p.q_heads;
  const double macs = double(heads.size()) * double(p.unmasked_pairs()) * double(p.head_dim);
  const bool on_host = macs <= kHostReferenceMaxMacs || p.head_dim > kGpuReferenceMaxHeadDim;
  a.reference = on_host ? "cpu-reference" : "gpu-reference-fp32";
  const uint64_t fingerprint = inputs_fingerprint(p, q, k, v, heads);
  std::shared_ptr<const std::vector<double>> ref;
  {
    std::lock_guard lock(reference_mu);
    if (last_reference.out && last_reference.problem == p && last_reference.heads == head_pairs(heads) &&
        last_reference.fingerprint == fingerprint)
      ref = last_reference.out;
  }
  if (!ref) {
    ref = on_host ? host_reference(p, q, k, v, heads) : device_reference(p, q, k, v, heads, s);
    std::lock_guard lock(reference_mu);
    last_reference = {p, head_pairs(heads), fingerprint, ref};
    ++reference_count;
  }
  ErrorAccumulator acc;
  const std::size_t per_head = std::size_t(p.q_len * p.head_dim);
  for (std::size_t i = 0; i < heads.size(); ++i) {
    const auto ho = head_to_host(p, o, p.q_heads, heads[i].batch, heads[i].head, p.q_len);
    for (std::size_t j = 0; j < per_head; ++j) acc.add(ho[j], (*ref)[i * per_head + j]);
  }
  return accuracy_from(acc.result(), p.dtype, a.reference, a.heads_checked, a.heads_total);
}

uint64_t references_computed() {
  std::lock_guard lock(reference_mu);
  return reference_count;
}

}  // namespace attnscope::cuda
