// `attnscope-cli backends`: every registered backend for a problem or a sweep on one device (real or
// what-if), eligible or not, with every unmet rule — environment, input and memory problems kept
// apart — and what the user could switch to. A sweep is judged at its probes (eligibility_probes):
// every dtype × head dim at the smallest and largest lengths, all in one answer.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "attnscope/protocol.hpp"
#include "attnscope/registry.hpp"
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
  bool plans = false;  // list each eligible backend's variants (cuDNN's plans); --verbose implies it
  bool every_point = false;
};

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

void print_verdict(const Verdict& v, bool verbose) {
  const BackendInfo& info = v.info;
  const std::string tag = v.eligible() ? "[eligible]  " : "[ineligible]";
  std::cout << "  " << tag << " " << info.id << " — " << info.name << " (" << info.family << ", "
            << to_string(info.target) << ")\n";
  std::cout << "      memory: output " << format_bytes(v.memory.output_bytes) << ", workspace "
            << format_bytes(v.memory.workspace_bytes) << '\n';
  const auto unmet = v.unmet();
  for (RuleKind kind : {RuleKind::Environment, RuleKind::Input, RuleKind::Memory}) {
    for (const auto& r : unmet)
      if (r.kind == kind) print_rule(std::cout, r);
  }
  if (!v.eligible())
    std::cout << "      accepted by: " << (v.accepted_by.empty() ? "no backend" : join(v.accepted_by)) << '\n';
  if (!v.variants.empty())
    std::cout << "      plans (" << v.variants.size() << ", each measurable with `run --each-plan`): " << join(v.variants)
              << '\n';
  if (verbose) {
    std::cout << "      algorithm: " << info.algorithm << "\n      memory complexity: " << info.memory_complexity
              << "\n      shines: " << info.shines << '\n';
  }
}

int run_backends(const BackendsArgs& a) {
  const std::vector<Problem> points = expand(a.problem.sweep());
  EligibilityReport report;
  report.device = a.device.resolve(discover_devices());
  Registry reg;
  register_builtin_backends(reg);
  register_library_backends(reg);
  for (const Problem& p : a.every_point ? points : eligibility_probes(points))
    report.probes.push_back({p, reg.evaluate_all(p, report.device, a.plans || a.verbose)});

  if (a.json) {
    std::cout << json_pretty(to_json(report)) << std::endl;
    return kExitOk;
  }
  std::cout << "Device:  " << report.device.id << " — " << report.device.name << '\n';
  if (report.probes.size() > 1)
    std::cout << "Sweep:   " << points.size() << " point(s), judged at " << report.probes.size()
              << " probe(s)" << (a.every_point ? "\n" : ": every dtype × head dim at the smallest and largest lengths\n");
  for (const ProbeReport& probe : report.probes) {
    std::cout << "\nProblem: " << probe.problem.describe() << "\n\n";
    std::size_t eligible = 0;
    for (const auto& v : probe.verdicts) {
      print_verdict(v, a.verbose);
      eligible += v.eligible();
    }
    std::cout << '\n' << eligible << " of " << probe.verdicts.size() << " backends eligible";
    if (!probe.verdicts.empty() && !probe.verdicts.front().accepted_by.empty())
      std::cout << ": " << join(probe.verdicts.front().accepted_by);
    std::cout << '\n';
  }
  return kExitOk;
}

}  // namespace

Command add_backends_command(CLI::App& app) {
  auto* sub = app.add_subcommand("backends",
                                 "Every backend for a problem or sweep on a device or what-if profile: eligible or not, and why");
  auto args = std::make_shared<BackendsArgs>();
  args->problem.add_to(*sub);
  args->device.add_to(*sub, "to judge eligibility for");
  sub->add_flag("--json", args->json, "Print the verdicts at every probe as one JSON document (the worker protocol)");
  sub->add_flag("--verbose,-v", args->verbose,
                "Also print each backend's algorithm, memory complexity and strengths, and its plans (as --plans)");
  sub->add_flag("--plans", args->plans,
                "List the plans (variants) each eligible backend offers for the problem, e.g. every cuDNN engine that "
                "supports the graph; on a GPU this builds the default plan, so it takes longer");
  sub->add_flag("--every-point", args->every_point,
                "Judge every point of the sweep, not only its probes (the app's predicted memory against N for what-if profiles)");
  return [args] { return run_backends(*args); };
}

}  // namespace attnscope::cli
