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

std::vector<int64_t> JournalState::missing() const {
  std::vector<int64_t> items;
  for (int64_t i = start_at; i < total; ++i)
    if (!finished.count(i)) items.push_back(i);
  return items;
}

JournalState read_journal(const std::string& path) {
  JournalState st;
  st.doc = load_results(path);  // bounded, validated, tolerant of a cut last line
  std::ifstream in(path, std::ios::binary);
  std::ostringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  // Every complete line again, for what the loader does not keep: the item of each record and the
  // items that were started.
  std::map<int64_t, int> starts;
  std::size_t line_no = 0, at = 0;
  for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) {
    const std::string where = path + ":" + std::to_string(++line_no);
    const nlohmann::json j = parse_bounded_json(std::string_view(text).substr(at, nl - at), where);
    const std::string type = j.is_object() && j.contains("type") && j.at("type").is_string() ? j.at("type").get<std::string>() : "";
    auto item_of = [&](const char* key) {
      if (!j.contains(key) || !j.at(key).is_number_integer() || j.at(key).get<int64_t>() < 0)
        throw FormatError(where + ": a '" + type + "' line without a valid \"" + key + "\"");
      return j.at(key).get<int64_t>();
    };
    if (line_no == 1) {
      st.total = item_of("total");
      st.start_at = j.contains("start_at") ? item_of("start_at") : 0;
    } else if (type == "record") {
      st.record_items.push_back(item_of("item"));
    } else if (type == "progress") {
      ++starts[item_of("item")];
    }
  }
  if (st.record_items.size() != st.doc.records.size())
    throw FormatError(path + ": " + std::to_string(st.doc.records.size()) + " records but " +
                      std::to_string(st.record_items.size()) + " record lines");
  for (int64_t item : st.record_items) {
    if (item >= st.total)
      throw FormatError(path + ": a record of item " + std::to_string(item) + " in a plan of " +
                        std::to_string(st.total) + " items");
    st.finished.insert(item);
  }
  for (const auto& [item, n] : starts)
    if (!st.finished.count(item)) st.interrupted_starts[item] = n;
  // Drop a cut last line so new lines start on a line of their own.
  const std::size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  if (keep < text.size() && ::truncate(path.c_str(), off_t(keep)) != 0)
    throw std::runtime_error("cannot repair the journal " + path + ": " + std::strerror(errno));
  return st;
}

Journal::Journal(const std::string& path, const nlohmann::json* start_line) : path_(path) {
  // A new journal appears whole with its start line (temporary file, fsync, rename): kill -9 between
  // creating it and writing that line would otherwise leave an empty journal that neither a reader nor
  // --resume can place. The lines after it are appended.
  if (start_line) write_file_atomically(path, json_line(*start_line) + "\n", "the journal");
  out_ = std::make_unique<DurableLineWriter>(path, "the journal");
}

void Journal::started(int64_t item, int64_t total) {
  out_->write_line(json_line({{"type", "progress"}, {"item", item}, {"total", total}}));
}

void Journal::record(int64_t item, const Record& r) {
  out_->write_line(to_line(RecordMessage{item, r}));
}

}  // namespace attnscope::cli
