#pragma once
// What the worker (attnscope-cli) says, turned into typed values. Three kinds of output are read here:
//   `devices --json`   → DeviceList
//   `backends … --json` → EligibilityReport (every backend with every rule, met or not)
//   `run … --stream`   → one WorkerMessage per JSON line (start / progress / record / end), the protocol
//                        documented in attnscope/results.hpp.
// Records, problems and devices are decoded by the engine's own readers (attnscope_core), so a file
// written by the CLI on another machine and a live stream are read by the same code.
// Every parse function throws attnscope::FormatError naming the JSON path that was wrong.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/device.hpp"
#include "attnscope/device.hpp"
#include "attnscope/problem.hpp"
#include "attnscope/record.hpp"
#include "attnscope/results.hpp"

namespace attnscope::gui {

// One backend as `attnscope-cli backends --json` describes it for one problem on one device.
struct BackendVerdict {
  BackendInfo info;
  bool eligible = false;
  std::vector<RuleResult> rules;  // every rule, met or not
  uint64_t memory_output = 0, memory_workspace = 0;
  std::vector<std::string> accepted_by;

  std::vector<RuleResult> unmet() const;
};

struct EligibilityReport {
  Problem problem;
  DeviceInfo device;
  std::vector<BackendVerdict> backends;
};

DeviceList parse_device_list(std::string_view json_text);
EligibilityReport parse_eligibility(std::string_view json_text);

struct StartMessage {
  ResultDocument header;  // version, device, settings; no records yet
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

// One line of `run --stream`. Throws FormatError for anything that is not one of the five messages.
WorkerMessage parse_worker_line(std::string_view line);

}  // namespace attnscope::gui
