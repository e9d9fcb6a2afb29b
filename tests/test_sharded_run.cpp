// `run --device A,B` shards one sweep over one worker process per device (engine/cli/shards.hpp). On a
// machine without two GPUs the same code runs with two CPU workers: the plan is shared out, the file
// comes back in plan order, a worker that dies costs only the item it was running, and a coordinator
// killed with -9 is resumed from its journal measuring only what is missing.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "attnscope/results.hpp"
#include "cli_process.hpp"

using namespace attnscope;
using namespace attnscope::testing_support;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kQuickCpu = {"--min-samples", "2", "--min-time", "0", "--max-time", "0.05",
                                            "--heads", "2", "--head-dim", "16", "--dtype", "float32"};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The items of the record lines of a stream, in the order they came.
std::vector<int64_t> record_items(const std::string& stream) {
  std::vector<int64_t> items;
  std::istringstream in(stream);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    if (j.at("type") == "record") items.push_back(j.at("item").get<int64_t>());
  }
  return items;
}

// Plan order: points in sweep order, backends in the order given, each point's backends together.
void expect_plan_order(const ResultDocument& doc, const std::vector<int64_t>& q_lens, const std::vector<std::string>& backends) {
  ASSERT_EQ(doc.records.size(), q_lens.size() * backends.size());
  for (std::size_t i = 0; i < doc.records.size(); ++i) {
    EXPECT_EQ(doc.records[i].problem.q_len, q_lens[i / backends.size()]) << "record " << i;
    EXPECT_EQ(doc.records[i].backend, backends[i % backends.size()]) << "record " << i;
  }
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> kids;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) kids.push_back(pid_t(std::stol(name)));
  }
  return kids;
}

