// Reproducibility facts with every result (issue 17): the run's environment (versions, GPU states, the
// FLOP and byte formulas) and the records' memory clock and other processes are written, read back,
// and files of the earlier schema and protocol still open.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attnscope/protocol.hpp"
#include "attnscope/results.hpp"
#include "cli_process.hpp"

using namespace attnscope;
using namespace attnscope::testing_support;

TEST(Environment, EveryFactSurvivesAJsonRoundTrip) {
  ResultDocument doc;
  doc.device.id = "cuda:0";
  GpuState g;
  g.device = "cuda:0";
  g.uuid = "GPU-1234";
  g.sm_clock_mhz = 1980;
  g.memory_clock_mhz = 2619;
  g.max_sm_clock_mhz = 1980;
  g.max_memory_clock_mhz = 2619;
  g.power_limit_w = 700;
  g.persistence_mode = true;
  g.other_processes = 1;
  g.processes = {"pid 77 (512 MiB)"};
  doc.environment.driver_version = "580.95.05";
  doc.environment.cuda_runtime_version = "13.0";
  doc.environment.cupti_version = "130000";
  doc.environment.gpus_at_start = {g};
  g.sm_clock_mhz = 1755;
  doc.environment.gpus_at_end = {g};
  doc.environment.libraries = {{"cuDNN", "9.19.0"}};
  doc.environment.flop_formula = Problem::flops_formula();
  doc.environment.byte_formula = Problem::bytes_formula();
  Record r;
  r.backend = "flash2";
  r.device = "cuda:0";
  r.status = Status::Ok;
  r.timer = "cupti";
  r.latency_us = summarize({10.0, 11.0});
  r.memory_clock_mhz = 2619;
  r.other_processes = 0;
  doc.records = {r};

  const ResultDocument back = document_from_json(to_json(doc));
  const RunEnvironment& e = back.environment;
  EXPECT_EQ(e.driver_version, "580.95.05");
  EXPECT_EQ(e.cupti_version, "130000");
  ASSERT_EQ(e.gpus_at_start.size(), 1u);
  EXPECT_EQ(e.gpus_at_start[0].uuid, "GPU-1234");
  EXPECT_EQ(e.gpus_at_start[0].power_limit_w, 700);
  EXPECT_EQ(e.gpus_at_start[0].persistence_mode, std::optional<bool>(true));
  EXPECT_EQ(e.gpus_at_start[0].other_processes, 1);
  EXPECT_EQ(e.gpus_at_start[0].processes, std::vector<std::string>{"pid 77 (512 MiB)"});
  ASSERT_EQ(e.gpus_at_end.size(), 1u);
  EXPECT_EQ(e.gpus_at_end[0].sm_clock_mhz, 1755);
  EXPECT_EQ(e.libraries.at("cuDNN"), "9.19.0");
  EXPECT_EQ(e.flop_formula, Problem::flops_formula());
  ASSERT_EQ(back.records.size(), 1u);
  EXPECT_EQ(back.records[0].memory_clock_mhz, 2619);
  EXPECT_EQ(back.records[0].other_processes, std::optional<int>(0));
  // Unknown stays unknown: no invented zero.
  doc.records[0].other_processes.reset();
  EXPECT_FALSE(document_from_json(to_json(doc)).records[0].other_processes);
}

TEST(Environment, EarlierSchemaAndProtocolStillOpenAndLaterOnesAreNamed) {
  ResultDocument doc;
  doc.device.id = "cpu";
  nlohmann::json j = to_json(doc);
  j["schema_version"] = 1;
  j.erase("environment");
  EXPECT_TRUE(document_from_json(j).environment.empty());
  j["schema_version"] = kSchemaVersion + 1;
  try {
    document_from_json(j);
    ADD_FAILURE() << "a newer schema was read";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("reads versions 1 to " + std::to_string(kSchemaVersion)), std::string::npos) << e.what();
  }
  nlohmann::json start = to_json(WorkerMessage{StartMessage{doc, 1, 0}});
  start["protocol_version"] = kOldestProtocolVersion;
  EXPECT_NO_THROW(parse_worker_line(start.dump()));
}

TEST(Environment, ARunWritesTheFormulasAndTheLibrariesOfItsBackends) {
  TempDir dir;
  const std::string json = dir.file("r.json");
  const Result r = run_cli(dir, {"run", "--device", "cpu", "--seq", "32", "--backends", "cpu-math", "--heads", "2",
                                 "--head-dim", "16", "--dtype", "float32", "--min-samples", "2", "--min-time", "0",
                                 "--max-time", "0.05", "--json", json});
  ASSERT_EQ(r.code, 0) << r.err;
  const ResultDocument doc = load_results(json);
  EXPECT_EQ(doc.environment.flop_formula, Problem::flops_formula());
  EXPECT_EQ(doc.environment.byte_formula, Problem::bytes_formula());
  EXPECT_TRUE(doc.environment.gpus_at_start.empty());  // a CPU run has no GPU to describe
  const auto raw = nlohmann::json::parse(slurp(json));
  EXPECT_EQ(raw.at("schema_version"), kSchemaVersion);
  EXPECT_TRUE(raw.at("environment").contains("flop_formula"));
}
