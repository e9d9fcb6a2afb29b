#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <ctime>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/file_output.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/json_reader.hpp"
#include "attnscope/protocol.hpp"
#include "attnscope/results.hpp"

namespace attnscope {

using nlohmann::json;

namespace {

// "libraries": {"cuDNN": "9.19.0"} of a record or an environment; empty when absent.
std::map<std::string, std::string> libraries_or_empty(const JsonReader& r) {
  std::map<std::string, std::string> out;
  if (!r.has("libraries")) return out;
  const json& l = r.at("libraries");
  if (!l.is_object()) bad_json(r.sub("libraries"), "expected an object of library → version");
  for (const auto& [name, version] : l.items()) {
    if (!version.is_string()) bad_json(r.sub("libraries") + "." + name, "expected a string");
    out[name] = version.get<std::string>();
  }
  return out;
}

json number_or_null(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

json to_json(const Summary& s) {
  return {{"n", s.n},           {"median", s.median}, {"min", s.min},       {"max", s.max},
          {"p10", s.p10},       {"p90", s.p90},       {"mean", s.mean},     {"stddev", s.stddev},
          {"ci_rel_halfwidth", s.ci_rel_halfwidth}};
}

Summary summary_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  Summary s;
  s.n = r.integer("n");
  s.median = r.number("median");
  s.min = r.number("min");
  s.max = r.number("max");
  s.p10 = r.number("p10");
  s.p90 = r.number("p90");
  s.mean = r.number("mean");
  s.stddev = r.number("stddev");
  s.ci_rel_halfwidth = r.has("ci_rel_halfwidth") ? r.number("ci_rel_halfwidth") : 0;
  return s;
}

RuleKind rule_kind_from(const std::string& s, const std::string& path) {
  for (RuleKind k : {RuleKind::Environment, RuleKind::Input, RuleKind::Memory})
    if (to_string(k) == s) return k;
  bad_json(path, "'" + s + "' is not one of environment, input, memory");
}

}  // namespace

// Every reader of a rule (result files, the worker's eligibility report) comes here: the id, its kind,
// whether it was met and the reason are required; the rest may be absent.
RuleResult rule_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  RuleResult x;
  x.rule = r.text("rule");
  x.kind = rule_kind_from(r.text("kind"), r.sub("kind"));
  x.field = r.text_or("field", "");
  x.observed = r.text_or("observed", "");
  x.required = r.text_or("required", "");
  x.met = r.boolean("met");
  x.reason = r.text("reason");
  x.hint = r.text_or("hint", "");
  return x;
}

