#pragma once
// Options shared by `backends` and `run`: the problem (with sweep syntax) and the device.
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "attnscope/platform.hpp"
#include "attnscope/sweep.hpp"

namespace attnscope::cli {

struct ProblemOptions {
  // Problem's defaults (problem.hpp): the one set of problem defaults, shared with the GUI.
  int64_t batch = Problem{}.batch, heads = Problem{}.q_heads, kv_heads = 0;
  std::string seq, q_len, kv_len, head_dim = std::to_string(Problem{}.head_dim),
                                  dtype = std::string(to_string(Problem{}.dtype));
  bool causal = false;
  double scale = 0;
  int64_t tokens = 0, hidden = 0;
  CLI::Option *kv_heads_opt = nullptr, *scale_opt = nullptr, *tokens_opt = nullptr, *hidden_opt = nullptr,
              *batch_opt = nullptr, *heads_opt = nullptr;

  void add_to(CLI::App& app);
  SweepSpec sweep() const;           // throws InvalidInput naming the field
  std::string describe() const;      // the options as typed, for the result file
  std::string swept_options() const; // "--q-len, --head-dim": the typed options giving several values
};

struct DeviceOptions {
  std::string device, profile;
  void add_to(CLI::App& app, const std::string& what, bool shardable = false);
  // --profile X ⇒ profile X; --device X ⇒ X; neither ⇒ the first GPU, else the CPU.
  DeviceInfo resolve(const DeviceList& list) const;
  // Every device a run is sharded over: "cuda:0,cuda:1" (a device listed twice gets two workers: a
  // test of the sharding, not a measurement), "all" (every GPU), or the one device resolve() gives.
  std::vector<DeviceInfo> resolve_all(const DeviceList& list) const;
};

// Throws InvalidInput for one field (CLI exit code 2).
[[noreturn]] inline void field_error(std::string field, std::string message) {
  throw InvalidInput({FieldError{std::move(field), std::move(message)}});
}

// Adds to every option of every subcommand that takes a value a check that the value is not empty.
void reject_empty_values(CLI::App& app);

// "--head-dim" for "head_dim": how the user spells a field on this command line.
std::string option_for_field(const std::string& field);
// A field error as the user should read it: "--seq is 0; must be at least 1".
std::string describe_field_error(const FieldError& e);

}  // namespace attnscope::cli
