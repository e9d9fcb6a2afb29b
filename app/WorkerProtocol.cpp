#include "WorkerProtocol.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "attnscope/json_input.hpp"


namespace attnscope::gui {
namespace {

using nlohmann::json;

json parse_text(std::string_view text, const char* what) { return parse_bounded_json(text, what); }

const json& member(const json& j, const char* key, const std::string& path) {
  if (!j.is_object()) throw FormatError(path + ": expected an object");
  auto it = j.find(key);
  if (it == j.end()) throw FormatError(path + "." + key + ": missing");
  return *it;
}

std::string text_of(const json& j, const char* key, const std::string& path, bool required = true) {
  if (!j.contains(key)) {
    if (required) throw FormatError(path + "." + key + ": missing");
    return {};
  }
  const json& v = j.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  if (v.is_number() || v.is_boolean()) return v.dump();  // e.g. "observed": 32
  throw FormatError(path + "." + key + ": expected a string");
}

int64_t int_of(const json& j, const char* key, const std::string& path, std::optional<int64_t> fallback = {}) {
  if (!j.contains(key)) {
    if (fallback) return *fallback;
    throw FormatError(path + "." + key + ": missing");
  }
  const json& v = j.at(key);
  // Only integers that fit: a double such as 1e300 would be undefined behaviour to convert.
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())))
    throw FormatError(path + "." + key + ": expected an integer, found " + describe_json_value(v));
  return v.get<int64_t>();
}

bool bool_of(const json& j, const char* key, const std::string& path, std::optional<bool> fallback = {}) {
  if (!j.contains(key)) {
    if (fallback) return *fallback;
    throw FormatError(path + "." + key + ": missing");
  }
  const json& v = j.at(key);
  if (!v.is_boolean()) throw FormatError(path + "." + key + ": expected true or false, found " + describe_json_value(v));
  return v.get<bool>();
}

RuleKind rule_kind_of(const std::string& s, const std::string& path) {
  for (RuleKind k : {RuleKind::Environment, RuleKind::Input, RuleKind::Memory})
    if (to_string(k) == s) return k;
  throw FormatError(path + ": '" + s + "' is not one of environment, input, memory");
}

RuleResult rule_of(const json& j, const std::string& path) {
  RuleResult r;
  r.rule = text_of(j, "rule", path);
  r.kind = rule_kind_of(text_of(j, "kind", path), path + ".kind");
  r.field = text_of(j, "field", path, false);
  r.observed = text_of(j, "observed", path, false);
  r.required = text_of(j, "required", path, false);
  r.met = bool_of(j, "met", path);
  r.reason = text_of(j, "reason", path, false);
  r.hint = text_of(j, "hint", path, false);
  return r;
}

Target target_of(const std::string& s, const std::string& path) {
  if (s == to_string(Target::Cpu)) return Target::Cpu;
  if (s == to_string(Target::Cuda)) return Target::Cuda;
  throw FormatError(path + ": '" + s + "' is not one of cpu, cuda");
}

BackendVerdict verdict_of(const json& j, const std::string& path) {
  BackendVerdict v;
  v.info.id = text_of(j, "id", path);
  v.info.name = text_of(j, "name", path, false);
  if (v.info.name.empty()) v.info.name = v.info.id;
  v.info.family = text_of(j, "family", path, false);
  v.info.target = target_of(text_of(j, "target", path), path + ".target");
  v.info.algorithm = text_of(j, "algorithm", path, false);
  v.info.memory_complexity = text_of(j, "memory_complexity", path, false);
  v.info.shines = text_of(j, "shines", path, false);
  v.eligible = bool_of(j, "eligible", path);
  const json& rules = member(j, "rules", path);
  if (!rules.is_array()) throw FormatError(path + ".rules: expected an array");
  for (std::size_t i = 0; i < rules.size(); ++i)
    v.rules.push_back(rule_of(rules[i], path + ".rules[" + std::to_string(i) + "]"));
  if (j.contains("memory")) {
    const json& m = j.at("memory");
    v.memory_output = static_cast<uint64_t>(int_of(m, "output", path + ".memory", 0));
    v.memory_workspace = static_cast<uint64_t>(int_of(m, "workspace", path + ".memory", 0));
  }
  if (j.contains("accepted_by") && j.at("accepted_by").is_array())
    for (const json& id : j.at("accepted_by"))
      if (id.is_string()) v.accepted_by.push_back(id.get<std::string>());
  return v;
}

}  // namespace

std::vector<RuleResult> BackendVerdict::unmet() const {
  std::vector<RuleResult> out;
  for (const RuleResult& r : rules)
    if (!r.met) out.push_back(r);
  return out;
}

DeviceList parse_device_list(std::string_view json_text) {
  const json j = parse_text(json_text, "devices");
  const json& devices = member(j, "devices", "devices");
  if (!devices.is_array()) throw FormatError("devices.devices: expected an array");
  DeviceList out;
  for (std::size_t i = 0; i < devices.size(); ++i)
    out.devices.push_back(device_from_json(devices[i], "devices[" + std::to_string(i) + "]"));
  out.why_no_gpu = text_of(j, "why_no_gpu", "devices", false);
  if (const auto it = j.find("libraries"); it != j.end() && it->is_object())
    for (const auto& [name, version] : it->items())
      if (version.is_string()) out.libraries[name] = version.get<std::string>();
  return out;
}

EligibilityReport parse_eligibility(std::string_view json_text) {
  const json j = parse_text(json_text, "backends");
  EligibilityReport out;
  out.problem = problem_from_json(member(j, "problem", "backends"), "problem");
  out.device = device_from_json(member(j, "device", "backends"), "device");
  const json& list = member(j, "backends", "backends");
  if (!list.is_array()) throw FormatError("backends.backends: expected an array");
  for (std::size_t i = 0; i < list.size(); ++i)
    out.backends.push_back(verdict_of(list[i], "backends[" + std::to_string(i) + "]"));
  return out;
}

WorkerMessage parse_worker_line(std::string_view line) {
  const json j = parse_text(line, "worker line");
  const std::string type = text_of(j, "type", "line");
  if (type == "start") {
    StartMessage m;
    m.total = int_of(j, "total", "start");
    m.start_at = int_of(j, "start_at", "start", 0);
    // The start line carries a result document's header: read it with the engine's document reader.
    json header = j;
    header.erase("type");
    header["records"] = json::array();
    m.header = document_from_json(header);
    return m;
  }
  if (type == "progress") {
    ProgressMessage m;
    m.done = int_of(j, "done", "progress");
    m.total = int_of(j, "total", "progress");
    m.item = int_of(j, "item", "progress");
    m.point = int_of(j, "point", "progress", 0);
    m.backend = text_of(j, "backend", "progress", false);
    if (j.contains("problem")) m.problem = problem_from_json(j.at("problem"), "progress.problem");
    if (j.contains("elapsed_s") && j.at("elapsed_s").is_number()) m.elapsed_s = j.at("elapsed_s").get<double>();
    return m;
  }
  if (type == "record") {
    RecordMessage m;
    m.item = int_of(j, "item", "record");
    m.record = record_from_json(member(j, "record", "record"), "record.record");
    return m;
  }
  if (type == "end") {
    EndMessage m;
    m.done = int_of(j, "done", "end", 0);
    m.total = int_of(j, "total", "end", 0);
    m.cancelled = bool_of(j, "cancelled", "end", false);
    return m;
  }
  if (type == "log") return LogMessage{text_of(j, "level", "log", false), text_of(j, "message", "log", false)};
  throw FormatError("line.type: '" + type + "' is not one of start, progress, record, end, log");
}

}  // namespace attnscope::gui
