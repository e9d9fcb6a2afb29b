#include "attnscope/reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attnscope/half.hpp"

namespace attnscope {

std::vector<HeadIndex> reference_heads(const Problem& p, int64_t max_heads) {
  const int64_t total = p.batch * p.q_heads;
  std::vector<HeadIndex> out;
  auto at = [&](int64_t flat) { return HeadIndex{flat / p.q_heads, flat % p.q_heads}; };
  if (max_heads <= 0 || total <= max_heads) {
    for (int64_t i = 0; i < total; ++i) out.push_back(at(i));
    return out;
  }
  if (max_heads == 1) return {at(0)};
  // Evenly spread over all (batch, head) pairs, first and last included; with GQA the spread crosses
  // KV groups because heads of one group are adjacent.
  for (int64_t k = 0; k < max_heads; ++k) {
    const int64_t flat = (k * (total - 1) + (max_heads - 1) / 2) / (max_heads - 1);
    if (out.empty() || flat != out.back().batch * p.q_heads + out.back().head) out.push_back(at(flat));
  }
  return out;
}

void reference_attention_head(const Problem& p, const float* q, const float* k, const float* v, HeadIndex at,
                              double* o, double* lse) {
  const int64_t d = p.head_dim, nq = p.q_len, nk = p.kv_len;
  const int64_t kvh = at.head / p.group_size();
  const float* qh = q + ((at.batch * p.q_heads + at.head) * nq) * d;
  const float* kh = k + ((at.batch * p.kv_heads + kvh) * nk) * d;
  const float* vh = v + ((at.batch * p.kv_heads + kvh) * nk) * d;
  const double scale = p.softmax_scale();
  std::vector<double> s(static_cast<size_t>(nk));
  for (int64_t i = 0; i < nq; ++i) {
    // Bottom-right aligned causal mask: query i sees keys j <= i + (nk - nq).
    const int64_t visible = p.causal ? std::clamp<int64_t>(i + nk - nq + 1, 0, nk) : nk;
    double* oi = o + i * d;
    std::fill(oi, oi + d, 0.0);
    if (visible == 0) {
      lse[i] = -std::numeric_limits<double>::infinity();
      continue;
    }
    double m = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < visible; ++j) {
      double dot = 0;
      for (int64_t c = 0; c < d; ++c) dot += double(qh[i * d + c]) * double(kh[j * d + c]);
      s[size_t(j)] = dot * scale;
      m = std::max(m, s[size_t(j)]);
    }
    double sum = 0;
    for (int64_t j = 0; j < visible; ++j) {
      const double pj = std::exp(s[size_t(j)] - m);
      sum += pj;
      for (int64_t c = 0; c < d; ++c) oi[c] += pj * double(vh[j * d + c]);
    }
    for (int64_t c = 0; c < d; ++c) oi[c] /= sum;
    lse[i] = m + std::log(sum);
  }
}

std::vector<float> make_input(const Problem& p, TensorId t, uint64_t seed) {
  const uint64_t n = t == TensorId::Q ? p.q_elements() : p.kv_elements();
  std::vector<float> out(n);
  for (uint64_t i = 0; i < n; ++i) out[i] = round_to(p.dtype, random_input(seed, t, i));
  return out;
}

void ErrorAccumulator::add(double x, double ref) {
  ++n_;
  if (!std::isfinite(x)) {
    ++non_finite_;
    ref2_ += ref * ref;
    return;
  }
  const double diff = x - ref;
  diff2_ += diff * diff;
  ref2_ += ref * ref;
  max_abs_ = std::max(max_abs_, std::abs(diff));
}

ErrorStats ErrorAccumulator::result() const {
  ErrorStats e;
  e.compared = n_;
  e.non_finite = non_finite_;
  e.max_abs = non_finite_ ? std::numeric_limits<double>::infinity() : max_abs_;
  if (non_finite_)
    e.rel_l2 = std::numeric_limits<double>::infinity();
  else
    e.rel_l2 = ref2_ > 0 ? std::sqrt(diff2_ / ref2_) : std::sqrt(diff2_);
  return e;
}

double accuracy_tolerance(DType t) {
  switch (t) {
    case DType::F32: return 1e-4;  // fp32 accumulation, no TF32: errors are ~1e-6
    case DType::F16: return 5e-3;  // a plain fp16 computation lands near 5e-4
    case DType::BF16: return 2e-2; // bf16 keeps 8 mantissa bits: ~4e-3
  }
  return 0;
}

Accuracy accuracy_from(const ErrorStats& e, DType t, std::string reference, int64_t heads_checked,
                       int64_t heads_total) {
  Accuracy a;
  a.reference = std::move(reference);
  a.rel_l2 = e.rel_l2;
  a.max_abs = e.max_abs;
  a.tolerance = accuracy_tolerance(t);
  a.pass = e.non_finite == 0 && std::isfinite(e.rel_l2) && e.rel_l2 <= a.tolerance;
  a.heads_checked = heads_checked;
  a.heads_total = heads_total;
  return a;
}

}  // namespace attnscope
