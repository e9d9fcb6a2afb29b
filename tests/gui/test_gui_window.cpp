// The main window end to end: live eligibility from the worker, a CPU sweep, exports, files.
#include <gtest/gtest.h>

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QSpinBox>
#include <QClipboard>
#include <QElapsedTimer>
#include <QTableView>
#include <QFileInfo>
#include <QHelpEvent>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMimeData>
#include <QSettings>
#include <QUrl>
#include <QProcess>
#include <QSignalSpy>
#include <QRegularExpression>
#include <QSplitter>
#include <QTemporaryDir>
#include <QTest>
#include <QMessageBox>
#include <QPushButton>
#include <QTextBrowser>
#include <QTimer>
#include <QToolTip>

#include <qcustomplot.h>

#include "BackendColors.h"
#include "BackendListModel.h"
#include "BackendListView.h"
#include "DeviceListService.h"
#include "EligibilityService.h"
#include "ExportDialog.h"
#include "MainWindow.h"
#include "MessageBar.h"
#include "PlotView.h"
#include "ProblemPanel.h"
#include "ResultSet.h"
#include "ResultsModel.h"
#include "ResultsView.h"
#include "gui_test_util.h"

using namespace attnscope;
using namespace attnscope::gui;
using gui_test::dataPath;

namespace {

// A window whose device list has arrived (so what-if profiles can be chosen).
std::unique_ptr<MainWindow> makeWindow() {
  auto w = std::make_unique<MainWindow>();
  QSignalSpy devices(w->deviceService(), &DeviceListService::updated);
  EXPECT_TRUE(devices.wait(30000));
  return w;
}

// Applies a problem and waits for the eligibility that answers it.
void applyAndWait(MainWindow& w, const ProblemSpec& spec) {
  QSignalSpy updated(w.eligibility(), &EligibilityService::updated);
  w.problemPanel()->setSpec(spec);
  ASSERT_TRUE(updated.wait(30000));
  while (w.eligibility()->busy()) ASSERT_TRUE(updated.wait(30000));  // a later request may still be pending
}

std::vector<RuleResult> unmetOf(const BackendStatus& s) { return s.unmetRules(); }

}  // namespace

TEST(GuiWindow, Float32GreysDtypeRestrictedBackendsWithTheReasonLiveFromTheWorker) {
  auto w = makeWindow();
  ProblemSpec spec;
  spec.device = "profile:h100";  // a what-if GPU: the GPU backends' own rules decide
  spec.qLen = "1";
  spec.kvLen = "4096";
  spec.headDim = "64";
  spec.dtypes = {"float32"};
  applyAndWait(*w, spec);
  ASSERT_EQ(w->problemPanel()->spec().device, "profile:h100");

  // Whatever backend is fp16/bf16-only: found by its rule, not by a hard-coded id.
  const BackendListModel* model = w->backendModel();
  int row = -1;
  RuleResult dtypeRule;
  for (int r = 0; r < model->rowCount() && row < 0; ++r)
    for (const RuleResult& u : unmetOf(model->statuses()[r]))
      if (u.rule == "dtype" && u.required.find("float32") == std::string::npos && u.required.find("float16") != std::string::npos) {
        row = r;
        dtypeRule = u;
      }
  ASSERT_GE(row, 0) << "no registered backend is restricted to float16/bfloat16";
  const QModelIndex index = model->index(row);
  EXPECT_FALSE(index.data(BackendListModel::EligibleRole).toBool());
  EXPECT_FALSE(model->flags(index) & Qt::ItemIsUserCheckable);
  const QString tip = index.data(Qt::ToolTipRole).toString();
  EXPECT_TRUE(tip.contains(QString::fromStdString(dtypeRule.reason).toHtmlEscaped())) << tip.toStdString();
  EXPECT_TRUE(tip.contains(QString::fromStdString(dtypeRule.hint).toHtmlEscaped())) << tip.toStdString();

  // The view shows that tooltip on the greyed row.
  w->show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(w.get()));
  QListView* list = w->backendView()->list();
  const QPoint at = list->visualRect(index).center();
  QHelpEvent help(QEvent::ToolTip, at, list->viewport()->mapToGlobal(at));
  QApplication::sendEvent(list->viewport(), &help);
  EXPECT_TRUE(QToolTip::isVisible());
  EXPECT_TRUE(QToolTip::text().contains(QString::fromStdString(dtypeRule.hint).toHtmlEscaped()));

  // float16: the dtype rule is met now; the backend is enabled unless another rule (e.g. a CPU-only
  // build's missing CUDA) still stands, which the tooltip then names instead.
  spec.dtypes = {"float16"};
  applyAndWait(*w, spec);
  const BackendStatus& now = model->statuses()[row];
  std::vector<RuleResult> rest = unmetOf(now);
  for (const RuleResult& u : rest) EXPECT_NE(u.rule, "dtype") << u.reason;
  EXPECT_EQ(model->index(row).data(BackendListModel::EligibleRole).toBool(), rest.empty());
  EXPECT_FALSE(model->index(row).data(Qt::ToolTipRole).toString().contains("dtype is float32"));
}

