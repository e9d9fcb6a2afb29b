#pragma once
// The worker protocol: every message attnscope-cli writes for whoever started it (the GUI, a script, a
// result file), each with one writer and one reader, here in the core so the CLI, the GUI and the
// result-file loader speak it through the same code.
//
//   `run --stream`, one JSON line each (the stream is also a result file, results.hpp):
//     {"type":"start", "protocol_version":3, "schema_version":2, "tool_version":..., "device":{...},
//      "devices":[...] (sharded), "settings":{...}, "environment":{...}, "total":N, "start_at":K}
//     {"type":"progress", "done":k, "total":N, "item":i, "point":p, "backend":"id", "problem":{...}, "elapsed_s":t}
//     {"type":"record", "item":i, "record":{...}}
//     {"type":"end", "done":k, "total":N, "cancelled":false}
//     {"type":"log", "level":"warning", "message":"..."}   (diagnostics; readers show or skip them)
//   `backends --json` (one document): {"type":"eligibility", "protocol_version":3, "device":{...},
//      "probes":[{"problem":{...}, "backends":[{id, name, ..., "eligible", "rules":[...], "memory", "accepted_by"}]}]}
//   `devices --json` (one document): {"type":"devices", "protocol_version":3, "devices":[...],
//      "why_no_gpu":"...", "built_with_cuda":true}
//
// "item" is the index in the run plan (points × backends, point-major); a restarted worker is given
// --start-at ITEM to carry on after the item it died on. A reader checks protocol_version and names
// both versions when they differ (a start line without one is a result file of an earlier AttnScope,
// read by its schema_version as before). Every reader throws FormatError naming the JSON path.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attnscope/device.hpp"
#include "attnscope/record.hpp"
#include "attnscope/registry.hpp"
#include "attnscope/results.hpp"

namespace attnscope {

// 2: `backends` answers every probe of a sweep in one document; documents say which message they are.
// 3: start lines carry the run's environment (environment.hpp) and a sharded run's devices; records
//    their memory clock and the other processes on the GPU; a resumed stream repeats the kept records;
//    `run --items-from-stdin` (a shard worker). Version 2 is still read: 3 only adds optional fields.
inline constexpr int kProtocolVersion = 3;
inline constexpr int kOldestProtocolVersion = 2;

struct StartMessage {
  ResultDocument header;  // version, host, device, settings; no records
  int64_t total = 0;
  int64_t start_at = 0;
};
struct ProgressMessage {
  int64_t done = 0, total = 0, item = 0, point = 0;
  std::string backend;
  std::optional<Problem> problem;
  double elapsed_s = 0;
};
struct RecordMessage {
  int64_t item = 0;
  Record record;
};
struct EndMessage {
  int64_t done = 0, total = 0;
  bool cancelled = false;
};
// A diagnostic the worker wants shown (warnings such as a timer fallback).
struct LogMessage {
  std::string level, message;
};
using WorkerMessage = std::variant<StartMessage, ProgressMessage, RecordMessage, EndMessage, LogMessage>;

nlohmann::json to_json(const WorkerMessage& m);
WorkerMessage worker_message_from_json(const nlohmann::json& j);  // throws FormatError
std::string to_line(const WorkerMessage& m);                       // one JSON line, no newline
WorkerMessage parse_worker_line(std::string_view line);            // throws FormatError

// `backends`: every backend's verdict at every probe of the sweep (eligibility_probes, sweep.hpp).
struct ProbeReport {
  Problem problem;
  std::vector<Verdict> verdicts;
};
struct EligibilityReport {
  DeviceInfo device;
  std::vector<ProbeReport> probes;
};
nlohmann::json to_json(const EligibilityReport& r);
EligibilityReport parse_eligibility_report(std::string_view text);  // throws FormatError

// `devices`: the device list, and whether this worker was built with CUDA.
struct DeviceReport {
  DeviceList list;
  bool built_with_cuda = false;
};
nlohmann::json to_json(const DeviceReport& r);
DeviceReport parse_device_report(std::string_view text);  // throws FormatError

}  // namespace attnscope
