#include "MainWindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QDir>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QShortcut>
#include <QStatusBar>
#include <QTextBrowser>
#include <QToolBar>
#include <QVBoxLayout>

#include "BackendListModel.h"
#include "ExportDialog.h"
#include "FileProblem.h"
#include "BackendListView.h"
#include "DeviceListService.h"
#include "EligibilityService.h"
#include "MessageBar.h"
#include "PlotView.h"
#include "ProblemPanel.h"
#include "ResultsModel.h"
#include "ResultsView.h"
#include "RunFacts.h"
#include "attnscope/licence.hpp"

// Resources compiled into a static library must be registered by hand (outside any namespace).
static void initAttnScopeResources() { Q_INIT_RESOURCE(attnscope); }

namespace attnscope::gui {
namespace {

constexpr int kMaxRecent = 10;
constexpr std::size_t kMaxForecastPoints = 512;  // predicted memory is a chart, not a table of a huge sweep

QString duration(double s) {
  if (s < 0) return QStringLiteral("…");
  const int t = int(s + 0.5);
  return t >= 3600 ? QStringLiteral("%1:%2:%3").arg(t / 3600).arg(t / 60 % 60, 2, 10, QChar('0')).arg(t % 60, 2, 10, QChar('0'))
                   : QStringLiteral("%1:%2").arg(t / 60).arg(t % 60, 2, 10, QChar('0'));
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), problem_(new ProblemPanel), backends_(new BackendListModel(this)),
      backendView_(new BackendListView(backends_)), eligibility_(new EligibilityService(this)), forecast_(new EligibilityService(this)),
      devices_(new DeviceListService(this)), remoteDevices_(new DeviceListService(this)), run_(new RunController(this)), results_(new ResultsModel(this)),
      resultsView_(new ResultsView(results_)), plot_(new PlotView), message_(new MessageBar),
      progressBar_(new QProgressBar), progressLabel_(new QLabel), cancelButton_(new QPushButton(tr("Cancel"))) {
  initAttnScopeResources();
  setWindowTitle(tr("AttnScope"));
  setWindowIcon(QIcon(QStringLiteral(":/attnscope/icon.svg")));
  setAcceptDrops(true);
  setDockNestingEnabled(true);

  auto* centre = new QWidget;
  auto* layout = new QVBoxLayout(centre);
  layout->setContentsMargins(4, 4, 4, 0);
  layout->addWidget(message_);
  layout->addWidget(plot_, 1);
  setCentralWidget(centre);

  buildDocks();
  buildMenus();

  progressBar_->setMaximumWidth(220);
  progressBar_->setTextVisible(true);
  progressBar_->setFormat(QStringLiteral("%v / %m"));
  progressBar_->setObjectName(QStringLiteral("runProgress"));
  progressLabel_->setObjectName(QStringLiteral("runProgressText"));
  progressLabel_->setTextFormat(Qt::PlainText);  // quotes worker output
  cancelButton_->setEnabled(false);
  statusBar()->addWidget(progressLabel_, 1);
  statusBar()->addPermanentWidget(progressBar_);
  statusBar()->addPermanentWidget(cancelButton_);
  progressBar_->setVisible(false);
  connect(cancelButton_, &QPushButton::clicked, this, &MainWindow::cancelRun);

  plotRefresh_.setSingleShot(true);
  plotRefresh_.setInterval(80);  // coalesce a burst of records into one rebuild
  connect(&plotRefresh_, &QTimer::timeout, this, [this] { plot_->setSources(plotSources()); });
  connect(forecast_, &EligibilityService::updated, this, [this](const QList<BackendStatus>& s) {
    predicted_ = predictionRecords(s, QString::fromStdString(predictedDevice_.id));
    schedulePlotRefresh();
  });
  connect(forecast_, &EligibilityService::failed, this, [this](const QString&) {
    predicted_.clear();  // the backend list shows the worker's trouble; the chart just has no prediction
    schedulePlotRefresh();
  });

  connect(problem_, &ProblemPanel::specChanged, this, &MainWindow::onSpecChanged);
  connect(backends_, &BackendListModel::selectionChanged, this, &MainWindow::updateRunEnabled);
  connect(eligibility_, &EligibilityService::updated, this, [this](const QList<BackendStatus>& s) {
    // An answer for the last valid problem, arriving after an invalid edit, is dropped.
    if (!problem_->valid() && standInDevice().isEmpty()) return;
    backends_->setStatuses(s);
    describeMissingBackends();
    plot_->refreshNames();  // legends use the display names this list brings
    backendView_->setStatusText(backendStatusNote());
    if (!backendView_->list()->currentIndex().isValid() && backends_->rowCount() > 0)
      backendView_->list()->setCurrentIndex(backends_->index(0));  // the details pane is never empty
    updateRunEnabled();
  });
  connect(eligibility_, &EligibilityService::failed, this, [this](const QString& why) {
    backendView_->setStatusText(why);
    updateRunEnabled();
  });
  connect(devices_, &DeviceListService::updated, this, [this](const DeviceList& d) { problem_->setDevices(d); });
  connect(devices_, &DeviceListService::failed, this,
          [this](const QString& why) { message_->show(MessageBar::Level::Error, why); });
  connect(remoteDevices_, &DeviceListService::updated, this,
          [this](const DeviceList& d) { problem_->setRemoteDevices(remoteDevices_->command().host(), d); });
  connect(remoteDevices_, &DeviceListService::failed, this, [this](const QString& why) {
    message_->show(MessageBar::Level::Error, tr("Remote host: %1").arg(why));
  });
  connect(problem_, &ProblemPanel::remoteHostRequested, this, [this] {
    bool ok = false;
    const QString line = QInputDialog::getText(
        this, tr("Remote host"),
        tr("Command that starts attnscope-cli on the GPU host (its JSON lines come back over SSH; empty forgets the host):"),
        QLineEdit::Normal,
        remoteCommandLine_.isEmpty() ? QStringLiteral("ssh -o BatchMode=yes user@gpu-box attnscope-cli") : remoteCommandLine_, &ok);
    if (!ok) return;
    if (QString error; !setRemoteCommand(line, &error)) message_->show(MessageBar::Level::Error, error);
  });

  connect(run_, &RunController::recordReady, this, [this](const Record& r) {
    primary_.doc.records.push_back(r);
    results_->appendRecord(primarySource_, r);
    if (results_->rowCount() <= 4) resultsView_->resizeColumnsToContents();  // the first rows set the widths
    schedulePlotRefresh();
  });
  connect(run_, &RunController::recordReplaced, this, [this](qsizetype index, const Record& r) {
    primary_.doc.records[std::size_t(index)] = r;
    results_->replaceRecord(primarySource_, index, r);
    schedulePlotRefresh();
  });
  connect(run_, &RunController::progressed, this, &MainWindow::onProgress);
  connect(run_, &RunController::workerRestarted, this, [this](qint64 startAt, const QString& why) {
    message_->show(MessageBar::Level::Warning,
                   tr("%1. The item it was running is marked as an error; the sweep goes on from item %2.")
                       .arg(why.left(1).toUpper() + why.mid(1))
                       .arg(startAt));
  });
  connect(run_, &RunController::workerLog, this, [this](const QString& level, const QString& text) {
    statusBar()->showMessage(QStringLiteral("%1: %2").arg(level, text), 10000);
  });
  connect(run_, &RunController::finished, this, &MainWindow::onRunFinished);

  loadSettings();
  refreshViews();
  devices_->refresh();
  onSpecChanged();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildDocks() {
  auto dock = [this](const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(w);
    addDockWidget(area, d);
    return d;
  };
  auto* problemBox = new QWidget;
  auto* pl = new QVBoxLayout(problemBox);
  pl->setContentsMargins(0, 0, 0, 0);
  pl->addWidget(problem_);
  pl->addStretch(1);
  QDockWidget* p = dock(tr("Problem"), QStringLiteral("problemDock"), problemBox, Qt::LeftDockWidgetArea);
  QDockWidget* b = dock(tr("Backends"), QStringLiteral("backendDock"), backendView_, Qt::LeftDockWidgetArea);
  splitDockWidget(p, b, Qt::Vertical);
  // The left column runs the full height: the problem and the backend explanations need it more than
  // the table needs the full width.
  setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
  dock(tr("Results"), QStringLiteral("resultsDock"), resultsView_, Qt::BottomDockWidgetArea);
  // Never larger than the screen it opens on (a 1280×720 laptop, or ×2 scaling on 2560×1440); on a
  // 1080p screen nearly all of it, so the guide's text can be read without scrolling.
  const QRect screen = this->screen() ? this->screen()->availableGeometry() : QRect(0, 0, 1400, 900);
  const QSize size(std::min(1900, int(screen.width() * 0.96)), std::min(1060, int(screen.height() * 0.95)));
  resize(size);
  // The guide (overview table above the selected backend's text) is a full-height column on the right
  // where the screen is wide enough (1080p); on a smaller one (1280×720) it is a tab beside the backend
  // list, so the chart keeps its width and the left column its height.
  const bool wide = size.width() >= 1500;
  QDockWidget* g = dock(tr("Guide"), QStringLiteral("guideDock"), backendView_->guide(),
                        wide ? Qt::RightDockWidgetArea : Qt::LeftDockWidgetArea);
  if (wide) setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
  else {
    tabifyDockWidget(b, g);
    b->raise();  // the list (what runs) in front; the guide is one click away
  }
  resizeDocks({p}, {330}, Qt::Horizontal);
  if (wide) resizeDocks({g}, {std::min(640, size.width() * 34 / 100)}, Qt::Horizontal);
  resizeDocks({p, b}, {p->minimumSizeHint().height(), size.height()}, Qt::Vertical);  // the list gets the rest
}

void MainWindow::fitProblemDock() {
  auto* dock = findChild<QDockWidget*>(QStringLiteral("problemDock"));
  if (!dock || !dock->isVisible() || dock->isFloating()) return;
  // A word-wrapped line (where a file's values came from, a field's error) needs more height at the dock's
  // width than its size hint says; without it the form's rows squeeze and the lines are cut.
  const int slack = fontMetrics().height() / 2;  // height-for-width of wrapped text is an estimate: a little spare
  const int need = slack + (problem_->hasHeightForWidth() ? problem_->heightForWidth(problem_->width()) : problem_->sizeHint().height());
  if (need > problem_->height()) resizeDocks({dock}, {dock->height() + need - problem_->height()}, Qt::Vertical);
}

void MainWindow::showEvent(QShowEvent* event) {
  QMainWindow::showEvent(event);
  fitToScreen();  // now the window manager's frame is known
}

void MainWindow::fitToScreen() {
  if (!screen()) return;
  const QRect avail = screen()->availableGeometry();
  const QSize frame = frameGeometry().size() - size();  // the window manager's border and title
  const QSize fitted = size().boundedTo(avail.size() - frame);
  if (fitted != size()) resize(fitted);
  if (!avail.contains(frameGeometry())) move(std::clamp(x(), avail.left(), std::max(avail.left(), avail.right() - frameGeometry().width())),
                                               std::clamp(y(), avail.top(), std::max(avail.top(), avail.bottom() - frameGeometry().height())));
}

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open results…"), this, &MainWindow::chooseAndOpen);
  open->setShortcut(QKeySequence::Open);
  recentMenu_ = file->addMenu(tr("Open &recent"));
  file->addAction(tr("O&verlay a second result file…"), this, &MainWindow::chooseAndOverlay);
  file->addAction(tr("Remove overlay"), this, &MainWindow::clearOverlay);
  file->addSeparator();
  QAction* save = file->addAction(tr("&Save results (JSON/CSV)…"), this, &MainWindow::chooseAndSaveResults);
  save->setShortcut(QKeySequence::Save);
  QAction* exp = exportAction_ = file->addAction(tr("&Export chart (PNG/PDF/SVG)…"), this, &MainWindow::chooseAndExportChart);
  exp->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
  file->addSeparator();
  QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
  quit->setShortcut(QKeySequence::Quit);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  edit->addAction(tr("Copy table as &Markdown"), resultsView_, &ResultsView::copyAsMarkdown);

  QMenu* runMenu = menuBar()->addMenu(tr("&Run"));
  runAction_ = runMenu->addAction(tr("&Run sweep"), this, &MainWindow::startRun);
  runAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  cancelAction_ = runMenu->addAction(tr("&Cancel"), this, &MainWindow::cancelRun);
  // Esc cancels the sweep, except when it is closing a popup (a combo's list, a menu) over the window.
  cancelAction_->setText(tr("&Cancel") + QStringLiteral("\tEsc"));  // shown in the menu; the shortcut is below
  auto* esc = new QShortcut(QKeySequence(Qt::Key_Escape), this);
  connect(esc, &QShortcut::activated, this, [this] {
    if (!QApplication::activePopupWidget() && !QApplication::activeModalWidget()) cancelRun();
  });
  cancelAction_->setEnabled(false);

  QMenu* view = menuBar()->addMenu(tr("&View"));
  for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About AttnScope"), this, [this] {
    QMessageBox::about(this, tr("About AttnScope"),
                       tr("<b>AttnScope %1</b><p>Which attention backends can run your problem on your GPU, why "
                          "the others cannot, and what each costs in time and memory.</p><p>Runs happen in the "
                          "worker <code>attnscope-cli</code>. Charts use QCustomPlot (GPL-3.0-or-later).</p><p>%2</p>")
                           .arg(QStringLiteral(ATTNSCOPE_VERSION),
                                QString::fromUtf8(attnscope::kLicenceNotice).toHtmlEscaped().replace('\n', QStringLiteral("<br>"))));
  });

