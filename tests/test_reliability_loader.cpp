// The result loader and the JSON bounds against hostile or damaged input: deep nesting (the stack
// overflow of the 2026-12-06 review), cut streams, empty files, huge numbers and strings, atomic writes
// on a disk that fills up.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "attnscope/file_output.hpp"
#include "attnscope/json_input.hpp"
#include "attnscope/results.hpp"
#include "full_disk.hpp"
#include "temp_dir.hpp"

using namespace attnscope;
using attnscope::testing_support::TempDir;
namespace fs = std::filesystem;

namespace {

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string load_error(const std::string& path) {
  try {
    load_results(path);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

// A real stream written by attnscope-cli (the GUI test fixture).
std::string real_stream() { return slurp(std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/gui/data/cpu_stream.jsonl"); }
std::string real_document() { return slurp(std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/gui/data/cpu_run.json"); }

std::string nested(const std::string& open, const std::string& close, int depth, const std::string& inner = "") {
  std::string s;
  s.reserve(std::size_t(depth) * (open.size() + close.size()) + inner.size());
  for (int i = 0; i < depth; ++i) s += open;
  s += inner;
  for (int i = 0; i < depth; ++i) s += close;
  return s;
}

}  // namespace

TEST(Reliability, AHundredThousandDeepArrayIsRefusedNotACrash) {
  TempDir dir;
  const std::string path = dir.file("deep.json");
  write(path, "{\"schema_version\": " + nested("[", "]", 100000) + "}");
  const std::string e = load_error(path);
  EXPECT_NE(e.find("nested deeper than 64"), std::string::npos) << e;
}

TEST(Reliability, ADeepValueInsideARealRecordIsRefused) {
  TempDir dir;
  nlohmann::json doc = nlohmann::json::parse(real_document());
  std::string text = doc.dump();
  const std::string key = "\"batch\":";
  const auto at = text.find(key);
  ASSERT_NE(at, std::string::npos);
  const auto end = text.find_first_of(",}", at);
  text.replace(at + key.size(), end - at - key.size(), nested("{\"a\":", "}", 100000, "1"));
  const std::string path = dir.file("deep_batch.json");
  write(path, text);
  const std::string e = load_error(path);
  EXPECT_NE(e.find("nested deeper"), std::string::npos) << e;
}

TEST(Reliability, ADeepWorkerLineIsRefusedByTheBoundedParser) {
  const std::string line = "{\"type\": " + nested("{\"a\":", "}", 100000, "1") + "}";
  try {
    parse_bounded_json(line, "worker line");
    FAIL() << "accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper"), std::string::npos) << e.what();
  }
}

TEST(Reliability, AWrongTypeSaysWhatWasFoundWithoutSerialisingIt) {
  TempDir dir;
  nlohmann::json doc = nlohmann::json::parse(real_document());
  nlohmann::json deep = 1;
  for (int i = 0; i < 60; ++i) deep = nlohmann::json::array({deep, deep.is_array() ? nlohmann::json(0) : deep});
  doc["records"][0]["problem"]["batch"] = deep;
  const std::string path = dir.file("typed.json");
  write(path, doc.dump());
  const std::string e = load_error(path);
  EXPECT_NE(e.find("records[0].problem.batch: expected an integer, found an array of 2 element(s)"), std::string::npos) << e;
  EXPECT_EQ(describe_json_value(nlohmann::json("x" + std::string(100, 'y'))).size(), std::string("string \"").size() + 40 + 1);
}

TEST(Reliability, ACutStreamKeepsItsCompleteRecordsAndSaysWhereItStopped) {
  TempDir dir;
  const std::string full = real_stream();
  const std::string path = dir.file("cut.jsonl");
  // Cut in the middle of the last record line.
  const auto last_record = full.rfind("\n{\"item\":");  // record lines (keys sorted: item, record, type)
  ASSERT_NE(last_record, std::string::npos);
  write(path, full.substr(0, last_record + 40));
  const ResultDocument whole = [&] {
    write(dir.file("full.jsonl"), full);
    return load_results(dir.file("full.jsonl"));
  }();
  const ResultDocument doc = load_results(path);
  EXPECT_EQ(doc.records.size(), whole.records.size() - 1);
  ASSERT_FALSE(doc.load_warnings.empty());
  EXPECT_NE(doc.load_warnings.front().find("is cut off"), std::string::npos) << doc.load_warnings.front();
  EXPECT_NE(doc.load_warnings.front().find("cut.jsonl:"), std::string::npos) << doc.load_warnings.front();
  EXPECT_TRUE(whole.load_warnings.empty()) << whole.load_warnings.front();
}

TEST(Reliability, AStreamWithoutEndLineLoadsWithAWarning) {
  TempDir dir;
  std::string text = real_stream();
  text = text.substr(0, text.rfind("{\"cancelled\""));  // the end line
  write(dir.file("noend.jsonl"), text);
  const ResultDocument doc = load_results(dir.file("noend.jsonl"));
  ASSERT_FALSE(doc.load_warnings.empty());
  EXPECT_NE(doc.load_warnings.front().find("did not finish"), std::string::npos) << doc.load_warnings.front();
}

TEST(Reliability, ClearMessagesForEmptyHeadlessAndOverflowingFiles) {
  TempDir dir;
  write(dir.file("empty.json"), "");
  EXPECT_NE(load_error(dir.file("empty.json")).find("is empty"), std::string::npos) << load_error(dir.file("empty.json"));
  std::string headless = real_stream();
  headless = headless.substr(headless.find('\n') + 1);  // tail -n +2
  write(dir.file("headless.jsonl"), headless);
  EXPECT_NE(load_error(dir.file("headless.jsonl")).find("without its start line"), std::string::npos)
      << load_error(dir.file("headless.jsonl"));
  write(dir.file("big.json"), "{\"schema_version\": 1e400}");
  EXPECT_NE(load_error(dir.file("big.json")).find("outside the range of a double"), std::string::npos)
      << load_error(dir.file("big.json"));
  write(dir.file("u64.json"), "{\"schema_version\": 18446744073709551615}");
  EXPECT_NE(load_error(dir.file("u64.json")).find("schema_version: is 18446744073709551615"), std::string::npos)
      << load_error(dir.file("u64.json"));
}

TEST(Reliability, LongStringsAndHugeFilesAreRefusedBeforeTheyCostMemory) {
  TempDir dir;
  write(dir.file("long.json"), "{\"schema_version\": 1, \"tool_version\": \"" + std::string(JsonBounds::max_string + 1, 'x') + "\"}");
  EXPECT_NE(load_error(dir.file("long.json")).find("a string of"), std::string::npos) << load_error(dir.file("long.json"));
  // A sparse file: no disk used, the size check fires before reading.
  const std::string huge = dir.file("huge.json");
  write(huge, "{");
  fs::resize_file(huge, JsonBounds::max_file + 1);
  EXPECT_NE(load_error(huge).find("MiB are read"), std::string::npos) << load_error(huge);
}

TEST(Reliability, CausalPairCountClosedFormMatchesTheRowByRowCount) {
  for (int64_t nq : {1, 2, 7, 64, 100}) {
    for (int64_t nk : {1, 3, 7, 64, 129}) {
      Problem p;
      p.causal = true;
      p.q_len = nq;
      p.kv_len = nk;
      uint64_t expected = 0;
      for (int64_t i = 0; i < nq; ++i) expected += uint64_t(std::clamp<int64_t>(i + nk - nq + 1, 0, nk));
      EXPECT_EQ(p.unmasked_pairs(), expected) << nq << "x" << nk;
    }
  }
}

// A full disk (RLIMIT_FSIZE makes every write past the limit fail like ENOSPC, no mount needed):
// the failed save is an error and the previous file stays whole.
TEST(Reliability, AFailedWriteLeavesThePreviousFileIntact) {
  TempDir dir;
  const std::string path = dir.file("r.json");
  write_file_atomically(path, "{\"old\": 1}\n", "--json");
  std::string error;
  {
    testing_support::FullDisk full(4096);
    ASSERT_TRUE(full.active());
    try {
      write_file_atomically(path, std::string(100000, 'x'), "--json");
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  }
  EXPECT_NE(error.find("cannot write --json"), std::string::npos) << error;
  EXPECT_EQ(slurp(path), "{\"old\": 1}\n");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u) << "the temporary file was left behind";
}

TEST(Reliability, WritingToDevFullIsAnError) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  EXPECT_THROW(write_file_atomically("/dev/full", "x", "--csv"), std::runtime_error);
  ResultDocument doc;
  EXPECT_THROW(save_csv(doc.records, "/dev/full"), std::runtime_error);  // the CSV's own error was ignored before
}

TEST(Reliability, ASymlinkedTargetIsReplacedBehindTheLink) {
  TempDir dir;
  write(dir.file("real.json"), "old");
  fs::create_symlink(dir.file("real.json"), dir.file("link.json"));
  write_file_atomically(dir.file("link.json"), "new", "--json");
  EXPECT_TRUE(fs::is_symlink(dir.file("link.json")));
  EXPECT_EQ(slurp(dir.file("real.json")), "new");
}