template <class Pred>
bool wait_until(Pred done, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

TEST(ShardedRun, TwoWorkersShareThePlanAndTheFileComesBackInPlanOrder) {
  TempDir dir;
  const std::string json = dir.file("r.json");
  const Result r = run_cli(dir, with({"run", "--device", "cpu,cpu", "--seq", "32,48,64,80,96,112", "--backends",
                                      "cpu-reference,cpu-math", "--json", json, "--stream"},
                                     kQuickCpu));
  ASSERT_EQ(r.code, 0) << r.err;
  const ResultDocument doc = load_results(json);
  expect_plan_order(doc, {32, 48, 64, 80, 96, 112}, {"cpu-reference", "cpu-math"});
  for (const auto& rec : doc.records) {
    EXPECT_EQ(rec.device, "cpu");
    EXPECT_EQ(rec.status, Status::Ok) << rec.message;
  }
  ASSERT_EQ(doc.devices.size(), 2u);
  EXPECT_EQ(doc.devices[1].id, "cpu");
  // Both workers measured (the echo names the worker when a device is listed twice), and said so.
  EXPECT_GT(count_of(r.err, " on cpu#1: ok"), 0u) << r.err;
  EXPECT_GT(count_of(r.err, " on cpu#2: ok"), 0u) << r.err;
  EXPECT_NE(r.err.find("perturb each other's timings"), std::string::npos) << r.err;
  // The stream has every item once (in the order they finished) and reads back as the same sweep.
  std::vector<int64_t> items = record_items(r.out);
  std::sort(items.begin(), items.end());
  ASSERT_EQ(items.size(), 12u);
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(items[std::size_t(i)], i);
  std::ofstream(dir.file("s.jsonl")) << r.out;
  EXPECT_EQ(load_results(dir.file("s.jsonl")).devices.size(), 2u);
}

TEST(ShardedRun, AWorkerKilledMidItemCostsOnlyThatItem) {
  TempDir dir;
  const std::string json = dir.file("r.json");
  // Items of ≥ 0.3 s: a worker is nearly always inside one.
  const auto args = with({"run", "--device", "cpu,cpu", "--seq", "32,48,64,80", "--backends", "cpu-math", "--json",
                          json, "--min-samples", "2", "--min-time", "0.3", "--max-time", "1", "--heads", "2",
                          "--head-dim", "16", "--dtype", "float32"},
                         {});
  const pid_t pid = spawn(args, dir.file("stdout"), dir.file("stderr"));
  ASSERT_GT(pid, 0);
  const std::string journal = json + ".journal.jsonl";
  ASSERT_TRUE(wait_until([&] { return count_of(slurp(journal), "\"type\":\"progress\"") >= 2; }, 30));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const std::vector<pid_t> workers = children_of(pid);
  ASSERT_EQ(workers.size(), 2u);
  ::kill(workers[0], SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << slurp(dir.file("stderr"));
  const ResultDocument doc = load_results(json);
  ASSERT_EQ(doc.records.size(), 4u);
  int errors = 0;
  for (const auto& rec : doc.records) {
    if (rec.status == Status::Error) {
      ++errors;
      EXPECT_NE(rec.message.find("killed by signal 9"), std::string::npos) << rec.message;
    } else {
      EXPECT_EQ(rec.status, Status::Ok) << rec.message;
    }
  }
  EXPECT_EQ(errors, 1);
  EXPECT_FALSE(fs::exists(journal));
}

TEST(ShardedRun, ACoordinatorKilledWithMinusNineIsResumedMeasuringOnlyWhatIsMissing) {
  TempDir dir;
  const std::string json = dir.file("r.json"), journal = json + ".journal.jsonl";
  std::vector<int64_t> q_lens;
  std::string seq;
  for (int64_t n = 32; n <= 32 * 12; n += 32) {
    q_lens.push_back(n);
    seq += (seq.empty() ? "" : ",") + std::to_string(n);
  }
  const auto args = with({"run", "--device", "cpu,cpu", "--seq", seq, "--backends", "cpu-reference,cpu-math",
                          "--json", json, "--min-samples", "2", "--min-time", "0.05", "--max-time", "0.2", "--heads",
                          "2", "--head-dim", "16", "--dtype", "float32"},
                         {});
  const pid_t pid = spawn(args, dir.file("stdout"), dir.file("stderr"));
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(wait_until([&] { return count_of(slurp(journal), "\"type\":\"record\"") >= 4; }, 60));
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  // Its workers go with it (PR_SET_PDEATHSIG): nothing is left writing.
  ASSERT_TRUE(wait_until([&] { return children_of(pid).empty(); }, 10));
  const std::size_t kept = load_results(journal).records.size();
  ASSERT_LT(kept, 24u);

  const Result resumed = run_cli(dir, with(args, {"--resume", "--stream"}));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(std::to_string(kept) + " finished item(s) kept, " + std::to_string(24 - kept) + " to measure"),
            std::string::npos)
      << resumed.err;
  // Only the missing items were measured: one echo line each; the stream repeats the kept ones.
  EXPECT_EQ(count_of(resumed.err, "/24] "), 24 - kept) << resumed.err;
  std::vector<int64_t> items = record_items(resumed.out);
  std::sort(items.begin(), items.end());
  ASSERT_EQ(items.size(), 24u);
  EXPECT_EQ(std::set<int64_t>(items.begin(), items.end()).size(), 24u);
  expect_plan_order(load_results(json), q_lens, {"cpu-reference", "cpu-math"});
  EXPECT_FALSE(fs::exists(journal));
}

TEST(ShardedRun, DeviceListsAreCheckedBeforeAnythingRuns) {
  TempDir dir;
  const auto sweep = with({"run", "--seq", "32", "--backends", "cpu-math"}, kQuickCpu);
  const Result profile = run_cli(dir, with(sweep, {"--device", "cpu,profile:t4"}));
  EXPECT_EQ(profile.code, 2);
  EXPECT_NE(profile.err.find("what-if profile"), std::string::npos) << profile.err;
  const Result empty = run_cli(dir, with(sweep, {"--device", "cpu,,cpu"}));
  EXPECT_EQ(empty.code, 2);
  EXPECT_NE(empty.err.find("empty entry"), std::string::npos) << empty.err;
  const Result start_at = run_cli(dir, with(sweep, {"--device", "cpu,cpu", "--start-at", "1"}));
  EXPECT_EQ(start_at.code, 2);
  EXPECT_NE(start_at.err.find("--resume"), std::string::npos) << start_at.err;
  // "all" is every GPU: without one it says why; with GPUs every record names the GPU that measured it.
  const Result all = run_cli(dir, with(sweep, {"--device", "all", "--json", dir.file("all.json")}));
  if (all.code == 2) {
    EXPECT_NE(all.err.find("asks for every GPU, but there is none"), std::string::npos) << all.err;
  } else {
    ASSERT_EQ(all.code, 0) << all.err;
    for (const auto& rec : load_results(dir.file("all.json")).records) EXPECT_EQ(rec.device.rfind("cuda:", 0), 0u);
  }
}