  QToolBar* bar = addToolBar(tr("Run"));
  bar->setObjectName(QStringLiteral("runToolbar"));
  bar->addAction(runAction_);
  bar->addAction(cancelAction_);
  bar->addSeparator();
  bar->addAction(open);
  bar->addAction(exp);
}

void MainWindow::requestForecast() {
  // A what-if profile cannot run anything: the chart shows what each backend would need instead.
  const DeviceInfo device = problem_->currentDevice();
  const bool wanted = problem_->valid() && device.kind == DeviceKind::Profile && problem_->check().points.size() <= kMaxForecastPoints;
  if (!wanted) {
    if (!predicted_.empty()) predicted_.clear(), schedulePlotRefresh();
    return;
  }
  predictedDevice_ = device;
  forecast_->request(problem_->spec().problemArgs() << QStringLiteral("--every-point"), problem_->spec().device);
}

std::vector<PlotSource> MainWindow::plotSources() const {
  const bool nothingMeasured = primary_.doc.records.empty() && !overlay_;
  if (nothingMeasured && !predicted_.empty())
    return {PlotSource{tr("predicted"), predictedDevice_, predicted_, std::nullopt, true}};
  // Records carry their own predicted memory; a measured copy bandwidth may lie beside a file.
  auto copy = [](const ResultSet& r) { return r.path.isEmpty() ? std::nullopt : copyBandwidthBeside(r.path, r.doc.device); };
  std::vector<PlotSource> sources{{primary_.label, primary_.doc.device, primary_.doc.records, copy(primary_)}};
  if (overlay_) sources.push_back({overlay_->label, overlay_->doc.device, overlay_->doc.records, copy(*overlay_)});
  return sources;
}

