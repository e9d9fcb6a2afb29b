#pragma once
// Starting attnscope-cli from a test as a user would (no shell: paths may hold any character), with
// stdout and stderr in files, and reading back what it wrote.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace attnscope::testing_support {

struct Result {
  int code = -1;
  std::string out, err;
  double seconds = 0;
};

inline std::string slurp(const std::string& f) {
  std::ifstream in(f, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the CLI with the given arguments (no shell: paths may hold any character).
inline pid_t spawn(const std::vector<std::string>& args, const std::string& out, const std::string& err) {
  std::vector<std::string> all{ATTNSCOPE_CLI_PATH};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

inline Result run_cli(const TempDir& dir, const std::vector<std::string>& args, const std::string& out_file = "") {
  const std::string out = out_file.empty() ? dir.file("stdout") : out_file, err = dir.file("stderr");
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = spawn(args, out, err);
  Result r;
  if (pid < 0) return r;
  int status = 0;
  waitpid(pid, &status, 0);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (out_file.empty()) r.out = slurp(out);  // never read back a device such as /dev/full (endless zeros)
  r.err = slurp(err);
  return r;
}

inline std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace attnscope::testing_support
