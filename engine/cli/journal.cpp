#include "journal.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "attnscope/json_input.hpp"
#include "attnscope/protocol.hpp"
#include "format.hpp"

namespace attnscope::cli {

std::string journal_path_for(const std::string& json_file, const std::string& csv_file) {
  // Beside a file on a disk: /dev/stdout or a pipe has no folder to keep a journal in.
  for (const std::string& base : {json_file, csv_file}) {
    std::error_code ec;
    if (!base.empty() && (!std::filesystem::exists(base, ec) || std::filesystem::is_regular_file(base, ec)))
      return base + ".journal.jsonl";
  }
  return {};
}

JournalState read_journal(const std::string& path) {
  JournalState st;
  st.doc = load_results(path);  // bounded, tolerant of a cut last line
  std::ifstream in(path, std::ios::binary);
  std::string first;
  std::getline(in, first);
  const nlohmann::json start = parse_bounded_json(first, path + ":1");
  if (!start.contains("total") || !start.at("total").is_number_integer() || start.at("total").get<int64_t>() < 0)
    throw FormatError(path + ":1: the start line has no item count (\"total\")");
  st.total = start.at("total").get<int64_t>();
  const int64_t start_at = start.contains("start_at") && start.at("start_at").is_number_integer()
                               ? start.at("start_at").get<int64_t>() : 0;
  st.next_item = start_at + int64_t(st.doc.records.size());
  if (st.next_item > st.total)
    throw FormatError(path + ": " + std::to_string(st.doc.records.size()) + " records for a plan of " +
                      std::to_string(st.total) + " items");
  std::ostringstream all;
  in.clear();
  in.seekg(0);
  all << in.rdbuf();
  const std::string text = all.str();
  // Count the starts of the first unfinished item ({"type":"progress","item":K} lines; keys sorted).
  const std::string mark = "{\"item\":" + std::to_string(st.next_item) + ",\"total\":";
  for (std::size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at + 1))
    st.interrupted_starts += (at == 0 || text[at - 1] == '\n');
  // Drop a cut last line so new lines start on a line of their own.
  const std::size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (keep < text.size() && ::truncate(path.c_str(), off_t(keep)) != 0)
    throw std::runtime_error("cannot repair the journal " + path + ": " + std::strerror(errno));
  return st;
}

Journal::Journal(const std::string& path, const nlohmann::json* start_line) : path_(path) {
  out_ = std::make_unique<DurableLineWriter>(path, "the journal");
  if (start_line) out_->write_line(json_line(*start_line));
}

void Journal::started(int64_t item, int64_t total) {
  out_->write_line(json_line({{"type", "progress"}, {"item", item}, {"total", total}}));
}

void Journal::record(int64_t item, const Record& r) {
  out_->write_line(to_line(RecordMessage{item, r}));
}

}  // namespace attnscope::cli
