#include "attnscope/problem.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace attnscope {

double Problem::softmax_scale() const {
  return scale ? *scale : 1.0 / std::sqrt(double(head_dim));
}

uint64_t Problem::q_elements() const { return uint64_t(batch) * q_heads * q_len * head_dim; }
uint64_t Problem::kv_elements() const { return uint64_t(batch) * kv_heads * kv_len * head_dim; }
uint64_t Problem::o_elements() const { return q_elements(); }
uint64_t Problem::input_bytes() const { return (q_elements() + 2 * kv_elements()) * size_of(dtype); }
uint64_t Problem::output_bytes() const { return o_elements() * size_of(dtype); }
uint64_t Problem::bytes_moved() const { return input_bytes() + output_bytes(); }
uint64_t Problem::lse_bytes() const { return uint64_t(batch) * q_heads * q_len * 4; }

uint64_t Problem::unmasked_pairs() const {
  const uint64_t nq = uint64_t(q_len), nk = uint64_t(kv_len);
  if (!causal) return nq * nk;
  // Row i sees keys 0 .. i + (nk - nq), clamped to [0, nk]: count = clamp(i + nk - nq + 1, 0, nk).
  // Rows i >= nq - nk see at least one key; the counts form an arithmetic series until they reach nk.
  // Closed form (a loop over rows took seconds for millions of records of 16M-token problems):
  // rows first..last_partial see first_seen, first_seen+1, ... keys; the rows after see all nk keys.
  const int64_t offset = int64_t(nk) - int64_t(nq);
  const int64_t first = std::max<int64_t>(0, -offset);               // first row that sees a key
  const int64_t full_from = std::clamp<int64_t>(int64_t(nk) - 1 - offset, first, int64_t(nq));  // first row seeing all
  const uint64_t a = uint64_t(first + offset + 1), b = uint64_t(full_from - 1 + offset + 1);  // seen at first, at full_from-1
  const uint64_t partial_rows = uint64_t(full_from - first);
  const uint64_t partial = partial_rows == 0 ? 0 : (a + b) * partial_rows / 2;
  return partial + uint64_t(int64_t(nq) - full_from) * nk;
}

double Problem::flops() const {
  return 4.0 * double(batch) * double(q_heads) * double(head_dim) * double(unmasked_pairs());
}

const char* Problem::flops_formula() {
  return "FLOP = 4·B·Hq·d·(unmasked query-key pairs of one head): QKᵀ and PV, 2 FLOP per multiply-add; "
         "causal (bottom-right aligned) counts the unmasked pairs exactly; softmax not counted";
}

const char* Problem::bytes_formula() {
  return "bytes = (B·Hq·Nq·d + 2·B·Hkv·Nk·d) · sizeof(dtype) read (Q, K, V once) + B·Hq·Nq·d · sizeof(dtype) "
         "written (O once): the least traffic any kernel has; the log-sum-exp and workspace not counted";
}

std::string Problem::describe() const {
  std::ostringstream s;
  s << "B=" << batch << " Hq=" << q_heads << " Hkv=" << kv_heads << " Nq=" << q_len << " Nk=" << kv_len
    << " d=" << head_dim << ' ' << to_string(dtype) << (causal ? " causal" : "");
  if (scale) s << " scale=" << *scale;
  return s.str();
}

namespace {

void check_range(std::vector<FieldError>& out, const char* field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) {
    std::ostringstream m;
    m << field << " is " << v << "; allowed range is " << lo << " to " << hi;
    out.push_back({field, m.str()});
  }
}

// a·b·c·d, or nullopt if the product overflows 64 bits.
std::optional<uint64_t> product(std::initializer_list<int64_t> xs) {
  uint64_t r = 1;
  for (int64_t x : xs) {
    if (x <= 0) return 0;
    if (r > std::numeric_limits<uint64_t>::max() / uint64_t(x)) return std::nullopt;
    r *= uint64_t(x);
  }
  return r;
}

}  // namespace

std::vector<FieldError> validate(const Problem& p) {
  std::vector<FieldError> errors;
  using L = ProblemLimits;
  check_range(errors, "batch", p.batch, 1, L::max_batch);
  check_range(errors, "q_heads", p.q_heads, 1, L::max_heads);
  check_range(errors, "kv_heads", p.kv_heads, 1, L::max_heads);
  check_range(errors, "q_len", p.q_len, 1, L::max_len);
  check_range(errors, "kv_len", p.kv_len, 1, L::max_len);
  check_range(errors, "head_dim", p.head_dim, 1, L::max_head_dim);
  if (p.q_heads >= 1 && p.kv_heads >= 1 && p.q_heads % p.kv_heads != 0) {
    std::ostringstream m;
    m << "kv_heads is " << p.kv_heads << "; it must divide q_heads (" << p.q_heads
      << ") for grouped-query attention";
    errors.push_back({"kv_heads", m.str()});
  }
  if (p.scale && (!std::isfinite(*p.scale) || *p.scale <= 0)) {
    std::ostringstream m;
    m << "scale is " << *p.scale << "; it must be a finite number > 0";
    errors.push_back({"scale", m.str()});
  }
  if (errors.empty()) {
    // Each tensor's byte count (and the score matrix a math backend would build) must fit in 63 bits so
    // every size computed later is exact.
    const auto s = size_of(p.dtype);
    const auto q = product({p.batch, p.q_heads, p.q_len, p.head_dim, int64_t(s)});
    const auto kv = product({p.batch, p.kv_heads, p.kv_len, p.head_dim, int64_t(s)});
    const auto scores = product({p.batch, p.q_heads, p.q_len, p.kv_len, 4});
    const uint64_t limit = uint64_t(1) << 62;
    if (!q || !kv || !scores || *q > limit || *kv > limit || *scores > limit) {
      errors.push_back({"batch", "the tensors of this problem are too large to address (" + p.describe() +
                                     "); reduce batch, heads or lengths"});
    }
  }
  return errors;
}

void require_valid(const Problem& p) {
  auto errors = validate(p);
  if (!errors.empty()) throw InvalidInput(std::move(errors));
}

InvalidInput::InvalidInput(std::vector<FieldError> errors) : errors_(std::move(errors)) {
  for (const auto& e : errors_) {
    if (!text_.empty()) text_ += "; ";
    text_ += e.message;
  }
}

}  // namespace attnscope
