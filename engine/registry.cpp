#include "attnscope/registry.hpp"

#include <algorithm>
#include <stdexcept>

#include "attnscope/rules.hpp"

namespace attnscope {

bool Verdict::eligible() const {
  return std::all_of(rules.begin(), rules.end(), [](const RuleResult& r) { return r.met; });
}

std::vector<RuleResult> Verdict::unmet() const {
  std::vector<RuleResult> out;
  for (const auto& r : rules)
    if (!r.met) out.push_back(r);
  return out;
}

void Registry::add(std::unique_ptr<Backend> b) {
  if (find(b->info().id)) throw std::invalid_argument("backend id registered twice: " + b->info().id);
  backends_.push_back(std::move(b));
}

const Backend* Registry::find(std::string_view id) const {
  for (const auto& b : backends_)
    if (b->info().id == id) return b.get();
  return nullptr;
}

namespace {

// Bytes a measurement of this backend holds on the device at its peak: inputs, what the backend
// predicts, and the executor's L2 flush buffer (2×L2) on a GPU.
uint64_t needed_bytes(const Backend& b, const Problem& p, const DeviceInfo& d) {
  return p.input_bytes() + b.predict_memory(p, d).total() + (d.is_gpu() ? 2 * d.l2_bytes : 0);
}

// The longest sequence (q and kv together when they are equal, else kv alone) that would fit.
int64_t longest_fitting_length(const Backend& b, Problem p, const DeviceInfo& d) {
  const bool square = p.q_len == p.kv_len;
  int64_t lo = 0, hi = p.kv_len;  // lo fits (0 = nothing found), hi does not
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    p.kv_len = mid;
    if (square) p.q_len = mid;
    if (needed_bytes(b, p, d) <= d.memory_free)
      lo = mid;
    else
      hi = mid;
  }
  return lo;
}

RuleResult memory_fit(const Backend& b, const Problem& p, const DeviceInfo& d) {
  const MemoryPrediction m = b.predict_memory(p, d);
  const uint64_t need = needed_bytes(b, p, d);
  const bool met = need <= d.memory_free;
  const std::string where = d.is_gpu() ? "the device" : "the host";
  std::string reason = "needs " + format_bytes(need) + " (inputs " + format_bytes(p.input_bytes()) + ", output " +
                       format_bytes(m.output_bytes) + ", workspace " + format_bytes(m.workspace_bytes) +
                       (d.is_gpu() ? ", L2 flush " + format_bytes(2 * d.l2_bytes) : std::string()) + "); " + where +
                       " has " + format_bytes(d.memory_free) + " free";
  std::string hint;
  if (!met) {
    const int64_t fits = longest_fitting_length(b, p, d);
    const char* what = p.q_len == p.kv_len ? "sequence length" : "kv_len";
    hint = fits > 0 ? "reduce the " + std::string(what) + " to " + std::to_string(fits) + " or less, or the batch"
                    : "reduce batch or heads; even length 1 does not fit";
  }
  return RuleResult{"memory_fit", RuleKind::Memory, "memory", format_bytes(need),
                    "≤ " + format_bytes(d.memory_free), met, std::move(reason), std::move(hint)};
}

}  // namespace

Verdict Registry::evaluate(const Backend& b, const Problem& p, const DeviceInfo& d) const {
  Verdict v;
  v.info = b.info();
  v.rules = b.check(p, d);
  v.memory = b.predict_memory(p, d);
  v.rules.push_back(memory_fit(b, p, d));
  return v;
}

std::vector<Verdict> Registry::evaluate_all(const Problem& p, const DeviceInfo& d, bool with_variants) const {
  std::vector<Verdict> all;
  std::vector<std::string> eligible;
  for (const auto& b : backends_) {
    all.push_back(evaluate(*b, p, d));
    if (!all.back().eligible()) continue;
    eligible.push_back(b->info().id);
    if (with_variants) all.back().variants = b->variants(p, d);
  }
  for (auto& v : all) v.accepted_by = eligible;
  return all;
}

}  // namespace attnscope
