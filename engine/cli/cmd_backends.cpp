// `attnscope-cli backends`: every registered backend for one problem on one device (real or what-if),
// eligible or not, with every unmet rule — environment, input and memory problems kept apart — and
// what the user could switch to.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "attnscope/registry.hpp"
#include "attnscope/results.hpp"
#include "attnscope/rules.hpp"
#include "commands.hpp"
#include "format.hpp"
#include "options.hpp"

namespace attnscope::cli {
namespace {

struct BackendsArgs {
  ProblemOptions problem;
  DeviceOptions device;
  bool json = false;
  bool verbose = false;
};

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

nlohmann::json verdict_json(const Verdict& v) {
  const BackendInfo& info = v.backend->info();
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& r : v.rules) rules.push_back(to_json(r));
  return {{"id", info.id},
          {"name", info.name},
          {"family", info.family},
          {"target", std::string(to_string(info.target))},
          {"algorithm", info.algorithm},
          {"memory_complexity", info.memory_complexity},
          {"shines", info.shines},
          {"eligible", v.eligible()},
          {"rules", rules},
          {"memory", {{"output", v.memory.output_bytes}, {"workspace", v.memory.workspace_bytes}}},
          {"accepted_by", v.accepted_by}};
}

void print_verdict(const Verdict& v, bool verbose) {
  const BackendInfo& info = v.backend->info();
  const std::string tag = v.eligible() ? "[eligible]  " : "[ineligible]";
  std::cout << "  " << tag << " " << info.id << " — " << info.name << " (" << info.family << ", "
            << to_string(info.target) << ")\n";
  std::cout << "      memory: output " << format_bytes(v.memory.output_bytes) << ", workspace "
            << format_bytes(v.memory.workspace_bytes) << '\n';
  const auto unmet = v.unmet();
  for (RuleKind kind : {RuleKind::Environment, RuleKind::Input, RuleKind::Memory}) {
    for (const auto& r : unmet) {
      if (r.kind != kind) continue;
      std::cout << "      " << to_string(kind) << ": " << r.reason << '\n';
      if (!r.hint.empty()) std::cout << "          fix: " << r.hint << '\n';
    }
  }
  if (!v.eligible())
    std::cout << "      accepted by: " << (v.accepted_by.empty() ? "no backend" : join(v.accepted_by)) << '\n';
  if (verbose) {
    std::cout << "      algorithm: " << info.algorithm << "\n      memory complexity: " << info.memory_complexity
              << "\n      shines: " << info.shines << '\n';
  }
}

int run_backends(const BackendsArgs& a) {
  const SweepSpec spec = a.problem.sweep();
  if (const uint64_t n = count_points(spec); n != 1)  // counted, not expanded: a huge sweep costs nothing
    field_error(a.problem.swept_options(), "backends explains one problem; the options give " + std::to_string(n) +
                                               " points — give single values, or use `run` for sweeps");
  const std::vector<Problem> points = expand(spec);
  const Problem& p = points.front();
  const DeviceInfo device = a.device.resolve(discover_devices());
  Registry reg;
  register_builtin_backends(reg);
  const std::vector<Verdict> verdicts = reg.evaluate_all(p, device);

  if (a.json) {
    nlohmann::json j{{"problem", to_json(p)}, {"device", to_json(device)}, {"backends", nlohmann::json::array()}};
    for (const auto& v : verdicts) j["backends"].push_back(verdict_json(v));
    std::cout << json_pretty(j) << std::endl;
    return kExitOk;
  }
  std::cout << "Problem: " << p.describe() << "\nDevice:  " << device.id << " — " << device.name << "\n\n";
  std::size_t eligible = 0;
  for (const auto& v : verdicts) {
    print_verdict(v, a.verbose);
    eligible += v.eligible();
  }
  std::cout << '\n' << eligible << " of " << verdicts.size() << " backends eligible";
  if (!verdicts.empty() && !verdicts.front().accepted_by.empty())
    std::cout << ": " << join(verdicts.front().accepted_by);
  std::cout << '\n';
  return kExitOk;
}

}  // namespace

Command add_backends_command(CLI::App& app) {
  auto* sub = app.add_subcommand("backends",
                                 "Every backend for a problem on a device or what-if profile: eligible or not, and why");
  auto args = std::make_shared<BackendsArgs>();
  args->problem.add_to(*sub);
  args->device.add_to(*sub, "to judge eligibility for");
  sub->add_flag("--json", args->json, "Print the verdicts as JSON");
  sub->add_flag("--verbose,-v", args->verbose, "Also print each backend's algorithm, memory complexity and strengths");
  return [args] { return run_backends(*args); };
}

}  // namespace attnscope::cli
