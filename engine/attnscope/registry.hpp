#pragma once
// All backends, and the eligibility verdict for a problem on a device.
#include <memory>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"

namespace attnscope {

// A backend's verdict for one problem on one device. It carries the backend's identity by value, so the
// worker can send it and the GUI read it back as the same type (protocol.hpp).
struct Verdict {
  BackendInfo info;
  std::vector<RuleResult> rules;         // every rule (backend rules + memory fit), met or not
  MemoryPrediction memory;
  std::vector<std::string> accepted_by;  // ids of the backends that are eligible for this problem
  // The variants an eligible backend offers for this problem on this device (cuDNN's plan names), each
  // measurable as its own series with `run --each-plan`. Filled only when asked (listing may build
  // plans on the GPU), empty otherwise.
  std::vector<std::string> variants;
  bool eligible() const;
  std::vector<RuleResult> unmet() const;
};

class Registry {
 public:
  void add(std::unique_ptr<Backend> b);  // ids must be unique (throws std::invalid_argument)
  const std::vector<std::unique_ptr<Backend>>& backends() const { return backends_; }
  const Backend* find(std::string_view id) const;

  // Rules of one backend plus the registry's memory-fit rule: inputs + predicted output + workspace
  // must fit in the device's free memory (kind Memory, hint: the largest length that would fit).
  Verdict evaluate(const Backend& b, const Problem& p, const DeviceInfo& d) const;
  // Every backend, in registration order, with accepted_by filled (and variants, when asked).
  std::vector<Verdict> evaluate_all(const Problem& p, const DeviceInfo& d, bool with_variants = false) const;

 private:
  std::vector<std::unique_ptr<Backend>> backends_;
};

// Every backend built into this binary (defined in kernels/builtin.cpp).
void register_builtin_backends(Registry& r);
// The Python libraries' backends (kernels/python_libs): starts the embedded interpreter on first use;
// without one, a single row says why (docs/python-backends.md).
void register_library_backends(Registry& r);
// The id of that single row, which stands in for every library backend (the app reads its rule "python").
inline constexpr const char* kNoPythonBackendId = "python-libraries";

}  // namespace attnscope
