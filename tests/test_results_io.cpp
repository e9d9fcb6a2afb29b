#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnscope/results.hpp"
#include "temp_dir.hpp"

using namespace attnscope;
namespace fs = std::filesystem;

namespace {

ResultDocument sample_document() {
  ResultDocument doc;
  doc.tool_version = "test";
  doc.created_utc = now_utc_iso8601();
  doc.host = this_host();
  doc.device = *find_profile("h100");
  doc.settings.argv = {"attnscope-cli", "run"};
  doc.settings.sweep = "seq 128,256";
  doc.settings.seed = 42;
  Record ok;
  ok.point = 0;
  ok.problem.q_len = ok.problem.kv_len = 128;
  ok.problem.scale = 0.3;
  ok.backend = "cpu-math";
  ok.device = "cpu";
  ok.timer = "steady-clock";
  ok.samples_us = {10, 11, 12};
  ok.latency_us = summarize(ok.samples_us);
  ok.kernels = {"sgemm", "softmax"};
  ok.libraries = {{"cuDNN", "9.19.0"}, {"cudnn-frontend", "1.32.0"}};
  ok.variant = "eng0_k2=1";
  ok.phase_s = {{"setup", 0.01}, {"warm-up", 0.1}, {"samples", 0.5}};
  ok.memory = {100, 200, 300, 100, 200, "tracking-allocator"};
  ok.accuracy = Accuracy{"cpu-reference", 1e-7, 2e-7, 1e-4, true, 4, 16};
  ok.flops = ok.problem.flops();
  ok.tflops = ok.flops / (ok.latency_us.median * 1e6);
  ok.gbs = double(ok.problem.bytes_moved()) / (ok.latency_us.median * 1e3);
  ok.pct_of_bandwidth = 12.5;
  Record inel;
  inel.point = 1;
  inel.backend = "flash2";
  inel.device = "cpu";
  inel.status = Status::Ineligible;
  inel.unmet.push_back({"dtype", RuleKind::Input, "dtype", "float32", "float16 or bfloat16", false,
                        "dtype is float32; this backend supports float16, bfloat16", "choose float16"});
  Record err;
  err.point = 1;
  err.backend = "naive";
  err.device = "cpu";
  err.status = Status::Error;
  err.message = "kernel failed: \"illegal address\", line 3";
  doc.records = {ok, inel, err};
  return doc;
}

// One private folder per test process (mkdtemp), never a fixed /tmp name.
std::string temp_path(const std::string& name) {
  static const attnscope::testing_support::TempDir dir("attnscope_results_io");
  return dir.file(name);
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string load_error(const std::string& text) {
  const std::string path = temp_path("bad.json");
  write(path, text);
  try {
    load_results(path);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ResultsIO, JsonRoundTripKeepsEveryField) {
  const ResultDocument doc = sample_document();
  const std::string path = temp_path("roundtrip.json");
  save_json(doc, path);
  const ResultDocument back = load_results(path);
  EXPECT_EQ(back.device.id, "profile:h100");
  EXPECT_EQ(back.settings.seed, 42u);
  ASSERT_EQ(back.records.size(), 3u);
  const Record& ok = back.records[0];
  EXPECT_EQ(ok.problem, doc.records[0].problem);
  EXPECT_DOUBLE_EQ(ok.latency_us.median, 11);
  EXPECT_EQ(ok.samples_us, doc.records[0].samples_us);
  EXPECT_EQ(ok.kernels, doc.records[0].kernels);
  EXPECT_EQ(ok.libraries, doc.records[0].libraries);
  EXPECT_EQ(ok.variant, "eng0_k2=1");
  EXPECT_EQ(ok.phase_s, doc.records[0].phase_s);
  EXPECT_TRUE(back.records[1].phase_s.empty());
  EXPECT_TRUE(back.records[1].libraries.empty());
  EXPECT_EQ(*ok.memory.peak, 300u);
  ASSERT_TRUE(ok.accuracy.has_value());
  EXPECT_DOUBLE_EQ(ok.accuracy->rel_l2, 1e-7);
  EXPECT_DOUBLE_EQ(ok.gbs, doc.records[0].gbs);
  EXPECT_DOUBLE_EQ(ok.pct_of_bandwidth, 12.5);
  EXPECT_EQ(back.records[1].status, Status::Ineligible);
  ASSERT_EQ(back.records[1].unmet.size(), 1u);
  EXPECT_EQ(back.records[1].unmet[0].hint, "choose float16");
  EXPECT_EQ(back.records[2].message, doc.records[2].message);
}

TEST(ResultsIO, FilesWithoutBandwidthFieldsGetItFromTheProblem) {
  // Result files written before gbs existed still show the memory traffic (no % without the peak).
  const ResultDocument doc = sample_document();
  nlohmann::json j = to_json(doc.records[0]);
  j.erase("gbs");
  j.erase("pct_of_bandwidth");
  nlohmann::json start = {{"type", "start"}, {"schema_version", kSchemaVersion}, {"device", to_json(doc.device)}, {"total", 1}};
  const std::string path = temp_path("old_record.jsonl");
  write(path, start.dump() + "\n" + nlohmann::json{{"type", "record"}, {"record", j}}.dump() + "\n");
  const Record back = load_results(path).records.at(0);
  EXPECT_DOUBLE_EQ(back.gbs, double(back.problem.bytes_moved()) / (11 * 1e3));
  EXPECT_EQ(back.pct_of_bandwidth, 0);
}

TEST(ResultsIO, StreamOfJsonLinesLoads) {
  const ResultDocument doc = sample_document();
  nlohmann::json start = {{"type", "start"}, {"schema_version", kSchemaVersion}, {"device", to_json(doc.device)}, {"total", 3}};
  std::ostringstream s;
  s << start.dump() << '\n';
  s << nlohmann::json{{"type", "progress"}, {"done", 0}, {"total", 3}}.dump() << '\n';
  for (const auto& r : doc.records) s << nlohmann::json{{"type", "record"}, {"record", to_json(r)}}.dump() << '\n';
  const std::string path = temp_path("stream.jsonl");
  write(path, s.str());  // no end line: a worker that died keeps what it wrote
  const ResultDocument back = load_results(path);
  EXPECT_EQ(back.records.size(), 3u);
}

TEST(ResultsIO, MalformedFilesAreRejectedWithThePath) {
  EXPECT_NE(load_error("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(load_error("[]").find("expected an object"), std::string::npos);
  EXPECT_NE(load_error(R"({"schema_version": 99})").find("schema_version"), std::string::npos);

  nlohmann::json j = to_json(sample_document());
  j["records"][2]["status"] = "okk";
  std::string e = load_error(j.dump());
  EXPECT_NE(e.find("records[2].status"), std::string::npos) << e;
  EXPECT_NE(e.find("okk"), std::string::npos) << e;

  j = to_json(sample_document());
  j["records"][0]["problem"]["head_dim"] = -8;
  e = load_error(j.dump());
  EXPECT_NE(e.find("records[0].problem.head_dim"), std::string::npos) << e;

  j = to_json(sample_document());
  j["records"][0].erase("latency_us");
  e = load_error(j.dump());
  EXPECT_NE(e.find("records[0].latency_us: missing"), std::string::npos) << e;

  j = to_json(sample_document());
  j["device"]["kind"] = "tpu";
  EXPECT_NE(load_error(j.dump()).find("device.kind"), std::string::npos);

  EXPECT_NE(load_error("{\"type\":\"start\",\"schema_version\":1}\n").find("device: missing"), std::string::npos);
  const std::string missing = temp_path("does_not_exist.json");
  fs::remove(missing);
  EXPECT_THROW(load_results(missing), FormatError);
}

TEST(ResultsIO, CsvHasHeaderAndOneRowPerRecord) {
  const ResultDocument doc = sample_document();
  std::ostringstream out;
  write_csv(doc.records, out);
  std::istringstream in(out.str());
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(lines[0].starts_with("point,backend,device,status"));
  EXPECT_NE(lines[1].find("cpu-math,cpu,ok"), std::string::npos);
  EXPECT_NE(lines[2].find("dtype is float32"), std::string::npos);
  EXPECT_NE(lines[3].find("\"kernel failed: \"\"illegal address\"\", line 3\""), std::string::npos) << lines[3];
  // Every row has the header's columns (commas inside quotes do not split), so ok and failed rows
  // line up; the ok row's gbs column holds the record's value.
  const auto fields = [](const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) out.emplace_back();
      else out.back() += c;
    }
    return out;
  };
  const std::vector<std::string> header = fields(lines[0]);
  for (std::size_t i = 1; i < lines.size(); ++i) EXPECT_EQ(fields(lines[i]).size(), header.size()) << lines[i];
  const auto gbs_col = std::find(header.begin(), header.end(), "gbs") - header.begin();
  ASSERT_LT(std::size_t(gbs_col), header.size());
  EXPECT_NEAR(std::stod(fields(lines[1])[std::size_t(gbs_col)]), doc.records[0].gbs, 1e-6 * doc.records[0].gbs);
  const auto libraries_col = std::size_t(std::find(header.begin(), header.end(), "libraries") - header.begin());
  ASSERT_LT(libraries_col, header.size());
  EXPECT_EQ(fields(lines[1])[libraries_col], "cuDNN=9.19.0;cudnn-frontend=1.32.0");
  EXPECT_EQ(fields(lines[1])[libraries_col + 1], "eng0_k2=1");
}