namespace {

std::optional<uint64_t> opt_bytes(const JsonReader& r, const char* key) {
  if (!r.has(key)) return std::nullopt;
  return r.bytes(key);
}

json opt(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json to_json(const Problem& p) {
  json j = {{"batch", p.batch},   {"q_heads", p.q_heads},   {"kv_heads", p.kv_heads},
            {"q_len", p.q_len},   {"kv_len", p.kv_len},     {"head_dim", p.head_dim},
            {"dtype", to_string(p.dtype)}, {"causal", p.causal}, {"scale", p.softmax_scale()},
            {"scale_is_default", !p.scale.has_value()}};
  return j;
}

Problem problem_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  Problem p;
  p.batch = r.integer("batch");
  p.q_heads = r.integer("q_heads");
  p.kv_heads = r.integer("kv_heads");
  p.q_len = r.integer("q_len");
  p.kv_len = r.integer("kv_len");
  p.head_dim = r.integer("head_dim");
  const std::string dt = r.text("dtype");
  const auto t = parse_dtype(dt);
  if (!t) bad_json(r.sub("dtype"), "'" + dt + "' is not one of float32, float16, bfloat16");
  p.dtype = *t;
  p.causal = r.boolean("causal");
  const bool is_default = r.has("scale_is_default") && r.boolean("scale_is_default");
  if (r.has("scale") && !is_default) p.scale = r.number("scale");
  for (const auto& e : validate(p)) bad_json(r.sub(e.field.c_str()), e.message);
  return p;
}

json to_json(const DeviceInfo& d) {
  json j = {{"id", d.id},
          {"kind", to_string(d.kind)},
          {"name", d.name},
          {"compute_capability", d.is_gpu() ? json(std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)) : json(nullptr)},
          {"cc_major", d.cc_major},
          {"cc_minor", d.cc_minor},
          {"sm_count", d.sm_count},
          {"memory_total", d.memory_total},
          {"memory_free", d.memory_free},
          {"l2_bytes", d.l2_bytes},
          {"shared_memory_per_block", d.shared_memory_per_block},
          {"sm_clock_mhz", d.sm_clock_mhz},
          {"memory_clock_mhz", d.memory_clock_mhz},
          {"memory_bus_bits", d.memory_bus_bits},
          {"cpu_threads", d.cpu_threads},
          {"peak_tflops_fp32", d.peak_tflops_fp32},
          {"peak_tflops_tensor_fp16", d.peak_tflops_tensor_fp16},
          {"peak_tflops_tensor_bf16", d.peak_tflops_tensor_bf16},
          {"peak_bandwidth_gbs", d.peak_bandwidth_gbs},
          {"driver_version", d.driver_version},
          {"runtime_version", d.runtime_version},
          {"timer", d.timer},
          {"timer_note", d.timer_note}};
  if (!d.runtime_libraries.empty()) {
    json libs = json::array();
    for (const auto& l : d.runtime_libraries)
      libs.push_back({{"id", l.id}, {"name", l.name}, {"soname", l.soname}, {"found", l.found}, {"detail", l.detail},
                      {"without", l.without}, {"fix", l.fix}});
    j["runtime_libraries"] = std::move(libs);
  }
  return j;
}

DeviceInfo device_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  DeviceInfo d;
  d.id = r.text("id");
  const std::string kind = r.text("kind");
  if (kind == "cpu") d.kind = DeviceKind::Cpu;
  else if (kind == "cuda") d.kind = DeviceKind::Cuda;
  else if (kind == "profile") d.kind = DeviceKind::Profile;
  else bad_json(r.sub("kind"), "'" + kind + "' is not one of cpu, cuda, profile");
  d.name = r.text("name");
  auto int_or = [&](const char* k) { return r.has(k) ? r.int32(k) : 0; };
  auto num_or = [&](const char* k) { return r.has(k) ? r.number(k) : 0.0; };
  d.cc_major = int_or("cc_major");
  d.cc_minor = int_or("cc_minor");
  d.sm_count = int_or("sm_count");
  d.memory_total = r.has("memory_total") ? r.bytes("memory_total") : 0;
  d.memory_free = r.has("memory_free") ? r.bytes("memory_free") : 0;
  d.l2_bytes = r.has("l2_bytes") ? r.bytes("l2_bytes") : 0;
  d.shared_memory_per_block = r.has("shared_memory_per_block") ? r.bytes("shared_memory_per_block") : 0;
  d.sm_clock_mhz = int_or("sm_clock_mhz");
  d.memory_clock_mhz = int_or("memory_clock_mhz");
  d.memory_bus_bits = int_or("memory_bus_bits");
  d.cpu_threads = int_or("cpu_threads");
  d.peak_tflops_fp32 = num_or("peak_tflops_fp32");
  d.peak_tflops_tensor_fp16 = num_or("peak_tflops_tensor_fp16");
  d.peak_tflops_tensor_bf16 = num_or("peak_tflops_tensor_bf16");
  d.peak_bandwidth_gbs = num_or("peak_bandwidth_gbs");
  d.driver_version = r.text_or("driver_version", "");
  d.runtime_version = r.text_or("runtime_version", "");
  d.timer = r.text_or("timer", "");
  d.timer_note = r.text_or("timer_note", "");
  if (r.has("runtime_libraries")) {
    const json& a = r.array("runtime_libraries");
    for (std::size_t i = 0; i < a.size(); ++i) {
      JsonReader l(a[i], r.sub("runtime_libraries") + "[" + std::to_string(i) + "]");
      d.runtime_libraries.push_back({l.text("id"), l.text("name"), l.text("soname"), l.boolean("found"),
                                     l.text_or("detail", ""), l.text_or("without", ""), l.text_or("fix", "")});
    }
  }
  return d;
}