// The overview's dtype column: ours from their dtype rule, "all" where no rule limits it, and for a library row
// that has no rule of ours the library's own say (here it cannot be imported, so the column must not read "all").
TEST(GuiWindow, TheOverviewLeavesALibrarysDtypesToTheLibrary) {
  auto w = makeWindow();
  ProblemSpec spec;
  spec.device = "cpu";
  applyAndWait(*w, spec);
  if (w->backendModel()->rowOf("torch-flash") < 0) GTEST_SKIP() << "no library rows here (no embeddable Python)";
  const QStringList lines = w->backendView()->overview()->toPlainText().split('\n');
  auto lineOf = [&](const char* id) {
    const int at = lines.indexOf(QRegularExpression("^" + QRegularExpression::escape(backendShortName(id)) + "\\b.*"));
    return at < 0 ? QString() : lines.mid(at, 3).join(' ').simplified();
  };
  EXPECT_TRUE(lineOf("torch-flash").contains("the library's")) << lineOf("torch-flash").toStdString();
  EXPECT_TRUE(lineOf("cpu-reference").contains(" all ")) << lineOf("cpu-reference").toStdString();
  EXPECT_TRUE(lineOf("flash2").contains("fp16, bf16")) << lineOf("flash2").toStdString();
}

TEST(GuiWindow, SwitchingToFloat16EnablesTheFp16OnlyBackend) {
  gui_test::ScopedEnv worker("ATTNSCOPE_CLI", dataPath("fake-worker.sh").toLocal8Bit());
  auto w = makeWindow();
  ProblemSpec spec;
  spec.device = "profile:h100";
  spec.dtypes = {"float32"};
  applyAndWait(*w, spec);
  BackendListModel* model = w->backendModel();
  const int row = model->rowOf("flash2");
  ASSERT_GE(row, 0);
  EXPECT_FALSE(model->index(row).data(BackendListModel::EligibleRole).toBool());
  EXPECT_TRUE(model->index(row).data(Qt::ToolTipRole).toString().contains("dtype is float32"));
  // The overview table, above the selected backend's text, shows that backend's dtypes from the same rule
  // (float16 or bfloat16, written short) and how its memory grows (O(N)).
  const QString overview = w->backendView()->overview()->toPlainText();
  const QString flash2Line = overview.section(QLatin1Char('\n'), overview.split('\n').indexOf(QRegularExpression("^FlashAttention-2\\b.*")), -1)
                                 .section(QLatin1Char('\n'), 0, 4).simplified();
  EXPECT_TRUE(flash2Line.startsWith(backendShortName("flash2") + " fp16, bf16 O(N)")) << flash2Line.toStdString();
  for (const RuleResult& u : unmetOf(model->statuses()[row]))
    if (u.rule == "dtype") EXPECT_EQ(u.required, "float16 or bfloat16");
  auto* split = qobject_cast<QSplitter*>(w->backendView()->overview()->parentWidget());
  ASSERT_NE(split, nullptr);
  EXPECT_EQ(split->indexOf(w->backendView()->overview()), 0);
  EXPECT_EQ(split->indexOf(w->backendView()->details()), 1) << "the details are below the overview";
  spec.dtypes = {"float16"};
  applyAndWait(*w, spec);
  EXPECT_TRUE(model->index(row).data(BackendListModel::EligibleRole).toBool());
  EXPECT_EQ(model->index(row).data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Checked);
  EXPECT_TRUE(model->selectedIds().contains("flash2"));
  // A what-if profile explains but cannot run.
  EXPECT_FALSE(w->runAction()->isEnabled());
  EXPECT_TRUE(w->runAction()->toolTip().contains("what-if"));
}

namespace {
// Lines of the fake worker's launch log that started `backends` (one per worker process).
// Eligibility checks, or (forecast) the what-if memory predictions at every point.
int backendsLaunches(const QString& log, bool forecast = false) {
  QFile f(log);
  if (!f.open(QIODevice::ReadOnly)) return 0;
  int n = 0;
  for (const QByteArray& line : f.readAll().split('\n'))
    n += line.startsWith("backends ") && line.contains("--every-point") == forecast;
  return n;
}
}  // namespace

