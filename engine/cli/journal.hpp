#pragma once
// The run journal: a JSON-lines file beside --json/--csv ("FILE.journal.jsonl") holding the start line
// and one record line per finished item, each forced to the disk as it is written. kill -9 or a power
// cut therefore loses no finished item; `run … --resume` reads the journal back, checks it belongs to
// the same sweep, rebuilds the result files from it and measures only the items still missing. The
// journal is the worker protocol's own format (results.hpp), so the app opens it like any stream.
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attnscope/file_output.hpp"
#include "attnscope/results.hpp"

namespace attnscope::cli {

// "out.json" → "out.json.journal.jsonl" (from --json, else --csv); empty when neither is given.
std::string journal_path_for(const std::string& json_file, const std::string& csv_file);

// What a journal says about a run that did not finish. Items may have finished in any order (a run
// sharded over several GPUs journals each record as it arrives).
struct JournalState {
  ResultDocument doc;          // header and the records finished so far, in journal order
  std::vector<int64_t> record_items;  // the plan item of each of doc.records
  int64_t total = 0;           // items in that run's plan
  int64_t start_at = 0;        // items before this were not asked for (--start-at): never measured
  std::set<int64_t> finished;  // items with a record
  // How many runs started each unfinished item and stopped before finishing it (killed, crashed, hung):
  // --resume retries it once, then records it as failed so one bad item cannot stall the sweep for ever.
  std::map<int64_t, int> interrupted_starts;
  // The items still to measure, in plan order.
  std::vector<int64_t> missing() const;
};

// Reads the journal; a cut last line (the process died while writing it) is dropped from the file so
// appending continues cleanly. Throws FormatError for anything else that is wrong.
JournalState read_journal(const std::string& path);

class Journal {
 public:
  // Appends to `path` (creating it when new; start_line is written only then).
  Journal(const std::string& path, const nlohmann::json* start_line);
  void started(int64_t item, int64_t total);      // an item begins (so a resume knows what was in flight)
  void record(int64_t item, const Record& r);  // durable before it returns
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<DurableLineWriter> out_;
};

}  // namespace attnscope::cli
