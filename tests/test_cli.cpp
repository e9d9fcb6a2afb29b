// attnscope-cli end to end: outputs, files that load back, the stream protocol, exit codes 0/1/2/130.
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

#include <nlohmann/json.hpp>

#include "attnscope/protocol.hpp"
#include "attnscope/registry.hpp"
#include "attnscope/results.hpp"

using namespace attnscope;
namespace fs = std::filesystem;

namespace {

struct CliResult {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& f) {
  std::ifstream in(f);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    // mkdtemp: a private folder of our own, never a predictable name another user could plant.
    std::string tmpl = (fs::temp_directory_path() / (std::string("attnscope_cli_") +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                                                     "_XXXXXX")).string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliResult run(const std::string& args) const {
    const std::string cmd = std::string("'") + ATTNSCOPE_CLI_PATH + "' " + args + " >'" + (dir_ / "out").string() +
                            "' 2>'" + (dir_ / "err").string() + "'";
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(dir_ / "out");
    r.err = slurp(dir_ / "err");
    return r;
  }
  fs::path file(const std::string& name) const { return dir_ / name; }

  fs::path dir_;
};

// Fast measurement settings so the suite stays quick on two cores.
const std::string kQuick = " --device cpu --min-samples 2 --min-time 0 --max-time 0.2 --heads 2 --head-dim 16 ";

// Every backend the CLI registers: ours and the library backends (as the same Python sees them).
std::vector<std::string> backend_ids() {
  Registry reg;
  register_builtin_backends(reg);
  register_library_backends(reg);
  std::vector<std::string> ids;
  for (const auto& b : reg.backends()) ids.push_back(b->info().id);
  return ids;
}

}  // namespace

TEST_F(Cli, HelpEverywhereExitsZero) {
  for (const char* args : {"--help", "devices --help", "backends --help", "run --help"}) {
    const CliResult r = run(args);
    EXPECT_EQ(r.code, 0) << args << r.err;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args;
  }
  EXPECT_NE(run("run --help").out.find("--start-at"), std::string::npos);
  EXPECT_NE(run("--help").out.find("backends"), std::string::npos);
}

TEST_F(Cli, NoOrUnknownSubcommandOrOptionIsUsageError) {
  EXPECT_EQ(run("").code, 2);
  EXPECT_EQ(run("frobnicate").code, 2);
  const CliResult r = run("backends --sequence 4096");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--sequence"), std::string::npos) << r.err;
}

TEST_F(Cli, DevicesTableAndJson) {
  const CliResult table = run("devices");
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("cpu"), std::string::npos);
  EXPECT_NE(table.out.find("profile:t4"), std::string::npos);

  const CliResult js = run("devices --json");
  ASSERT_EQ(js.code, 0) << js.err;
  const auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j.at("type"), "devices");
  EXPECT_EQ(j.at("protocol_version"), kProtocolVersion);
  EXPECT_EQ(parse_device_report(js.out).list.devices.size(), j.at("devices").size());
  ASSERT_TRUE(j.at("devices").is_array());
  EXPECT_EQ(j["devices"][0]["id"], "cpu");
  const DeviceInfo cpu = device_from_json(j["devices"][0], "devices[0]");
  EXPECT_GT(cpu.memory_total, 0u);
  bool has_gpu = false, has_h100 = false;
  for (const auto& d : j["devices"]) {
    has_gpu |= d["kind"] == "cuda";
    has_h100 |= d["id"] == "profile:h100";
  }
  EXPECT_TRUE(has_h100);
  EXPECT_EQ(j.at("why_no_gpu").get<std::string>().empty(), has_gpu);
}

