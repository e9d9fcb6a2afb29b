// Every built-in backend, judged together: hints that send the user to another backend must send them
// somewhere that passes the same device rule, and every unmet rule must say what would pass.
#include <gtest/gtest.h>

#include "attnscope/registry.hpp"

using namespace attnscope;

namespace {

Registry builtin() {
  Registry r;
  register_builtin_backends(r);
  return r;
}

std::vector<Problem> sample_problems() {
  std::vector<Problem> out;
  for (DType t : all_dtypes())
    for (int64_t d : {16, 64, 80, 128})
      for (int64_t q : {1, 4096}) {
        Problem p;
        p.dtype = t;
        p.head_dim = d;
        p.q_len = q;
        p.kv_len = 4096;
        p.q_heads = 32;
        p.kv_heads = 8;
        out.push_back(p);
      }
  return out;
}

}  // namespace

TEST(BuiltinHints, DeviceFallbacksNameBackendsThatPassTheSameDeviceRule) {
  const Registry reg = builtin();
  for (const auto& profile : what_if_profiles())
    for (const Problem& p : sample_problems())
      for (const auto& b : reg.backends())
        for (const auto& r : b->check(p, profile)) {
          if (r.met || r.rule != "compute_capability") continue;
          for (const auto& other : reg.backends()) {
            const std::string& id = other->info().id;
            // Match whole ids only ("mem-efficient" must not match inside "mem-efficient-fma").
            for (auto pos = r.hint.find(id); pos != std::string::npos; pos = r.hint.find(id, pos + 1)) {
              const auto end = pos + id.size();
              if (end < r.hint.size() && (std::isalnum(static_cast<unsigned char>(r.hint[end])) || r.hint[end] == '-'))
                continue;
              for (const auto& o : other->check(p, profile))
                EXPECT_FALSE(o.rule == "compute_capability" && !o.met)
                    << b->info().id << " on " << profile.id << " suggests " << id << ", which also needs a newer GPU";
            }
          }
        }
}

TEST(BuiltinHints, EveryUnmetRuleSaysWhatWouldPass) {
  const Registry reg = builtin();
  for (const auto& profile : what_if_profiles())
    for (const Problem& p : sample_problems())
      for (const auto& v : reg.evaluate_all(p, profile))
        for (const auto& r : v.unmet()) {
          EXPECT_FALSE(r.reason.empty()) << v.info.id << " " << r.rule;
          EXPECT_FALSE(r.hint.empty()) << v.info.id << " " << r.rule << ": " << r.reason;
          EXPECT_FALSE(r.observed.empty()) << v.info.id << " " << r.rule;
          EXPECT_FALSE(r.required.empty()) << v.info.id << " " << r.rule;
        }
}

TEST(BuiltinHints, TeachingTextIsThereForEveryBackend) {
  const Registry reg = builtin();
  ASSERT_GE(reg.backends().size(), 8u);
  for (const auto& b : reg.backends()) {
    const BackendInfo& i = b->info();
    EXPECT_GT(i.algorithm.size(), 80u) << i.id;
    EXPECT_FALSE(i.memory_complexity.empty()) << i.id;
    EXPECT_FALSE(i.shines.empty()) << i.id;
  }
}
