#pragma once
// The problem, device and backends a result file was measured with, for the problem form: from the run's
// recorded command line (settings.argv, read back by attnscope-cli's own option parser:
// recorded_problem.hpp), or where there is none (a file written by other means) from its records.
#include <QString>
#include <QStringList>

#include "EligibilityService.h"
#include "ProblemSpec.h"
#include "attnscope/results.hpp"

namespace attnscope::gui {

struct FileProblem {
  ProblemSpec spec;        // `base` with the file's problem fields; device and measurement choices kept
  bool fromCommandLine = false;
  std::vector<DeviceInfo> devices;  // the devices it was measured on: one, or a sharded run's GPUs (one worker each)
  QStringList backends;    // the backends it ran, in plan order
  QStringList notes;       // what the form cannot show as the file has it ("batch varies: 1, 4 — shown: 1")
};

FileProblem fileProblem(const ResultDocument& doc, const ProblemSpec& base);

// The backends a file ran that the worker does not list (`listed`: every backend this build registers),
// which therefore cannot be checked in the backend list: which ids and why, for the user ("" when none
// is missing, or while nothing is listed yet). Their records still plot.
QString missingBackendsNote(const QStringList& fileBackends, const QList<BackendStatus>& listed, const QString& fileLabel);

// The problem fields in which two specs differ, named as the form names them ("causal", "head dim").
QStringList problemDifferences(const ProblemSpec& a, const ProblemSpec& b);

}  // namespace attnscope::gui