// One edit, one worker process: the app sends the sweep as typed (the options `run` gets) and the worker
// judges every probe of it (5 head dims × smallest and largest length) in one answer.
TEST(GuiWindow, ChangingTheHeadDimFieldStartsOneWorkerProcess) {
  QTemporaryDir dir;
  const QString log = dir.filePath("launches.log");
  gui_test::ScopedEnv worker("ATTNSCOPE_CLI", dataPath("fake-worker.sh").toLocal8Bit());
  gui_test::ScopedEnv counting("FAKE_WORKER_LOG", log.toLocal8Bit());
  auto w = makeWindow();
  ProblemSpec spec;
  spec.device = "profile:h100";
  spec.qLen = "128:4096:x2";
  spec.headDim = "64";
  spec.dtypes = {"float16"};
  applyAndWait(*w, spec);
  // The profile's memory forecast for this spec may still be on its way: count from when it has arrived
  // (under a loaded ctest -j2 it was counted as the edit's, 2 instead of 1).
  ASSERT_TRUE(QTest::qWaitFor([&] { return !w->memoryForecast()->busy(); }, 30000));
  const int before = backendsLaunches(log), forecastsBefore = backendsLaunches(log, true);
  ASSERT_GE(before, 1);

  QSignalSpy updated(w->eligibility(), &EligibilityService::updated);
  auto* headDim = qobject_cast<QLineEdit*>(w->problemPanel()->fieldWidget("head_dim"));
  ASSERT_NE(headDim, nullptr);
  headDim->setText("32,64,96,128,256");
  ASSERT_TRUE(updated.wait(30000));
  while (w->eligibility()->busy()) ASSERT_TRUE(updated.wait(30000));
  EXPECT_EQ(backendsLaunches(log) - before, 1);
  ASSERT_TRUE(QTest::qWaitFor([&] { return !w->memoryForecast()->busy(); }, 30000));
  EXPECT_EQ(backendsLaunches(log, true) - forecastsBefore, 1) << "and one for the what-if profile's predicted memory";
  QFile f(log);
  ASSERT_TRUE(f.open(QIODevice::ReadOnly));
  QByteArray last;
  for (const QByteArray& line : f.readAll().trimmed().split('\n'))
    if (!line.contains("--every-point")) last = line;
  EXPECT_TRUE(last.contains("--head-dim 32,64,96,128,256")) << last.toStdString();
  EXPECT_TRUE(last.contains("--seq 128:4096:x2")) << last.toStdString();
}

TEST(GuiWindow, InvalidFieldIsMarkedAndRunIsDisabled) {
  auto w = makeWindow();
  ProblemSpec spec;
  applyAndWait(*w, spec);
  EXPECT_GT(w->backendModel()->rowCount(), 0);
  spec.qLen = "512:abc";
  w->problemPanel()->setSpec(spec);
  // No verdicts for the earlier (valid) problem stay up, not even one answered late.
  EXPECT_EQ(w->backendModel()->rowCount(), 0);
  QTest::qWait(300);
  EXPECT_EQ(w->backendModel()->rowCount(), 0);
  EXPECT_FALSE(w->problemPanel()->valid());
  EXPECT_FALSE(w->problemPanel()->fieldError("q_len").isEmpty());
  EXPECT_TRUE(w->problemPanel()->fieldWidget("q_len")->property("invalid").toBool());
  EXPECT_FALSE(w->runAction()->isEnabled());
  // The review's other invalid lengths: out of range (verdicts for its last valid prefix stayed up), negative
  // (the CPU backends looked runnable). Each time a valid problem comes first, so there are verdicts to clear.
  for (const char* bad : {"99999999999", "-5", "0"}) {
    ProblemSpec good;
    applyAndWait(*w, good);
    ASSERT_GT(w->backendModel()->rowCount(), 0);
    spec.qLen = bad;
    w->problemPanel()->setSpec(spec);
    EXPECT_EQ(w->backendModel()->rowCount(), 0) << bad;
    EXPECT_FALSE(w->problemPanel()->fieldError("q_len").isEmpty()) << bad;
    EXPECT_FALSE(w->runAction()->isEnabled()) << bad;
  }
}

