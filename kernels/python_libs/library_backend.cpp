// Library backends (PyTorch SDPA, xFormers operators, FlashAttention 2/3/4, FlashInfer, triton-flash):
// one C++ backend class whose identity, rules and runs come from the Python bridge beside this file
// (attnscope_libs/). The engine treats them like any other backend; docs/python-backends.md says how
// Python is hosted, how tensors are shared and how memory is counted.
#include <cstdint>
#include <memory>

#include "attnscope/build_info.hpp"
#include "attnscope/python_host.hpp"
#include "attnscope/registry.hpp"
#include "attnscope/results.hpp"
#include "attnscope/rules.hpp"

namespace attnscope {
namespace {

using nlohmann::json;

RuleKind kind_of(const std::string& k) {
  return k == "memory" ? RuleKind::Memory : k == "input" ? RuleKind::Input : RuleKind::Environment;
}

RuleResult unmet_rule(const json& r) {
  RuleResult x;
  x.rule = r.value("rule", "library");
  x.kind = kind_of(r.value("kind", "environment"));
  x.field = r.value("field", "");
  x.observed = r.value("observed", "");
  x.required = r.value("required", "");
  x.met = false;
  x.reason = r.value("reason", "");
  x.hint = r.value("hint", "");
  return x;
}

RuleResult environment_rule(std::string rule, std::string reason, std::string hint) {
  return unmet_rule({{"rule", std::move(rule)}, {"kind", "environment"}, {"field", "device"},
                     {"reason", std::move(reason)}, {"hint", std::move(hint)}});
}

// The device ordinal of "cuda:N"; -1 (the current device) for anything else.
int ordinal_of(const DeviceInfo& d) {
  const auto colon = d.id.find(':');
  if (d.kind != DeviceKind::Cuda || colon == std::string::npos) return -1;
  try {
    return std::stoi(d.id.substr(colon + 1));
  } catch (const std::exception&) {
    return -1;
  }
}

class LibraryBackend : public Backend {
 public:
  explicit LibraryBackend(const json& listing) {
    info_.id = listing.at("id").get<std::string>();
    info_.name = listing.value("name", info_.id);
    info_.family = listing.value("family", "library");
    info_.target = Target::Cuda;
    info_.algorithm = listing.value("algorithm", "");
    info_.memory_complexity = listing.value("memory_complexity", "");
    info_.shines = listing.value("shines", "");
    library_ = listing.value("library", "the library");
    quadratic_ = listing.value("memory_model", "linear") == "quadratic";
    for (const auto& r : listing.value("environment", json::array())) environment_.push_back(unmet_rule(r));
    // A named copy: items() of the temporary that value() returns would dangle inside the loop.
    const json versions = listing.value("versions", json::object());
    for (const auto& [name, version] : versions.items()) versions_[name] = version.get<std::string>();
  }

  const BackendInfo& info() const override { return info_; }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    // The libraries drive the GPU through the same NVIDIA driver as ours.
    std::vector<RuleResult> rules =
        RuleSet(p, d).target(Target::Cuda).built_with_cuda(build::with_cuda()).runtime_library("cuda-driver").take();
    rules.insert(rules.end(), environment_.begin(), environment_.end());
    if (d.kind == DeviceKind::Profile) {
      rules.push_back(environment_rule(
          "library_verdict", library_ + " decides eligibility on the GPU it runs on; a what-if profile has none to ask",
          "run `attnscope-cli backends` on a machine with that GPU for " + library_ + "'s own verdict"));
      return rules;
    }
    const bool can_ask = d.kind == DeviceKind::Cuda && build::with_cuda() && environment_.empty();
    if (!can_ask) return rules;
    try {
      const json answer = python::call("check", {{"id", info_.id}, {"problem", to_json(p)}, {"device", ordinal_of(d)}});
      bool any_unmet = false;
      for (const auto& r : answer) {
        rules.push_back(unmet_rule(r));
        rules.back().met = r.value("met", false);  // met: what the library would pick, for the reader
        any_unmet |= !rules.back().met;
      }
      if (!any_unmet) {
        RuleResult ok;
        ok.rule = "library_verdict";
        ok.kind = RuleKind::Input;
        ok.field = "problem";
        ok.met = true;
        ok.reason = library_ + " accepts this problem on " + d.id;
        rules.push_back(ok);
      }
    } catch (const python::PythonError& e) {
      rules.push_back(environment_rule("library_verdict", library_ + "'s eligibility check failed: " + e.what(),
                                       "see the worker's stderr for the Python traceback"));
    }
    return rules;
  }