json to_json(const RuleResult& x) {
  return {{"rule", x.rule},         {"kind", to_string(x.kind)}, {"field", x.field}, {"observed", x.observed},
          {"required", x.required}, {"met", x.met},              {"reason", x.reason}, {"hint", x.hint}};
}

json to_json(const Record& r) {
  json j = {{"point", r.point},
            {"problem", to_json(r.problem)},
            {"backend", r.backend},
            {"device", r.device},
            {"status", to_string(r.status)},
            {"message", r.message},
            {"unmet", json::array()},
            {"flops", r.flops}};
  for (const auto& u : r.unmet) j["unmet"].push_back(to_json(u));
  if (!r.libraries.empty()) j["libraries"] = r.libraries;
  if (!r.variant.empty()) j["variant"] = r.variant;
  j["memory"] = {{"predicted_output", r.memory.predicted_output},
                 {"predicted_workspace", r.memory.predicted_workspace},
                 {"peak", opt(r.memory.peak)},
                 {"output", opt(r.memory.output)},
                 {"workspace", opt(r.memory.workspace)},
                 {"method", r.memory.method}};
  if (r.status == Status::Ok) {
    j["timer"] = r.timer;
    j["timer_note"] = r.timer_note;
    j["latency_us"] = to_json(r.latency_us);
    j["busy_us"] = r.busy_us ? to_json(*r.busy_us) : json(nullptr);
    j["samples_us"] = r.samples_us;
    j["kernels"] = r.kernels;
    j["converged"] = r.converged;
    j["sm_clock_mhz"] = r.sm_clock_mhz;
    if (r.memory_clock_mhz > 0) j["memory_clock_mhz"] = r.memory_clock_mhz;
    if (r.other_processes) j["other_processes"] = *r.other_processes;
    j["tflops"] = r.tflops;
    j["pct_of_peak"] = r.pct_of_peak;
    j["gbs"] = r.gbs;
    j["pct_of_bandwidth"] = r.pct_of_bandwidth;
    if (!r.phase_s.empty()) j["phase_s"] = r.phase_s;
  }
  if (r.accuracy) {
    const Accuracy& a = *r.accuracy;
    j["accuracy"] = {{"reference", a.reference},   {"rel_l2", number_or_null(a.rel_l2)},
                     {"max_abs", number_or_null(a.max_abs)}, {"tolerance", a.tolerance},
                     {"pass", a.pass},             {"heads_checked", a.heads_checked},
                     {"heads_total", a.heads_total}};
  }
  return j;
}