TEST(GuiWindow, ACpuSweepRunsEndToEndFillingPlotAndTableAndExports) {
  auto w = makeWindow();
  w->resize(1400, 900);
  w->show();
  ProblemSpec spec;
  spec.device = "cpu";
  spec.qHeads = spec.kvHeads = 1;
  spec.qLen = "32,64,128";
  spec.headDim = "16";
  spec.dtypes = {"float32"};
  spec.quick = true;
  applyAndWait(*w, spec);
  const QStringList selected = w->backendModel()->selectedIds();
  ASSERT_TRUE(selected.contains("cpu-reference")) << selected.join(',').toStdString();
  ASSERT_TRUE(selected.contains("cpu-math"));
  for (const QString& id : selected)  // keep the sweep to the CPU backends this test knows
    if (id != "cpu-reference" && id != "cpu-math") w->backendModel()->setWanted(id, false);

  QSignalSpy done(w.get(), &MainWindow::runFinished);
  ASSERT_TRUE(w->runAction()->isEnabled()) << w->runAction()->toolTip().toStdString();
  w->runAction()->trigger();
  EXPECT_TRUE(w->cancelAction()->isEnabled());
  ASSERT_TRUE(done.wait(180000));
  EXPECT_EQ(done[0][0].value<RunController::Outcome>(), RunController::Outcome::Completed);
  EXPECT_TRUE(w->progressText().contains("Done: 6 items")) << w->progressText().toStdString();

  EXPECT_EQ(w->resultsModel()->rowCount(), 6);  // 3 points × 2 backends
  for (int r = 0; r < 6; ++r) EXPECT_EQ(w->resultsModel()->record(r).status, Status::Ok);
  QTest::qWait(200);  // the coalesced chart rebuild
  PlotView* plot = w->plotView();
  EXPECT_EQ(plot->model().series.size(), 2u);
  EXPECT_EQ(plot->plottedPointCount(Metric::Latency), 6);
  EXPECT_EQ(plot->model().axis, SweepAxis::SeqLength);
  const auto px = plot->pixelOf(0, 1, Metric::Latency);
  ASSERT_TRUE(px);
  const QString hover = plot->hoverTextAt(*px);
  EXPECT_TRUE(hover.contains("median")) << hover.toStdString();
  EXPECT_TRUE(hover.contains("Nq=64")) << hover.toStdString();

  // Closing with the run unsaved asks first; Cancel keeps the window.
  QString asked;
  QTimer::singleShot(300, [&asked] {
    if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
      asked = box->text();
      box->button(QMessageBox::Cancel)->click();
    }
  });
  EXPECT_FALSE(w->close());
  EXPECT_TRUE(asked.contains("not saved")) << asked.toStdString();
  EXPECT_TRUE(w->isVisible());

  QTemporaryDir dir;
  for (const char* name : {"chart.png", "chart.pdf", "chart.svg"}) {
    const QString path = dir.filePath(name);
    EXPECT_TRUE(w->exportChart(path, 1200, 800).isEmpty()) << name;
    EXPECT_GT(QFileInfo(path).size(), 2000) << name;
  }
  EXPECT_EQ(QImage(dir.filePath("chart.png")).size(), QSize(1200, 800));
  // The run's data saves and reopens.
  ASSERT_TRUE(w->saveResults(dir.filePath("run.json")).isEmpty());
  ASSERT_TRUE(w->saveResults(dir.filePath("run.csv")).isEmpty());
  EXPECT_GT(QFileInfo(dir.filePath("run.csv")).size(), 100);
  ASSERT_TRUE(w->openResultFile(dir.filePath("run.json")));
  EXPECT_EQ(w->resultsModel()->rowCount(), 6);
  EXPECT_TRUE(w->recentFiles().value(0).endsWith("run.json"));
}

TEST(GuiWindow, AMalformedResultFileShowsAnErrorAndKeepsTheWindow) {
  auto w = makeWindow();
  ASSERT_TRUE(w->openResultFile(dataPath("cpu_run.json")));
  EXPECT_EQ(w->resultsModel()->rowCount(), 4);
  w->show();
  EXPECT_FALSE(w->openResultFile(dataPath("malformed_status.json")));
  EXPECT_TRUE(w->messageBar()->text().contains("okk")) << w->messageBar()->text().toStdString();
  EXPECT_EQ(w->messageBar()->level(), MessageBar::Level::Error);
  EXPECT_EQ(w->resultsModel()->rowCount(), 4);  // what was shown stays
  EXPECT_FALSE(w->openResultFile(dataPath("not_json.json")));
  EXPECT_TRUE(w->messageBar()->text().contains("JSON"));
}

TEST(GuiWindow, OpensAFileFromTheCliAndOverlaysASecondOne) {
  auto w = makeWindow();
  ASSERT_TRUE(w->openResultFile(dataPath("cpu_run.json")));
  ASSERT_TRUE(w->overlayResultFile(dataPath("cpu_run.json")));
  EXPECT_EQ(w->resultsModel()->rowCount(), 8);
  QTest::qWait(150);
  EXPECT_EQ(w->plotView()->model().series.size(), 4u);  // two backends × two files
  EXPECT_TRUE(w->plotView()->model().series[2].name.contains("[")) << w->plotView()->model().series[2].name.toStdString();
  w->clearOverlay();
  EXPECT_EQ(w->resultsModel()->rowCount(), 4);
}

