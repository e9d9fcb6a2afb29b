#include "RunController.h"

#include <QDir>
#include <QFile>
#include <QUuid>
#include <csignal>
#include <cstring>

#include "WorkerLocator.h"
#include "attnscope/json_input.hpp"
#include "attnscope/results.hpp"
#include "attnscope/sweep.hpp"

namespace attnscope::gui {
namespace {
constexpr qsizetype kStderrKeep = 4096;  // enough for the worker's last error message

// The per-item time cap the worker was given (--max-time), else its default (the GPU's 15 s, which
// also covers the CPU's 5 s).
double timeCapSeconds(const QStringList& args) {
  const qsizetype i = args.indexOf(QStringLiteral("--max-time"));
  bool ok = false;
  const double v = i >= 0 && i + 1 < args.size() ? args[i + 1].toDouble(&ok) : 0;
  return ok && v > 0 ? v : 15.0;
}
}  // namespace

RunController::RunController(QObject* parent) : QObject(parent), worker_(attnscope::gui::workerPath()) {
  killTimer_.setSingleShot(true);
  killTimer_.setInterval(500);
  connect(&killTimer_, &QTimer::timeout, this, [this] {
    if (process_) process_->kill();
  });
  watchdog_.setSingleShot(true);
  connect(&watchdog_, &QTimer::timeout, this, [this] {
    if (!process_) return;
    watchdogFired_ = true;
    process_->kill();  // a hung kernel does not answer SIGTERM
  });
  backoff_.setSingleShot(true);
  connect(&backoff_, &QTimer::timeout, this, [this] { launch(pendingStart_); });
  clock_.setInterval(500);
  connect(&clock_, &QTimer::timeout, this, [this] {
    updateTiming();
    emit progressed(progress_);
  });
}

RunController::~RunController() {
  if (process_) {
    process_->disconnect(this);
    process_->kill();
    process_->waitForFinished(2000);
    // The app closes mid-run: the run cannot be continued, so what it began on the remote host goes too.
    if (resumable_ && journalStarted_ && isRemoteDevice(request_.device)) removeRemoteFiles();
  }
  if (cleanup_) {  // let the remote clean-up finish (an ssh round trip) rather than kill it with the app
    cleanup_->disconnect(this);
    cleanup_->waitForFinished(5000);
  }
}

bool RunController::start(const RunRequest& request) {
  if (running()) return false;
  if (const QString problem = commandFor(request.device).problem(); !problem.isEmpty()) {
    emit finished(Outcome::Failed, problem);
    return false;
  }
  request_ = request;
  const QString id = deviceIdOf(request.device);
  resumable_ = isRemoteDevice(request.device) || id == QStringLiteral("all") || id.contains(',');
  const QString name = QStringLiteral("attnscope-run-%1.json").arg(QUuid::createUuid().toString(QUuid::WithoutBraces));
  // The journal lives where the worker runs: /tmp is there on any Unix host.
  journalFile_ = isRemoteDevice(request.device) ? QStringLiteral("/tmp/") + name : QDir::temp().filePath(name);
  journalStarted_ = false;
  provisional_.clear();
  records_.clear();
  itemsDone_.clear();
  device_.reset();
  header_.reset();
  toolVersion_.clear();
  progress_ = RunProgress{};
  eta_ = SweepEta{};
  itemStartS_.clear();
  lastRecordS_ = 0;
  inFlight_.reset();
  restartsAt_.clear();
  failedInARow_ = 0;
  sawStart_ = sawEnd_ = endCancelled_ = cancelRequested_ = false;
  elapsed_.start();
  clock_.start();
  launch(0);
  return true;
}

void RunController::launch(int64_t startAt) {
  QStringList args{QStringLiteral("run")};
  args << request_.problemArgs << QStringLiteral("--device") << deviceIdOf(request_.device);
  if (!request_.backends.isEmpty()) args << QStringLiteral("--backends") << request_.backends.join(',');
  args << request_.extraArgs << QStringLiteral("--stream");
  if (resumable_) {
    args << QStringLiteral("--json") << journalFile_;
    if (journalStarted_) args << QStringLiteral("--resume");
  } else if (startAt > 0) {
    args << QStringLiteral("--start-at") << QString::number(startAt);
  }
  heldAtLaunch_ = itemsDone_;
  for (auto it = provisional_.cbegin(); it != provisional_.cend(); ++it) heldAtLaunch_.remove(it.key());
  lastArgs_ = args;
  stderrTail_.clear();
  sawEnd_ = false;
  linesSinceLaunch_ = false;
  watchdogFired_ = lineTooLong_ = false;
  recordsSinceLaunch_ = 0;
  inFlight_.reset();

  auto* p = new QProcess(this);
  process_ = p;
  p->setProcessChannelMode(QProcess::SeparateChannels);
  connect(p, &QProcess::readyReadStandardOutput, this, &RunController::readLines);
  connect(p, &QProcess::readyReadStandardError, this, [this, p] {
    stderrTail_ += p->readAllStandardError();
    if (stderrTail_.size() > kStderrKeep) stderrTail_ = stderrTail_.right(kStderrKeep);
  });
  connect(p, &QProcess::finished, this, &RunController::onFinished);
  connect(p, &QProcess::errorOccurred, this, [this, p](QProcess::ProcessError e) {
    if (e != QProcess::FailedToStart || p != process_) return;
    process_ = nullptr;
    p->deleteLater();
    finish(Outcome::Failed, tr("Could not start the worker %1: %2").arg(commandFor(request_.device).describe(), p->errorString()));
  });
  commandFor(request_.device).start(*p, args);
  watchdog_.start(watchdogMs());
}

int RunController::watchdogMs() const {
  if (watchdogOverrideMs_ > 0) return watchdogOverrideMs_;
  // An item is warm-up + samples up to the cap + the accuracy check + set-up; four caps and a minute
  // is far beyond a healthy item and still ends a hung one.
  return int(std::min(4 * timeCapSeconds(request_.extraArgs) + 60, 4 * 3600.0 + 60) * 1000);
}

void RunController::cancel() {
  if (backoff_.isActive()) {  // between a death and its restart: nothing to stop
    backoff_.stop();
    cancelRequested_ = true;
    finish(Outcome::Cancelled, tr("Cancelled: %1 of %2 items finished and kept.").arg(progress_.done).arg(progress_.total));
    return;
  }
  if (!process_ || cancelRequested_) return;
  cancelRequested_ = true;
  process_->terminate();  // the worker may stop between samples and still write its end line
  killTimer_.start();
}

void RunController::readLines() {
  if (!process_) return;
  while (process_ && process_->canReadLine()) {
    const QByteArray line = process_->readLine(qint64(JsonBounds::max_line) + 2);
    if (line.size() > qsizetype(JsonBounds::max_line) && !line.endsWith('\n')) {
      // The rest of an over-long line would arrive as garbage lines: end this worker instead.
      protocolProblem(tr("a worker line longer than %1 MiB").arg(JsonBounds::max_line >> 20));
      return;
    }
    handleLine(line.trimmed());
  }
  // A line without its newline is buffered by QProcess; do not let it grow without bound.
  if (process_ && process_->bytesAvailable() > qint64(JsonBounds::max_line))
    protocolProblem(tr("a worker line longer than %1 MiB").arg(JsonBounds::max_line >> 20));
}

void RunController::protocolProblem(const QString& what) {
  if (!process_ || lineTooLong_) return;
  lineTooLong_ = true;
  stderrTail_ += what.toUtf8() + '\n';
  process_->kill();
}

void RunController::handleLine(const QByteArray& line) {
  if (line.isEmpty()) return;
  WorkerMessage msg;
  try {
    msg = parseWorkerLine(line);
  } catch (const std::exception& e) {
    // Not part of the protocol (a library printing to stdout?): keep it for the error text, go on.
    stderrTail_ += "unreadable worker line: " + QByteArray(e.what()) + '\n';
    return;
  }
  // Item numbers index the plan: anything outside it is a broken worker, not a record to keep.
  auto badItem = [&](int64_t item, int64_t total) {
    if (item >= 0 && item < total) return false;
    stderrTail_ += "invalid worker line: item " + QByteArray::number(qint64(item)) + " outside the plan of " +
                   QByteArray::number(qint64(total)) + " items\n";
    return true;
  };
  if (auto* s = std::get_if<StartMessage>(&msg);
      s && (s->total <= 0 || uint64_t(s->total) > kMaxPlanItems || s->start_at < 0 || s->start_at > s->total ||
            (progress_.total > 0 && s->total != progress_.total))) {
    stderrTail_ += "invalid worker line: a start line announcing " + QByteArray::number(qint64(s->total)) + " items\n";
    return;
  }
  if (auto* pr = std::get_if<ProgressMessage>(&msg); pr && (!sawStart_ || badItem(pr->item, progress_.total))) return;
  if (auto* rm = std::get_if<RecordMessage>(&msg); rm && (!sawStart_ || badItem(rm->item, progress_.total))) return;
  linesSinceLaunch_ = true;
  watchdog_.start(watchdogMs());  // alive: the allowance starts again
  if (auto* s = std::get_if<StartMessage>(&msg)) {
    sawStart_ = true;
    journalStarted_ = resumable_;
    if (!header_) header_ = s->header;  // a restarted worker repeats it; the first one describes the run
    device_ = s->header.device;
    toolVersion_ = QString::fromStdString(s->header.tool_version);
    if (eta_.empty()) {
      // The plan is point-major over the worker's backend list; each item is weighed by its point's FLOPs.
      const auto& ids = s->header.settings.backends;
      std::vector<SweepEta::Item> plan;
      for (int64_t i = 0; i < s->total && !ids.empty(); ++i) {
        const auto point = std::size_t(i / int64_t(ids.size()));
        plan.push_back({QString::fromStdString(ids[std::size_t(i % int64_t(ids.size()))]),
                        point < request_.points.size() ? request_.points[point].flops() : 0.0});
      }
      StoppingRule rule;  // the worker's defaults, unless the header says what it was given
      const RunSettingsInfo& given = s->header.settings;
      if (given.min_samples > 0) rule.min_samples = given.min_samples;
      if (given.max_time_s > 0) rule.min_time_s = given.min_time_s, rule.max_time_s = given.max_time_s;
      eta_ = SweepEta(std::move(plan), rule);
    }
    if (progress_.total == 0) emit started(s->total);
    progress_.total = s->total;
    emit progressed(progress_);
  } else if (auto* pr = std::get_if<ProgressMessage>(&msg)) {
    inFlight_ = *pr;
    itemStartS_[pr->item] = elapsed_.elapsed() / 1000.0;
    progress_.total = pr->total;
    progress_.item = pr->item;
    progress_.backend = QString::fromStdString(pr->backend);
    progress_.point = pr->problem ? QString::fromStdString(pr->problem->describe()) : QString();
    updateTiming();
    emit progressed(progress_);
  } else if (auto* r = std::get_if<RecordMessage>(&msg)) {
    if (inFlight_ && inFlight_->item == r->item) inFlight_.reset();
    if (heldAtLaunch_.contains(r->item)) return;  // a resumed worker repeating what this side holds
    if (const auto it = provisional_.find(r->item); it != provisional_.end()) {
      const qsizetype index = it.value();
      provisional_.erase(it);
      records_[std::size_t(index)] = r->record;
      ++recordsSinceLaunch_;
      failedInARow_ = 0;
      emit recordReplaced(index, r->record);
      emit progressed(progress_);
      return;
    }
    // A cancelled item was interrupted, not finished: the document keeps it, "n of m finished" does not
    // count it, and its cut-short time says nothing about what an item costs.
    const bool cancelled = r->record.status == Status::Cancelled;
    if (!cancelled) itemsDone_.insert(r->item);
    ++recordsSinceLaunch_;
    failedInARow_ = 0;
    records_.push_back(r->record);
    if (!cancelled) itemFinished(r->item, r->record);
    updateTiming();
    emit recordReady(records_.back());
    emit progressed(progress_);
  } else if (auto* e = std::get_if<EndMessage>(&msg)) {
    sawEnd_ = true;
    endCancelled_ = e->cancelled;
  } else if (auto* log = std::get_if<LogMessage>(&msg)) {
    emit workerLog(QString::fromStdString(log->level), QString::fromStdString(log->message));
  }
}

void RunController::itemFinished(int64_t item, const Record& r) {
  const double now = elapsed_.elapsed() / 1000.0;
  const double started = itemStartS_.contains(item) ? itemStartS_.take(item) : lastRecordS_;
  lastRecordS_ = now;
  eta_.finished(item, now - started, r);
}

void RunController::updateTiming() {
  progress_.done = itemsDone_.size();
  progress_.elapsedS = elapsed_.isValid() ? elapsed_.elapsed() / 1000.0 : 0;
  if (progress_.total > 0 && progress_.done >= progress_.total) {
    progress_.etaS = 0;
    return;
  }
  std::optional<int64_t> running;
  double runningS = 0;
  if (inFlight_ && itemStartS_.contains(inFlight_->item))
    running = inFlight_->item, runningS = progress_.elapsedS - itemStartS_.value(inFlight_->item);
  progress_.etaS = eta_.remaining(running, runningS).value_or(-1);
}

QString RunController::deathDescription(int exitCode, QProcess::ExitStatus status) const {
  if (status == QProcess::CrashExit) {
    // On Unix QProcess reports the terminating signal as the exit code of a crashed process.
    const char* name = (exitCode > 0 && exitCode < NSIG) ? strsignal(exitCode) : nullptr;
    return name ? tr("the worker was killed by signal %1 (%2)").arg(exitCode).arg(QString::fromLocal8Bit(name))
                : tr("the worker crashed");
  }
  return tr("the worker exited with code %1").arg(exitCode);
}

void RunController::onFinished(int exitCode, QProcess::ExitStatus status) {
  QProcess* p = process_;
  if (!p || sender() != p) return;
  // Drain what is left, including a last line without its newline.
  stderrTail_ += p->readAllStandardError();
  readLines();
  const QByteArray rest = p->readAllStandardOutput();
  if (!rest.trimmed().isEmpty()) handleLine(rest.trimmed());
  process_ = nullptr;
  p->deleteLater();
  killTimer_.stop();
  watchdog_.stop();
  const QString errText = QString::fromLocal8Bit(stderrTail_).trimmed();

  if (cancelRequested_) {
    finish(Outcome::Cancelled, tr("Cancelled: %1 of %2 items finished and kept.").arg(progress_.done).arg(progress_.total));
    return;
  }
  if (sawEnd_ && status == QProcess::NormalExit) {
    if (endCancelled_) finish(Outcome::Cancelled, tr("The worker stopped early (cancelled)."));
    else if (exitCode == 0) finish(Outcome::Completed, QString());
    else finish(Outcome::Failed, tr("The worker reported failure (exit code %1): %2").arg(exitCode).arg(errText));
    return;
  }
  // Died without its end line. Before the first message this is bad input or a broken worker: stop.
  const QString stalled = tr("the worker said nothing for %1 s (watchdog) and was killed").arg(watchdogMs() / 1000.0);
  if (!sawStart_ || !linesSinceLaunch_) {
    if (watchdogFired_) {
      finish(Outcome::Failed, errText.isEmpty() ? stalled : QStringLiteral("%1: %2").arg(stalled, errText));
      return;
    }
    const QString what = (status == QProcess::NormalExit && exitCode == 2) ? tr("The worker rejected the input")
                                                                              : deathDescription(exitCode, status);
    finish(Outcome::Failed, errText.isEmpty() ? what : QStringLiteral("%1: %2").arg(what, errText));
    return;
  }
  const QString why = watchdogFired_ ? stalled
                     : lineTooLong_  ? tr("the worker broke the protocol and was stopped")
                                     : deathDescription(exitCode, status);
  int64_t next = 0;
  for (qint64 i : itemsDone_) next = std::max<int64_t>(next, i + 1);
  if (resumable_)  // items finish out of order on several workers: the first one missing
    for (next = 0; itemsDone_.contains(next); ++next) {
    }
  if (inFlight_) {
    // The item it was running is the one that took the worker down (a fault, a hang): it gets an error
    // record saying what happened, and the sweep moves past it.
    Record r;
    r.point = inFlight_->point;
    if (inFlight_->problem) r.problem = *inFlight_->problem;
    r.backend = inFlight_->backend;
    r.device = device_ ? device_->id : request_.device.toStdString();
    r.status = Status::Error;
    r.message = tr("%1 while running this item%2; AttnScope restarted it and went on with the next item")
                    .arg(why, errText.isEmpty() ? QString() : QStringLiteral(" (") + errText.right(300) + QStringLiteral(")"))
                    .toStdString();
    itemsDone_.insert(inFlight_->item);
    if (resumable_) {
      // The resumed worker's journal may hold this item after all (it finished as the connection
      // dropped), or measures it again: its real record then takes this one's place.
      provisional_.insert(inFlight_->item, qsizetype(records_.size()));
      for (next = 0; itemsDone_.contains(next); ++next) {
      }
    } else {
      next = std::max<int64_t>(next, inFlight_->item + 1);
    }
    records_.push_back(std::move(r));
    itemFinished(inFlight_->item, records_.back());
    inFlight_.reset();
    updateTiming();
    emit recordReady(records_.back());
    recordsSinceLaunch_ = 1;  // progress was made: the item is settled
  }
  restartOrSkip(next, why, errText);
}

void RunController::restartOrSkip(int64_t next, const QString& why, const QString& errText) {
  if (recordsSinceLaunch_ == 0) {
    // Died between items without finishing anything: retry the same item a few times, with back-off
    // (a dropped ssh connection recovers), then give the item up and go on.
    if (++restartsAt_[next] > kMaxRestartsPerItem) {
      if (progress_.total > 0 && next >= progress_.total) {  // only provisional errors were left to confirm
        finish(Outcome::Completed, tr("Finished; %1, so the items it died on keep their errors.").arg(why));
        return;
      }
      const QString msg = tr("%1 before this item ran, %2 times in a row%3; AttnScope recorded the item as failed "
                             "and went on with the next one")
                              .arg(why)
                              .arg(kMaxRestartsPerItem + 1)
                              .arg(errText.isEmpty() ? QString() : QStringLiteral(" (") + errText.right(300) + QStringLiteral(")"));
      records_.push_back(failedRecord(next, msg));
      itemFinished(next, records_.back());
      itemsDone_.insert(next);
      updateTiming();
      emit recordReady(records_.back());
      ++next;
      if (++failedInARow_ >= kMaxFailedItemsInARow) {
        finish(Outcome::Failed, tr("The worker keeps failing (%1 items in a row, nothing measured): %2")
                                    .arg(failedInARow_)
                                    .arg(errText.isEmpty() ? why : errText.right(500)));
        return;
      }
    }
  }
  if (progress_.total > 0 && next >= progress_.total && !(resumable_ && !provisional_.isEmpty())) {
    finish(Outcome::Completed, tr("Finished; %1 on the last item.").arg(why));
    return;
  }
  ++progress_.restarts;
  emit workerRestarted(next, why);
  emit progressed(progress_);
  const int attempt = restartsAt_.value(next, 0);
  pendingStart_ = next;
  if (attempt <= 0) launch(next);
  else backoff_.start(backoffMs_ << std::min(attempt - 1, 4));  // 250 ms, 500 ms, 1 s, ...
}

Record RunController::failedRecord(int64_t item, const QString& message) const {
  Record r;
  r.status = Status::Error;
  r.device = device_ ? device_->id : request_.device.toStdString();
  r.message = message.toStdString();
  // Plan order is point-major over the worker's backend list (results.hpp).
  const auto& ids = header_ ? header_->settings.backends : std::vector<std::string>{};
  const int64_t per_point = ids.empty() ? 1 : int64_t(ids.size());
  r.point = item / per_point;
  r.backend = ids.empty() ? std::string("unknown") : ids[std::size_t(item % per_point)];
  if (r.point < int64_t(request_.points.size())) r.problem = request_.points[std::size_t(r.point)];
  return r;
}

ResultDocument RunController::document() const {
  ResultDocument doc = header_.value_or(ResultDocument{});
  if (doc.created_utc.empty()) doc.created_utc = now_utc_iso8601();
  if (!header_ && device_) doc.device = *device_;
  doc.records = records_;
  return doc;
}

WorkerCommand RunController::commandFor(const QString& deviceAddress) const {
  return isRemoteDevice(deviceAddress) ? remote_ : WorkerCommand::local(worker_);
}

void RunController::finish(Outcome outcome, const QString& message) {
  if (resumable_ && !isRemoteDevice(request_.device)) {  // this side's temporary files (the records are here)
    QFile::remove(journalFile_);
    QFile::remove(journalFile_ + QStringLiteral(".journal.jsonl"));
  } else if (resumable_ && journalStarted_) {  // a worker there made the files: remove them there
    removeRemoteFiles();
  }
  clock_.stop();
  killTimer_.stop();
  watchdog_.stop();
  backoff_.stop();
  updateTiming();
  emit progressed(progress_);
  emit finished(outcome, message);
}

void RunController::removeRemoteFiles() {
  // Through the worker's own command, so whatever reaches attnscope-cli on that host (ssh options, a
  // container) reaches this too. The last worker there has ended: its records are all on this side.
  auto* p = new QProcess(this);
  cleanup_ = p;
  const QString file = journalFile_, host = remote_.host();
  auto done = [this, p, file, host](bool ok, const QString& why) {
    const QString message = ok ? QString() : tr("Could not remove the run's files (%1) on %2: %3").arg(file, host, why);
    if (!ok) emit workerLog(QStringLiteral("warning"), message);
    emit remoteFilesRemoved(ok, message);
    p->deleteLater();
  };
  connect(p, &QProcess::finished, this, [p, done](int code, QProcess::ExitStatus status) {
    const QString err = QString::fromLocal8Bit(p->readAllStandardError()).trimmed().right(300);
    done(status == QProcess::NormalExit && code == 0, err.isEmpty() ? tr("exit code %1").arg(code) : err);
  });
  connect(p, &QProcess::errorOccurred, this, [p, done](QProcess::ProcessError e) {
    if (e == QProcess::FailedToStart) done(false, p->errorString());
  });
  remote_.start(*p, {QStringLiteral("remove-run"), file});
}

}  // namespace attnscope::gui