Record record_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  Record x;
  x.point = r.integer("point");
  x.problem = problem_from_json(r.at("problem"), r.sub("problem"));
  x.backend = r.text("backend");
  if (x.backend.empty()) bad_json(r.sub("backend"), "is empty");
  x.device = r.text("device");
  const std::string st = r.text("status");
  const auto s = parse_status(st);
  if (!s) bad_json(r.sub("status"), "'" + st + "' is not one of ok, ineligible, out-of-memory, error, cancelled");
  x.status = *s;
  x.message = r.text_or("message", "");
  if (r.has("unmet")) {
    const json& u = r.array("unmet");
    for (std::size_t i = 0; i < u.size(); ++i)
      x.unmet.push_back(rule_from_json(u[i], r.sub("unmet") + "[" + std::to_string(i) + "]"));
  }
  x.libraries = libraries_or_empty(r);
  x.variant = r.text_or("variant", "");
  x.flops = r.has("flops") ? r.number("flops") : x.problem.flops();
  if (r.has("memory")) {
    JsonReader m(r.at("memory"), r.sub("memory"));
    x.memory.predicted_output = m.has("predicted_output") ? m.bytes("predicted_output") : 0;
    x.memory.predicted_workspace = m.has("predicted_workspace") ? m.bytes("predicted_workspace") : 0;
    x.memory.peak = opt_bytes(m, "peak");
    x.memory.output = opt_bytes(m, "output");
    x.memory.workspace = opt_bytes(m, "workspace");
    x.memory.method = m.text_or("method", "");
  }
  if (x.status == Status::Ok) {
    x.timer = r.text("timer");
    x.timer_note = r.text_or("timer_note", "");
    x.latency_us = summary_from_json(r.at("latency_us"), r.sub("latency_us"));
    if (x.latency_us.n < 1 || !(x.latency_us.median > 0))
      bad_json(r.sub("latency_us"), "an ok record needs at least one sample and a positive median");
    if (r.has("busy_us")) x.busy_us = summary_from_json(r.at("busy_us"), r.sub("busy_us"));
    if (r.has("samples_us")) {
      const json& a = r.array("samples_us");
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_number()) bad_json(r.sub("samples_us") + "[" + std::to_string(i) + "]", "expected a number");
        x.samples_us.push_back(a[i].get<double>());
      }
    }
    if (r.has("kernels")) {
      const json& a = r.array("kernels");
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string()) bad_json(r.sub("kernels") + "[" + std::to_string(i) + "]", "expected a string");
        x.kernels.push_back(a[i].get<std::string>());
      }
    }
    x.converged = r.has("converged") ? r.boolean("converged") : true;
    x.sm_clock_mhz = r.has("sm_clock_mhz") ? r.number("sm_clock_mhz") : 0;
    x.memory_clock_mhz = r.has("memory_clock_mhz") ? r.number("memory_clock_mhz") : 0;
    if (r.has("other_processes")) x.other_processes = int(r.integer("other_processes"));
    x.tflops = r.has("tflops") ? r.number("tflops") : x.flops / (x.latency_us.median * 1e6);
    x.pct_of_peak = r.has("pct_of_peak") ? r.number("pct_of_peak") : 0;
    // Files written before these fields existed: the traffic follows from the problem and latency.
    x.gbs = r.has("gbs") ? r.number("gbs")
                         : (x.latency_us.median > 0 ? double(x.problem.bytes_moved()) / (x.latency_us.median * 1e3) : 0);
    x.pct_of_bandwidth = r.has("pct_of_bandwidth") ? r.number("pct_of_bandwidth") : 0;
    if (r.has("phase_s")) {
      const JsonReader phases(r.at("phase_s"), r.sub("phase_s"));  // an object of phase → seconds
      for (const auto& item : r.at("phase_s").items()) x.phase_s[item.key()] = phases.number(item.key().c_str());
    }
  }
  if (r.has("accuracy")) {
    JsonReader a(r.at("accuracy"), r.sub("accuracy"));
    Accuracy acc;
    acc.reference = a.text("reference");
    acc.rel_l2 = a.has("rel_l2") ? a.number("rel_l2") : std::numeric_limits<double>::infinity();
    acc.max_abs = a.has("max_abs") ? a.number("max_abs") : std::numeric_limits<double>::infinity();
    acc.tolerance = a.has("tolerance") ? a.number("tolerance") : 0;
    acc.pass = a.boolean("pass");
    acc.heads_checked = a.has("heads_checked") ? a.integer("heads_checked") : 0;
    acc.heads_total = a.has("heads_total") ? a.integer("heads_total") : 0;
    x.accuracy = acc;
  }
  return x;
}

