// A GPU sweep where one backend runs out of device memory, one faults (illegal address, which ends
// the worker) and one hangs (a kernel that never returns): each failure lands on its own point and
// every other point is measured. The sweep runs in the real attnscope-cli with the test-only failing
// backends (attnscope/test_faults.hpp, enabled by ATTNSCOPE_TEST_FAULT_BACKENDS=1 for the child only);
// this test plays the supervisor a user or a script would be: a watchdog kills a worker whose journal
// stops growing, and `--resume` carries on from the journal until the run exits 0.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "attnscope/results.hpp"
#include "attnscope/test_faults.hpp"
#include "gpu_check.hpp"
#include "temp_dir.hpp"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& f) {
  std::ifstream in(f, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the CLI once; kills it (SIGKILL, as a hung kernel ignores SIGTERM) when its journal has not
// grown for stall_s. Returns the exit code, or -SIGKILL when the watchdog fired.
int run_watched(std::vector<std::string> args, const std::string& journal, const std::string& log, double stall_s) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  env_store.push_back(std::string(kTestFaultBackendsEnv) + "=1");
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1000;
  std::uintmax_t last_size = 0;
  auto last_growth = std::chrono::steady_clock::now();
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    std::error_code ec;
    const std::uintmax_t size = fs::exists(journal, ec) ? fs::file_size(journal, ec) : 0;
    if (size != last_size) {
      last_size = size;
      last_growth = std::chrono::steady_clock::now();
    } else if (std::chrono::duration<double>(std::chrono::steady_clock::now() - last_growth).count() > stall_s) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -SIGKILL;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

TEST(GpuFaultSweep, OutOfMemoryAFaultAndAHangEachLandOnTheirPointAndTheRestIsMeasured) {
  ATTNSCOPE_REQUIRE_GPU();
  testing_support::TempDir dir("attnscope_fault_sweep");
  const std::string json = dir.file("r.json"), journal = json + ".journal.jsonl", log = dir.file("log");
  const std::vector<std::string> base = {ATTNSCOPE_CLI_PATH, "run", "--device", "cuda:0", "--seq", "128,256",
                                         "--head-dim", "64", "--dtype", "float16", "--heads", "4",
                                         "--backends", "naive,test-oom,test-fault,test-hang",
                                         "--min-samples", "3", "--min-time", "0", "--max-time", "0.5",
                                         "--json", json};
  // Per point: the fault ends one worker, the hang ends two (retried once, then recorded): 1 + 3 + 3.
  int code = -1, runs = 0;
  for (; runs < 10 && code != 0; ++runs) {
    std::vector<std::string> args = base;
    if (fs::exists(journal)) args.push_back("--resume");
    code = run_watched(args, journal, log, 15.0);
  }
  ASSERT_EQ(code, 0) << "after " << runs << " runs; log:\n" << slurp(log);
  const ResultDocument doc = load_results(json);
  ASSERT_EQ(doc.records.size(), 8u) << slurp(log);
  for (const Record& r : doc.records) {
    const std::string what = r.backend + " q_len " + std::to_string(r.problem.q_len) + ": " + r.message;
    if (r.backend == "naive") {
      EXPECT_EQ(r.status, Status::Ok) << what;
      EXPECT_GT(r.latency_us.median, 0) << what;
    } else if (r.backend == "test-oom") {
      EXPECT_EQ(r.status, Status::OutOfMemory) << what;
    } else if (r.backend == "test-fault") {
      EXPECT_EQ(r.status, Status::Error) << what;
      EXPECT_NE(r.message.find("illegal"), std::string::npos) << what;
    } else {
      EXPECT_EQ(r.backend, "test-hang");
      EXPECT_EQ(r.status, Status::Error) << what;
      EXPECT_NE(r.message.find("stopped 2 times"), std::string::npos) << what;
    }
  }
  EXPECT_EQ(doc.records[0].problem.q_len, 128);
  EXPECT_EQ(doc.records[7].problem.q_len, 256);
  EXPECT_FALSE(fs::exists(journal));
}

}  // namespace
}  // namespace attnscope
