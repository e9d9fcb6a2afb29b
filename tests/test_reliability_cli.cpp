// attnscope-cli against the failures of the 2026-12-06 reliability review: kill -9 loses no finished
// item (the journal and --resume), full disks are errors with a non-zero exit and the other file is
// still written, huge plans and thread counts are refused at once, empty values are refused by name.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "attnscope/results.hpp"
#include "cli_process.hpp"
#include "temp_dir.hpp"

using namespace attnscope;
using attnscope::testing_support::TempDir;
using namespace attnscope::testing_support;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kQuick = {"--device", "cpu", "--min-samples", "2", "--min-time", "0", "--max-time",
                                         "0.05", "--heads", "2", "--head-dim", "16", "--dtype", "float32"};


std::size_t complete_record_lines(const std::string& stream) {
  std::size_t n = 0, begin = 0;
  for (std::size_t nl; (nl = stream.find('\n', begin)) != std::string::npos; begin = nl + 1) {
    const std::string_view line(stream.data() + begin, nl - begin);
    n += line.ends_with("\"type\":\"record\"}");
  }
  return n;
}

}  // namespace

TEST(ReliabilityCli, APlanOfAHundredMillionPointsIsRefusedAtOnceWithItsCount) {
  TempDir dir;
  const Result r = run_cli(dir, {"run", "--device", "cpu", "--q-len", "1:2500:+1", "--kv-len", "1:2500:+1",
                                 "--head-dim", "1:16:+1"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_LT(r.seconds, 5.0);
  EXPECT_NE(r.err.find("--q-len, --kv-len, --head-dim: the sweep has 100000000 points; at most 100000"),
            std::string::npos) << r.err;
  const Result b = run_cli(dir, {"backends", "--device", "cpu", "--seq", "1:4096:+1", "--head-dim", "1:1024:+1"});
  EXPECT_EQ(b.code, 2) << b.err;
  EXPECT_LT(b.seconds, 5.0);
  EXPECT_NE(b.err.find("--seq, --head-dim"), std::string::npos) << b.err;
  // A small sweep is judged at its probes (issue 11: backends takes run's sweep options).
  const Result two = run_cli(dir, {"backends", "--device", "cpu", "--q-len", "64,128"});
  EXPECT_EQ(two.code, 0) << two.err;
}

TEST(ReliabilityCli, ThreadsBeyondTheHardwareAreRefused) {
  TempDir dir;
  const Result r = run_cli(dir, with({"run", "--seq", "32", "--threads", "100000"}, kQuick));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--threads is 100000; allowed: 1 to " + std::to_string(std::thread::hardware_concurrency())),
            std::string::npos) << r.err;
}

TEST(ReliabilityCli, SweepArithmeticNeverOverflowsAndNamesTheTypedValue) {
  TempDir dir;
  // 1 + INT64_MAX overflowed before (UBSan at sweep.cpp:96); the range holds just 1.
  const Result r = run_cli(dir, {"backends", "--device", "cpu", "--seq", "1:9223372036854775807:+9223372036854775807"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Nq=1 Nk=1 "), std::string::npos) << r.out.substr(0, 300);
  const Result t = run_cli(dir, with({"run", "--tokens", "99999999999999", "--seq", "64"}, kQuick));
  EXPECT_EQ(t.code, 2);
  EXPECT_NE(t.err.find("--tokens is 99999999999999"), std::string::npos) << t.err;
  EXPECT_EQ(t.err.find("--batch"), std::string::npos) << t.err;
}

TEST(ReliabilityCli, EmptyValuesAreRefusedByName) {
  TempDir dir;
  for (const char* option : {"--seq", "--q-len", "--kv-len", "--device", "--backends", "--json", "--csv", "--start-at",
                             "--min-time", "--seed", "--batch", "--dtype"}) {
    std::vector<std::string> args = {"run", "--head-dim", "16", "--heads", "2", "--max-time", "0.05", option, ""};
    if (std::string(option) != "--device") args.insert(args.end(), {"--device", "cpu"});
    const Result r = run_cli(dir, args);
    EXPECT_EQ(r.code, 2) << option << ": " << r.err;
    EXPECT_NE(r.err.find(option), std::string::npos) << option << ": " << r.err;
    EXPECT_NE(r.err.find("empty"), std::string::npos) << option << ": " << r.err;
  }
  const Result commas = run_cli(dir, with({"run", "--seq", "32", "--backends", ",,,"}, kQuick));
  EXPECT_EQ(commas.code, 2);
  EXPECT_NE(commas.err.find("--backends"), std::string::npos) << commas.err;
  const Result twice = run_cli(dir, with({"run", "--seq", "32", "--backends", "cpu-math,cpu-math"}, kQuick));
  EXPECT_EQ(twice.code, 2);
  EXPECT_NE(twice.err.find("twice"), std::string::npos) << twice.err;
  const Result same = run_cli(dir, with({"run", "--seq", "32", "--json", dir.file("x"), "--csv", dir.file("x")}, kQuick));
  EXPECT_EQ(same.code, 2);
  EXPECT_NE(same.err.find("same file"), std::string::npos) << same.err;
  const Result inf = run_cli(dir, {"run", "--device", "cpu", "--seq", "32", "--max-time", "inf"});
  EXPECT_EQ(inf.code, 2);
  EXPECT_NE(inf.err.find("--max-time"), std::string::npos) << inf.err;
}

TEST(ReliabilityCli, AFullDiskIsAnErrorAndTheOtherFileIsStillWritten) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  TempDir dir;
  const auto base = with({"run", "--seq", "32", "--backends", "cpu-math"}, kQuick);
  const Result csv = run_cli(dir, with(base, {"--csv", "/dev/full"}));
  EXPECT_EQ(csv.code, 1) << csv.err;
  EXPECT_NE(csv.err.find("--csv"), std::string::npos) << csv.err;
  const Result json = run_cli(dir, with(base, {"--json", "/dev/full", "--csv", dir.file("ok.csv")}));
  EXPECT_EQ(json.code, 1) << json.err;
  EXPECT_NE(json.err.find("--json"), std::string::npos) << json.err;
  EXPECT_NE(slurp(dir.file("ok.csv")).find("cpu-math"), std::string::npos) << "the CSV was lost with the JSON";
  // The journal is kept, and --resume writes the files from it.
  EXPECT_NE(json.err.find("--resume"), std::string::npos) << json.err;
  const Result stream = run_cli(dir, with(base, {"--stream"}), "/dev/full");
  EXPECT_EQ(stream.code, 1) << stream.err;
}

TEST(ReliabilityCli, NoResultFileIsCreatedBeforeTheRunHasSomethingToWrite) {
  TempDir dir;
  const Result r = run_cli(dir, with({"run", "--seq", "32", "--backends", "cpu-math", "--json", dir.file("r.json"),
                                      "--csv", dir.file("r.csv")}, kQuick));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(load_results(dir.file("r.json")).records.size(), 1u);
  EXPECT_FALSE(fs::exists(dir.file("r.json.journal.jsonl"))) << "a finished run removes its journal";
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_NE(e.path().filename().string().front(), '.') << "temporary file left: " << e.path();
}

// kill -9 at random moments: every item the run finished (each one announced on --stream after it
// reached the journal) is in the journal, and --resume completes the sweep from there.
TEST(ReliabilityCli, KillNineAtRandomMomentsLosesNoFinishedItem) {
  const auto sweep = with({"run", "--seq", "32,48,64,80,96,112", "--backends", "cpu-reference,cpu-math"}, kQuick);
  std::mt19937 rng(std::random_device{}());
  for (int trial = 0; trial < 5; ++trial) {
    TempDir dir;
    const std::string json = dir.file("r.json"), csv = dir.file("r.csv"), journal = json + ".journal.jsonl";
    const auto args = with(sweep, {"--json", json, "--csv", csv, "--stream"});
    const pid_t pid = spawn(args, dir.file("stream"), dir.file("stderr"));
    ASSERT_GT(pid, 0);
    const int wait_ms = std::uniform_int_distribution<int>(20, 1500)(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    ::kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const std::size_t announced = complete_record_lines(slurp(dir.file("stream")));
    if (fs::exists(journal)) {
      const ResultDocument j = load_results(journal);
      EXPECT_GE(j.records.size(), announced) << "trial " << trial << " killed at " << wait_ms << " ms";
    } else {
      // Killed before the journal existed (nothing finished) or after the files replaced it.
      EXPECT_TRUE(announced == 0 || fs::exists(json)) << "trial " << trial << " at " << wait_ms << " ms";
    }
    const bool resume = fs::exists(journal);
    const Result done = run_cli(dir, resume ? with(sweep, {"--json", json, "--csv", csv, "--resume"})
                                            : with(sweep, {"--json", json, "--csv", csv}));
    ASSERT_EQ(done.code, 0) << "trial " << trial << ": " << done.err;
    const ResultDocument all = load_results(json);
    ASSERT_EQ(all.records.size(), 12u) << "trial " << trial;
    for (std::size_t i = 0; i < all.records.size(); ++i)
      EXPECT_EQ(all.records[i].problem.q_len, 32 + 16 * int64_t(i / 2)) << "trial " << trial << " record " << i;
    EXPECT_FALSE(fs::exists(journal));
    EXPECT_NE(slurp(csv).find("cpu-reference"), std::string::npos);
  }
}

TEST(ReliabilityCli, AJournalIsNeverSilentlyOverwrittenOrResumedByAnotherSweep) {
  TempDir dir;
  const std::string json = dir.file("r.json"), journal = json + ".journal.jsonl";
  const auto a = with({"run", "--seq", "32,48", "--backends", "cpu-math", "--json", json}, kQuick);
  // A journal cut in its second line, as kill -9 during a write leaves it.
  ASSERT_EQ(run_cli(dir, with(a, {"--stream"}), dir.file("s.jsonl")).code, 0);
  std::string stream = slurp(dir.file("s.jsonl"));
  const auto second_record = stream.find("\n{\"item\":", stream.find("\n{\"item\":") + 1);
  ASSERT_NE(second_record, std::string::npos);
  std::ofstream(journal, std::ios::binary) << stream.substr(0, second_record + 30);
  const Result refused = run_cli(dir, a);
  EXPECT_EQ(refused.code, 2);
  EXPECT_NE(refused.err.find("--resume"), std::string::npos) << refused.err;
  const Result other = run_cli(dir, with({"run", "--seq", "32,64", "--backends", "cpu-math", "--json", json, "--resume"}, kQuick));
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.err.find("another sweep"), std::string::npos) << other.err;
  const Result resumed = run_cli(dir, with(a, {"--resume"}));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("1 finished item(s) kept"), std::string::npos) << resumed.err;
  EXPECT_EQ(load_results(json).records.size(), 2u);
}
