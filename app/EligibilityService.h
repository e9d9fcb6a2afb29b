#pragma once
// Live eligibility: asks the worker (`attnscope-cli backends … --json`) which backends can run the
// problem being edited, once per distinct probe problem of the sweep (dtype × head dim × smallest and
// largest length), and merges the answers into one status per backend. Edits are debounced (150 ms) and
// only the newest request's answer is delivered.
#include <QList>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QString>
#include <QTimer>
#include <vector>

#include "WorkerProtocol.h"

namespace attnscope::gui {

// A backend's verdict for one probe problem.
struct ProbeVerdict {
  Problem problem;
  bool eligible = false;
  std::vector<RuleResult> rules;
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

// Pure merge of the worker's per-probe answers (in probe order).
QList<BackendStatus> mergeReports(const std::vector<EligibilityReport>& reports);

// "float16 · d=64 · N=512" (only what a reader needs to tell probes apart)
QString probeLabel(const Problem& p);

class EligibilityService : public QObject {
  Q_OBJECT
 public:
  explicit EligibilityService(QObject* parent = nullptr);
  ~EligibilityService() override;

  void setWorkerPath(const QString& path) { worker_ = path; }
  void setDebounceMs(int ms) { debounce_.setInterval(ms); }
  // Schedules a check (debounced). An empty probe list clears the statuses' eligibility.
  void request(const std::vector<Problem>& probes, const QString& deviceId);
  bool busy() const { return process_ != nullptr || debounce_.isActive(); }

 signals:
  void updated(const QList<attnscope::gui::BackendStatus>& statuses);
  void failed(const QString& message);

 private:
  void startNext();
  void onFinished(int exitCode, QProcess::ExitStatus status);
  void abortRunning();

  QString worker_;
  QTimer debounce_;
  std::vector<Problem> pendingProbes_;
  QString pendingDevice_;

  // The check in flight.
  std::vector<Problem> probes_;
  QString device_;
  std::size_t next_ = 0;
  std::vector<EligibilityReport> reports_;
  QPointer<QProcess> process_;
};

}  // namespace attnscope::gui