TEST_F(Cli, BackendsListsEveryBackendWithReasonsAndProfilesChangeVerdicts) {
  const CliResult cpu = run("backends --device cpu --seq 4096 --head-dim 64 --dtype float32");
  ASSERT_EQ(cpu.code, 0) << cpu.err;
  for (const auto& id : backend_ids()) EXPECT_NE(cpu.out.find(" " + id + " "), std::string::npos) << id;
  EXPECT_NE(cpu.out.find("[eligible]   cpu-math"), std::string::npos) << cpu.out;
  const CliResult t4 = run("backends --profile t4 --seq 4096 --head-dim 64 --dtype float32");
  ASSERT_EQ(t4.code, 0) << t4.err;
  EXPECT_NE(t4.out.find("[ineligible] cpu-math"), std::string::npos) << t4.out;
  EXPECT_NE(t4.out.find("environment: "), std::string::npos);
  EXPECT_NE(t4.out.find("fix: "), std::string::npos);
  EXPECT_NE(cpu.out, t4.out);

  const CliResult js = run("backends --profile t4 --seq 4096 --head-dim 64 --dtype float32 --json");
  ASSERT_EQ(js.code, 0) << js.err;
  const auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j.at("type"), "eligibility");
  EXPECT_EQ(j.at("protocol_version"), kProtocolVersion);
  ASSERT_EQ(j.at("probes").size(), 1u);  // a single problem is its own only probe
  EXPECT_EQ(problem_from_json(j["probes"][0].at("problem"), "problem").q_len, 4096);
  EXPECT_EQ(j.at("device").at("id"), "profile:t4");
  ASSERT_EQ(j["probes"][0].at("backends").size(), backend_ids().size());
  EXPECT_EQ(parse_eligibility_report(js.out).probes.at(0).verdicts.size(), backend_ids().size());
  for (const auto& b : j["probes"][0]["backends"]) {
    for (const char* key : {"id", "name", "family", "target", "algorithm", "memory_complexity", "shines", "eligible",
                            "rules", "memory", "accepted_by"})
      EXPECT_TRUE(b.contains(key)) << b["id"] << " lacks " << key;
    bool any_unmet = false;
    for (const auto& r : b["rules"]) any_unmet |= !r.at("met").get<bool>();
    EXPECT_EQ(b["eligible"].get<bool>(), !any_unmet) << b["id"];
    if (b["target"] == "cpu") EXPECT_FALSE(b["eligible"].get<bool>()) << "a T4 profile cannot run CPU backends";
  }
}

// `backends` takes the sweep `run` takes and answers every probe in one document: each dtype × head dim
// at the smallest and the largest lengths.
TEST_F(Cli, BackendsJudgesASweepAtItsProbesInOneAnswer) {
  const CliResult js = run("backends --device cpu --seq 64:1024:x2 --head-dim 32,64 --dtype float32 --json");
  ASSERT_EQ(js.code, 0) << js.err;
  const EligibilityReport report = parse_eligibility_report(js.out);
  ASSERT_EQ(report.probes.size(), 4u);
  const int64_t dims[] = {32, 32, 64, 64}, lens[] = {64, 1024, 64, 1024};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(report.probes[i].problem.head_dim, dims[i]) << i;
    EXPECT_EQ(report.probes[i].problem.q_len, lens[i]) << i;
    EXPECT_EQ(report.probes[i].verdicts.size(), backend_ids().size()) << i;
  }
  const CliResult text = run("backends --device cpu --seq 64:1024:x2 --head-dim 32,64 --dtype float32");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("judged at 4 probe(s)"), std::string::npos) << text.out;
}

// --every-point judges every point (the app's predicted memory against N): naive's O(N²) workspace grows
// 4× per doubling of N, the flash-style kernels' stays zero.
TEST_F(Cli, BackendsEveryPointPredictsMemoryAtEachPointOfTheSweep) {
  const CliResult js = run("backends --device profile:h100 --seq 1024:8192:x2 --dtype float16 --every-point --json");
  ASSERT_EQ(js.code, 0) << js.err;
  const EligibilityReport report = parse_eligibility_report(js.out);
  ASSERT_EQ(report.probes.size(), 4u);
  uint64_t previous = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(report.probes[i].problem.q_len, int64_t(1024) << i) << i;
    for (const Verdict& v : report.probes[i].verdicts)
      if (v.info.id == "naive") {
        if (previous) EXPECT_EQ(v.memory.workspace_bytes, 4 * previous) << "N=" << report.probes[i].problem.q_len;
        previous = v.memory.workspace_bytes;
      }
  }
  EXPECT_GT(previous, 0u) << "naive reports its score-matrix workspace";
}

