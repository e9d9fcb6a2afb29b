// The worker protocol's writers and readers (attnscope/protocol.hpp). Problems, devices, rules and
// records are written and read by the result-file code (results_json.cpp), so a live stream and a
// file written on another machine go through the same functions.
#include "attnscope/protocol.hpp"

#include <limits>
#include <nlohmann/json.hpp>

#include "attnscope/json_input.hpp"

namespace attnscope {

using nlohmann::json;

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what) { throw FormatError(path + ": " + what); }

// Bounded (json_input.hpp): the worker's output is read like any file from outside.
json parse_text(std::string_view text, const std::string& what) { return parse_bounded_json(text, what); }

const json& member(const json& j, const char* key, const std::string& path) {
  if (!j.is_object()) bad(path, "expected an object");
  auto it = j.find(key);
  if (it == j.end()) bad(path + "." + key, "missing");
  return *it;
}

const json& array_member(const json& j, const char* key, const std::string& path) {
  const json& a = member(j, key, path);
  if (!a.is_array()) bad(path + "." + key, "expected an array");
  return a;
}

std::string text_of(const json& j, const char* key, const std::string& path, bool required = true) {
  if (!j.contains(key) || j.at(key).is_null()) {
    if (required) bad(path + "." + key, "missing");
    return {};
  }
  const json& v = j.at(key);
  if (!v.is_string()) bad(path + "." + key, "expected a string, found " + describe_json_value(v));
  return v.get<std::string>();
}

std::vector<std::string> texts_of(const json& j, const char* key, const std::string& path) {
  const json& list = array_member(j, key, path);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string())
      bad(path + "." + key + "[" + std::to_string(i) + "]", "expected a string, found " + describe_json_value(list[i]));
    out.push_back(list[i].get<std::string>());
  }
  return out;
}

int64_t int_of(const json& j, const char* key, const std::string& path, std::optional<int64_t> fallback = {}) {
  if (!j.contains(key)) {
    if (fallback) return *fallback;
    bad(path + "." + key, "missing");
  }
  const json& v = j.at(key);
  // Only integers that fit: a double such as 1e300 would be undefined behaviour to convert.
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())))
    bad(path + "." + key, "expected an integer, found " + describe_json_value(v));
  return v.get<int64_t>();
}

bool bool_of(const json& j, const char* key, const std::string& path, std::optional<bool> fallback = {}) {
  if (!j.contains(key)) {
    if (fallback) return *fallback;
    bad(path + "." + key, "missing");
  }
  const json& v = j.at(key);
  if (!v.is_boolean()) bad(path + "." + key, "expected true or false, found " + describe_json_value(v));
  return v.get<bool>();
}

// A document or start line from another protocol version: name both, and what to do.
void check_protocol(const json& j, const std::string& what, bool required) {
  if (!j.contains("protocol_version")) {
    if (required)
      bad(what + ".protocol_version", "missing; this AttnScope speaks worker protocol version " +
                                          std::to_string(kProtocolVersion) +
                                          " (is the worker attnscope-cli from an older build?)");
    return;
  }
  const int64_t v = int_of(j, "protocol_version", what);
  if (v != kProtocolVersion)
    bad(what + ".protocol_version", "is " + std::to_string(v) + "; this AttnScope speaks worker protocol version " +
                                        std::to_string(kProtocolVersion) +
                                        " — use the attnscope-cli of the same build as the app");
}

void check_type(const json& j, const char* type, const std::string& what) {
  const std::string got = text_of(j, "type", what);
  if (got != type) bad(what + ".type", "'" + got + "' where a '" + type + "' document was expected");
}

Target target_of(const std::string& s, const std::string& path) {
  if (s == to_string(Target::Cpu)) return Target::Cpu;
  if (s == to_string(Target::Cuda)) return Target::Cuda;
  bad(path, "'" + s + "' is not one of cpu, cuda");
}

