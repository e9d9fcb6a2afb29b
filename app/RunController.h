#pragma once
// Runs a sweep in the worker process (`attnscope-cli run … --stream`) and turns its JSON lines into
// records and progress. The GUI thread never blocks: QProcess is asynchronous.
//  - Cancel: SIGTERM at once, SIGKILL 500 ms later if the worker is still there; every record that
//    arrived is kept.
//  - A worker that dies mid-sweep (fault, kill, abort) is reported as an error record on the item it was
//    running, then restarted with --start-at the next item; the sweep carries on.
//  - Supervision: a worker that dies between items is restarted on the same item with back-off, at most
//    kMaxRestartsPerItem times; then that item is recorded as failed and the sweep goes on. When
//    kMaxFailedItemsInARow items fail that way with nothing measured in between, the worker is broken
//    and the run stops. A watchdog kills a worker silent for longer than the item's time cap allows
//    (a hung kernel, a stalled pipe) and records it on the item. Item numbers and line lengths from the
//    worker are checked; a line breaking the protocol is reported, never trusted.
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QHash>
#include <QSet>
#include <QStringList>
#include <QTimer>
#include <optional>
#include <vector>

#include "SweepEta.h"
#include "WorkerLocator.h"
#include "WorkerProtocol.h"

namespace attnscope::gui {

struct RunRequest {
  QString device;           // an address (WorkerLocator.h): "cuda:0", "all", "remote:cuda:0"
  QStringList problemArgs;  // ProblemSpec::problemArgs()
  QStringList backends;     // ids; empty ⇒ every backend
  QStringList extraArgs;    // e.g. measurement settings
  // Optional: the expanded sweep (ProblemSpec), so an item the worker never announced can still be
  // recorded with its problem when it fails.
  std::vector<Problem> points;
};

struct RunProgress {
  int64_t done = 0, total = 0;
  int64_t item = -1;
  QString backend;
  QString point;       // the problem being run, described
  double elapsedS = 0;
  double etaS = -1;    // < 0: unknown yet; predicted item by item (SweepEta)
  int restarts = 0;
};

class RunController : public QObject {
  Q_OBJECT
 public:
  enum class Outcome { Completed, Cancelled, Failed };
  Q_ENUM(Outcome)

  explicit RunController(QObject* parent = nullptr);
  ~RunController() override;

  void setWorkerPath(const QString& path) { worker_ = path; }
  // The worker for devices on the remote host ("remote:…"): e.g. `ssh user@gpu-box attnscope-cli`.
  void setRemoteCommand(const WorkerCommand& command) { remote_ = command; }
  // Runs on the remote host and sharded runs ("all", "cuda:0,cuda:1") keep a journal on the worker's side
  // (`--json FILE`); a worker that dies (a dropped connection) is continued with `--resume`, which
  // repeats the finished records (the ones this side already holds are skipped) and measures the rest.
  // When a run on the remote host ends (completed, cancelled or failed, or the app closes mid-run),
  // `remove-run FILE` through the same remote command removes what it left there (the file and its
  // journal); remoteFilesRemoved says how that went, and a failure is also a workerLog warning.
  bool resumable() const { return resumable_; }
  QString workerPath() const { return worker_; }
  // The kill grace after SIGTERM (ms).
  void setKillGraceMs(int ms) { killTimer_.setInterval(ms); }
  // Watchdog: the worker must say something within this long of starting, and between two lines
  // of one item. Default: derived from the run's --max-time (see watchdogFor).
  void setWatchdogMs(int ms) { watchdogOverrideMs_ = ms; }
  void setRestartBackoffMs(int ms) { backoffMs_ = ms; }

  static constexpr int kMaxRestartsPerItem = 3;
  static constexpr int kMaxFailedItemsInARow = 3;

  bool start(const RunRequest& request);  // false (and failed()) when it cannot start
  void cancel();
  bool running() const { return process_ != nullptr || backoff_.isActive(); }

  const std::vector<Record>& records() const { return records_; }
  const std::optional<DeviceInfo>& device() const { return device_; }
  // The run as a result document (the worker's header + every record so far), ready to save.
  ResultDocument document() const;
  QString toolVersion() const { return toolVersion_; }
  QStringList lastArguments() const { return lastArgs_; }  // of the newest worker started
  const RunProgress& progress() const { return progress_; }
  const RunRequest& request() const { return request_; }

 signals:
  void started(qint64 total);
  void progressed(const attnscope::gui::RunProgress& progress);
  void recordReady(const attnscope::Record& record);
  // records()[index] was an error this side recorded when the worker died on it, and the resumed
  // worker delivered the item's real record (finished before the connection dropped, or measured again).
  void recordReplaced(qsizetype index, const attnscope::Record& record);
  void workerRestarted(qint64 startAt, const QString& why);
  void workerLog(const QString& level, const QString& message);
  void finished(attnscope::gui::RunController::Outcome outcome, const QString& message);
  void remoteFilesRemoved(bool ok, const QString& message);

 private:
  void launch(int64_t startAt);
  void readLines();
  void handleLine(const QByteArray& line);
  void onFinished(int exitCode, QProcess::ExitStatus status);
  void finish(Outcome outcome, const QString& message);
  void removeRemoteFiles();
  QString deathDescription(int exitCode, QProcess::ExitStatus status) const;
  void updateTiming();
  void itemFinished(int64_t item, const Record& r);  // feeds the ETA
  void protocolProblem(const QString& what);
  void restartOrSkip(int64_t next, const QString& why, const QString& errText);
  Record failedRecord(int64_t item, const QString& message) const;
  int watchdogMs() const;
  WorkerCommand commandFor(const QString& deviceAddress) const;

  QString worker_;
  WorkerCommand remote_;
  bool resumable_ = false;
  QString journalFile_;          // --json of a resumable run (on the host the worker runs on)
  bool journalStarted_ = false;  // a worker said "start": its journal exists, so --resume continues it
  QSet<qint64> heldAtLaunch_;    // items this side held when the newest worker started
  QHash<qint64, qsizetype> provisional_;  // item → index of the error recorded when its worker died
  RunRequest request_;
  QPointer<QProcess> process_;
  QPointer<QProcess> cleanup_;  // remove-run on the remote host, after a run there
  QTimer killTimer_;
  QTimer clock_;  // refreshes elapsed/ETA between worker messages
  QTimer watchdog_;
  QTimer backoff_;
  int watchdogOverrideMs_ = 0;
  int backoffMs_ = 250;
  bool watchdogFired_ = false;
  bool lineTooLong_ = false;
  int64_t pendingStart_ = 0;
  QHash<qint64, int> restartsAt_;   // item → restarts that began there without finishing anything
  int failedInARow_ = 0;
  int recordsSinceLaunch_ = 0;
  QElapsedTimer elapsed_;
  QByteArray stderrTail_;
  QStringList lastArgs_;

  std::vector<Record> records_;
  QSet<qint64> itemsDone_;
  std::optional<DeviceInfo> device_;
  std::optional<ResultDocument> header_;
  QString toolVersion_;
  RunProgress progress_;
  SweepEta eta_;
  QHash<qint64, double> itemStartS_;  // item → elapsed seconds when the worker said it started
  double lastRecordS_ = 0;
  std::optional<ProgressMessage> inFlight_;  // the item the worker said it started, until its record
  bool sawStart_ = false;
  bool sawEnd_ = false;
  bool endCancelled_ = false;
  bool cancelRequested_ = false;
  bool linesSinceLaunch_ = false;
};

}  // namespace attnscope::gui
