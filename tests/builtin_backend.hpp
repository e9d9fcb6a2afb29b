#pragma once
// Test helpers shared by backend test files (CPU rule tests and GPU tests): one process-wide registry
// of the built-in backends, a backend looked up by id, and a problem from its shape in one call.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "attnscope/registry.hpp"

namespace attnscope::testing_support {

inline const Backend& builtin_backend(std::string_view id) {
  static const Registry registry = [] {
    Registry r;
    register_builtin_backends(r);
    return r;
  }();
  const Backend* b = registry.find(id);
  if (!b) throw std::runtime_error(std::string(id) + " is not registered");
  return *b;
}

inline Problem make_problem(DType t, int64_t batch, int64_t q_heads, int64_t kv_heads, int64_t q_len, int64_t kv_len,
                            int64_t head_dim, bool causal = false) {
  Problem p;
  p.batch = batch, p.q_heads = q_heads, p.kv_heads = kv_heads, p.q_len = q_len, p.kv_len = kv_len;
  p.head_dim = head_dim, p.dtype = t, p.causal = causal;
  return p;
}

// The rule with this id among a backend's rules (a copy: the vector is often a temporary).
inline RuleResult rule_named(const std::vector<RuleResult>& rules, const std::string& id) {
  for (const auto& r : rules)
    if (r.rule == id) return r;
  throw std::runtime_error("no rule " + id);
}

}  // namespace attnscope::testing_support