void MainWindow::onSpecChanged() {
  if (fileSpec_ && !problemDifferences(*fileSpec_, problem_->spec()).isEmpty()) forgetFileProblem();
  requestForecast();
  const QString standIn = standInDevice();
  if (problem_->valid() || !standIn.isEmpty()) {
    eligibility_->request(problem_->spec().eligibilityArgs(), problem_->valid() ? problem_->spec().device : standIn);
  } else {
    backends_->setStatuses({});  // verdicts for an earlier problem would be wrong for this one
    predicted_.clear();
    schedulePlotRefresh();
  }
  backendView_->setStatusText(backendStatusNote());
  updateRunEnabled();
  QTimer::singleShot(0, this, &MainWindow::fitProblemDock);  // once the notes have their text
}

QString MainWindow::standInDevice() const {
  const bool onlyTheDevice = problem_->fileDeviceMissing() && problem_->check().issues.size() == 1;
  return onlyTheDevice ? problem_->fileDeviceProfile() : QString();
}

QString MainWindow::backendStatusNote() const {
  if (problem_->valid()) return {};
  if (const QString standIn = standInDevice(); !standIn.isEmpty())
    return (problem_->fileDeviceCount() > 1
                ? tr("The file's %1 GPUs are not all on this machine: the backends are judged on %2. Choose a device "
                     "above to run.").arg(problem_->fileDeviceCount())
                : tr("The file's GPU is not on this machine: the backends are judged on %1. Choose a device above to "
                     "run."))
        .arg(problem_->deviceLabel(standIn));
  if (problem_->fileDeviceMissing() && problem_->check().issues.size() == 1)
    return tr("The file's device is not on this machine: choose a device above to see which backends can run this "
              "problem here.");
  return tr("Fix the problem fields to see which backends can run.");
}