TEST(GuiWindow, HeadlessExportWritesTheChartWithoutAWindow) {
  QTemporaryDir dir;
  QProcess app;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.remove("QT_QPA_PLATFORM");  // the app must pick offscreen by itself
  env.remove("DISPLAY");
  app.setProcessEnvironment(env);
  for (const char* name : {"c.png", "c.svg", "c.pdf", "c.csv"}) {
    app.start(ATTNSCOPE_APP_PATH, {dataPath("cpu_run.json"), "--export", dir.filePath(name)});
    ASSERT_TRUE(app.waitForFinished(60000));
    EXPECT_EQ(app.exitCode(), 0) << name << ": " << app.readAllStandardError().toStdString();
    EXPECT_GT(QFileInfo(dir.filePath(name)).size(), 200) << name;
  }
  app.start(ATTNSCOPE_APP_PATH, {dataPath("malformed_status.json"), "--export", dir.filePath("bad.png")});
  ASSERT_TRUE(app.waitForFinished(60000));
  EXPECT_EQ(app.exitCode(), 1);
  EXPECT_TRUE(app.readAllStandardError().contains("okk"));
}

TEST(GuiPlot, FailedPointsAreMarkedGapsAndHoverExplainsThem) {
  LoadOutcome loaded = loadResultFile(dataPath("cpu_run.json"));
  ASSERT_TRUE(loaded.set);
  std::vector<Record> records = loaded.set->doc.records;
  records[2].status = Status::OutOfMemory;  // cpu-reference at the second point
  records[2].message = "asked for 3.0 GiB with 1.0 GiB free";
  PlotView view;
  view.resize(1000, 700);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  view.setSources({{"a", loaded.set->doc.device, records}});
  view.setPanels(PlotView::Panels::Latency);
  QTest::qWait(50);
  EXPECT_EQ(view.gapMarkerCount(), 1);
  EXPECT_EQ(view.plottedPointCount(Metric::Latency), 3);
  const int series = records[2].backend == view.model().series[0].backend.toStdString() ? 0 : 1;
  const auto mark = view.pixelOf(series, 1, Metric::Latency);
  ASSERT_TRUE(mark);
  EXPECT_TRUE(view.hoverTextAt(*mark).contains("out of memory: asked for 3.0 GiB")) << view.hoverTextAt(*mark).toStdString();

  // The same through real mouse movement over a measured point.
  const auto point = view.pixelOf(1 - series, 1, Metric::Latency);
  ASSERT_TRUE(point);
  QWidget* canvas = view.findChild<QWidget*>("plot");
  ASSERT_NE(canvas, nullptr);
  QTest::mouseMove(canvas, point->toPoint());
  EXPECT_TRUE(QToolTip::isVisible());
  EXPECT_TRUE(QToolTip::text().contains("median")) << QToolTip::text().toStdString();
  EXPECT_TRUE(QToolTip::text().contains("rel. L2 error") || QToolTip::text().contains("samples"));
}

TEST(GuiWindow, ProblemBackendChoicesAndRecentFilesPersistAcrossSessions) {
  ProblemSpec spec;
  spec.qLen = "256,512";
  spec.headDim = "32,64";
  spec.dtypes = {"float32", "bfloat16"};
  spec.causal = true;
  {
    auto w = makeWindow();
    // Opened first: a file sets the form and the backends to its own (test_gui_file_problem.cpp).
    ASSERT_TRUE(w->openResultFile(dataPath("cpu_run.json")));
    applyAndWait(*w, spec);
    w->backendModel()->setWanted("cpu-math", false);
    w->close();  // saves settings
  }
  auto again = makeWindow();
  const ProblemSpec restored = again->problemPanel()->spec();
  EXPECT_EQ(restored.qLen, spec.qLen);
  EXPECT_EQ(restored.headDim, spec.headDim);
  EXPECT_EQ(restored.dtypes, spec.dtypes);
  EXPECT_TRUE(restored.causal);
  EXPECT_FALSE(again->backendModel()->wantedMap().value("cpu-math", true));
  EXPECT_TRUE(again->recentFiles().value(0).endsWith("cpu_run.json"));
  QSettings().clear();
}

