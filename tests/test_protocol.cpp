// The worker protocol (attnscope/protocol.hpp): every message survives its own writer and reader, a
// reader names both versions when they differ, and the project's real result streams still open.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "attnscope/protocol.hpp"
#include "attnscope/registry.hpp"
#include "attnscope/sweep.hpp"

using namespace attnscope;
namespace fs = std::filesystem;

namespace {

Problem small_problem(int64_t head_dim = 64) {
  Problem p;
  p.batch = 1, p.q_heads = 2, p.kv_heads = 2, p.q_len = 16, p.kv_len = 32, p.head_dim = head_dim;
  p.dtype = DType::F16;
  return p;
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no FormatError)";
}

}  // namespace

TEST(Protocol, EveryStreamMessageReadsBackAsWritten) {
  ResultDocument header;
  header.tool_version = "0.1.0";
  header.device = *find_profile("h100");
  header.settings.backends = {"flash2"};
  const WorkerMessage start = StartMessage{header, 6, 2};
  const auto s = std::get<StartMessage>(parse_worker_line(to_line(start)));
  EXPECT_EQ(s.total, 6);
  EXPECT_EQ(s.start_at, 2);
  EXPECT_EQ(s.header.device.id, "profile:h100");
  EXPECT_EQ(s.header.settings.backends, std::vector<std::string>{"flash2"});
  EXPECT_EQ(nlohmann::json::parse(to_line(start)).at("protocol_version"), kProtocolVersion);

  const auto pr = std::get<ProgressMessage>(parse_worker_line(to_line(ProgressMessage{1, 6, 3, 1, "naive", small_problem(), 0.5})));
  EXPECT_EQ(pr.item, 3);
  EXPECT_EQ(pr.backend, "naive");
  ASSERT_TRUE(pr.problem.has_value());
  EXPECT_EQ(pr.problem->kv_len, 32);

  Record r;
  r.problem = small_problem();
  r.backend = "naive";
  r.device = "profile:h100";
  r.status = Status::Ineligible;
  r.unmet.push_back(RuleResult{"dtype", RuleKind::Input, "dtype", "float16", "float32", false, "dtype is float16", "x"});
  const auto rec = std::get<RecordMessage>(parse_worker_line(to_line(RecordMessage{4, r})));
  EXPECT_EQ(rec.item, 4);
  EXPECT_EQ(rec.record.unmet.at(0).reason, "dtype is float16");

  const auto end = std::get<EndMessage>(parse_worker_line(to_line(EndMessage{5, 6, true})));
  EXPECT_EQ(end.done, 5);
  EXPECT_TRUE(end.cancelled);
  const auto log = std::get<LogMessage>(parse_worker_line(to_line(LogMessage{"warning", "timer fell back"})));
  EXPECT_EQ(log.message, "timer fell back");
}

TEST(Protocol, EligibilityReportCarriesEveryProbeOfTheSweep) {
  Registry reg;
  register_builtin_backends(reg);
  SweepSpec sweep;
  sweep.base = small_problem();
  sweep.head_dims = {64, 128};
  sweep.q_lens = {16, 256};
  EligibilityReport report;
  report.device = *find_profile("h100");
  for (const Problem& p : eligibility_probes(expand(sweep))) report.probes.push_back({p, reg.evaluate_all(p, report.device)});
  ASSERT_EQ(report.probes.size(), 4u);

  const EligibilityReport back = parse_eligibility_report(to_json(report).dump());
  EXPECT_EQ(back.device.id, "profile:h100");
  ASSERT_EQ(back.probes.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(back.probes[i].problem, report.probes[i].problem);
    ASSERT_EQ(back.probes[i].verdicts.size(), reg.backends().size());
    for (std::size_t k = 0; k < back.probes[i].verdicts.size(); ++k) {
      const Verdict &got = back.probes[i].verdicts[k], &want = report.probes[i].verdicts[k];
      EXPECT_EQ(got.info.id, want.info.id);
      EXPECT_EQ(got.eligible(), want.eligible()) << got.info.id;
      EXPECT_EQ(got.rules.size(), want.rules.size()) << got.info.id;
      EXPECT_EQ(got.memory.workspace_bytes, want.memory.workspace_bytes) << got.info.id;
      EXPECT_EQ(got.accepted_by, want.accepted_by);
    }
  }
}