void MainWindow::updateRunEnabled() {
  QString why;
  if (run_->running()) why = tr("A sweep is running.");
  else if (!problem_->valid()) why = tr("The problem has invalid fields: %1").arg(problem_->check().issues.value(0).message);
  else if (problem_->currentDevice().kind == DeviceKind::Profile)
    why = tr("A what-if profile explains eligibility only; choose the CPU or a real GPU to run.");
  else if (backends_->selectedIds().isEmpty()) why = tr("No eligible backend is checked.");
  runAction_->setEnabled(why.isEmpty());
  runAction_->setToolTip(why.isEmpty() ? tr("Run the sweep with the checked backends (Ctrl+R)") : why);
}

bool MainWindow::startRun() {
  updateRunEnabled();
  if (!runAction_->isEnabled()) return false;
  const ProblemSpec spec = problem_->spec();
  RunRequest request{spec.device, spec.problemArgs(), backends_->selectedIds(), spec.measurementArgs(),
                     problem_->check().points};
  primary_ = ResultSet{tr("run"), QString(), {}};
  overlay_.reset();
  forgetFileProblem();
  refreshViews();
  message_->hide();
  if (!run_->start(request)) return false;
  cancelAction_->setEnabled(true);
  cancelButton_->setEnabled(true);
  progressBar_->setVisible(true);
  progressBar_->setRange(0, 0);  // busy until the worker says how many items there are
  problem_->showFileDevices({}, QString());  // the list no longer offers a file's device this machine lacks
  updateRunEnabled();
  saveSettings();
  return true;
}