json to_json(const Verdict& v) {
  const BackendInfo& info = v.info;
  json rules = json::array();
  for (const auto& r : v.rules) rules.push_back(to_json(r));
  json j = {{"id", info.id},
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
  if (!v.variants.empty()) j["variants"] = v.variants;
  return j;
}

Verdict verdict_from_json(const json& j, const std::string& path) {
  Verdict v;
  v.info.id = text_of(j, "id", path);
  v.info.name = text_of(j, "name", path, false);
  if (v.info.name.empty()) v.info.name = v.info.id;
  v.info.family = text_of(j, "family", path, false);
  v.info.target = target_of(text_of(j, "target", path), path + ".target");
  v.info.algorithm = text_of(j, "algorithm", path, false);
  v.info.memory_complexity = text_of(j, "memory_complexity", path, false);
  v.info.shines = text_of(j, "shines", path, false);
  const json& rules = array_member(j, "rules", path);
  for (std::size_t i = 0; i < rules.size(); ++i)
    v.rules.push_back(rule_from_json(rules[i], path + ".rules[" + std::to_string(i) + "]"));
  // "eligible" is what the rules say; a document that disagrees with itself is not read.
  if (bool_of(j, "eligible", path) != v.eligible())
    bad(path + ".eligible", "disagrees with the rules (every rule met ⇔ eligible)");
  if (j.contains("memory")) {
    const json& m = j.at("memory");
    v.memory.output_bytes = static_cast<uint64_t>(int_of(m, "output", path + ".memory", 0));
    v.memory.workspace_bytes = static_cast<uint64_t>(int_of(m, "workspace", path + ".memory", 0));
  }
  if (j.contains("accepted_by")) v.accepted_by = texts_of(j, "accepted_by", path);
  if (j.contains("variants")) v.variants = texts_of(j, "variants", path);
  return v;
}

struct Writer {
  json operator()(const StartMessage& m) const {
    // A result document's header without its records (the stream is a result file too).
    json j = to_json(m.header);
    j.erase("records");
    j.erase("tool");
    j["type"] = "start";
    j["protocol_version"] = kProtocolVersion;
    j["total"] = m.total;
    j["start_at"] = m.start_at;
    return j;
  }
  json operator()(const ProgressMessage& m) const {
    json j = {{"type", "progress"}, {"done", m.done}, {"total", m.total},      {"item", m.item},
              {"point", m.point},   {"backend", m.backend}, {"elapsed_s", m.elapsed_s}};
    if (m.problem) j["problem"] = to_json(*m.problem);
    return j;
  }
  json operator()(const RecordMessage& m) const {
    return {{"type", "record"}, {"item", m.item}, {"record", to_json(m.record)}};
  }
  json operator()(const EndMessage& m) const {
    return {{"type", "end"}, {"done", m.done}, {"total", m.total}, {"cancelled", m.cancelled}};
  }
  json operator()(const LogMessage& m) const { return {{"type", "log"}, {"level", m.level}, {"message", m.message}}; }
};

}  // namespace

json to_json(const WorkerMessage& m) { return std::visit(Writer{}, m); }

std::string to_line(const WorkerMessage& m) {
  // Replacement, not an exception, for invalid UTF-8 from a library's message: the line must go out.
  return to_json(m).dump(-1, ' ', false, json::error_handler_t::replace);
}

