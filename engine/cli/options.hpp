#pragma once
// Options shared by `backends` and `run`: the problem (problem_options.hpp) and the device.
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "attnscope/platform.hpp"
#include "attnscope/sweep.hpp"
#include "problem_options.hpp"

namespace attnscope::cli {

struct DeviceOptions {
  std::string device, profile;
  void add_to(CLI::App& app, const std::string& what, bool shardable = false);
  // --profile X ⇒ profile X; --device X ⇒ X; neither ⇒ the first GPU, else the CPU.
  DeviceInfo resolve(const DeviceList& list) const;
  // Every device a run is sharded over: "cuda:0,cuda:1" (a device listed twice gets two workers: a
  // test of the sharding, not a measurement), "all" (every GPU), or the one device resolve() gives.
  std::vector<DeviceInfo> resolve_all(const DeviceList& list) const;
};

// Adds to every option of every subcommand that takes a value a check that the value is not empty.
void reject_empty_values(CLI::App& app);

// "--head-dim" for "head_dim": how the user spells a field on this command line.
std::string option_for_field(const std::string& field);
// A field error as the user should read it: "--seq is 0; must be at least 1".
std::string describe_field_error(const FieldError& e);

}  // namespace attnscope::cli
