#pragma once
// Live eligibility: asks the worker (`attnscope-cli backends <the problem's options> --json`, the same
// options `run` gets) which backends can run the problem being edited. One worker process per edit:
// the worker expands the sweep and judges it at its probes (dtype × head dim × smallest and largest
// length, eligibility_probes in the core); the answer is merged into one status per backend. Edits are
// debounced (150 ms) and only the newest request's answer is delivered.
#include <QList>
#include <QStringList>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QString>
#include <QTimer>
#include <vector>

#include "WorkerLocator.h"
#include "WorkerProtocol.h"

namespace attnscope::gui {

// A backend's verdict for one probe problem.
struct ProbeVerdict {
  Problem problem;
  bool eligible = false;
  std::vector<RuleResult> rules;
  std::vector<std::string> variants;  // plans offered here (asked for with --plans), each its own series
  MemoryPrediction memory;  // the backend's predict_memory() there
};

// One backend across every probe of the sweep.
struct BackendStatus {
  BackendInfo info;
  std::vector<ProbeVerdict> probes;
  uint64_t memoryOutput = 0, memoryWorkspace = 0;  // at the largest probe

  bool eligibleAnywhere() const;    // runs for at least one point of the sweep
  bool eligibleEverywhere() const;
  // Every distinct unmet rule over all probes (deduplicated by rule and reason), environment first.
  std::vector<RuleResult> unmetRules() const;
  // HTML for the tooltip: every unmet rule with its fix hint, grouped by environment / input / memory.
  QString tooltipHtml() const;
  // HTML for the details pane: teaching text and every rule, met or not.
  QString detailsHtml() const;
};

// Pure merge of the worker's per-probe answers (in probe order) into one status per backend.
QList<BackendStatus> mergeReport(const EligibilityReport& report);

// The verdicts as records holding only the memory prediction (status ok where eligible, else
// ineligible with the unmet rules): the app's predicted memory chart for a what-if profile.
std::vector<Record> predictionRecords(const QList<BackendStatus>& statuses, const QString& deviceId);

// "float16 · d=64 · N=512" (only what a reader needs to tell probes apart)
QString probeLabel(const Problem& p);

class EligibilityService : public QObject {
  Q_OBJECT
 public:
  explicit EligibilityService(QObject* parent = nullptr);
  ~EligibilityService() override;

  void setWorkerPath(const QString& path) { worker_ = path; }
  // The worker for devices on the remote host ("remote:cuda:0", WorkerLocator.h).
  void setRemoteCommand(const WorkerCommand& command) { remote_ = command; }
  void setDebounceMs(int ms) { debounce_.setInterval(ms); }
  // Schedules a check of the problem given as attnscope-cli options (ProblemSpec::problemArgs), debounced.
  // Empty options clear the statuses' eligibility.
  void request(const QStringList& problemArgs, const QString& deviceId);
  bool busy() const { return process_ != nullptr || debounce_.isActive(); }

 signals:
  void updated(const QList<attnscope::gui::BackendStatus>& statuses);
  void failed(const QString& message);

 private:
  void start(const QStringList& problemArgs, const QString& deviceId);
  void onFinished(int exitCode, QProcess::ExitStatus status);
  void abortRunning();

  QString worker_;
  WorkerCommand remote_;
  QTimer debounce_;
  QStringList pendingArgs_;
  QString pendingDevice_;
  QPointer<QProcess> process_;  // the check in flight
};

}  // namespace attnscope::gui