TEST(GuiWindow, ChartChoicesAndExportSettingsPersistAcrossSessions) {
  QSettings().clear();
  const QString grid = QStringLiteral(ATTNSCOPE_H100_RESULTS "/bench_full.jsonl");
  {
    auto w = makeWindow();
    ASSERT_TRUE(w->openResultFile(grid));
    PlotView* plot = w->plotView();
    plot->setKind(PlotView::Kind::Bars);
    plot->setPanels(PlotView::Panels::Speedup);
    PlotOptions o;
    o.baseline = QStringLiteral("flash2");
    o.only[SweepAxis::HeadDim] = QStringList{QStringLiteral("128")};
    plot->setOptions(o);
    plot->setHidden({QStringLiteral("naive")});
    ExportDialog dialog(QStringLiteral("/tmp/x.pdf"), QSize(800, 600));
    auto* preset = dialog.findChild<QComboBox*>(QStringLiteral("exportPreset"));
    ASSERT_TRUE(preset);
    preset->setCurrentIndex(preset->findData(QStringLiteral("single")));
    dialog.findChild<QSpinBox*>(QStringLiteral("exportFontPt"))->setValue(9);
    dialog.findChild<QCheckBox*>(QStringLiteral("exportData"))->setChecked(true);
    dialog.accept();
    w->close();  // saves settings
  }
  auto again = makeWindow();
  ASSERT_TRUE(again->openResultFile(grid));
  const PlotView* plot = again->plotView();
  EXPECT_EQ(plot->kind(), PlotView::Kind::Bars);
  EXPECT_EQ(plot->panels(), PlotView::Panels::Speedup);
  EXPECT_EQ(plot->options().baseline, QStringLiteral("flash2"));
  EXPECT_EQ(plot->model().baseline, QStringLiteral("flash2"));
  EXPECT_EQ(plot->hidden(), QSet<QString>{QStringLiteral("naive")});
  ASSERT_TRUE(plot->model().field(SweepAxis::HeadDim));
  EXPECT_EQ(plot->model().field(SweepAxis::HeadDim)->selected, QStringList{QStringLiteral("128")});
  EXPECT_EQ(plot->panelCount(), 1) << "d=128 only: one panel";
  ExportDialog dialog(QStringLiteral("/tmp/x.pdf"), QSize(800, 600), plot->choices(), plot->sources());
  EXPECT_EQ(dialog.choices().kind, PlotView::Kind::Bars) << "the dialog starts with the window's chart";
  EXPECT_EQ(dialog.choices().panels, PlotView::Panels::Speedup);
  EXPECT_EQ(dialog.choices().options.baseline, QStringLiteral("flash2"));
  EXPECT_EQ(dialog.choices().hidden, QSet<QString>{QStringLiteral("naive")});
  EXPECT_EQ(dialog.findChild<QComboBox*>(QStringLiteral("exportPreset"))->currentData().toString(), QStringLiteral("single"));
  EXPECT_EQ(dialog.spec().fontPt, 9);
  EXPECT_NEAR(dialog.spec().sizePt.width(), 3.5 * 72, 1);
  EXPECT_FALSE(dialog.dataPath().isEmpty());
  QSettings().clear();
}

