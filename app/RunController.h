#pragma once
// Runs a sweep in the worker process (`attnscope-cli run … --stream`) and turns its JSON lines into
// records and progress. The GUI thread never blocks: QProcess is asynchronous.
//  - Cancel: SIGTERM at once, SIGKILL 500 ms later if the worker is still there; every record that
//    arrived is kept.
//  - A worker that dies mid-sweep (fault, kill, abort) is reported as an error record on the item it was
//    running, then restarted with --start-at the next item; the sweep carries on.
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QSet>
#include <QStringList>
#include <QTimer>
#include <optional>
#include <vector>

#include "WorkerProtocol.h"

namespace attnscope::gui {

struct RunRequest {
  QString device;
  QStringList problemArgs;  // ProblemSpec::problemArgs()
  QStringList backends;     // ids; empty ⇒ every backend
  QStringList extraArgs;    // e.g. measurement settings
};

struct RunProgress {
  int64_t done = 0, total = 0;
  int64_t item = -1;
  QString backend;
  QString point;       // the problem being run, described
  double elapsedS = 0;
  double etaS = -1;    // < 0: unknown yet
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
  QString workerPath() const { return worker_; }
  // The kill grace after SIGTERM (ms).
  void setKillGraceMs(int ms) { killTimer_.setInterval(ms); }

  bool start(const RunRequest& request);  // false (and failed()) when it cannot start
  void cancel();
  bool running() const { return process_ != nullptr; }

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
  void workerRestarted(qint64 startAt, const QString& why);
  void workerLog(const QString& level, const QString& message);
  void finished(attnscope::gui::RunController::Outcome outcome, const QString& message);

 private:
  void launch(int64_t startAt);
  void readLines();
  void handleLine(const QByteArray& line);
  void onFinished(int exitCode, QProcess::ExitStatus status);
  void finish(Outcome outcome, const QString& message);
  QString deathDescription(int exitCode, QProcess::ExitStatus status) const;
  void updateTiming();

  QString worker_;
  RunRequest request_;
  QPointer<QProcess> process_;
  QTimer killTimer_;
  QTimer clock_;  // refreshes elapsed/ETA between worker messages
  QElapsedTimer elapsed_;
  QByteArray stderrTail_;
  QStringList lastArgs_;

  std::vector<Record> records_;
  QSet<qint64> itemsDone_;
  std::optional<DeviceInfo> device_;
  std::optional<ResultDocument> header_;
  QString toolVersion_;
  RunProgress progress_;
  std::optional<ProgressMessage> inFlight_;  // the item the worker said it started, until its record
  bool sawStart_ = false;
  bool sawEnd_ = false;
  bool endCancelled_ = false;
  bool cancelRequested_ = false;
  bool linesSinceLaunch_ = false;
};

}  // namespace attnscope::gui
