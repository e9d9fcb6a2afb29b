// File ▸ Export chart… offers the command line's choices (kind, metric, x field, baseline, the values of
// each field, which backends, size, text, DPI), and what it writes — the chart and the CSV of exactly
// what the chart shows — follows them; the window then shows the same. Driven through the real menu
// action and the modal dialog, on the project's own H100 grid.
#include <gtest/gtest.h>

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLineEdit>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <functional>

#include "BackendListModel.h"
#include "DeviceListService.h"
#include "ExportDialog.h"
#include "MainWindow.h"
#include "PlotView.h"

using namespace attnscope::gui;

namespace {

const QString kFull = QStringLiteral(ATTNSCOPE_H100_RESULTS "/bench_full.jsonl");
const QString kCausal = QStringLiteral(ATTNSCOPE_H100_RESULTS "/bench_causal.jsonl");

// The standard grid (non-causal + causal files) in a window whose backend names have arrived, so the
// legends and the data carry display names as a headless export's do.
std::unique_ptr<MainWindow> gridWindow() {
  QSettings().clear();
  auto w = std::make_unique<MainWindow>();
  QSignalSpy devices(w->deviceService(), &DeviceListService::updated);
  EXPECT_TRUE(devices.wait(30000));
  EXPECT_TRUE(QTest::qWaitFor([&] { return w->backendModel()->rowCount() > 0; }, 30000));
  EXPECT_TRUE(w->openResultFile(kFull));
  EXPECT_TRUE(w->overlayResultFile(kCausal));
  w->plotView()->refreshNames();
  return w;
}

// Triggers File ▸ Export chart…, lets `edit` set the modal dialog's fields, then presses OK (or Cancel).
// Waits on the dialog appearing, not on time.
bool exportThroughDialog(MainWindow& w, const std::function<void(ExportDialog&)>& edit, bool ok = true) {
  bool seen = false;
  QTimer poll;
  poll.setInterval(10);
  QObject::connect(&poll, &QTimer::timeout, [&] {
    auto* dialog = qobject_cast<ExportDialog*>(QApplication::activeModalWidget());
    if (!dialog) return;
    poll.stop();
    seen = true;
    edit(*dialog);
    if (ok) dialog->accept();
    else dialog->reject();
  });
  poll.start();
  w.exportAction()->trigger();  // returns when the dialog closed and the files are written
  return seen;
}

template <class T>
T* child(ExportDialog& d, const QString& name) {
  T* widget = d.findChild<T*>(name);
  EXPECT_NE(widget, nullptr) << name.toStdString();
  return widget;
}

void choose(QComboBox* box, const QVariant& data) {
  ASSERT_NE(box, nullptr);
  const int i = box->findData(data);
  ASSERT_GE(i, 0) << data.toString().toStdString();
  box->setCurrentIndex(i);
}

QString slurp(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

QStringList column(const QString& csv, int index) {
  QStringList values;
  for (const QString& line : csv.split(QLatin1Char('\n'), Qt::SkipEmptyParts).mid(2)) values << line.split(QLatin1Char(','))[index];
  values.removeDuplicates();
  return values;
}

}  // namespace

TEST(GuiExportDialog, ItsChoicesReachTheChartTheDataAndTheWindowAsTheCommandLinesDo) {
  auto w = gridWindow();
  QTemporaryDir dir;
  const QString pdf = dir.filePath("grid.pdf");
  ASSERT_TRUE(exportThroughDialog(*w, [&](ExportDialog& d) {
    child<QLineEdit>(d, "exportPath")->setText(pdf);
    choose(child<QComboBox>(d, "exportKind"), int(PlotView::Kind::Bars));
    choose(child<QComboBox>(d, "exportPanels"), int(PlotView::Panels::Tflops));
    choose(child<QComboBox>(d, "exportPreset"), QStringLiteral("double"));
    child<QCheckBox>(d, "exportShow:naive")->setChecked(false);     // --hide naive
    child<QCheckBox>(d, "exportOnly:d=64")->setChecked(false);      // --only d=128
    child<QCheckBox>(d, "exportData")->setChecked(true);            // --chart-data grid.csv
  }));
  ASSERT_TRUE(QFileInfo::exists(pdf));
  const QString csv = slurp(dir.filePath("grid.csv"));
  ASSERT_FALSE(csv.isEmpty());
  EXPECT_FALSE(csv.contains(",naive,")) << "a backend unticked in the dialog is not in the exported data";
  EXPECT_TRUE(csv.contains(",flash2,"));
  EXPECT_FALSE(csv.contains("d=64")) << "d=64 unticked: no d=64 panel";
  EXPECT_TRUE(csv.contains("TFLOP/s")) << csv.left(300).toStdString();

  // The window shows what was exported.
  const PlotView::Choices shown = w->plotView()->choices();
  EXPECT_EQ(shown.kind, PlotView::Kind::Bars);
  EXPECT_EQ(shown.panels, PlotView::Panels::Tflops);
  EXPECT_TRUE(shown.hidden.contains("naive"));
  EXPECT_EQ(w->plotView()->panelCount(), 2) << "d=128 × {non-causal, causal}";

  // The command line with the same choices writes the same data.
  QProcess app;
  app.start(ATTNSCOPE_APP_PATH, {kFull, kCausal, "--export", dir.filePath("cli.png"), "--size", "double", "--kind", "bars",
                                 "--panels", "tflops", "--only", "d=128", "--hide", "naive", "--chart-data", dir.filePath("cli.csv")});
  ASSERT_TRUE(app.waitForFinished(60000));
  ASSERT_EQ(app.exitCode(), 0) << app.readAllStandardError().toStdString();
  EXPECT_EQ(slurp(dir.filePath("cli.csv")), csv);
  QSettings().clear();
}

TEST(GuiExportDialog, TheXFieldChosenThereIsTheDataFilesXColumnAndItsFiltersFollow) {
  auto w = gridWindow();
  QTemporaryDir dir;
  const QString png = dir.filePath("by-d.png");
  ASSERT_TRUE(exportThroughDialog(*w, [&](ExportDialog& d) {
    child<QLineEdit>(d, "exportPath")->setText(png);
    choose(child<QComboBox>(d, "exportKind"), int(PlotView::Kind::Lines));
    choose(child<QComboBox>(d, "exportPanels"), int(PlotView::Panels::Latency));
    choose(child<QComboBox>(d, "exportPreset"), QStringLiteral("single"));
    child<QSpinBox>(d, "exportDpi")->setValue(150);
    choose(child<QComboBox>(d, "exportX"), int(SweepAxis::HeadDim));
    // With d on the x axis, N is a field to narrow: keep two of its values (two panels per causal).
    for (QCheckBox* box : d.findChildren<QCheckBox*>())
      if (box->objectName().startsWith("exportOnly:N="))
        box->setChecked(box->objectName() == "exportOnly:N=1024" || box->objectName() == "exportOnly:N=4096");
    child<QCheckBox>(d, "exportOnly:causal=causal")->setChecked(false);
    child<QCheckBox>(d, "exportData")->setChecked(true);
  }));
  const QString csv = slurp(dir.filePath("by-d.csv"));
  ASSERT_FALSE(csv.isEmpty());
  const QStringList header = csv.section(QLatin1Char('\n'), 1, 1).split(QLatin1Char(','));
  ASSERT_GE(header.size(), 5);
  EXPECT_EQ(header[3], axisTitle(SweepAxis::HeadDim)) << csv.left(300).toStdString();
  EXPECT_EQ(column(csv, 3), (QStringList{"64", "128"}));
  QStringList panels = column(csv, 0);
  panels.sort();
  EXPECT_EQ(panels, (QStringList{"N=1024", "N=4096"})) << panels.join(" | ").toStdString();
  // A single-column PNG at 150 dpi: 3.5 in wide.
  const QImage image(png);
  EXPECT_NEAR(image.width(), 3.5 * 150, 2);
  EXPECT_EQ(w->plotView()->model().axis, SweepAxis::HeadDim);
  QSettings().clear();
}

TEST(GuiExportDialog, CancelChangesNothing) {
  auto w = gridWindow();
  const PlotView::Choices before = w->plotView()->choices();
  ASSERT_TRUE(exportThroughDialog(
      *w,
      [&](ExportDialog& d) {
        choose(child<QComboBox>(d, "exportKind"), int(PlotView::Kind::Roofline));
        child<QCheckBox>(d, "exportShow:flash2")->setChecked(false);
      },
      false));
  EXPECT_EQ(w->plotView()->kind(), before.kind);
  EXPECT_EQ(w->plotView()->hidden(), before.hidden);
  QSettings().clear();
}