json to_json(const ResultDocument& doc) {
  json j;
  j["schema_version"] = doc.schema_version;
  j["tool"] = "attnscope";
  j["tool_version"] = doc.tool_version;
  j["created_utc"] = doc.created_utc;
  j["host"] = {{"hostname", doc.host.hostname}, {"os", doc.host.os}, {"cpu", doc.host.cpu}};
  j["device"] = to_json(doc.device);
  if (!doc.devices.empty()) {
    j["devices"] = json::array();
    for (const auto& d : doc.devices) j["devices"].push_back(to_json(d));
  }
  const auto& s = doc.settings;
  j["settings"] = {{"argv", s.argv},           {"sweep", s.sweep},
                   {"backends", s.backends},   {"l2_mode", s.l2_mode},
                   {"seed", s.seed},           {"min_samples", s.min_samples},
                   {"min_time_s", s.min_time_s}, {"max_time_s", s.max_time_s},
                   {"noise_target", s.noise_target}};
  if (!doc.environment.empty()) j["environment"] = to_json(doc.environment);
  j["records"] = json::array();
  for (const auto& r : doc.records) j["records"].push_back(to_json(r));
  return j;
}

namespace {

RunSettingsInfo settings_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  RunSettingsInfo s;
  s.argv = r.texts_or_empty("argv");
  s.sweep = r.text_or("sweep", "");
  s.backends = r.texts_or_empty("backends");
  s.l2_mode = r.text_or("l2_mode", "cold");
  s.seed = r.has("seed") ? uint64_t(r.integer("seed")) : 0;
  s.min_samples = r.has("min_samples") ? r.integer("min_samples") : 0;
  s.min_time_s = r.has("min_time_s") ? r.number("min_time_s") : 0;
  s.max_time_s = r.has("max_time_s") ? r.number("max_time_s") : 0;
  s.noise_target = r.has("noise_target") ? r.number("noise_target") : 0;
  return s;
}

void check_schema(const JsonReader& r) {
  const int64_t v = r.integer("schema_version");
  if (v < kOldestSchemaVersion || v > kSchemaVersion)
    bad_json(r.sub("schema_version"), "is " + std::to_string(v) + "; this AttnScope reads versions " +
                                          std::to_string(kOldestSchemaVersion) + " to " + std::to_string(kSchemaVersion));
}
}  // namespace

json to_json(const RunEnvironment& e) {
  auto gpus = [](const std::vector<GpuState>& list) {
    json a = json::array();
    for (const GpuState& g : list) {
      json j = {{"device", g.device},
                {"uuid", g.uuid},
                {"sm_clock_mhz", g.sm_clock_mhz},
                {"memory_clock_mhz", g.memory_clock_mhz},
                {"max_sm_clock_mhz", g.max_sm_clock_mhz},
                {"max_memory_clock_mhz", g.max_memory_clock_mhz},
                {"power_limit_w", g.power_limit_w},
                {"persistence_mode", g.persistence_mode ? json(*g.persistence_mode) : json(nullptr)},
                {"other_processes", g.other_processes},
                {"processes", g.processes}};
      a.push_back(std::move(j));
    }
    return a;
  };
  return {{"driver_version", e.driver_version},
          {"cuda_driver_version", e.cuda_driver_version},
          {"cuda_runtime_version", e.cuda_runtime_version},
          {"cupti_version", e.cupti_version},
          {"nvml_version", e.nvml_version},
          {"nvml_note", e.nvml_note},
          {"gpus_at_start", gpus(e.gpus_at_start)},
          {"gpus_at_end", gpus(e.gpus_at_end)},
          {"libraries", e.libraries},
          {"flop_formula", e.flop_formula},
          {"byte_formula", e.byte_formula}};
}

