// Sharding on a GPU through the real CLI: two workers on cuda:0 (until a machine with two GPUs is at
// hand, the same coordinator, merge and resume as `--device all`). Their timings perturb each other, so
// this checks the plumbing (every item once, plan order, the GPU named on every record, a -9'd
// coordinator resumed measuring only what is missing), never the numbers.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <thread>

#include <cuda_runtime.h>

#include "attnscope/platform.hpp"
#include "attnscope/results.hpp"
#include "cli_process.hpp"
#include "cuda/primary_context.hpp"
#include "gpu_check.hpp"

using namespace attnscope;
using namespace attnscope::testing_support;
namespace fs = std::filesystem;

namespace {
std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

TEST(GpuShardedRun, TwoWorkersOnCuda0MergeInPlanOrderAndResumeAfterKillNine) {
  if (const auto& why = gputest::gpu_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
  TempDir dir;
  const std::string json = dir.file("r.json"), journal = json + ".journal.jsonl";
  const std::vector<int64_t> q_lens = {256, 512, 768, 1024, 1280, 1536, 1792, 2048};
  const std::vector<std::string> backends = {"naive", "flash2"};
  const std::vector<std::string> args = {"run", "--device", "cuda:0,cuda:0", "--seq", "256:2048:+256", "--head-dim",
                                         "64", "--dtype", "float16", "--backends", "naive,flash2", "--min-time",
                                         "0.2", "--json", json};
  const pid_t pid = spawn(args, dir.file("stdout"), dir.file("stderr"));
  ASSERT_GT(pid, 0);
  // Kill the coordinator once a few records are journaled; its workers go with it.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (count_of(slurp(journal), "\"type\":\"record\"") < 4 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(fs::exists(journal)) << slurp(dir.file("stderr"));
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the workers' PDEATHSIG
  const std::size_t kept = load_results(journal).records.size();
  ASSERT_GE(kept, 4u);

  const Result resumed = run_cli(dir, with(args, {"--resume"}));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  // The coordinator checks its own contexts as it starts the workers (GpuContexts below checks the check).
  EXPECT_EQ(resumed.err.find("holds a CUDA context"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find(std::to_string(kept) + " finished item(s) kept, " + std::to_string(16 - kept) + " to measure"),
            std::string::npos)
      << resumed.err;
  EXPECT_EQ(count_of(resumed.err, "/16] "), 16 - kept) << resumed.err;
  EXPECT_FALSE(fs::exists(journal));
  const ResultDocument doc = load_results(json);
  ASSERT_EQ(doc.records.size(), 16u);
  ASSERT_EQ(doc.devices.size(), 2u);
  for (std::size_t i = 0; i < doc.records.size(); ++i) {
    const Record& r = doc.records[i];
    EXPECT_EQ(r.problem.q_len, q_lens[i / 2]) << i;
    EXPECT_EQ(r.backend, backends[i % 2]) << i;
    EXPECT_EQ(r.device, "cuda:0") << i;
    EXPECT_EQ(r.status, Status::Ok) << i << ": " << r.message;
    if (r.accuracy) EXPECT_TRUE(r.accuracy->pass) << i;
    // NVML after each item: the memory clock, and (where NVML may list processes) how many others were on
    // the GPU — here at least the other worker, unless a container hides its pid.
    EXPECT_GT(r.memory_clock_mhz, 0) << i;
    if (!doc.environment.gpus_at_start.empty() && doc.environment.gpus_at_start[0].other_processes >= 0)
      EXPECT_TRUE(r.other_processes.has_value()) << i;
  }
  // The reproducibility facts of the run (NVML loaded at run time, CUDA and CUPTI versions).
  const RunEnvironment& e = doc.environment;
  EXPECT_TRUE(e.nvml_note.empty()) << e.nvml_note;
  EXPECT_FALSE(e.driver_version.empty());
  EXPECT_FALSE(e.cuda_runtime_version.empty());
  EXPECT_FALSE(e.cupti_version.empty());
  ASSERT_EQ(e.gpus_at_start.size(), 1u);  // one GPU, listed once for its two workers
  EXPECT_EQ(e.gpus_at_start[0].device, "cuda:0");
  EXPECT_GT(e.gpus_at_start[0].max_sm_clock_mhz, 0);
  EXPECT_GT(e.gpus_at_start[0].power_limit_w, 0);
  EXPECT_TRUE(e.gpus_at_start[0].persistence_mode.has_value());
  ASSERT_EQ(e.gpus_at_end.size(), 1u);
  EXPECT_EQ(e.flop_formula, Problem::flops_formula());
  std::cout << "[ info ] cuda:0 at the start: SM " << e.gpus_at_start[0].sm_clock_mhz << " MHz, memory "
            << e.gpus_at_start[0].memory_clock_mhz << " MHz, power limit " << e.gpus_at_start[0].power_limit_w
            << " W, other processes " << e.gpus_at_start[0].other_processes << "; driver " << e.driver_version
            << ", CUPTI " << e.cupti_version << std::endl;
}

// Device discovery (what every run, `devices` and a sharded run's coordinator do first) reads each GPU's
// memory without leaving a context there, and the check the coordinator relies on sees a context that
// exists. Alone in its process (ctest) nothing holds a context at the start; after other tests of the
// same process it compares with what they left, and leaves cuda:0 as it found it.
TEST(GpuContexts, DiscoveryLeavesNoContextAndAContextIsSeen) {
  const std::vector<std::string> before = platform::gpus_holding_context();
  const DeviceList list = discover_devices();
  int gpus = 0;
  for (const DeviceInfo& d : list.devices) gpus += d.kind == DeviceKind::Cuda;
  if (gpus == 0) GTEST_SKIP() << "no GPU: " << list.why_no_gpu;
  for (const DeviceInfo& d : list.devices)
    if (d.kind == DeviceKind::Cuda) EXPECT_GT(d.memory_free, 0u) << d.id << ": free memory read without a context";
  EXPECT_EQ(platform::gpus_holding_context(), before) << "discovery changed which GPUs hold a context";
  const bool had_one = cuda::primary_context_active(0).value_or(false);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
  ASSERT_EQ(cudaFree(nullptr), cudaSuccess);  // the runtime's context on cuda:0 (made now, or the one there)
  EXPECT_EQ(cuda::primary_context_active(0), std::optional<bool>(true));
  const std::vector<std::string> held = platform::gpus_holding_context();
  EXPECT_NE(std::find(held.begin(), held.end(), "cuda:0"), held.end());
  discover_devices();  // a context someone holds stays: discovery only drops the ones it made
  EXPECT_EQ(cuda::primary_context_active(0), std::optional<bool>(true));
  if (!had_one) {
    ASSERT_EQ(cudaDeviceReset(), cudaSuccess);
    EXPECT_EQ(cuda::primary_context_active(0), std::optional<bool>(false));
  }
}