void MainWindow::cancelRun() {
  if (!run_->running()) return;
  progressLabel_->setText(tr("Cancelling…"));
  run_->cancel();
}

QString MainWindow::progressText() const { return progressLabel_->text(); }

void MainWindow::onProgress(const RunProgress& p) {
  if (p.total > 0) {
    progressBar_->setRange(0, int(p.total));
    progressBar_->setValue(int(p.done));
  }
  QString text = tr("%1 of %2 done").arg(p.done).arg(p.total);
  if (!p.backend.isEmpty() && run_->running()) text += tr(" · running %1 on %2").arg(p.backend, p.point);
  text += tr(" · elapsed %1").arg(duration(p.elapsedS));
  if (run_->running()) text += tr(" · left ~%1").arg(duration(p.etaS));
  if (p.restarts) text += tr(" · worker restarted %n time(s)", nullptr, p.restarts);
  progressLabel_->setText(text);
}

void MainWindow::onRunFinished(RunController::Outcome outcome, const QString& message) {
  cancelAction_->setEnabled(false);
  cancelButton_->setEnabled(false);
  progressBar_->setVisible(false);
  primary_.doc = run_->document();
  unsaved_ = !primary_.doc.records.empty();
  refreshRunFacts();
  resultsView_->resizeColumnsToContents();
  schedulePlotRefresh();
  const RunProgress& p = run_->progress();
  switch (outcome) {
    case RunController::Outcome::Completed:
      progressLabel_->setText(tr("Done: %1 items in %2.").arg(p.done).arg(duration(p.elapsedS)) +
                              (message.isEmpty() ? QString() : QStringLiteral(" ") + message));
      break;
    case RunController::Outcome::Cancelled: progressLabel_->setText(message); break;
    case RunController::Outcome::Failed:
      progressLabel_->setText(tr("The run failed."));
      message_->show(MessageBar::Level::Error, message);
      break;
  }
  updateRunEnabled();
  emit runFinished(outcome);
}

