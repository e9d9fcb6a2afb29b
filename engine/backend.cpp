#include "attnscope/backend.hpp"

#include <stdexcept>

#include "attnscope/rules.hpp"

namespace attnscope {

std::string_view to_string(Target t) { return t == Target::Cpu ? "cpu" : "cuda"; }

std::string_view to_string(RuleKind k) {
  switch (k) {
    case RuleKind::Environment: return "environment";
    case RuleKind::Input: return "input";
    case RuleKind::Memory: return "memory";
  }
  return "unknown";
}

std::vector<RuleResult> Backend::requirements(const Problem& p, const DeviceInfo& d) const {
  std::vector<RuleResult> unmet;
  for (auto& r : check(p, d))
    if (!r.met) unmet.push_back(std::move(r));
  return unmet;
}

void CudaBackend::run(const Problem&, const Tensors&, ExecContext&) const {
  throw std::runtime_error(info().id + ": this build of AttnScope has no CUDA support");
}

OutOfMemory::OutOfMemory(uint64_t requested, uint64_t free_bytes, std::string where)
    : requested_(requested), free_(free_bytes) {
  text_ = "out of memory: " + where + " asked for " + format_bytes(requested) + " with " + format_bytes(free_bytes) +
          " free";
}

}  // namespace attnscope