// A what-if profile runs nothing, so the chart is each backend's predicted memory against N on it: naive's
// score matrix grows 4× per doubling (O(N²)), flash2's output 2× (O(N)); past the device's memory naive is
// still drawn (that is the lesson) and the data export says "predicted".
TEST(GuiWindow, AWhatIfProfileChartsEachBackendsPredictedMemoryAgainstN) {
  auto w = makeWindow();
  ProblemSpec spec;
  spec.qLen = "1024:65536:x2";
  spec.headDim = "64";
  spec.dtypes = {"float16"};
  spec.causal = false;
  spec.device = "profile:h100";
  applyAndWait(*w, spec);
  ASSERT_TRUE(QTest::qWaitFor([&] { return w->plotView()->model().predictedOnly; }, 30000));
  const PlotView* plot = w->plotView();
  EXPECT_TRUE(plot->model().title.startsWith("Predicted for What-if")) << plot->model().title.toStdString();
  EXPECT_EQ(plot->metrics(), std::vector<Metric>{Metric::PredictedMemory});
  // The metric box does not offer "All four charts" where only the prediction exists.
  const auto* metricBox = plot->findChild<QComboBox*>(QStringLiteral("plotPanels"));
  ASSERT_NE(metricBox, nullptr);
  EXPECT_TRUE(QTest::qWaitFor([&] { return !metricBox->isEnabled(); }, 2000));  // controls follow the model
  EXPECT_TRUE(metricBox->toolTip().contains("predicted memory")) << metricBox->toolTip().toStdString();
  auto values = [&](const char* id) {
    std::vector<double> v;
    for (const PlotSeries& s : plot->model().series)
      if (s.backend == QLatin1String(id))
        for (const PlotPoint& p : s.points) v.push_back(p.value(Metric::PredictedMemory).value_or(-1));
    return v;
  };
  const std::vector<double> naive = values("naive"), flash2 = values("flash2");
  ASSERT_EQ(naive.size(), 7u);
  ASSERT_EQ(flash2.size(), 7u);
  for (std::size_t i = 1; i < 7; ++i) {
    EXPECT_NEAR(naive[i] / naive[i - 1], 4.0, 0.1) << i;  // the N² scores dominate the O(N) output
    EXPECT_NEAR(flash2[i] / flash2[i - 1], 2.0, 0.05) << i;
  }
  EXPECT_GT(naive.back(), 80.0 * 1024) << "N=64k needs more than the H100's 80 GB and is still drawn";
  EXPECT_GT(plot->plottedPointCount(Metric::PredictedMemory), 14);
  // The legend lists what is predicted; backends with none here are counted under it, not listed.
  for (int i = 0; i < plot->plot()->legend->itemCount(); ++i)
    if (auto* item = qobject_cast<QCPPlottableLegendItem*>(plot->plot()->legend->item(i)))
      EXPECT_FALSE(item->plottable()->name().endsWith("(n/a)")) << item->plottable()->name().toStdString();
  QTemporaryDir dir;
  ASSERT_EQ(w->plotView()->exportTo(dir.filePath("predicted.png"), *ExportSpec::preset("double")), QString());
  EXPECT_EQ(plot->gapMarkerCount(), 0) << "backends that cannot run there are greyed in the legend, not crossed at every N";
  ASSERT_EQ(w->plotView()->exportTo(dir.filePath("predicted.csv"), *ExportSpec::preset("double")), QString());
  QFile csv(dir.filePath("predicted.csv"));
  ASSERT_TRUE(csv.open(QIODevice::ReadOnly));
  const QString text = QString::fromUtf8(csv.readAll());
  EXPECT_TRUE(text.contains(",predicted\n")) << text.left(400).toStdString();
  EXPECT_FALSE(text.contains(",ok\n")) << "nothing in a prediction is a measurement";

  // A restart comes back on the profile (restored before the worker has listed the devices) and its chart.
  w->close();
  w = makeWindow();
  EXPECT_EQ(w->problemPanel()->spec().device, QStringLiteral("profile:h100"));
  EXPECT_TRUE(QTest::qWaitFor([&] { return w->plotView()->model().predictedOnly; }, 30000));

  spec.device = "cpu";  // a real device: measured results only, no prediction in the chart
  applyAndWait(*w, spec);
  ASSERT_TRUE(QTest::qWaitFor([&] { return !w->plotView()->model().predictedOnly; }, 5000));
}

TEST(GuiWindow, DroppingResultFilesOpensTheFirstAndOverlaysTheSecond) {
  auto w = makeWindow();
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(dataPath("cpu_run.json")), QUrl::fromLocalFile(dataPath("cpu_run.json"))});
  QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(w.get(), &enter);
  EXPECT_TRUE(enter.isAccepted());
  QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(w.get(), &drop);
  EXPECT_EQ(w->resultsModel()->rowCount(), 8);
}

TEST(GuiWindow, CtrlCCopiesTheSelectedRowsAsMarkdown) {
  auto w = makeWindow();
  ASSERT_TRUE(w->openResultFile(dataPath("cpu_run.json")));
  w->show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(w.get()));
  QTableView* table = w->resultsView();
  table->selectRow(1);
  table->setFocus();
  QTest::keyClick(table, Qt::Key_C, Qt::ControlModifier);
  const QString md = QApplication::clipboard()->text();
  const QStringList lines = md.trimmed().split('\n');
  ASSERT_EQ(lines.size(), 3) << md.toStdString();  // header, rule, the one selected row
  EXPECT_TRUE(lines[0].startsWith("| Run | Backend |"));
  EXPECT_TRUE(lines[2].contains("cpu_run.json"));
}

