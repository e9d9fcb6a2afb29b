// The worker protocol's writers and readers (attnscope/protocol.hpp). Problems, devices, rules and
// records are written and read by the result-file code (results_json.cpp), so a live stream and a
// file written on another machine go through the same functions.
#include "attnscope/protocol.hpp"

#include <nlohmann/json.hpp>

#include "attnscope/json_input.hpp"
#include "attnscope/json_reader.hpp"

namespace attnscope {

using nlohmann::json;

namespace {

// Bounded (json_input.hpp): the worker's output is read like any file from outside.
json parse_text(std::string_view text, const std::string& what) { return parse_bounded_json(text, what); }

// A document or start line from another protocol version: name both, and what to do.
void check_protocol(const JsonReader& r, const std::string& what, bool required) {
  if (!r.has("protocol_version")) {
    if (required)
      bad_json(what + ".protocol_version", "missing; this AttnScope speaks worker protocol version " +
                                          std::to_string(kProtocolVersion) +
                                          " (is the worker attnscope-cli from an older build?)");
    return;
  }
  const int64_t v = r.integer("protocol_version");
  if (v < kOldestProtocolVersion || v > kProtocolVersion)
    bad_json(what + ".protocol_version", "is " + std::to_string(v) + "; this AttnScope speaks worker protocol version " +
                                             std::to_string(kProtocolVersion) + " (and reads " +
                                             std::to_string(kOldestProtocolVersion) +
                                             ") — use the attnscope-cli of the same build as the app");
}

void check_type(const JsonReader& r, const char* type, const std::string& what) {
  const std::string got = r.text("type");
  if (got != type) bad_json(what + ".type", "'" + got + "' where a '" + type + "' document was expected");
}

Target target_of(const std::string& s, const std::string& path) {
  if (s == to_string(Target::Cpu)) return Target::Cpu;
  if (s == to_string(Target::Cuda)) return Target::Cuda;
  bad_json(path, "'" + s + "' is not one of cpu, cuda");
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
  const JsonReader r(j, path);
  Verdict v;
  v.info.id = r.text("id");
  v.info.name = r.text_or("name", v.info.id);
  v.info.family = r.text_or("family", "");
  v.info.target = target_of(r.text("target"), r.sub("target"));
  v.info.algorithm = r.text_or("algorithm", "");
  v.info.memory_complexity = r.text_or("memory_complexity", "");
  v.info.shines = r.text_or("shines", "");
  const json& rules = r.array("rules");
  for (std::size_t i = 0; i < rules.size(); ++i)
    v.rules.push_back(rule_from_json(rules[i], r.sub("rules") + "[" + std::to_string(i) + "]"));
  // "eligible" is what the rules say; a document that disagrees with itself is not read.
  if (r.boolean("eligible") != v.eligible())
    bad_json(r.sub("eligible"), "disagrees with the rules (every rule met ⇔ eligible)");
  if (r.has("memory")) {
    const JsonReader m(r.at("memory"), r.sub("memory"));
    v.memory.output_bytes = m.has("output") ? m.bytes("output") : 0;
    v.memory.workspace_bytes = m.has("workspace") ? m.bytes("workspace") : 0;
  }
  v.accepted_by = r.texts_or_empty("accepted_by");
  v.variants = r.texts_or_empty("variants");
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
  const std::string type = JsonReader(j, "line").text("type");
  if (type == "start") {
    const JsonReader r(j, "start");
    check_protocol(r, "start", false);
    StartMessage m;
    m.total = r.integer_or("total", 0);
    m.start_at = r.integer_or("start_at", 0);
    // The start line carries a result document's header: read it with the document reader.
    json header = j;
    header.erase("type");
    header["records"] = json::array();
    m.header = document_from_json(header);
    return m;
  }
  if (type == "progress") {
    const JsonReader r(j, "progress");
    ProgressMessage m;  // informational: a file's hand-trimmed progress lines still read
    m.done = r.integer_or("done", 0);
    m.total = r.integer_or("total", 0);
    m.item = r.integer_or("item", 0);
    m.point = r.integer_or("point", 0);
    m.backend = r.text_or("backend", "");
    if (r.has("problem")) m.problem = problem_from_json(r.at("problem"), r.sub("problem"));
    if (r.has("elapsed_s") && r.at("elapsed_s").is_number()) m.elapsed_s = r.number("elapsed_s");
    return m;
  }
  if (type == "record") {
    const JsonReader r(j, "record");
    RecordMessage m;
    m.item = r.integer_or("item", 0);  // absent in hand-written files; the worker always sends it
    m.record = record_from_json(r.at("record"), "record");
    return m;
  }
  if (type == "end") {
    const JsonReader r(j, "end");
    EndMessage m;
    m.done = r.integer_or("done", 0);
    m.total = r.integer_or("total", 0);
    m.cancelled = r.boolean_or("cancelled", false);
    return m;
  }
  if (type == "log") {
    const JsonReader r(j, "log");
    return LogMessage{r.text_or("level", ""), r.text_or("message", "")};
  }
  bad_json("line.type", "'" + type + "' is not one of start, progress, record, end, log");
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
  const JsonReader r(j, "backends");
  check_type(r, "eligibility", "backends");
  check_protocol(r, "backends", true);
  EligibilityReport out;
  out.device = device_from_json(r.at("device"), r.sub("device"));
  const json& probes = r.array("probes");
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const std::string path = "backends.probes[" + std::to_string(i) + "]";
    const JsonReader probe(probes[i], path);
    ProbeReport p;
    p.problem = problem_from_json(probe.at("problem"), probe.sub("problem"));
    const json& list = probe.array("backends");
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
  const JsonReader r(j, "devices");
  check_type(r, "devices", "devices");
  check_protocol(r, "devices", true);
  DeviceReport out;
  const json& devices = r.array("devices");
  for (std::size_t i = 0; i < devices.size(); ++i)
    out.list.devices.push_back(device_from_json(devices[i], "devices.devices[" + std::to_string(i) + "]"));
  out.list.why_no_gpu = r.text_or("why_no_gpu", "");
  out.built_with_cuda = r.boolean_or("built_with_cuda", false);
  // The libraries the worker's backends run on (cuDNN, cudnn-frontend, ...); older workers send none.
  if (const auto it = j.find("libraries"); it != j.end()) {
    if (!it->is_object()) bad_json("devices.libraries", "expected an object of library → version");
    for (const auto& [name, version] : it->items()) {
      if (!version.is_string()) bad_json("devices.libraries." + name, "expected a version string");
      out.list.libraries[name] = version.get<std::string>();
    }
  }
  return out;
}

}  // namespace attnscope
