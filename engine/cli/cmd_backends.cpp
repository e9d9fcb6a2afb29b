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
#include "python_libs/library_dispatch.hpp"

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

// The libraries' own choice for a probe, verbatim: one line per library, then the library's own lines
// (e.g. xFormers' reason per operator under "No operator found").
void print_dispatch(const nlohmann::json& d) {
  if (const auto note = d.value("note", std::string()); !note.empty()) {
    std::cout << "Libraries' own choice: not asked (" << note << ")\n";
    return;
  }
  if (d.at("libraries").empty()) return;
  std::cout << "Libraries' own choice:\n";
  for (const auto& lib : d.at("libraries")) {
    std::string text = lib.value("text", std::string());  // xFormers' error spans lines: one per operator
    const std::string indented = "\n      ";
    for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + indented.size()))
      text.replace(at, 1, indented);
    std::cout << "  " << lib.value("library", std::string()) << ' ' << lib.value("version", std::string()) << ": "
              << text << '\n';
    for (const auto& line : lib.value("lines", nlohmann::json::array()))
      if (line.is_string() && !line.get<std::string>().empty()) std::cout << "      " << line.get<std::string>() << '\n';
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

  // What the libraries themselves would do with each probe (PyTorch's SDPA pick, xFormers' operator or its
  // "No operator found" text), asked once per probe; on the CPU or a what-if profile the note says why not.
  std::vector<nlohmann::json> dispatch;
  for (const ProbeReport& probe : report.probes) dispatch.push_back(library_dispatch(probe.problem, report.device));

  if (a.json) {
    nlohmann::json out = to_json(report);
    for (std::size_t i = 0; i < dispatch.size(); ++i) out["probes"][i]["dispatch"] = dispatch[i];
    std::cout << json_pretty(out) << std::endl;
    return kExitOk;
  }
  std::cout << "Device:  " << report.device.id << " — " << report.device.name << '\n';
  if (report.probes.size() > 1)
    std::cout << "Sweep:   " << points.size() << " point(s), judged at " << report.probes.size()
              << " probe(s)" << (a.every_point ? "\n" : ": every dtype × head dim at the smallest and largest lengths\n");
  for (std::size_t i = 0; i < report.probes.size(); ++i) {
    const ProbeReport& probe = report.probes[i];
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
    print_dispatch(dispatch[i]);
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