TEST(GuiWindow, CancelFromTheWindowStopsWithinASecondAndKeepsFinishedRows) {
  auto w = makeWindow();
  ProblemSpec spec;
  spec.device = "cpu";
  spec.qHeads = spec.kvHeads = 4;
  spec.qLen = "32,8192";  // the second point runs far longer than the test waits
  spec.headDim = "32";
  applyAndWait(*w, spec);
  for (const QString& id : w->backendModel()->selectedIds()) w->backendModel()->setWanted(id, id == "cpu-math");
  QSignalSpy done(w.get(), &MainWindow::runFinished);
  ASSERT_TRUE(w->startRun());
  ASSERT_TRUE(QTest::qWaitFor([&] { return w->resultsModel()->rowCount() >= 1; }, 60000));
  QTest::qWait(200);
  EXPECT_TRUE(w->cancelAction()->isEnabled());
  QElapsedTimer t;
  t.start();
  w->cancelAction()->trigger();
  ASSERT_TRUE(done.wait(5000));
  EXPECT_LE(t.elapsed(), 1000);
  EXPECT_EQ(done[0][0].value<RunController::Outcome>(), RunController::Outcome::Cancelled);
  // The finished point is kept; the point cut short may also be there, as the worker's own cancelled
  // record, when the worker wrote it before it stopped (a race the test must not depend on).
  const int rows = w->resultsModel()->rowCount();
  ASSERT_TRUE(rows == 1 || rows == 2) << rows;
  EXPECT_EQ(w->resultsModel()->record(0).status, Status::Ok);
  if (rows == 2) EXPECT_EQ(w->resultsModel()->record(1).status, Status::Cancelled);
  EXPECT_TRUE(w->progressText().contains("Cancelled")) << w->progressText().toStdString();
  EXPECT_TRUE(w->runAction()->isEnabled());
}

// Quick look and the sustained rule promise different things about the numbers: ticking one clears the other.
TEST(GuiProblemPanel, QuickLookAndTheSustainedRuleExcludeEachOther) {
  ProblemPanel panel;
  auto* quick = panel.findChild<QCheckBox*>(QStringLiteral("quickLook"));
  auto* sustained = panel.findChild<QCheckBox*>(QStringLiteral("sustainedRule"));
  ASSERT_NE(quick, nullptr);
  ASSERT_NE(sustained, nullptr);
  sustained->setChecked(true);
  EXPECT_TRUE(panel.spec().sustained);
  quick->setChecked(true);
  EXPECT_FALSE(sustained->isChecked());
  EXPECT_TRUE(panel.spec().quick);
  EXPECT_FALSE(panel.spec().sustained);
  sustained->setChecked(true);
  EXPECT_FALSE(quick->isChecked());
  ProblemSpec spec = panel.spec();
  EXPECT_TRUE(spec.sustained && !spec.quick);
  panel.setSpec(ProblemSpec{});
  EXPECT_FALSE(sustained->isChecked());
}

TEST(GuiProblemPanel, TheDeviceNoteNamesEachMissingCudaLibraryWithItsFix) {
  // A machine with a GPU but neither CUPTI nor cuBLAS on the loader's path, as discovery reports it.
  DeviceList list;
  const std::vector<RuntimeLibrary> libs = {
      {"cuda-driver", "NVIDIA driver", "libcuda.so.1", true, "/usr/lib/libcuda.so.1", "no GPU", "install the driver"},
      {"cupti", "CUPTI", "libcupti.so.13", false, "libcupti.so.13: cannot open shared object file",
       "timing falls back to CUDA events", "install the CUDA toolkit's CUPTI"},
      {"cublas", "cuBLAS", "libcublas.so.13", false, "libcublas.so.13: cannot open shared object file",
       "cublas-math cannot run", "install cuBLAS 13"}};
  DeviceInfo cpu;
  cpu.id = "cpu";
  cpu.name = "CPU";
  cpu.runtime_libraries = libs;
  DeviceInfo gpu = *find_profile("h100");
  gpu.id = "cuda:0";
  gpu.kind = DeviceKind::Cuda;
  gpu.runtime_libraries = libs;
  list.devices = {cpu, gpu};
  ProblemPanel panel;
  panel.setDevices(list);
  ProblemSpec spec = panel.spec();
  spec.device = QStringLiteral("cuda:0");
  panel.setSpec(spec);
  auto* note = panel.findChild<QLabel*>(QStringLiteral("deviceNote"));
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->text().toStdString(), "Not found: CUPTI, cuBLAS (hover for what it costs and the fix)");
  const std::string tip = note->toolTip().toStdString();
  EXPECT_NE(tip.find("CUPTI not found: timing falls back to CUDA events (libcupti.so.13: cannot open shared object file)"
                     " — fix: install the CUDA toolkit's CUPTI"),
            std::string::npos)
      << tip;
  EXPECT_NE(tip.find("cuBLAS not found: cublas-math cannot run"), std::string::npos) << tip;
  EXPECT_EQ(tip.find("NVIDIA driver"), std::string::npos) << tip;  // found: not a problem
  // The sustained rule is a GPU's choice; the CPU always runs the worker's CPU rule.
  auto* sustained = panel.findChild<QCheckBox*>(QStringLiteral("sustainedRule"));
  ASSERT_NE(sustained, nullptr);
  EXPECT_TRUE(sustained->isEnabled());
  spec.device = QStringLiteral("cpu");
  panel.setSpec(spec);
  EXPECT_FALSE(sustained->isEnabled());
}