void MainWindow::refreshViews() {
  results_->clear();
  primarySource_ = results_->addSource(primary_.label);
  results_->appendRecords(primarySource_, primary_.doc.records);
  overlaySource_ = -1;
  if (overlay_) {
    overlaySource_ = results_->addSource(overlay_->label);
    results_->appendRecords(overlaySource_, overlay_->doc.records);
  }
  resultsView_->resizeColumnsToContents();
  plotRefresh_.stop();
  plot_->setSources(plotSources());
  refreshRunFacts();
}

void MainWindow::refreshRunFacts() {
  if (primary_.doc.records.empty() && primary_.doc.environment.empty()) backendView_->runFacts()->clear();
  else backendView_->runFacts()->setHtml(runFactsHtml(primary_, overlay_ ? &*overlay_ : nullptr));
}

void MainWindow::schedulePlotRefresh() {
  if (!plotRefresh_.isActive()) plotRefresh_.start();
}

bool MainWindow::openResultFile(const QString& path) {
  if (run_->running()) {
    message_->show(MessageBar::Level::Warning, tr("Cancel the running sweep before opening a file."));
    return false;
  }
  LoadOutcome loaded = loadResultFile(path);
  if (!loaded.set) {
    message_->show(MessageBar::Level::Error, loaded.error);
    return false;
  }
  primary_ = std::move(*loaded.set);
  unsaved_ = false;  // what was shown is replaced; the file is its own copy
  overlay_.reset();
  refreshViews();
  // A cut or unfinished stream still loads; say what is missing.
  if (primary_.doc.load_warnings.empty()) message_->hide();
  else message_->show(MessageBar::Level::Warning, QString::fromStdString(primary_.doc.load_warnings.front()));
  showFileProblem();
  addRecent(primary_.path);
  lastDir_ = QFileInfo(primary_.path).absolutePath();
  setWindowTitle(tr("AttnScope — %1").arg(primary_.label));
  progressLabel_->setText(tr("%1: %2 records from %3").arg(primary_.label).arg(primary_.doc.records.size())
                              .arg(QString::fromStdString(primary_.doc.device.name)));
  return true;
}

bool MainWindow::overlayResultFile(const QString& path) {
  LoadOutcome loaded = loadResultFile(path);
  if (!loaded.set) {
    message_->show(MessageBar::Level::Error, loaded.error);
    return false;
  }
  overlay_ = std::move(*loaded.set);
  if (overlay_->label == primary_.label) overlay_->label += tr(" (overlay)");
  refreshViews();
  describeFileProblem();
  addRecent(overlay_->path);
  return true;
}

void MainWindow::clearOverlay() {
  overlay_.reset();
  refreshViews();
  describeFileProblem();
}

void MainWindow::showFileProblem() {
  // Run must measure what the window shows: the file's problem and device, and the backends it ran.
  const FileProblem file = fileProblem(primary_.doc, problem_->spec());
  fileSpec_ = file.spec;  // before setSpec: its specChanged must not count as an edit
  fileNotes_ = file.notes;
  fileBackends_ = file.backends;
  fileFromCommandLine_ = file.fromCommandLine;
  problem_->setSpec(file.spec);
  if (!file.backends.isEmpty()) backends_->setWantedOnly(file.backends);
  problem_->showFileDevices(file.devices, primary_.label);
  describeFileProblem();
  describeMissingBackends();
}

void MainWindow::describeMissingBackends() {
  backendView_->setMissingNote(missingBackendsNote(fileBackends_, backends_->statuses(), primary_.label));
}