  // Ours: O. The library's: its own O (copied into ours after the memory pass) and LSE, or for the math
  // path the scores and probabilities in dtype.
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    MemoryPrediction m;
    m.output_bytes = p.output_bytes();
    m.workspace_bytes = p.output_bytes() + p.lse_bytes();
    if (quadratic_)
      m.workspace_bytes += 2 * uint64_t(p.batch * p.q_heads) * uint64_t(p.q_len) * uint64_t(p.kv_len) * size_of(p.dtype);
    return m;
  }

  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    python::call("run", {{"id", info_.id},
                         {"problem", to_json(p)},
                         {"q", reinterpret_cast<std::uintptr_t>(t.q)},
                         {"k", reinterpret_cast<std::uintptr_t>(t.k)},
                         {"v", reinterpret_cast<std::uintptr_t>(t.v)},
                         {"stream", reinterpret_cast<std::uintptr_t>(ctx.stream())},
                         {"device", -1}});
  }

  void publish_output(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    python::call("publish", {{"id", info_.id},
                             {"problem", to_json(p)},
                             {"o", reinterpret_cast<std::uintptr_t>(t.o)},
                             {"stream", reinterpret_cast<std::uintptr_t>(ctx.stream())},
                             {"device", -1}});
  }

  std::optional<uint64_t> library_peak_bytes() const override {
    const json peak = python::call("peak", {{"id", info_.id}});
    if (!peak.is_number()) return std::nullopt;
    return peak.get<uint64_t>();
  }

  void release_library_memory() const override {
    try {
      python::call("release", {{"id", info_.id}});
    } catch (const python::PythonError&) {
      // Nothing to give back, or the library is gone with a broken context: the next item says so.
    }
  }

  std::map<std::string, std::string> library_versions() const override { return versions_; }

 private:
  BackendInfo info_;
  std::string library_;
  bool quadratic_ = false;
  std::vector<RuleResult> environment_;
  std::map<std::string, std::string> versions_;
};

// Without an interpreter the bridge cannot list the libraries' backends: one row says why and how to fix.
class NoPythonBackend : public Backend {
 public:
  explicit NoPythonBackend(const python::HostStatus& st) {
    info_.id = kNoPythonBackendId;
    info_.name = "Library backends (PyTorch SDPA, xFormers, FlashAttention, FlashInfer, triton-flash)";
    info_.family = "library";
    info_.target = Target::Cuda;
    info_.algorithm = "The attention libraries people deploy, measured by AttnScope's own timer; they are Python "
                      "packages, hosted in the worker by an embedded interpreter (docs/python-backends.md).";
    info_.memory_complexity = "per library";
    info_.shines = "comparing our kernels with the libraries in one table";
    rule_ = environment_rule("python", st.problem, st.hint);
  }
  const BackendInfo& info() const override { return info_; }
  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    std::vector<RuleResult> rules = RuleSet(p, d).target(Target::Cuda).runtime_library("cuda-driver").take();
    rules.push_back(rule_);
    return rules;
  }
  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override { return {p.output_bytes(), 0}; }
  void run(const Problem&, const Tensors&, ExecContext&) const override {
    throw std::runtime_error(rule_.reason);
  }

 private:
  BackendInfo info_;
  RuleResult rule_;
};

}  // namespace

void register_library_backends(Registry& r) {
  const python::HostStatus& st = python::host_status();
  if (!st.ready) {
    r.add(std::make_unique<NoPythonBackend>(st));
    return;
  }
  json listing;
  try {
    listing = python::call("list");
  } catch (const python::PythonError& e) {
    python::HostStatus failed = st;
    failed.problem = std::string("the Python bridge could not list the libraries: ") + e.what();
    failed.hint = "see the worker's stderr";
    r.add(std::make_unique<NoPythonBackend>(failed));
    return;
  }
  for (const auto& b : listing) r.add(std::make_unique<LibraryBackend>(b));
}

}  // namespace attnscope
