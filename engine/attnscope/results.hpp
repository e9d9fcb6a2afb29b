#pragma once
// Result documents: JSON (whole run), CSV (one row per record), JSON lines (streamed while running).
// The JSON-lines stream is the worker protocol's `run --stream` output (protocol.hpp), read back here
// by the protocol's own reader.
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attnscope/device.hpp"
#include "attnscope/environment.hpp"
#include "attnscope/record.hpp"

namespace attnscope {

// 2: the run's environment, a sharded run's devices, records' memory clock and other processes.
inline constexpr int kSchemaVersion = 2;
inline constexpr int kOldestSchemaVersion = 1;  // still read: the fields 2 added are optional

struct HostInfo {
  std::string hostname, os, cpu;
};

struct RunSettingsInfo {       // what the run was asked to do, as the user typed it
  std::vector<std::string> argv;
  std::string sweep;           // human description of the sweep
  std::vector<std::string> backends;
  std::string l2_mode = "cold";
  uint64_t seed = 0;
  int64_t min_samples = 0;
  double min_time_s = 0, max_time_s = 0, noise_target = 0;
};

struct ResultDocument {
  int schema_version = kSchemaVersion;
  std::string tool_version;
  std::string created_utc;  // ISO 8601
  HostInfo host;
  DeviceInfo device;               // the device of the run (the first, when it was sharded)
  std::vector<DeviceInfo> devices; // every device a sharded run used, one worker each; empty otherwise
  RunSettingsInfo settings;
  RunEnvironment environment;  // clocks, versions, sharing, formulas (environment.hpp); empty in older files
  std::vector<Record> records;
  // Not saved: what a reader should know about how this document was read (a stream cut off
  // mid-line, a run that never finished). Shown by the app next to the loaded file.
  std::vector<std::string> load_warnings;
};

// Malformed input: what() names the JSON path and what was wrong ("records[3].status: 'okk' is not
// one of ok, ineligible, out-of-memory, error, cancelled").
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

nlohmann::json to_json(const Problem& p);
Problem problem_from_json(const nlohmann::json& j, const std::string& path);
nlohmann::json to_json(const DeviceInfo& d);
DeviceInfo device_from_json(const nlohmann::json& j, const std::string& path);
nlohmann::json to_json(const RuleResult& r);
RuleResult rule_from_json(const nlohmann::json& j, const std::string& path);  // rule, kind, met, reason required
nlohmann::json to_json(const Record& r);
Record record_from_json(const nlohmann::json& j, const std::string& path);
nlohmann::json to_json(const RunEnvironment& e);
RunEnvironment environment_from_json(const nlohmann::json& j, const std::string& path);
nlohmann::json to_json(const ResultDocument& doc);
ResultDocument document_from_json(const nlohmann::json& j);  // validates; throws FormatError

void save_json(const ResultDocument& doc, const std::string& file);   // throws std::runtime_error
ResultDocument load_json(const std::string& file);                    // throws FormatError
// Accepts a JSON document or a JSON-lines stream (start/record/end lines) as written by --stream.
ResultDocument load_results(const std::string& file);
// The same from text already in memory; `file` names it in messages. (The fuzz target's entry.)
ResultDocument parse_results(const std::string& text, const std::string& file);

void write_csv(const std::vector<Record>& records, std::ostream& out);  // header + one row per record
void save_csv(const std::vector<Record>& records, const std::string& file);

std::string now_utc_iso8601();
HostInfo this_host();

}  // namespace attnscope