TEST_F(Cli, ProblemOptionsReachTheProblem) {
  const CliResult r = run("backends --device cpu --q-len 512 --kv-len 2048 --tokens 4096 --hidden 1024 --heads 8 "
                          "--kv-heads 2 --head-dim 64 --dtype bf16 --causal --scale 0.5 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const Problem p = parse_eligibility_report(r.out).probes.at(0).problem;
  EXPECT_EQ(p.batch, 8);       // 4096 tokens / q_len 512
  EXPECT_EQ(p.q_heads, 16);    // hidden 1024 / head_dim 64
  EXPECT_EQ(p.kv_heads, 4);    // the GQA ratio 8:2 is kept
  EXPECT_EQ(p.q_len, 512);
  EXPECT_EQ(p.kv_len, 2048);
  EXPECT_EQ(p.dtype, DType::BF16);
  EXPECT_TRUE(p.causal);
  EXPECT_DOUBLE_EQ(p.softmax_scale(), 0.5);
}

TEST_F(Cli, RunWritesTableJsonAndCsvThatLoadBack) {
  const CliResult r = run("run" + kQuick + "--seq 32:64:x2 --dtype float32,float16 --backends cpu-math,cpu-reference --json '" +
                          file("out.json").string() + "' --csv '" + file("out.csv").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("cpu-math"), std::string::npos);
  EXPECT_NE(r.out.find("median"), std::string::npos);
  const ResultDocument doc = load_results(file("out.json").string());
  ASSERT_EQ(doc.records.size(), 8u);  // 2 dtypes × 2 lengths × 2 backends
  EXPECT_EQ(doc.device.id, "cpu");
  EXPECT_EQ(doc.settings.min_samples, 2);
  for (const auto& rec : doc.records) {
    EXPECT_EQ(rec.status, Status::Ok) << rec.backend << ": " << rec.message;
    EXPECT_GE(rec.latency_us.n, 2);
    if (rec.backend == "cpu-math") {
      ASSERT_TRUE(rec.accuracy);
      EXPECT_TRUE(rec.accuracy->pass);
    }
  }
  EXPECT_EQ(doc.records[0].problem.q_len, 32);
  EXPECT_EQ(doc.records[2].problem.q_len, 64);
  const std::string csv = slurp(file("out.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 9);  // header + 8 rows
}

TEST_F(Cli, IneligibleBackendsAreRecordedNotRun) {
  const CliResult r = run("run" + kQuick + "--seq 16 --dtype float32 --json '" + file("o.json").string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const ResultDocument doc = load_results(file("o.json").string());
  ASSERT_EQ(doc.records.size(), backend_ids().size());
  for (const auto& rec : doc.records) {
    if (rec.backend.rfind("cpu-", 0) == 0) {
      EXPECT_EQ(rec.status, Status::Ok) << rec.backend;
    } else {
      EXPECT_EQ(rec.status, Status::Ineligible) << rec.backend;
      EXPECT_FALSE(rec.unmet.empty());
    }
  }
}

TEST_F(Cli, StreamIsJsonLinesThatLoadBack) {
  const CliResult r = run("run" + kQuick + "--seq 24 --kv-len 40 --kv-heads 1 --causal --dtype bfloat16 "
                          "--backends cpu-math,cpu-reference --stream");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> msgs;
  for (std::string line; std::getline(lines, line);) msgs.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(msgs.size(), 6u);  // start, (progress, record) × 2, end
  EXPECT_EQ(msgs[0]["type"], "start");
  EXPECT_EQ(msgs[0]["total"], 2);
  EXPECT_EQ(msgs[0]["device"]["id"], "cpu");
  EXPECT_EQ(msgs[1]["type"], "progress");
  EXPECT_EQ(msgs[1]["backend"], "cpu-math");
  EXPECT_EQ(msgs[2]["type"], "record");
  EXPECT_EQ(msgs[2]["item"], 0);
  const Record rec = record_from_json(msgs[2]["record"], "record");
  EXPECT_EQ(rec.problem.kv_len, 40);
  EXPECT_TRUE(rec.problem.causal);
  EXPECT_EQ(msgs[5]["type"], "end");
  EXPECT_EQ(msgs[5]["cancelled"], false);
  EXPECT_EQ(msgs[5]["done"], 2);
  EXPECT_NE(r.err.find("cpu-reference"), std::string::npos) << "the table goes to stderr";

  std::ofstream(file("s.jsonl")) << r.out;
  const ResultDocument doc = load_results(file("s.jsonl").string());
  EXPECT_EQ(doc.records.size(), 2u);
  EXPECT_EQ(doc.device.id, "cpu");

  const CliResult resumed = run("run" + kQuick + "--seq 24 --backends cpu-math,cpu-reference --stream --start-at 1");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("\"start_at\":1"), std::string::npos);
  EXPECT_EQ(std::count(resumed.out.begin(), resumed.out.end(), '\n'), 4);  // start, progress, record, end
  EXPECT_NE(resumed.out.find("\"item\":1"), std::string::npos);
}

TEST_F(Cli, BadInputExitsTwoNamingTheField) {
  const struct {
    const char* args;
    const char* field;
  } cases[] = {
      {"run --device cpu --seq 0", "seq"},
      {"run --device cpu --head-dim -8", "head-dim"},
      {"run --device cpu --dtype fp13", "dtype"},
      {"backends --seq 0", "seq"},
      {"backends --heads 16 --kv-heads 3", "kv-heads"},
      {"backends --seq 12:x", "seq"},
      {"backends --batch 0", "batch"},
      {"backends --device tpu", "device"},
      {"run --device cpu --backends cpu-math,warp-drive", "backends"},
      {"run --device profile:t4 --seq 64", "device"},
      {"run --device cpu --seq 64 --backends cpu-math --start-at 5", "start-at"},
      {"run --device cpu --seq 64 --min-samples 0", "min-samples"},
      {"run --device cpu --seq 64 --warmup-time -1", "--warmup-time is -1.000000 s; allowed: 0 to 3600 s"},
      // Checked before the device, so these fail the same way with or without a GPU.
      {"bandwidth --read-mib 0", "--read-mib is 0"},
      {"bandwidth --read-mib 32,100000", "--read-mib is 100000; allowed range is 1 to 65536"},
      {"bandwidth --read-mib 32:x", "--read-mib"},
  };
  for (const auto& c : cases) {
    const CliResult r = run(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.field), std::string::npos) << c.args << " → " << r.err;
    EXPECT_EQ(r.err.find("terminate"), std::string::npos) << r.err;
  }
  EXPECT_NE(run("run --device profile:t4 --seq 64").err.find("use them with `backends`"), std::string::npos);
}

TEST_F(Cli, RuntimeFailureExitsOne) {
  const CliResult r = run("run" + kQuick + "--seq 16 --backends cpu-math --json '" + (dir_ / "missing" / "x.json").string() + "'");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("--json"), std::string::npos) << r.err;
}

TEST_F(Cli, SigtermCancelsCleanlyAndKeepsFinishedRecords) {
  // Item 0 is decided at once (cpu-math cannot address a 50000×50000 score matrix with BLAS's 32-bit
  // sizes ⇒ ineligible); item 1 would sample for a minute, so the signal lands mid-measurement.
  const std::string json = file("c.json").string();
  std::vector<std::string> args = {ATTNSCOPE_CLI_PATH, "run", "--device", "cpu", "--heads", "2", "--head-dim", "16",
                                   "--seq", "50000,256", "--backends", "cpu-math", "--min-samples", "100000",
                                   "--min-time", "60", "--max-time", "60", "--stream", "--json", json};
  int out_pipe[2];
  ASSERT_EQ(::pipe(out_pipe), 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);

  FILE* out = ::fdopen(out_pipe[0], "r");
  std::vector<std::string> lines;
  char buf[1 << 16];
  while (std::fgets(buf, sizeof buf, out)) {
    lines.emplace_back(buf);
    if (lines.back().find("\"type\":\"record\"") != std::string::npos) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // item 1 is now sampling
      ::kill(pid, SIGTERM);
    }
  }
  std::fclose(out);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  ASSERT_FALSE(lines.empty());
  const auto end = nlohmann::json::parse(lines.back());
  EXPECT_EQ(end["type"], "end");
  EXPECT_EQ(end["cancelled"], true);
  const ResultDocument doc = load_results(json);
  ASSERT_EQ(doc.records.size(), 2u);
  EXPECT_EQ(doc.records[0].status, Status::Ineligible);
  EXPECT_EQ(doc.records[1].status, Status::Cancelled);
}

