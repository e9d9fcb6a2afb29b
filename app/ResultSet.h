#pragma once
// A set of results shown in the window: the live run, a file opened from disk (possibly written by
// attnscope-cli on another machine), or a second file overlaid for comparison. Files are read and
// written by the engine's own JSON/CSV code.
#include <QString>
#include <QStringList>
#include <optional>

#include "attnscope/results.hpp"

namespace attnscope::gui {

struct ResultSet {
  QString label;  // short name shown in legends and the table ("run", "h100.json")
  QString path;   // empty for a live run not saved yet
  ResultDocument doc;
};

struct LoadOutcome {
  std::optional<ResultSet> set;
  QString error;  // set when loading failed: the file and what was wrong with it
};

LoadOutcome loadResultFile(const QString& path);

// Writes by suffix: .json (document), .jsonl is not written, .csv (one row per record). Returns an
// error sentence, empty on success.
QString saveResultFile(const ResultDocument& doc, const QString& path);

}  // namespace attnscope::gui