void MainWindow::describeFileProblem() {
  if (!fileSpec_) return;
  QStringList lines{fileFromCommandLine_ ? tr("The form shows %1's run (its command line).").arg(primary_.label)
                                         : tr("The form shows %1's problem (its records).").arg(primary_.label)};
  for (const QString& n : fileNotes_) lines << n.left(1).toUpper() + n.mid(1) + QLatin1Char('.');
  if (overlay_) {
    // Two files, one form: it keeps the first file's problem; say how the second one's differs.
    const FileProblem other = fileProblem(overlay_->doc, *fileSpec_);
    const QStringList differs = problemDifferences(*fileSpec_, other.spec);
    if (!differs.isEmpty())
      lines << tr("%1 differs in %2.").arg(overlay_->label, differs.join(QStringLiteral(", ")));
    if (overlay_->doc.device.name != primary_.doc.device.name)
      lines << tr("%1 was measured on %2.").arg(overlay_->label, QString::fromStdString(overlay_->doc.device.name));
  }
  problem_->setSourceNote(lines.join(QLatin1Char(' ')));
  QTimer::singleShot(0, this, &MainWindow::fitProblemDock);
}

void MainWindow::forgetFileProblem() {
  if (!fileSpec_) return;
  fileSpec_.reset();
  fileNotes_.clear();
  fileBackends_.clear();
  describeMissingBackends();
  problem_->setSourceNote(QString());
}

QString MainWindow::saveResults(const QString& path) {
  ResultDocument doc = primary_.doc;
  if (doc.created_utc.empty()) doc.created_utc = now_utc_iso8601();
  const QString error = saveResultFile(doc, path);
  if (!error.isEmpty()) message_->show(MessageBar::Level::Error, error);
  else unsaved_ = false;
  return error;
}

QString MainWindow::exportChart(const QString& path, int width, int height) {
  const QString error = plot_->exportTo(path, width, height);
  if (!error.isEmpty()) message_->show(MessageBar::Level::Error, error);
  return error;
}

QString MainWindow::lastDir() const { return lastDir_; }

void MainWindow::chooseAndOpen() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open results"), lastDir(),
                                                    tr("AttnScope results (*.json *.jsonl);;All files (*)"));
  if (!path.isEmpty()) openResultFile(path);
}

void MainWindow::chooseAndOverlay() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Overlay a second result file"), lastDir(),
                                                    tr("AttnScope results (*.json *.jsonl);;All files (*)"));
  if (!path.isEmpty()) overlayResultFile(path);
}

void MainWindow::chooseAndSaveResults() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Save results"), lastDir(),
                                                    tr("JSON (*.json);;CSV (*.csv)"));
  if (!path.isEmpty() && saveResults(path).isEmpty()) lastDir_ = QFileInfo(path).absolutePath();
}

void MainWindow::chooseAndExportChart() {
  const QString dir = lastDir().isEmpty() ? QDir::homePath() : lastDir();
  QSettings settings;  // the last export's name and format are the next one's suggestion
  const QString suggested = settings.value(QStringLiteral("export/lastPath"), QDir(dir).filePath(QStringLiteral("attnscope-chart.pdf"))).toString();
  ExportDialog dialog(suggested, plot_->size(), plot_->choices(), plot_->sources(), this);
  if (dialog.exec() != QDialog::Accepted || dialog.path().isEmpty()) return;
  plot_->setChoices(dialog.choices());  // what is exported is what the window then shows
  settings.setValue(QStringLiteral("export/lastPath"), dialog.path());
  QString error = plot_->exportTo(dialog.path(), dialog.spec());
  if (error.isEmpty() && !dialog.dataPath().isEmpty()) error = plot_->exportTo(dialog.dataPath(), dialog.spec());
  if (!error.isEmpty()) return message_->show(MessageBar::Level::Error, error);
  lastDir_ = QFileInfo(dialog.path()).absolutePath();
  message_->show(MessageBar::Level::Info, tr("Wrote %1").arg(dialog.path()));
}

void MainWindow::addRecent(const QString& path) {
  recent_.removeAll(path);
  recent_.prepend(path);
  while (recent_.size() > kMaxRecent) recent_.removeLast();
  rebuildRecentMenu();
  saveSettings();
}