// What a run leaves on the host it ran on (the app's remote runs: /tmp there) goes with `remove-run`: the
// result file, a journal and a killed writer's temporary file. Anything that is not AttnScope's stays.
TEST_F(Cli, RemoveRunRemovesTheRunsFilesAndNothingElse) {
  const std::string done = file("done.json").string();
  ASSERT_EQ(run("run" + kQuick + "--seq 16 --dtype float32 --backends cpu-reference --json '" + done + "'").code, 0);
  std::ofstream(file(".done.json.a1B2c3")) << "{\"cut";          // write_file_atomically's temporary name
  std::ofstream(file(".done.json.too-long")) << "not a temporary";  // another name: stays
  // An interrupted run's journal is the worker protocol's lines (journal.hpp).
  const CliResult streamed = run("run" + kQuick + "--seq 16 --dtype float32 --backends cpu-reference --stream");
  ASSERT_EQ(streamed.code, 0) << streamed.err;
  const std::string cut = file("cut.json").string();
  std::ofstream(cut + ".journal.jsonl") << streamed.out;
  std::ofstream(file("notes.json")) << "{\"mine\": true}\n";

  CliResult r = run("remove-run '" + done + "'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("removed 2 file(s)"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(done));
  EXPECT_FALSE(fs::exists(file(".done.json.a1B2c3")));
  EXPECT_TRUE(fs::exists(file(".done.json.too-long")));
  r = run("remove-run '" + cut + "'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(cut + ".journal.jsonl"));
  r = run("remove-run '" + file("notes.json").string() + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("is not an AttnScope result file or journal; nothing removed"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(file("notes.json")));
  EXPECT_EQ(run("remove-run '" + file("never-made.json").string() + "'").code, 0);  // nothing there: nothing to do
}

// GNU style: the program, its version and its licence (help2man makes the man page's COPYRIGHT from it).
TEST_F(Cli, VersionNamesTheProgramAndItsLicence) {
  const CliResult r = run("--version");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind(std::string("attnscope-cli ") + ATTNSCOPE_VERSION + "\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("License GPL-3.0-or-later"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NO WARRANTY"), std::string::npos) << r.out;
}