TEST(Protocol, AVerdictsPlansSurviveTheRoundTripAndABadOneIsNamed) {
  Registry reg;
  register_builtin_backends(reg);
  EligibilityReport report;
  report.device = *find_profile("h100");
  report.probes.push_back({small_problem(), reg.evaluate_all(small_problem(), report.device)});
  report.probes[0].verdicts.at(0).variants = {"eng9_k24=7", "eng2_k24=7"};
  nlohmann::json j = to_json(report);
  EXPECT_EQ(parse_eligibility_report(j.dump()).probes[0].verdicts[0].variants, report.probes[0].verdicts[0].variants);
  EXPECT_FALSE(j["probes"][0]["backends"][1].contains("variants"));  // omitted when there are none
  j["probes"][0]["backends"][0]["variants"][1] = 7;
  const std::string e = what_of([&] { parse_eligibility_report(j.dump()); });
  EXPECT_NE(e.find("variants[1]"), std::string::npos) << e;
}

TEST(Protocol, AReaderNamesBothVersionsWhenTheyDiffer) {
  nlohmann::json devices = to_json(DeviceReport{DeviceList{{*find_profile("t4")}, ""}, false});
  EXPECT_EQ(parse_device_report(devices.dump()).list.devices.at(0).id, "profile:t4");
  devices["protocol_version"] = kProtocolVersion + 1;
  std::string e = what_of([&] { parse_device_report(devices.dump()); });
  EXPECT_NE(e.find("is " + std::to_string(kProtocolVersion + 1)), std::string::npos) << e;
  EXPECT_NE(e.find("version " + std::to_string(kProtocolVersion)), std::string::npos) << e;

  EligibilityReport report;
  report.device = *find_profile("t4");
  nlohmann::json eligibility = to_json(report);
  eligibility.erase("protocol_version");  // an older worker's answer
  e = what_of([&] { parse_eligibility_report(eligibility.dump()); });
  EXPECT_NE(e.find("protocol_version: missing"), std::string::npos) << e;

  nlohmann::json start = to_json(WorkerMessage{StartMessage{ResultDocument{}, 1, 0}});
  start["protocol_version"] = 1;
  e = what_of([&] { parse_worker_line(start.dump()); });
  EXPECT_NE(e.find("is 1; this AttnScope speaks worker protocol version " + std::to_string(kProtocolVersion)),
            std::string::npos) << e;
  // A document of the wrong kind is named as such.
  e = what_of([&] { parse_eligibility_report(to_json(DeviceReport{}).dump()); });
  EXPECT_NE(e.find("'devices' where a 'eligibility' document was expected"), std::string::npos) << e;
}

TEST(Protocol, OneRuleReaderRequiresTheIdKindVerdictAndReason) {
  const RuleResult r{"dtype", RuleKind::Input, "dtype", "float32", "float16", false, "dtype is float32", "choose float16"};
  const RuleResult back = rule_from_json(to_json(r), "rule");
  EXPECT_EQ(back.rule, r.rule);
  EXPECT_EQ(back.met, r.met);
  EXPECT_EQ(back.hint, r.hint);
  for (const char* key : {"rule", "kind", "met", "reason"}) {
    nlohmann::json j = to_json(r);
    j.erase(key);
    const std::string e = what_of([&] { rule_from_json(j, "rule"); });
    EXPECT_NE(e.find(std::string("rule.") + key + ": missing"), std::string::npos) << e;
  }
  for (const char* key : {"field", "observed", "required", "hint"}) {
    nlohmann::json j = to_json(r);
    j.erase(key);
    EXPECT_NO_THROW(rule_from_json(j, "rule")) << key;
  }
}

// The streams the project measured with earlier versions (docs/results) open with today's reader.
TEST(Protocol, EarlierResultStreamsOfTheProjectStillOpen) {
  const fs::path results = fs::path(ATTNSCOPE_TEST_DATA).parent_path().parent_path() / "docs" / "results";
  ASSERT_TRUE(fs::exists(results)) << results;
  int streams = 0;
  for (const auto& entry : fs::recursive_directory_iterator(results)) {
    if (entry.path().extension() != ".jsonl") continue;
    ++streams;
    const ResultDocument doc = load_results(entry.path().string());
    // Every record line of the file is read, also when several runs were appended to it.
    std::ifstream in(entry.path());
    std::size_t record_lines = 0;
    for (std::string line; std::getline(in, line);) record_lines += line.find("\"type\":\"record\"") != std::string::npos;
    EXPECT_EQ(doc.records.size(), record_lines) << entry.path();
    EXPECT_FALSE(doc.records.empty()) << entry.path();
    EXPECT_TRUE(doc.device.is_gpu()) << entry.path();
  }
  EXPECT_GE(streams, 10);
}