void MainWindow::rebuildRecentMenu() {
  recentMenu_->clear();
  for (const QString& path : recent_)
    recentMenu_->addAction(QFileInfo(path).fileName(), this, [this, path] { openResultFile(path); })->setToolTip(path);
  recentMenu_->setEnabled(!recent_.isEmpty());
}

bool MainWindow::setRemoteCommand(const QString& commandLine, QString* error) {
  const QString line = commandLine.trimmed();
  if (line.isEmpty()) {
    remoteCommandLine_.clear();
    problem_->setRemoteDevices(QString(), {});
  } else {
    const std::optional<WorkerCommand> command = WorkerCommand::remoteFrom(line, error);
    if (!command) return false;
    remoteCommandLine_ = line;
    remoteDevices_->setCommand(*command);
    eligibility_->setRemoteCommand(*command);
    run_->setRemoteCommand(*command);
    remoteDevices_->refresh();  // its devices join the list when the host answers
  }
  QSettings().setValue(QStringLiteral("remote/command"), remoteCommandLine_);
  return true;
}

void MainWindow::loadSettings() {
  QSettings s;
  if (const QString remote = s.value(QStringLiteral("remote/command")).toString(); !remote.isEmpty())
    setRemoteCommand(remote);
  problem_->setSpec(ProblemSpec::load(s));
  QHash<QString, bool> wanted;
  s.beginGroup(QStringLiteral("backends"));
  for (const QString& id : s.childKeys()) wanted.insert(id, s.value(id).toBool());
  s.endGroup();
  backends_->setWantedMap(wanted);
  recent_ = s.value(QStringLiteral("recentFiles")).toStringList();
  lastDir_ = s.value(QStringLiteral("lastDir")).toString();
  plot_->restoreChoices(s);
  restoreGeometry(s.value(QStringLiteral("window/geometry")).toByteArray());
  fitToScreen();  // a geometry saved on a larger screen (or at another scale) must not hang off this one
  restoreState(s.value(QStringLiteral("window/state")).toByteArray(), kStateVersion);
  rebuildRecentMenu();
}

void MainWindow::saveSettings() const {
  QSettings s;
  problem_->spec().save(s);
  s.remove(QStringLiteral("backends"));
  s.beginGroup(QStringLiteral("backends"));
  const QHash<QString, bool> wanted = backends_->wantedMap();
  for (auto it = wanted.begin(); it != wanted.end(); ++it) s.setValue(it.key(), it.value());
  s.endGroup();
  s.setValue(QStringLiteral("recentFiles"), recent_);
  s.setValue(QStringLiteral("lastDir"), lastDir_);
  plot_->saveChoices(s);
  s.setValue(QStringLiteral("window/geometry"), saveGeometry());
  s.setValue(QStringLiteral("window/state"), saveState(kStateVersion));
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (run_->running() || unsaved_) {
    const auto answer = QMessageBox::question(
        this, run_->running() ? tr("Quit during a sweep?") : tr("Quit without saving?"),
        run_->running() ? tr("A sweep is running (%1). Quitting stops it; the points measured so far are lost unless "
                             "you save them.").arg(progressLabel_->text())
                        : tr("The last run's results are not saved."),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer == QMessageBox::Cancel) return event->ignore();
    if (answer == QMessageBox::Save) {
      const QString path = QFileDialog::getSaveFileName(this, tr("Save results"), lastDir(), tr("JSON (*.json);;CSV (*.csv)"));
      if (path.isEmpty() || !saveResults(path).isEmpty()) return event->ignore();
    }
  }
  if (run_->running()) run_->cancel();
  saveSettings();
  QMainWindow::closeEvent(event);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  QStringList files;
  for (const QUrl& url : event->mimeData()->urls())
    if (url.isLocalFile()) files << url.toLocalFile();
  if (files.isEmpty()) return;
  // One file replaces what is shown; a second dropped file (or a drop with Shift) is overlaid on it.
  const bool overlay = event->modifiers().testFlag(Qt::ShiftModifier) && !primary_.doc.records.empty();
  if (overlay) overlayResultFile(files.front());
  else if (openResultFile(files.front()) && files.size() > 1) overlayResultFile(files[1]);
  event->acceptProposedAction();
}

}  // namespace attnscope::gui