RunEnvironment environment_from_json(const json& j, const std::string& path) {
  JsonReader r(j, path);
  RunEnvironment e;
  e.driver_version = r.text_or("driver_version", "");
  e.cuda_driver_version = r.text_or("cuda_driver_version", "");
  e.cuda_runtime_version = r.text_or("cuda_runtime_version", "");
  e.cupti_version = r.text_or("cupti_version", "");
  e.nvml_version = r.text_or("nvml_version", "");
  e.nvml_note = r.text_or("nvml_note", "");
  e.flop_formula = r.text_or("flop_formula", "");
  e.byte_formula = r.text_or("byte_formula", "");
  auto gpus = [&](const char* key) {
    std::vector<GpuState> out;
    if (!r.has(key)) return out;
    const json& a = r.array(key);
    for (std::size_t i = 0; i < a.size(); ++i) {
      JsonReader g(a[i], r.sub(key) + "[" + std::to_string(i) + "]");
      GpuState s;
      s.device = g.text_or("device", "");
      s.uuid = g.text_or("uuid", "");
      s.sm_clock_mhz = g.has("sm_clock_mhz") ? int(g.integer("sm_clock_mhz")) : 0;
      s.memory_clock_mhz = g.has("memory_clock_mhz") ? int(g.integer("memory_clock_mhz")) : 0;
      s.max_sm_clock_mhz = g.has("max_sm_clock_mhz") ? int(g.integer("max_sm_clock_mhz")) : 0;
      s.max_memory_clock_mhz = g.has("max_memory_clock_mhz") ? int(g.integer("max_memory_clock_mhz")) : 0;
      s.power_limit_w = g.has("power_limit_w") ? g.number("power_limit_w") : 0;
      if (g.has("persistence_mode") && !g.at("persistence_mode").is_null()) s.persistence_mode = g.boolean("persistence_mode");
      s.other_processes = g.has("other_processes") ? int(g.integer("other_processes")) : -1;
      s.processes = g.texts_or_empty("processes");
      out.push_back(std::move(s));
    }
    return out;
  };
  e.gpus_at_start = gpus("gpus_at_start");
  e.gpus_at_end = gpus("gpus_at_end");
  e.libraries = libraries_or_empty(r);
  return e;
}

ResultDocument document_from_json(const json& j) {
  JsonReader r(j, "");
  check_schema(r);
  ResultDocument doc;
  doc.tool_version = r.text_or("tool_version", "");
  doc.created_utc = r.text_or("created_utc", "");
  if (r.has("host")) {
    JsonReader h(r.at("host"), "host");
    doc.host = {h.text_or("hostname", ""), h.text_or("os", ""), h.text_or("cpu", "")};
  }
  doc.device = device_from_json(r.at("device"), "device");
  if (r.has("devices")) {
    const json& ds = r.array("devices");
    for (std::size_t i = 0; i < ds.size(); ++i) doc.devices.push_back(device_from_json(ds[i], "devices[" + std::to_string(i) + "]"));
  }
  if (r.has("settings")) doc.settings = settings_from_json(r.at("settings"), "settings");
  if (r.has("environment")) doc.environment = environment_from_json(r.at("environment"), "environment");
  const json& recs = r.array("records");
  if (recs.size() > JsonBounds::max_records)
    bad_json("records", "has " + std::to_string(recs.size()) + " records; at most " +
                       std::to_string(JsonBounds::max_records) + " are read");
  for (std::size_t i = 0; i < recs.size(); ++i)
    doc.records.push_back(record_from_json(recs[i], "records[" + std::to_string(i) + "]"));
  return doc;
}

void save_json(const ResultDocument& doc, const std::string& file) {
  write_file_atomically(file, to_json(doc).dump(1) + '\n', "");
}

namespace {
std::string read_all(const std::string& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > JsonBounds::max_file)
    throw FormatError(file + ": " + std::to_string(size >> 20) + " MiB; result files up to " +
                      std::to_string(JsonBounds::max_file >> 20) + " MiB are read");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw FormatError(file + ": cannot be opened");
  std::ostringstream s;
  s << in.rdbuf();
  if (s.str().size() > JsonBounds::max_file)  // a pipe or device has no size to check first
    throw FormatError(file + ": more than " + std::to_string(JsonBounds::max_file >> 20) + " MiB; not read");
  return s.str();
}

ResultDocument document_of(const std::string& text, const std::string& file) {
  const json j = parse_bounded_json(text, file);
  try {
    return document_from_json(j);
  } catch (const FormatError& e) {
    throw FormatError(file + ": " + e.what());
  }
}