WorkerMessage worker_message_from_json(const json& j) {
  const std::string type = text_of(j, "type", "line");
  if (type == "start") {
    check_protocol(j, "start", false);
    StartMessage m;
    m.total = int_of(j, "total", "start", 0);
    m.start_at = int_of(j, "start_at", "start", 0);
    // The start line carries a result document's header: read it with the document reader.
    json header = j;
    header.erase("type");
    header["records"] = json::array();
    m.header = document_from_json(header);
    return m;
  }
  if (type == "progress") {
    ProgressMessage m;  // informational: a file's hand-trimmed progress lines still read
    m.done = int_of(j, "done", "progress", 0);
    m.total = int_of(j, "total", "progress", 0);
    m.item = int_of(j, "item", "progress", 0);
    m.point = int_of(j, "point", "progress", 0);
    m.backend = text_of(j, "backend", "progress", false);
    if (j.contains("problem")) m.problem = problem_from_json(j.at("problem"), "progress.problem");
    if (j.contains("elapsed_s") && j.at("elapsed_s").is_number()) m.elapsed_s = j.at("elapsed_s").get<double>();
    return m;
  }
  if (type == "record") {
    RecordMessage m;
    m.item = int_of(j, "item", "record", 0);  // absent in hand-written files; the worker always sends it
    m.record = record_from_json(member(j, "record", "record"), "record");
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
  bad("line.type", "'" + type + "' is not one of start, progress, record, end, log");
}

WorkerMessage parse_worker_line(std::string_view line) {
  return worker_message_from_json(parse_text(line, "worker line"));
}

json to_json(const EligibilityReport& r) {
  json probes = json::array();
  for (const ProbeReport& p : r.probes) {
    json backends = json::array();
    for (const Verdict& v : p.verdicts) backends.push_back(to_json(v));
    probes.push_back({{"problem", to_json(p.problem)}, {"backends", backends}});
  }
  return {{"type", "eligibility"}, {"protocol_version", kProtocolVersion}, {"device", to_json(r.device)},
          {"probes", probes}};
}

EligibilityReport parse_eligibility_report(std::string_view text) {
  const json j = parse_text(text, "backends");
  check_type(j, "eligibility", "backends");
  check_protocol(j, "backends", true);
  EligibilityReport out;
  out.device = device_from_json(member(j, "device", "backends"), "backends.device");
  const json& probes = array_member(j, "probes", "backends");
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const std::string path = "backends.probes[" + std::to_string(i) + "]";
    ProbeReport p;
    p.problem = problem_from_json(member(probes[i], "problem", path), path + ".problem");
    const json& list = array_member(probes[i], "backends", path);
    for (std::size_t k = 0; k < list.size(); ++k)
      p.verdicts.push_back(verdict_from_json(list[k], path + ".backends[" + std::to_string(k) + "]"));
    out.probes.push_back(std::move(p));
  }
  return out;
}

json to_json(const DeviceReport& r) {
  json devices = json::array();
  for (const auto& d : r.list.devices) devices.push_back(to_json(d));
  return {{"type", "devices"},
          {"protocol_version", kProtocolVersion},
          {"devices", devices},
          {"why_no_gpu", r.list.why_no_gpu},
          {"built_with_cuda", r.built_with_cuda},
          {"libraries", r.list.libraries}};
}

DeviceReport parse_device_report(std::string_view text) {
  const json j = parse_text(text, "devices");
  check_type(j, "devices", "devices");
  check_protocol(j, "devices", true);
  DeviceReport out;
  const json& devices = array_member(j, "devices", "devices");
  for (std::size_t i = 0; i < devices.size(); ++i)
    out.list.devices.push_back(device_from_json(devices[i], "devices.devices[" + std::to_string(i) + "]"));
  out.list.why_no_gpu = text_of(j, "why_no_gpu", "devices", false);
  out.built_with_cuda = bool_of(j, "built_with_cuda", "devices", false);
  // The libraries the worker's backends run on (cuDNN, cudnn-frontend, ...); older workers send none.
  if (const auto it = j.find("libraries"); it != j.end()) {
    if (!it->is_object()) bad("devices.libraries", "expected an object of library → version");
    for (const auto& [name, version] : it->items()) {
      if (!version.is_string()) bad("devices.libraries." + name, "expected a version string");
      out.list.libraries[name] = version.get<std::string>();
    }
  }
  return out;
}

}  // namespace attnscope
