#pragma once
// attnscope-cli's subcommands. Each registers its options on a CLI11 subcommand and returns a function
// that runs it after parsing and yields the process exit code.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace attnscope::cli {

// Exit codes, as documented in --help.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // runtime failure (cannot write a file, device error, ...)
inline constexpr int kExitUsage = 2;     // bad usage or input
inline constexpr int kExitCancelled = 130;

using Command = std::function<int()>;

Command add_devices_command(CLI::App& app);
Command add_backends_command(CLI::App& app);
Command add_run_command(CLI::App& app, const std::vector<std::string>& argv);
Command add_bandwidth_command(CLI::App& app);  // cmd_bandwidth.cpp (split-kv-decode's denominator)
Command add_remove_run_command(CLI::App& app);  // cmd_remove_run.cpp (the app's remote-host clean-up)

}  // namespace attnscope::cli