// The first non-blank line's "type", when it is a JSON object with one: a JSON-lines stream.
std::optional<std::string> stream_type_of_first_line(const std::string& text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + begin, end - begin);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
      try {
        const json j = parse_bounded_json(line, "");
        if (j.is_object() && j.contains("type") && j.at("type").is_string()) return j.at("type").get<std::string>();
      } catch (const FormatError&) {
      }
      return std::nullopt;
    }
    begin = end + 1;
  }
  return std::nullopt;
}

ResultDocument stream_of(const std::string& text, const std::string& file) {
  ResultDocument doc;
  bool started = false, ended = false;
  int no = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    const bool last = end == std::string::npos || text.find_first_not_of(" \t\r\n", end) == std::string::npos;
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + begin, end - begin);
    begin = end + 1;
    ++no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = file + ":" + std::to_string(no);
    json j;
    try {
      j = parse_bounded_json(line, where);
    } catch (const FormatError& e) {
      // A run killed mid-write leaves its last line cut: keep every complete line before it.
      if (!last || !started) throw;
      doc.load_warnings.push_back(where + ": the last line is cut off after " + std::to_string(line.size()) +
                                  " bytes (the run was interrupted while writing it); loaded the " +
                                  std::to_string(doc.records.size()) + " complete record(s) before it");
      return doc;
    }
    try {
      // The worker protocol's reader (protocol.hpp): the stream is the worker's own output.
      WorkerMessage m = worker_message_from_json(j);
      if (auto* start = std::get_if<StartMessage>(&m)) {
        // Several runs appended to one file: each start line renews the header, the records add up.
        std::vector<Record> records = std::move(doc.records);
        std::vector<std::string> warnings = std::move(doc.load_warnings);
        doc = std::move(start->header);
        doc.records = std::move(records);
        doc.load_warnings = std::move(warnings);
        started = true;
      } else if (auto* rec = std::get_if<RecordMessage>(&m)) {
        if (!started) bad_json("type", "a record line comes before the start line");
        if (doc.records.size() >= JsonBounds::max_records)
          bad_json("record", "more than " + std::to_string(JsonBounds::max_records) + " records; the rest is not read");
        doc.records.push_back(std::move(rec->record));
      } else if (std::holds_alternative<EndMessage>(m)) {
        ended = true;
      }
    } catch (const FormatError& e) {
      throw FormatError(where + ": " + e.what());
    }
  }
  if (!ended)
    doc.load_warnings.push_back(file + ": the run did not finish (no end line); " + std::to_string(doc.records.size()) +
                                " record(s) were finished before it stopped");
  return doc;
}
}  // namespace

ResultDocument load_json(const std::string& file) { return document_of(read_all(file), file); }

ResultDocument load_results(const std::string& file) { return parse_results(read_all(file), file); }

ResultDocument parse_results(const std::string& text, const std::string& file) {
  if (text.size() > JsonBounds::max_file)
    throw FormatError(file + ": more than " + std::to_string(JsonBounds::max_file >> 20) + " MiB; not read");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) throw FormatError(file + ": is empty");
  // A JSON-lines stream starts with a {"type":"start"...} line; a document has "schema_version".
  const auto type = stream_type_of_first_line(text);
  if (!type) return document_of(text, file);
  if (*type != "start")
    throw FormatError(file + ": a JSON-lines stream without its start line (line 1 is a '" + *type +
                      "' line); the start line holds the device and settings, so the file cannot be read");
  return stream_of(text, file);
}

std::string now_utc_iso8601() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

HostInfo this_host() {
  HostInfo h;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0) h.hostname = name;
  utsname u{};
  if (uname(&u) == 0) h.os = std::string(u.sysname) + " " + u.release + " " + u.machine;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);)
    if (line.starts_with("model name")) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) h.cpu = line.substr(colon + 2);
      break;
    }
  return h;
}

}  // namespace attnscope
